"""The invite panel: a gateway's invite as a QR code a phone can scan, with its URL to copy or save.

The code is drawn only when it fits whole: a clipped code does not scan, so a terminal too small gets
a message with the size the code needs. An invite the console does not hold is never made up, and a
revoked one is not drawn at all: the panel says why, and where a working invite can be found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from convos_tui.fleet.invites import StoredInvite
from convos_tui.qr import QR, invite_file_stem, make_qr
from convos_tui.ui.keys import bindings, hint
from convos_tui.ui.widgets.qr import QRCodeView

if TYPE_CHECKING:
    from convos_tui.ui.context import Context

# Cells around the code, in step with styles/qr.tcss: box border 2 + padding 2 + gap 2 + info column
# 42 across, border 2 + title 1 down.
PANEL_CHROME = (48, 3)


def fit_zoom(code: QR, space: Size, chrome: tuple[int, int], *, zoom_wanted: bool) -> int | None:
    """The zoom the code is drawn at in `space` (2 when wanted and it fits, else 1), None if it does not fit."""
    for zoom in (2, 1) if zoom_wanted else (1,):
        columns, rows = code.size_needed(zoom)
        if columns + chrome[0] <= space.width and rows + chrome[1] <= space.height:
            return zoom
    return None


def needed(code: QR, chrome: tuple[int, int], zoom: int = 1) -> str:
    columns, rows = code.size_needed(zoom)
    return f"{columns + chrome[0]}×{rows + chrome[1]}"


def show_code(
    screen: Screen[None],
    code: QR | None,
    chrome: tuple[int, int],
    *,
    space: Size,
    zoom_wanted: bool,
    empty: Text,
    keys: str,
) -> None:
    """Draw the code whole, at the zoom that fits, or put the notice saying why (`empty`: there is no code; `keys`:
    what the screen's keys do instead) in its place; the screen gets the class -no-code then."""
    view, notice = screen.query_one(QRCodeView), screen.query_one(".code-notice", Static)
    zoom = fit_zoom(code, space, chrome, zoom_wanted=zoom_wanted) if code is not None else None
    if code is None:
        notice.update(empty)
    elif zoom is None:
        notice.update(too_small_text(code, space, chrome, keys))
    view.show(code if zoom else None, zoom or 1)
    view.display = zoom is not None
    notice.display = zoom is None
    screen.set_class(zoom is None, "-no-code")


def copy_save_keys(screen: Screen[None], prefix: str) -> str:
    """What the copy and save keys of a screen with a code (`qr`, `present`) do, as the keymap names them: the
    "too small" notice says so in place of the code."""
    return hint(
        screen.app, (f"{prefix}-copy", "copies the URL"), (f"{prefix}-save", "saves the code as SVG and PNG"), sep=", "
    )


def too_small_text(code: QR, space: Size, chrome: tuple[int, int], keys: str) -> Text:
    """Why no code is drawn, and `keys`: what the screen's keys do instead ("c copies the URL, …")."""
    text = Text("This terminal is too small for a scannable code.\n", style="bold")
    text.append(f"The code needs {needed(code, chrome)} cells; this terminal is {space.width}×{space.height}.\n")
    text.append(
        f"Enlarge the window or make the font smaller (ctrl+- in most terminals). {keys}.",
        style="dim",
    )
    return text


def details_text(invite: StoredInvite, env: str | None) -> Text:
    """Who the invite is for, as plain text: names and ids from a gateway or a config are never markup."""
    text = Text()
    for label, value in (
        ("name", invite.name or "(none given)"),
        ("conv id", invite.conversation_id or "-"),
        ("gateway", invite.gateway),
        ("env", invite.env or env or "-"),
    ):
        text.append(f"{label:<9}", style="dim")
        text.append(f"{value}\n")
    return text


def url_text(invite: StoredInvite) -> Text:
    if not invite.url:
        return Text()
    return Text(invite.url, style="dim strike" if not invite.usable else "")


def problem_text(invite: StoredInvite) -> Text:
    text = Text()
    if invite.exploded_at:
        text.append("EXPLODED\n", style="bold red")
    elif invite.revoked_at:
        text.append("REVOKED\n", style="bold red")
    else:
        text.append("No invite to show\n", style="bold yellow")
    text.append(invite.problem)
    return text


def copy_invite(context: Context, invite: StoredInvite | None) -> Text:
    """Copy the invite's URL per the config's clipboard mode; the outcome in words (never raises)."""
    if invite is None or not invite.usable or not invite.url:
        return Text("nothing copied: there is no working invite here", style="yellow")
    return context.copy_text(invite.url, what="the invite URL")


def save_invite(invite: StoredInvite | None, code: QR | None, folder: Path | None = None) -> Text:
    """Write the code as SVG and PNG into `folder` (the working directory); the outcome in words (never raises)."""
    if invite is None or code is None:
        return Text("nothing saved: there is no working invite here", style="yellow")
    stem = invite_file_stem(invite.gateway, invite.conversation_id)
    written = []
    try:
        folder = folder or Path.cwd()  # inside the try: a working directory deleted meanwhile is an OSError too
        for suffix, data in ((".svg", code.svg().encode("utf-8")), (".png", code.png())):
            path = folder / f"{stem}{suffix}"
            path.write_bytes(data)
            written.append(path)
    except OSError as exc:
        return Text(
            f"not saved: {exc.strerror or exc} ({folder}); start convos-tui from a writable folder", style="bold red"
        )
    return Text("saved " + " and ".join(str(path) for path in written), style="green")


class QRPanel(ModalScreen[None]):
    BINDINGS = bindings("qr")  # fleet/console_names.py: KEYS

    def __init__(self, invite: StoredInvite, context: Context, *, env: str | None = None) -> None:
        super().__init__(id="qr-panel")
        self.context = context
        self.invite = invite
        self.env = env
        self.code = make_qr(invite.url) if invite.usable and invite.url else None
        self.zoom_wanted = False

    def compose(self) -> ComposeResult:
        with Vertical(id="qr-box"):
            yield Static(Text(f"Invite — {self.invite.gateway}", style="bold"), id="qr-title")
            with Horizontal(id="qr-row"):
                yield QRCodeView(id="qr-code")
                yield Static(id="qr-notice", classes="code-notice")
                with Vertical(id="qr-info"):
                    yield Static(details_text(self.invite, self.env), id="qr-details")
                    yield Static(url_text(self.invite), id="qr-url")
                    yield Static(id="qr-message")
                    lines = (
                        hint(self.app, ("qr-zoom", "zoom"), ("qr-copy", "copy the URL")),
                        hint(self.app, ("qr-save", "save SVG and PNG"), ("qr-close", "close")),
                    )
                    yield Static(Text("\n".join(lines), style="dim"), id="qr-keys")

    def on_mount(self) -> None:
        self.app.clear_notifications()  # a toast over the code would stop a phone reading it
        self.lay_out(self.app.size)

    def on_resize(self, event: events.Resize) -> None:
        self.lay_out(event.size)

    def lay_out(self, space: Size) -> None:
        show_code(
            self,
            self.code,
            PANEL_CHROME,
            space=space,
            zoom_wanted=self.zoom_wanted,
            empty=problem_text(self.invite),
            keys=copy_save_keys(self, "qr"),
        )

    def say(self, text: Text) -> None:
        self.query_one("#qr-message", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_zoom(self) -> None:
        if self.code is None:
            return
        if not self.zoom_wanted and fit_zoom(self.code, self.app.size, PANEL_CHROME, zoom_wanted=True) != 2:
            size = self.app.size
            self.say(
                Text(
                    f"zoom needs {needed(self.code, PANEL_CHROME, 2)}; this terminal is {size.width}×{size.height}",
                    style="yellow",
                )
            )
            return
        self.zoom_wanted = not self.zoom_wanted
        self.say(Text())
        self.lay_out(self.app.size)

    def action_copy(self) -> None:
        self.say(copy_invite(self.context, self.invite))

    def action_save(self) -> None:
        self.say(save_invite(self.invite, self.code))
