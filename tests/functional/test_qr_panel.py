"""The invite panel driven with Pilot: too small, zoom, copy, save, no invite, revoked, markup shown as text."""

import io
import xml.etree.ElementTree as ET
from dataclasses import replace

from PIL import Image
from textual.widgets import Static

from convos_tui import clipboard
from convos_tui.ui.screens.qr import QRPanel
from convos_tui.ui.widgets.qr import QRCodeView
from tests.invite_samples import LONG, SHORT
from tests.qr_decode import decode
from tests.ui_fixtures import NOW, add_invite, cid, make_app


def text_of(screen, selector) -> str:
    return screen.query_one(selector, Static).render().plain


def app_with_invites(**kwargs):
    """The deterministic fleet, with a long invite on us-pool-1 (bound to cid(4)) and a revoked one on us-slow."""
    app = make_app(**kwargs)
    add_invite(app, "us-pool-1", 4, name="[bold]Ops[/bold] room", env="production", invite_url=LONG, at=NOW - 100)
    add_invite(app, "us-slow", 5, name="Slow", env="production", invite_url=SHORT, at=NOW - 100, revoked_at=NOW - 50)
    return app


async def open_panel(app, pilot, name):
    app.main_screen.table.move_to(name)
    await pilot.pause()
    await pilot.press("i")
    await pilot.pause()
    assert isinstance(app.screen, QRPanel)
    return app.screen


async def test_i_opens_the_stored_invite_and_escape_closes_it():
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "eu-booth-1")
        assert panel.query_one(QRCodeView).display
        assert panel.invite.url == "https://dev.convos.org/v2?i=" + "Q" * 240
        assert "eu-booth-1" in text_of(panel, "#qr-details") and "Booth" in text_of(panel, "#qr-details")
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_a_toast_never_covers_the_code():
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify("a long toast in the corner where the code is drawn", timeout=30)
        await pilot.pause()
        assert app._notifications
        await open_panel(app, pilot, "eu-booth-1")
        assert not app._notifications


async def test_too_small_for_a_long_invite_says_so_and_the_size_it_needs():
    app = app_with_invites()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_panel(app, pilot, "us-pool-1")
        assert not panel.query_one(QRCodeView).display  # no clipped code
        columns, rows = panel.code.size_needed()
        notice = text_of(panel, "#qr-notice")
        assert "too small for a scannable code" in notice
        assert f"{columns + 48}×{rows + 3}" in notice and "80×24" in notice
        # The URL is still there, whole, to copy by hand.
        assert text_of(panel, "#qr-url").replace("\n", "") == LONG
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert panel.query_one(QRCodeView).display and not panel.query_one("#qr-notice").display


async def test_markup_in_names_is_shown_as_text():
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "us-pool-1")
        assert "[bold]Ops[/bold] room" in text_of(panel, "#qr-details")


async def test_z_zooms_only_when_the_zoomed_code_fits():
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "eu-booth-1")
        await pilot.press("z")
        assert panel.query_one(QRCodeView).zoom == 1
        assert "zoom needs 178×68" in text_of(panel, "#qr-message")
        await pilot.resize_terminal(180, 70)
        await pilot.press("z")
        assert panel.query_one(QRCodeView).zoom == 2
        await pilot.press("z")
        assert panel.query_one(QRCodeView).zoom == 1


async def test_c_copies_the_url_with_osc52_and_the_system_clipboard(monkeypatch):
    copied = []
    monkeypatch.setattr(clipboard, "_system_copy", copied.append)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_CLIENT", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "us-pool-1")
        await pilot.press("c")
        assert app.clipboard == LONG and copied == [LONG]  # OSC 52 through Textual, and pyperclip
        assert "clipboard" in text_of(panel, "#qr-message")


async def test_a_failing_clipboard_never_crashes_and_leaves_the_url_on_screen(monkeypatch):
    def broken(text):
        raise RuntimeError("no clipboard program")

    monkeypatch.setattr(clipboard, "_system_copy", broken)
    app = app_with_invites()
    inventory = app.fleet.inventory
    app.fleet.inventory = replace(inventory, settings=replace(inventory.settings, clipboard="system"))
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "us-pool-1")
        await pilot.press("c")
        message = text_of(panel, "#qr-message")
        assert "not copied" in message and "no clipboard program" in message and "xclip" in message
        assert text_of(panel, "#qr-url").replace("\n", "") == LONG


