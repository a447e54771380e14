"""The fleet-wide timeline: state transitions and actions from the store, newest first, filterable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from convos_tui.ui.rows import STATE_STYLE
from convos_tui.ui.screens.detail import clock_time

if TYPE_CHECKING:
    from convos_tui.ui.app import ConvosApp

LIMIT = 2000


class EventsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="events-back"),
        Binding("slash", "focus_filter", "Filter", id="events-filter"),
        Binding("r", "reload", "Reload", id="events-reload"),
    ]

    def __init__(self) -> None:
        super().__init__(id="events")
        self.words: list[str] = []

    @property
    def convos(self) -> ConvosApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text(" Events: state transitions and actions, newest first ", style="bold reverse"), id="events-title")
        yield Input(id="events-filter-box", placeholder="filter: gateway, state, action, outcome, words …")
        yield DataTable(id="events-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#events-table", DataTable)
        for label in ("TIME", "GATEWAY", "KIND", "WHAT", "DETAIL"):
            table.add_column(label, key=label.lower())
        self.action_reload()
        table.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#events-filter-box", Input).focus()

    @on(Input.Changed, "#events-filter-box")
    def _filtered(self, event: Input.Changed) -> None:
        self.words = event.value.lower().split()
        self.action_reload()

    @on(Input.Submitted, "#events-filter-box")
    def _done(self) -> None:
        self.query_one("#events-table", DataTable).focus()

    def events(self) -> list[tuple[float, str, str, Text, str]]:
        store = self.convos.fleet.store
        rows: list[tuple[float, str, str, Text, str]] = []
        for t in store.transitions(limit=LIMIT):
            what = Text(f"{t.old} → ")
            what.append(str(t.new), style=STATE_STYLE[t.new])
            rows.append((t.at, t.gateway, "state", what, t.reason))
        for a in store.audit_log(limit=LIMIT):
            style = "green" if a["outcome"] == "ok" else "red"
            what = Text(f"{a['action']} ")
            what.append(a["outcome"], style=style)
            rows.append((a["at"], a["gateway"] or "-", "action", what, f"{a['who']}  {a['detail']}".strip()))
        rows.sort(key=lambda row: row[0], reverse=True)
        if self.words:
            def keep(row: tuple[float, str, str, Text, str]) -> bool:
                haystack = f"{row[1]} {row[2]} {row[3].plain} {row[4]}".lower()
                return all(word in haystack for word in self.words)

            rows = [row for row in rows if keep(row)]
        return rows[:LIMIT]

    def action_reload(self) -> None:
        table = self.query_one("#events-table", DataTable)
        table.clear()
        events = self.events()
        for at, gateway, kind, what, detail in events:
            table.add_row(Text(clock_time(at), style="dim"), Text(gateway), Text(kind), what, Text(detail))
        if not events:
            table.add_row(Text("-"), Text("-"), Text("-"), Text("nothing recorded yet" if not self.words else "nothing matches"), Text(""))
