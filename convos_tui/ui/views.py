"""How the main screen shows the fleet: its columns (the config's, the profile's, or the columns panel's), and
the copy menu of what it shows (`y`: the row's name, URL, conversation id, invite; the table as TSV).

Kept out of the screen: the screen asks for the columns at start and opens the panel with `|`; this applies
the panel's answer and, with `w`, writes it into the config (the active profile's `columns` if a profile is
active, else the top level's), comments kept, under the config's lock (fleet/config_file.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from convos_tui.fleet.config_file import EditError, save_value
from convos_tui.ui import rows as view
from convos_tui.ui.screens.columns import ColumnsChosen, ColumnsPanel
from convos_tui.ui.screens.copy_menu import Copyable, CopyMenu
from convos_tui.ui.table_tsv import table_tsv

if TYPE_CHECKING:
    from convos_tui.ui.app import ConvosApp
    from convos_tui.ui.screens.main import MainScreen


class ConsoleViews:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        fleet = screen.context.fleet
        self.inventory = fleet.inventory
        profile = self.inventory.profiles.get(fleet.profile) if fleet.profile else None
        self.profile = fleet.profile if profile is not None else None
        self.start_columns = (profile.columns if profile else ()) or self.inventory.settings.columns

    def columns_where(self) -> str:
        return f"profile {self.profile}" if self.profile else "the config"

    def open_columns(self) -> None:
        table = self.screen.table
        shown = table.chosen or tuple(c for c in table.columns if c != "mark")
        self.screen.app.push_screen(ColumnsPanel(shown, self.columns_where()), self._columns_chosen)

    def set_columns(self, columns: tuple[str, ...]) -> None:
        table = self.screen.table
        table.chosen = columns
        table.set_columns(table.compact)
        if table.sort_column not in table.columns and table.sort_column in view.SORTABLE:
            table.set_sort("state", False)  # sorted by a column no longer shown: back to faults first
        self.screen.rebuild(resort=True)

    def _columns_chosen(self, chosen: ColumnsChosen | None) -> None:
        if chosen is None:
            return
        self.set_columns(chosen.columns)
        words = ", ".join(chosen.columns) if chosen.columns else "the default"
        if not chosen.save:
            self.screen.say(f"columns: {words}")
            return
        keys = ("profiles", self.profile, "columns") if self.profile else ("columns",)
        self.screen.say(*self.save(keys, list(chosen.columns) or None, f"columns ({words})"))

    def save(self, keys: tuple[str, ...], value: Any, what: str) -> tuple[str, str]:
        """Write one value into the config; the status line's words and style."""
        path = self.inventory.path
        if path is None or not self.inventory.exists:
            return f"{what} applied; not saved: no config file (convos-tui config init makes one)", "yellow"
        try:
            save_value(path, keys, value)
        except (EditError, OSError) as exc:
            return f"{what} applied; not saved: {exc}", "bold yellow"
        return f"{what} saved to {path}", "green"

    # -- copy ------------------------------------------------------------------------------------
    def copy_menu(self) -> None:
        screen, fleet = self.screen, self.screen.context.fleet
        table = screen.table
        name = table.cursor_name
        shown = [fleet.config(n) for n in table.names_in_order()]
        rows = [(config, fleet.states[config.name]) for config in shown if config is not None]
        tsv = table_tsv(table.columns, rows, screen.context.clock())
        count = f"{len(rows)} row{'s' if len(rows) != 1 else ''}, {len(table.columns) - 1} columns"
        choices = [Copyable("t", "table as TSV", tsv if rows else "", "no row shown", count)]
        config = fleet.config(name) if name else None
        if config is not None:
            state = fleet.states.get(config.name)
            status = state.status if state is not None and state.error is None else None
            conversation = (status.conversation_id if status else None) or ""
            # The app finds the invite as the invite panel does: the stored one, unless it no longer works.
            invite = cast("ConvosApp", screen.app)._invite(config.name)
            choices[:0] = [
                Copyable("n", "gateway name", config.name),
                Copyable("u", "URL", config.display_url),
                Copyable("c", "conversation id", conversation, "no conversation bound"),
                Copyable("i", "invite", invite.url or "" if invite.usable else "", invite.problem or "no invite"),
            ]
        screen.app.push_screen(CopyMenu(name or "the table", choices), self._copy)

    def _copy(self, choice: Copyable | None) -> None:
        if choice is not None:
            said = self.screen.context.copy_text(choice.text, what=choice.what)
            words = said.plain if said.plain.startswith("copied") else f"{choice.what}: {said.plain}"
            self.screen.say(words, str(said.style))
