"""The fleet table: one row per gateway, updated by diff.

Row key = gateway name. Each refresh touches only the cells whose text changed (`update_cell`), adds
or removes only the rows that entered or left the filter, and re-sorts only when a sort key changed.
The cursor stays on its gateway across refreshes, filters and sorts.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import GatewayState
from convos_tui.ui import rows as view

Row = tuple[GatewayConfig, GatewayState]


class FleetTable(DataTable[Text]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.sort_column = "state"
        self.sort_reverse = False
        self.compact = False
        self._cells: dict[str, dict[str, Text]] = {}
        self._keys: dict[str, tuple[object, ...]] = {}
        self._columns: tuple[str, ...] = ()
        self._pending_cursor: str | None = None

    # -- columns ---------------------------------------------------------------------------------
    def set_columns(self, compact: bool) -> None:
        """(Re)build the columns; compact shows fewer for a narrow terminal. Rows are rebuilt by the next sync."""
        self.compact = compact
        wanted = tuple(c.key for c in view.COLUMNS if c.compact or not compact)
        if wanted == self._columns:
            return
        cursor = self.cursor_name
        self.clear(columns=True)
        self._cells.clear()
        self._keys.clear()
        self._columns = wanted
        for column in view.COLUMNS:
            if column.key in wanted:
                self.add_column(self._label(column.key), key=column.key)
        self._pending_cursor = cursor

    def _label(self, key: str) -> Text:
        label = next(c.label for c in view.COLUMNS if c.key == key)
        if key == self.sort_column:
            return Text(f"{label} {'▼' if self.sort_reverse else '▲'}", style="bold")
        return Text(label)

    def _relabel(self) -> None:
        for key, column in self.columns.items():
            column.label = self._label(str(key.value))
        self._require_update_dimensions = True
        self.refresh()

    # -- state -----------------------------------------------------------------------------------
    @property
    def cursor_name(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except (RowDoesNotExist, IndexError, KeyError):
            return None

    def names_in_order(self) -> list[str]:
        return [str(self.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(self.row_count)]

    def move_to(self, name: str) -> bool:
        try:
            index = self.get_row_index(name)
        except RowDoesNotExist:
            return False
        self.move_cursor(row=index, animate=False)
        return True

    # -- updates ---------------------------------------------------------------------------------
    def set_sort(self, column: str, reverse: bool) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self._relabel()

    def apply(
        self,
        upserts: Iterable[Row],
        removals: Iterable[str] = (),
        *,
        now: float,
        marked: set[str],
        resort: bool = False,
    ) -> None:
        """Add or update the rows in `upserts` and drop those named in `removals`; cells are computed
        for these rows only, and only changed cells are written."""
        cursor = self._pending_cursor or self.cursor_name
        self._pending_cursor = None
        changed_order = resort
        for name in removals:
            if name in self._cells:
                self.remove_row(name)
                del self._cells[name]
                self._keys.pop(name, None)
                changed_order = True
        for config, state in upserts:
            name = config.name
            new = view.cells(config, state, now=now, marked=name in marked)
            key = view.sort_key(self.sort_column, config, state)
            old = self._cells.get(name)
            if old is None:
                self.add_row(*(new[c] for c in self._columns), key=name)
                changed_order = True
            else:
                for column in self._columns:
                    if new[column] != old[column]:
                        self.update_cell(name, column, new[column])
                changed_order = changed_order or self._keys.get(name) != key
            self._cells[name] = new
            self._keys[name] = key
        if changed_order and self.row_count:
            keys = self._keys
            self.sort("name", key=lambda cell: keys[cell.plain], reverse=self.sort_reverse)
        if cursor is not None:
            self.move_to(cursor)

    @property
    def shown(self) -> set[str]:
        return set(self._cells)

    def refresh_since(self, states: dict[str, GatewayState], *, now: float) -> None:
        """The SINCE column ticks every second: update it for the rows on screen only."""
        if "since" not in self._columns or not self.row_count:
            return
        top = int(self.scroll_y)
        for index in range(top, min(self.row_count, top + self.size.height + 1)):
            name = str(self.coordinate_to_cell_key((index, 0)).row_key.value)
            state = states.get(name)
            cells = self._cells.get(name)
            if state is None or cells is None:
                continue
            since = view.since_text(state, now)
            if since != cells["since"]:
                self.update_cell(name, "since", since)
                cells["since"] = since
