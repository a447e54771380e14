"""The fleet table's rows as data: every gateway's row, which of them the filter shows, in what order.

No widget here (and no Textual): the table (ui/widgets/fleet_table.py) draws what this index says,
and tests can drive 5,000 rows through it without a terminal. Measured at 5,000 gateways (README,
"Console"): a filter keystroke only chooses names, looking a bare word up in a search text made once
per change of a row; a sort compares one plain value per row over a list kept in name order, the values
of every sortable column kept as rows change (so a sort key makes none); a row polled again counts as
changed only if what it shows changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import GatewayState
from convos_tui.ui import rows as view

Row = tuple[GatewayConfig, GatewayState]


@dataclass(frozen=True, slots=True)
class Update:
    """What an update did, for the drawing to follow."""

    changed: list[str] = field(default_factory=list)  # rows whose look changed: to draw again if on screen
    added: list[str] = field(default_factory=list)  # rows new to the index (their values may widen columns)
    reordered: bool = False  # the rows shown, or their order, may have changed


class RowIndex:
    """Every gateway's row, shown or not; the names the filter lets through, in sort order (`order`)."""

    def __init__(self, sort_column: str = "state", sort_reverse: bool = False) -> None:
        self.sort_column = sort_column
        self.sort_reverse = sort_reverse
        self.rows: dict[str, Row] = {}  # every gateway's row, shown or not (do not change it)
        self.texts: dict[str, str] = {}  # each row's search text (rows.search_text), made when a filter needs it
        self.looks: dict[str, tuple[object, ...]] = {}  # what each row shows (rows.look)
        # Each row's sort value for every sortable column (one comparable kind per column), made as rows come
        # and change: making them on a sort key took 5 ms of it at 5,000 rows, 10-15 ms at 10,000
        # (benchmarks/ui.py). A poll that changed only the latency makes only latency's value.
        self._columns: dict[str, dict[str, Any]] = {column: {} for column in (*view.SORTABLE, sort_column)}
        self._latency_only = [("latency", self._columns["latency"])]
        self._values = self._columns[sort_column]  # sort_column's
        self._filter: view.RowFilter | None = None
        self._shown: set[str] | None = None  # the names the filter lets through; None: all
        self._by_name: list[str] | None = None  # every row by name, in the sort's direction (None: to make)
        self._sorted: list[str] | None = None  # every row in sort order (None: to make)
        self.order: list[str] = []  # the rows shown, in sort order (do not change it)

    # -- reading ---------------------------------------------------------------------------------
    @property
    def shown(self) -> set[str]:
        """The names shown (a copy)."""
        return set(self.rows) if self._shown is None else set(self._shown)

    def is_shown(self, name: str) -> bool:
        return name in self.rows if self._shown is None else name in self._shown

    # -- changes ---------------------------------------------------------------------------------
    def update(self, rows: Iterable[Row], removals: Iterable[str] = ()) -> Update:
        """Take the rows in `rows` (new, or polled again) and drop those named in `removals`.

        The order is made again only if a row came or went, changed its sort value, or entered or
        left the filter."""
        held, texts, looks, current = self.rows, self.texts, self.looks, self._values
        shown, row_filter = self._shown, self._filter
        every_column, latency_only = self._columns.items(), self._latency_only
        reorder = False
        changed: list[str] = []
        added: list[str] = []
        for name in removals:
            if held.pop(name, None) is not None:
                texts.pop(name, None)
                looks.pop(name, None)
                for values in self._columns.values():
                    values.pop(name, None)
                if shown is not None:
                    shown.discard(name)
                self._by_name = self._sorted = None
                reorder = True
        for row in rows:
            config, state = row
            name = config.name
            old = held.get(name)
            if old is None:
                added.append(name)
                self._by_name = self._sorted = None
                reorder = True
            if old is None or old[1] is not state or old[0] is not config:
                held[name] = row
            look = view.look(config, state)
            before = looks.get(name)
            if before != look:
                looks[name] = look
                changed.append(name)
            # All but the latency as it was (see rows.look): the search text, whether the filter shows the row
            # and every sort value but latency's are as they were.
            steady = before is not None and before[:-1] == look[:-1]
            if row_filter is None:
                if not steady:
                    texts.pop(name, None)  # made again when a filter needs it
            elif not steady or name not in texts:
                text = texts[name] = view.search_text(config, state)
                wanted = row_filter.matches(config, state, text)
                if wanted != (name in shown):  # type: ignore[operator]  # shown is a set whenever a filter is set
                    (shown.add if wanted else shown.discard)(name)  # type: ignore[union-attr]  # as above
                    reorder = True
            for column, values in latency_only if steady else every_column:
                value = view.sort_value(column, config, state)
                if values is current and values.get(name, values) != value:
                    self._sorted = None
                    reorder = True
                values[name] = value
        if reorder:
            self._reorder()
        return Update(changed, added, reorder)

    def set_sort(self, column: str, reverse: bool) -> bool:
        """Sort by `column`; False if that was the sort already."""
        if (column, reverse) == (self.sort_column, self.sort_reverse):
            return False
        if reverse != self.sort_reverse:
            self._by_name = None
        if column != self.sort_column:
            values = self._columns.get(column)
            if values is None:  # not a sortable column (sort_value sorts it by name): kept from now on
                values = self._columns[column] = {
                    name: view.sort_value(column, *row) for name, row in self.rows.items()
                }
            self._values = values
        self.sort_column, self.sort_reverse = column, reverse
        self._sorted = None
        self._reorder()
        return True

    def set_filter(self, row_filter: view.RowFilter | None) -> bool:
        """Show only the rows this filter lets through (None: every row), now and as rows change;
        False if it is the filter already (the rows that changed since were filtered as they came)."""
        row_filter = row_filter if row_filter is not None and row_filter.active else None
        old = self._filter
        if (row_filter is None and old is None) or (
            row_filter is not None and old is not None and row_filter.same_as(old)
        ):
            return False
        self._filter = row_filter
        if row_filter is None:
            self._shown = None
        else:
            texts = self.texts
            if len(texts) != len(self.rows):
                for name, (config, state) in self.rows.items():
                    if name not in texts:
                        texts[name] = view.search_text(config, state)
            self._shown = row_filter.names(self.rows, texts)
        self._reorder()
        return True

    def _reorder(self) -> None:
        """Sorted by name, then stably by the sort value, both in the sort's direction: the same order
        as sorting by (value, name), at a fraction of the cost."""
        reverse = self.sort_reverse
        if self._sorted is None:
            if self._by_name is None:
                names = {name: view.name_value(row[0]) for name, row in self.rows.items()}
                self._by_name = sorted(names, key=names.__getitem__, reverse=reverse)
            self._sorted = sorted(self._by_name, key=self._values.__getitem__, reverse=reverse)
        shown = self._shown
        self.order = self._sorted if shown is None else [name for name in self._sorted if name in shown]