async def test_s_saves_svg_and_png_named_after_the_gateway_and_conversation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "us-pool-1")
        await pilot.press("s")
        stem = f"convos-invite-us-pool-1-{cid(4)[:12]}"
        svg, png = tmp_path / f"{stem}.svg", tmp_path / f"{stem}.png"
        message = text_of(panel, "#qr-message").replace("\n", "")
        assert str(svg) in message and str(png) in message
    ET.fromstring(svg.read_text().split("\n", 1)[1])
    assert decode(Image.open(io.BytesIO(png.read_bytes())).convert("L")) == [LONG]


async def test_saving_where_nothing_can_be_written_says_so(tmp_path, monkeypatch):
    folder = tmp_path / "gone"
    folder.mkdir()
    monkeypatch.chdir(folder)
    folder.rmdir()  # fails even for root, unlike a read-only folder
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "us-pool-1")
        await pilot.press("s")
        assert "not saved" in text_of(panel, "#qr-message")


async def test_a_conversation_provisioned_elsewhere_shows_no_code_and_where_the_invite_is():
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "eu-booth-2")  # bound to cid(2), never created here
        assert not panel.query_one(QRCodeView).display and panel.code is None
        notice = text_of(panel, "#qr-notice").replace("\n", " ")
        assert "not created from this console" in notice and "convos-tui invite eu-booth-2" in notice
        await pilot.press("c", "s")
        assert "nothing saved" in text_of(panel, "#qr-message")


async def test_an_idle_gateway_without_a_stored_invite():
    app = app_with_invites()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_panel(app, pilot, "eu-pool-1")
        assert "no invite stored for eu-pool-1" in text_of(panel, "#qr-notice").replace("\n", " ")


async def test_a_revoked_invite_is_not_drawn_and_says_it_no_longer_works(monkeypatch):
    copied = []
    monkeypatch.setattr(clipboard, "_system_copy", copied.append)
    app = app_with_invites()
    async with app.run_test(size=(200, 60)) as pilot:
        panel = await open_panel(app, pilot, "us-slow")
        assert not panel.query_one(QRCodeView).display and panel.code is None
        notice = text_of(panel, "#qr-notice")
        assert notice.startswith("REVOKED\nthis invite no longer works: a lock or unlock on 2026-09-21 14:12 UTC")
        assert panel.query_one("#qr-url", Static).render().spans[0].style == "dim strike"
        await pilot.press("c")
        assert copied == [] and app.clipboard == "" and "nothing copied" in text_of(panel, "#qr-message")


async def test_show_invite_with_a_create_answer_and_the_palette_and_keymap_know_the_keys():
    app = app_with_invites(keymap={"invite": "I"})
    async with app.run_test(size=(120, 40)) as pilot:
        assert {"invite", "present", "qr-zoom", "qr-copy", "qr-save", "qr-close", "present-next"} <= app.binding_ids()
        app.main_screen.table.move_to("eu-booth-1")
        await pilot.press("I")
        assert isinstance(app.screen, QRPanel)
        await pilot.press("escape")
        app.show_invite("eu-pool-2", SHORT, "cd" * 16)
        await pilot.pause()
        assert app.screen.invite.url == SHORT and app.screen.invite.conversation_id == "cd" * 16
        titles = [command.title for command in app.get_system_commands(app.main_screen)]
        assert any(title.startswith("Invite QR code") for title in titles)
        assert any(title.startswith("Presentation mode") for title in titles)


async def test_an_idle_gateway_with_an_old_stored_invite_does_not_offer_it():
    app = app_with_invites()
    app.fleet.store.add_conversation(
        gateway="eu-pool-1",
        gateway_url="http://127.0.0.1:18803",
        conversation_id=cid(9),
        origin="create",
        invite_url=SHORT,
        at=NOW - 900,
    )
    async with app.run_test(size=(200, 60)) as pilot:
        panel = await open_panel(app, pilot, "eu-pool-1")
        assert panel.code is None and not panel.query_one(QRCodeView).display
        assert "holds no conversation now" in text_of(panel, "#qr-notice").replace("\n", " ")


async def test_the_panel_names_its_keys_as_the_keymap_remaps_them():
    # Before: "z zoom · c copy the URL" was written out, so a remapped key was still named by its default.
    app = app_with_invites(keymap={"qr-zoom": "Z", "qr-copy": "y", "qr-save": "w"})
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_panel(app, pilot, "us-pool-1")
        assert text_of(panel, "#qr-keys") == "Z zoom · y copy the URL\nw save SVG and PNG · esc close"
        assert "y copies the URL, w saves the code as SVG and PNG." in text_of(panel, "#qr-notice")
        await pilot.press("y")  # and the key it names does it
        assert "clipboard" in text_of(panel, "#qr-message")
