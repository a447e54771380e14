"""How the main screen shows the fleet: its columns (the config's, the profile's, or the columns panel's), and
the copy menu of what it shows (`y`: the row's name, URL, conversation id, invite; the table as TSV).

Kept out of the screen: the screen asks for the columns at start and opens the panel with `|`; this applies
the panel's answer and, with `w`, writes it into the config (the active profile's `columns` if a profile is
active, else the top level's), comments kept, under the config's lock (fleet/config_file.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from convos_tui.fleet.config_file import EditError, save_value
from convos_tui.fleet.config_values import NAME_RE
from convos_tui.fleet.filter import Filter
from convos_tui.fleet.view_settings import SavedView
from convos_tui.ui import rows as view
from convos_tui.ui.filter_history import FILE as HISTORY_FILE
from convos_tui.ui.filter_history import FilterHistory
from convos_tui.ui.screens.columns import ColumnsChosen, ColumnsPanel
from convos_tui.ui.screens.copy_menu import Copyable, CopyMenu
from convos_tui.ui.table_tsv import table_tsv

if TYPE_CHECKING:
    from convos_tui.ui.app import ConvosApp
    from convos_tui.ui.screens.main import MainScreen
    from convos_tui.ui.widgets.view_line import ViewCommandLine


class ConsoleViews:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        fleet = screen.context.fleet
        self.inventory = fleet.inventory
        profile = self.inventory.profiles.get(fleet.profile) if fleet.profile else None
        self.profile = fleet.profile if profile is not None else None
        self.start_columns = (profile.columns if profile else ()) or self.inventory.settings.columns
        self.saved = dict(self.inventory.views)  # [views.NAME], and those saved or deleted since
        self.line: ViewCommandLine | None = None  # mounted at the first `:`
        store_path = fleet.store.path
        self.filter_history = FilterHistory(store_path.parent / HISTORY_FILE if store_path is not None else None)

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
        self.screen.rebuild()

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

    # -- saved views: `:` ------------------------------------------------------------------------
    def command_line(self) -> None:
        from convos_tui.ui.widgets.view_line import ViewCommandLine

        screen = self.screen
        if self.line is None:
            self.line = ViewCommandLine(self.run, lambda: screen.set_focus(screen.table), sorted(self.saved))
            screen.mount(self.line, before=screen.filter_box)
        self.line.open()

    def run(self, command: str) -> None:
        """What was typed after `:`."""
        verb, _, name = command.strip().partition(" ")
        name = name.strip()
        if verb in ("save", "delete") and not name:
            self.screen.say(f":{verb} needs a view name, e.g. :{verb} faults", "bold yellow")
        elif verb == "save":
            self._save_view(name)
        elif verb == "delete":
            self._delete_view(name)
        elif not verb or verb == "views":
            names = ", ".join(sorted(self.saved)) or "none saved yet"
            self.screen.say(f"views: {names} (:NAME applies, :save NAME saves what is shown)")
        elif verb in self.saved:
            self.apply(self.saved[verb])
        else:
            known = ", ".join(sorted(self.saved)) or "none saved yet"
            self.screen.say(f"no view {verb!r} (views: {known}); :save {verb} saves what is shown", "bold yellow")

    def apply(self, saved: SavedView) -> None:
        screen, table = self.screen, self.screen.table
        screen.filter, screen.faults_only = Filter(saved.filter), False
        if saved.columns:
            self.set_columns(saved.columns)
        if saved.sort:
            table.set_sort(saved.sort.removeprefix("-"), saved.sort.startswith("-"))
        screen.rebuild()
        screen.say(f"view {saved.name}")

    def current(self, name: str) -> SavedView:
        screen, table = self.screen, self.screen.table
        expression = " ".join(filter(None, [screen.filter.expression, "state:faults" if screen.faults_only else ""]))
        sort = ("-" if table.sort_reverse else "") + table.sort_column
        return SavedView(name, expression, sort, table.chosen or tuple(c for c in table.columns if c != "mark"))

    def _save_view(self, name: str) -> None:
        if not NAME_RE.match(name):
            self.screen.say(f"{name!r} is not a view name: letters, digits and . _ : @ / -", "bold yellow")
            return
        view_now = self.current(name)
        self.saved[name] = view_now
        self._names_changed()
        self.screen.say(*self.save(("views", name), view_now.as_toml(), f"view {name}"))

    def _delete_view(self, name: str) -> None:
        if self.saved.pop(name, None) is None:
            self.screen.say(f"no view {name!r} to delete", "bold yellow")
            return
        self._names_changed()
        said, style = self.save(("views", name), None, f"view {name} deleted;")
        self.screen.say(said.replace("deleted; saved to", "deleted from"), style)

    def _names_changed(self) -> None:
        if self.line is not None:
            self.line.names(sorted(self.saved))
