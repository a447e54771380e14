"""Action panels driven with Pilot against simulated gateways: create, send, explode, errors, read-only."""

import asyncio
import contextlib

from textual.widgets import Button, Input, Static, TextArea

from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.store import Store
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.ui.app import ConvosApp
from convos_tui.ui.screens import actions as panels
from convos_tui.ui.screens.qr import QRPanel


@contextlib.asynccontextmanager
async def console(*specs, read_only=False, speed=500):
    async with SimFleet(list(specs), speed=speed) as sim:
        gateways = [GatewayConfig(name=g.name, url=g.url, env="dev") for g in sim.gateways]
        poller = Poller(gateways)
        await poller.sweep()
        fleet = Fleet(Inventory(path=None, gateways=tuple(gateways)), Store.open(None), gateways=gateways, poller=poller)  # type: ignore[arg-type]
        app = ConvosApp(fleet, live=False, read_only=read_only)
        async with app.run_test(size=(120, 40)) as pilot:
            yield sim, app, pilot


async def move_to(app, pilot, name):
    app.main_screen.table.move_to(name)
    await pilot.pause()


async def finish(pilot, panel):
    for _ in range(200):
        await asyncio.sleep(0.02)
        if panel.result is not None and not panel.busy:
            await pilot.pause()
            return panel.result
    raise AssertionError("the action did not finish")


def result_text(panel) -> str:
    return panel.query_one("#panel-result", Static).render().plain


async def test_create_from_the_panel_stores_and_shows_the_invite():
    async with console(GatewaySpec("a")) as (sim, app, pilot):
        await move_to(app, pilot, "a")
        await pilot.press("c")
        panel = app.screen
        assert isinstance(panel, panels.CreatePanel)
        panel.query_one("#name", Input).value = "Ops room"
        panel.query_one("#instructions", TextArea).text = "Be brief."
        await pilot.press("ctrl+s")
        result = await finish(pilot, panel)
        assert result.ok and "invite: https://dev.convos.org/v2?i=" in result_text(panel)
        assert app.fleet.store.conversation("a", result.data["conversation_id"])["name"] == "Ops room"
        assert sim.gateway("a").instructions == "Be brief."
        assert str(panel.query_one("#go", Button).label) == "Close"
        await pilot.press("ctrl+s")
        # The invite opens at once, as a QR code: the gateway will never tell it again.
        assert isinstance(app.screen, QRPanel) and app.screen.invite.url == result.data["invite_url"]
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_an_error_is_shown_in_words_with_the_full_text_one_key_away():
    async with console(GatewaySpec("bound", Mode.BOUND), GatewaySpec("offline", Mode.OFFLINE, conversation_id="ab" * 16)) as (sim, app, pilot):
        await move_to(app, pilot, "bound")
        await pilot.press("c")
        panel = app.screen
        await pilot.press("ctrl+s")
        await finish(pilot, panel)
        assert "already holds a conversation: provision a fresh instance" in result_text(panel)
        await pilot.press("escape")
        await move_to(app, pilot, "offline")
        await pilot.press("m")
        panel = app.screen
        panel.query_one("#message", TextArea).text = "hi"
        await pilot.press("ctrl+s")
        await finish(pilot, panel)
        assert "failed:" in result_text(panel) and "d shows the gateway's full answer" in result_text(panel)
        panel.query_one("#cancel", Button).focus()
        await pilot.press("d")
        assert "Command failed:" in result_text(panel) and "USAGE" in result_text(panel)


async def test_explode_needs_the_gateways_name_and_cancel_has_the_focus():
    async with console(GatewaySpec("doomed", Mode.BOUND)) as (sim, app, pilot):
        await move_to(app, pilot, "doomed")
        await pilot.press("X")
        panel = app.screen
        assert isinstance(panel, panels.ExplodePanel)
        assert panel.focused is panel.query_one("#cancel", Button)
        assert str(panel.query_one("#go", Button).label) == "Explode"
        assert panel.query_one("#go", Button).disabled
        warning = " ".join(w.render().plain for w in panel.query(Static))
        assert sim.gateway("doomed").bound in warning and "Type the gateway's name, doomed" in warning
        panel.query_one("#confirm", Input).value = "doome"
        await pilot.pause()
        assert panel.query_one("#go", Button).disabled
        panel.query_one("#confirm", Input).value = "doomed"
        await pilot.pause()
        assert not panel.query_one("#go", Button).disabled
        await pilot.press("ctrl+s")
        result = await finish(pilot, panel)
        assert result.ok and sim.gateway("doomed").bound is None


async def test_lock_warns_that_earlier_invites_stop_working():
    async with console(GatewaySpec("g", Mode.BOUND)) as (sim, app, pilot):
        await move_to(app, pilot, "g")
        await pilot.press("l")
        panel = app.screen
        assert any("every earlier invite of this conversation stops working" in w.render().plain
                   for w in panel.query(Static))
        assert panel.focused is panel.query_one("#cancel", Button)
        await pilot.press("ctrl+s")
        assert (await finish(pilot, panel)).ok and sim.gateway("g").locked


async def test_read_only_greys_out_every_action_in_keys_and_palette():
    async with console(GatewaySpec("a", Mode.BOUND), read_only=True) as (sim, app, pilot):
        screen = app.main_screen
        for action in ("create", "join", "send", "rename", "lock", "unlock", "explode"):
            assert screen.check_action("act", (action,)) is None
        await pilot.press("X", "c", "m")
        assert app.screen is screen
        titles = [c.title for c in app.get_system_commands(screen)]
        assert all("disabled: read-only" in t for t in titles if t.startswith(("Create a", "Explode", "Send a")))
        assert all(method == "GET" for method, _, _ in sim.gateway("a").request_log)  # only polls, no action


async def test_a_panel_opens_with_its_first_field_focused_so_a_paste_lands_in_it():
    async with console(GatewaySpec("a")) as (sim, app, pilot):
        await move_to(app, pilot, "a")
        await pilot.press("J")
        panel = app.screen
        assert isinstance(panel, panels.JoinPanel)
        await pilot.press(*"abc")
        assert panel.query_one("#invite", Input).value == "abc"
        await pilot.press("ctrl+s")  # not an invite: refused in the panel, and the focus leaves the field
        result = await finish(pilot, panel)
        assert result.outcome == "refused"
        assert panel.focused is panel.query_one("#cancel", Button)
