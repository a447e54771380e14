"""How the console shows the fleet, as the config says: `columns` (top level and per profile), saved views
(`[views.NAME]`: a filter, a sort, columns) and `mouse`. Read with a line and a fix on every problem.

columns = ["state", "name", "latency", "since"]   # the fleet table's columns, in this order

[profiles.booth]
columns = ["state", "name", "conversation"]        # this profile's own

[views.faults]                                     # `:faults` in the console
filter = "state:faults"
sort = "latency"                                   # a column; "-latency" reverses it
columns = ["state", "name", "latency"]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convos_tui.fleet.config_values import NAME_RE, ValueReader, nearest
from convos_tui.fleet.console_names import COLUMN_NAMES

VIEW_KEYS = ("filter", "sort", "columns")
SORTABLE = COLUMN_NAMES  # every column sorts


@dataclass(frozen=True, slots=True)
class SavedView:
    name: str
    filter: str = ""
    sort: str = ""  # a column, "-column" reversed; "": as it is
    columns: tuple[str, ...] = ()  # none: as they are

    def as_toml(self) -> dict[str, Any]:
        """What `[views.NAME]` holds: only what the view sets."""
        table: dict[str, Any] = {"filter": self.filter}
        if self.sort:
            table["sort"] = self.sort
        if self.columns:
            table["columns"] = list(self.columns)
        return table


def read_columns(checker: ValueReader, table: dict[str, Any], where: tuple[Any, ...], label: str) -> tuple[str, ...]:
    if "columns" not in table:
        return ()
    value = table["columns"]
    example = 'Write e.g. columns = ["state", "name", "latency", "since"]'
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        checker.add(where + ("columns",), f"{label} columns should be a list of column names", example)
        return ()
    chosen: list[str] = []
    for index, column in enumerate(value):
        if column not in COLUMN_NAMES:
            checker.add(
                where + ("columns", index),
                f"{label} columns: {column!r} is not a column",
                nearest(column, COLUMN_NAMES, "columns").capitalize(),
            )
        elif column in chosen:
            checker.add(where + ("columns", index), f"{label} columns: {column!r} is there twice", "Keep one")
        else:
            chosen.append(column)
    return tuple(chosen)


def read_views(checker: ValueReader, value: Any) -> dict[str, SavedView]:
    from convos_tui.fleet.filter import Filter, FilterError  # here: filter.py imports the inventory

    views: dict[str, SavedView] = {}
    for name, entry in checker.table(value, ("views",), "views").items():
        where = ("views", name)
        label = f"view {name!r}"
        entry = checker.table(entry, where, label)
        checker.unknown_keys(entry, where, VIEW_KEYS, label)
        if not NAME_RE.match(name):
            checker.add(where, f"{label}: not a valid name", "Names are letters, digits and . _ : @ / -")
        expression = checker.string(entry, "filter", where, label)
        try:
            Filter(expression)
        except FilterError as exc:
            checker.add(where + ("filter",), f"{label} filter: {exc}", "Write it as in the console's / box")
        sort = checker.string(entry, "sort", where, label)
        if sort and sort.removeprefix("-") not in SORTABLE:
            checker.add(
                where + ("sort",),
                f"{label} sort {sort!r} is not a column",
                nearest(sort.removeprefix("-"), SORTABLE, "columns").capitalize() + ' ("-" before it reverses)',
            )
            sort = ""
        views[name] = SavedView(name, expression, sort, read_columns(checker, entry, where, label))
    return views
