"""The invites a provisioning run made: a list, the selected one's QR code beside it, and an export.

A bulk create answers with one invite per gateway, and the gateways never tell them again: the gallery
shows them while they are fresh (the store keeps them too) and writes them out as CSV and JSON for
whoever hands them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from convos_tui.export import write_csv_and_json
from convos_tui.fleet.actions import ActionResult
from convos_tui.fleet.state import short_id
from convos_tui.qr import QR, make_qr
from convos_tui.ui.keys import bindings, hint
from convos_tui.ui.messages import OpenInvite
from convos_tui.ui.screens.qr import fit_zoom, too_small_text
from convos_tui.ui.widgets.footer import Footer
from convos_tui.ui.widgets.qr import QRCodeView

if TYPE_CHECKING:
    from convos_tui.ui.context import Context

# Cells beside the code, in step with styles/app.tcss: the left column (36), its margin (2) and the
# padding (2) across; the title, the padding and the footer down.
GALLERY_CHROME = (40, 3)
EXPORT_FIELDS = ("gateway", "conversation_id", "env", "invite_url", "provisioning_s")


def invites_of(results: Sequence[ActionResult]) -> list[dict[str, Any]]:
    """One row per conversation created, with its invite, in the run's order."""
    return [
        {"gateway": r.gateway, **{key: r.data.get(key) for key in EXPORT_FIELDS if key != "gateway"}}
        for r in results
        if r.ok and r.action == "create" and r.data.get("invite_url")
    ]


def export_invites(invites: Sequence[dict[str, Any]], folder: Path, *, now: float) -> list[Path]:
    """`convos-invites-<UTC time>.csv` and `.json` in `folder`."""
    return write_csv_and_json(invites, EXPORT_FIELDS, folder, "convos-invites", now=now)


class InviteGallery(Screen[None]):
    BINDINGS = bindings("gallery")  # fleet/console_names.py: KEYS

    def __init__(self, results: Sequence[ActionResult], context: Context) -> None:
        super().__init__(id="gallery")
        self.context = context
        self.invites = invites_of(results)
        self._codes: dict[str, QR] = {}

    def compose(self) -> ComposeResult:
        count = len(self.invites)
        yield Static(Text(f"{count} new invite{'s' if count != 1 else ''}", style="bold"), id="gallery-title")
        with Horizontal(id="gallery-body"):
            # The list and the URL on the left, so the code has the rest of the screen to itself.
            with Vertical(id="gallery-side"):
                yield DataTable(id="gallery-list", cursor_type="row", zebra_stripes=True)
                yield Static(id="gallery-url")
                yield Static(id="gallery-message")
            yield QRCodeView(id="gallery-code")
            yield Static(id="gallery-notice")
        yield Footer()

    def on_mount(self) -> None:
        self.app.clear_notifications()  # a toast over the code would stop a phone reading it
        table = self.query_one("#gallery-list", DataTable)
        table.add_columns("gateway", "conversation")
        for invite in self.invites:
            table.add_row(
                Text(invite["gateway"]), Text(short_id(invite["conversation_id"] or "")), key=invite["gateway"]
            )
        table.focus()
        self.show_selected()

    @property
    def selected(self) -> dict[str, Any] | None:
        table = self.query_one("#gallery-list", DataTable)
        if not self.invites:
            return None
        return self.invites[min(table.cursor_row, len(self.invites) - 1)]

    @on(DataTable.RowHighlighted)
    def show_selected(self) -> None:
        invite = self.selected
        view, notice = self.query_one(QRCodeView), self.query_one("#gallery-notice", Static)
        if invite is None:
            view.display = False
            notice.update(Text("No conversation was created: nothing to show."))
            return
        url = invite["invite_url"]
        code = self._codes.get(url) or self._codes.setdefault(url, make_qr(url))
        zoom = fit_zoom(code, self.app.size, GALLERY_CHROME, zoom_wanted=False)
        view.show(code if zoom else None, zoom or 1)
        view.display, notice.display = zoom is not None, zoom is None
        if zoom is None:
            instead = hint(
                self.app,
                ("gallery-copy", "copies the URL"),
                ("gallery-export", "exports them all as CSV and JSON"),
                sep=", ",
            )
            notice.update(too_small_text(code, self.app.size, GALLERY_CHROME, instead))
        self.query_one("#gallery-url", Static).update(Text(url))

    def on_resize(self) -> None:
        self.show_selected()

    def say(self, text: Text) -> None:
        self.query_one("#gallery-message", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        invite = self.selected
        if invite is not None:
            self.post_message(OpenInvite(invite["gateway"], invite["invite_url"], invite["conversation_id"]))

    def action_copy(self) -> None:
        invite = self.selected
        if invite is not None:
            self.say(self.context.copy_text(invite["invite_url"], what="the invite URL"))

    def action_export(self) -> None:
        try:
            paths = export_invites(self.invites, Path.cwd(), now=self.context.clock())
        except OSError as exc:
            self.say(
                Text(
                    f"could not export: {exc.strerror or exc}. The invites are in the store too "
                    "(convos-tui invite GW).",
                    style="bold red",
                )
            )
            return
        self.say(Text("exported " + " and ".join(str(p) for p in paths), style="green"))
