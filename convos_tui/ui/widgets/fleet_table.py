"""The fleet table: a virtual table that renders only the lines on screen.

Measured first with Textual's DataTable at 5,000 gateways: narrowing a filter removed rows one at a
time at O(n) each (82 s), adding rows cost 0.15 ms each and computing every row's cells 0.47 s, so a
filter keystroke or a sort took seconds. Here a row index (ui/row_index.py) holds every gateway's
row, shown or not, and the ordered list of the names shown; the table draws it: each row's rendered
line is cached (the least recently drawn dropped first) and dropped when what it shows changed, and
only the lines on screen are ever drawn, or drawn again. The cursor is held by gateway name, so it
stays on its gateway across refreshes, filters and sorts.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import GatewayState
from convos_tui.ui import rows as view
from convos_tui.ui.row_index import Row, RowIndex
from convos_tui.ui.widgets.plain_lines import finished_lines, plain_box

# Columns whose content never changes for a gateway get the width of their longest value;
# the others have fixed widths that fit every value they can take.
FIXED_WIDTHS = {c.key: c.width for c in view.COLUMNS if c.width}
GROWING = tuple(c.key for c in view.COLUMNS if not c.width)
MAX_WIDTH = {c.key: c.max_width for c in view.COLUMNS if not c.width}
SEPARATOR = 2
# On a wide screen still too narrow for every column, these give way first (the detail screen shows them).
GIVE_WAY = ("url",)
CACHED_ROWS = 400  # rows whose cells and drawn lines are kept: a few screens' worth


class FleetTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"fleet-table--header", "fleet-table--cursor", "fleet-table--marked"}
    DEFAULT_CSS = """
    FleetTable { background: $surface; }
    FleetTable > .fleet-table--header { background: $panel; color: $text-muted; text-style: bold; }
    FleetTable > .fleet-table--cursor { background: $accent 40%; text-style: bold; }
    FleetTable:focus > .fleet-table--cursor { background: $accent; color: $text; }
    FleetTable > .fleet-table--marked { background: $secondary 25%; }
    FleetTable.-covered { scrollbar-visibility: hidden; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    class RowSelected(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class HeaderClicked(Message):
        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # the Widget keywords (id, classes…), passed through
        self.index = RowIndex()  # which rows are shown, in what order: the data behind the drawing
        self.compact = False
        self.columns: tuple[str, ...] = ()  # as drawn
        self._wanted: tuple[str, ...] = ()  # as the screen's width class asks (some may give way: GIVE_WAY)
        self.chosen: tuple[str, ...] = ()  # the columns the config or the columns panel chose; none: the default
        self.stale_after_s: float | None = None  # a row's data older than this gets the stale mark
        self.now = 0.0
        self.marked: set[str] = set()
        self.alerted: set[str] = set()  # rows with an alert not acknowledged (ui/alerts.py)
        self._cursor_name: str | None = None
        self._cursor = 0
        self._widths: dict[str, int] = {}  # as drawn
        self._natural: dict[str, int] = {}  # as the values would like
        # Computed lazily, for rows that get drawn, and dropped when what the row shows changed. Bounded,
        # least recently drawn first out: kept for every row a session ever showed, they would be
        # hundreds of thousands of long-lived objects (each Strip holds seven caches) for the collector
        # to scan on every full collection.
        self._cells: LRUCache[str, dict[str, view.Cell]] = LRUCache(CACHED_ROWS)
        self._strips: LRUCache[tuple[str, bool], tuple[Style, Strip]] = LRUCache(CACHED_ROWS)
        self._sized: tuple[Size, Size, Size] | None = None
        self._paint_styles: tuple[Style, Style, Style] | None = None  # during a paint (render_lines)
        self._styles_of: dict[str, Style] = {}  # a cell's style by its name ("bold red"), parsed once
        self._header_drawn: tuple[object, Strip] = (None, Strip([]))

    @property
    def sort_column(self) -> str:
        return self.index.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self.index.sort_reverse

    # -- columns ---------------------------------------------------------------------------------
    def set_columns(self, compact: bool) -> None:
        """The columns drawn: those chosen, in their order, at every width; else the default ones that fit."""
        self.compact = compact
        if self.chosen:
            self._wanted = ("mark", *self.chosen)
        else:
            self._wanted = tuple(c.key for c in view.COLUMNS if c.compact or not compact)
        self.columns = self._wanted
        self._cells.clear()
        self._measure()

    def _measure(self) -> None:
        widths = dict(FIXED_WIDTHS)
        for key in GROWING:
            label = next(c.label for c in view.COLUMNS if c.key == key)
            widths[key] = len(label) + 2
        for config, _ in self.index.rows.values():
            self._grow(widths, config)
        self._natural = widths
        self._fit(force=True)

    def _fit(self, force: bool = False) -> None:
        """The widths drawn: the last column (tags) gives up what the screen lacks, down to its label,
        so the table does not scroll sideways for the sake of a few tags (they end in an ellipsis)."""
        widths = dict(self._natural)
        space = self.scrollable_content_region.width
        columns = self._wanted
        for key in GIVE_WAY if not self.chosen else ():  # columns chosen stay, at any width
            last_label = len(view.LABELS[columns[-1]]) + 2 if columns and columns[-1] in GROWING else 0
            needed = 1 + sum(widths[c] + SEPARATOR for c in columns[:-1]) + last_label
            if space > 0 and key in columns and needed > space:
                columns = tuple(c for c in columns if c != key)
        if columns != self.columns:
            self.columns, force = columns, True
        last = self.columns[-1] if self.columns else None
        if last in GROWING and space > 0:
            others = 1 + sum(widths[c] + SEPARATOR for c in self.columns) - widths[last]
            label = next(c.label for c in view.COLUMNS if c.key == last)
            widths[last] = max(len(label) + 2, min(widths[last], space - others))
        if force or widths != self._widths:
            self._widths = widths
            self._strips.clear()
            self._resize_virtual()

    def _grow(self, widths: dict[str, int], config: GatewayConfig) -> bool:
        """Widen the columns this gateway's values need; True if one grew."""
        grew = False
        for key in GROWING:
            value = view.grown_value(key, config)
            if len(value) > widths[key] and widths[key] < MAX_WIDTH[key]:
                widths[key] = min(MAX_WIDTH[key], len(value))
                grew = True
        return grew

    def _total_width(self) -> int:
        return 1 + sum(self._widths[c] + SEPARATOR for c in self.columns)

    def _resize_virtual(self) -> None:
        """The rows or columns changed in number: the scroll bars follow, and the screen is laid out again
        (16 ms at 5,000 gateways) only if one of them comes or goes, not on every filter keystroke."""
        size = Size(self._total_width(), len(self.index.order) + 1)
        if not self.container_size:  # not laid out yet: the first layout takes it
            self.virtual_size = size
            return
        shown = (self.show_horizontal_scrollbar, self.show_vertical_scrollbar)
        self.set_reactive(FleetTable.virtual_size, size)
        self._scroll_update(size)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        self.refresh(layout=(self.show_horizontal_scrollbar, self.show_vertical_scrollbar) != shown)

    def column_at(self, x: int) -> str | None:
        """The column under screen column x of the header."""
        position = 1 - int(self.scroll_x)
        for column in self.columns:
            end = position + self._widths[column] + SEPARATOR
            if position <= x < end:
                return column
            position = end
        return None

    # -- reading ---------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.index.order)

    @property
    def shown(self) -> set[str]:
        """The names shown (a copy)."""
        return self.index.shown

    def is_shown(self, name: str) -> bool:
        return self.index.is_shown(name)

    @property
    def rows(self) -> dict[str, Row]:
        """Every row the table holds, shown or not (do not change it)."""
        return self.index.rows

    @property
    def cursor_name(self) -> str | None:
        order = self.index.order
        return order[self._cursor] if order else None

    def names_in_order(self) -> list[str]:
        return list(self.index.order)

    def get_cell(self, name: str, column: str) -> Text:
        return view.text_of(self._cells_of(name)[column])

    # -- updates ---------------------------------------------------------------------------------
    def set_sort(self, column: str, reverse: bool) -> None:
        before = self.index.order
        if self.index.set_sort(column, reverse):
            self._follow_order(before)
            self.refresh(Region(0, 0, self.size.width, 1))  # the header's arrow, even if no row moved

    def update(self, rows: Iterable[Row], removals: Iterable[str] = (), *, now: float, marked: set[str]) -> None:
        """Take the rows in `rows` (new, or polled again) and drop those named in `removals`.

        A row whose look did not change is not drawn again; one that changed is drawn again if it is on
        screen, whether or not the order changed with it."""
        self.now, self.marked = now, marked
        removals = list(removals)
        before = self.index.order
        done = self.index.update(rows, removals)
        for name in (*removals, *done.changed):
            self._forget(name)
        grown = False
        for name in done.added:
            grown = self._grow(self._natural, self.index.rows[name][0]) or grown
        if grown:
            self._fit(force=True)
        if done.reordered:
            self._follow_order(before)
        self._refresh_rows(done.changed)

    def set_filter(self, row_filter: view.RowFilter | None) -> None:
        """Show only the rows this filter lets through (None: every row), now and as rows change."""
        before = self.index.order
        if self.index.set_filter(row_filter):
            self._follow_order(before)

    def invalidate(self, names: Iterable[str]) -> None:
        """Redraw these rows (marks changed)."""
        names = list(names)
        for name in names:
            self._forget(name)
        self._refresh_rows(names)

    def _forget(self, name: str) -> None:
        self._cells.discard(name)
        self._strips.discard((name, False))
        self._strips.discard((name, True))

    def _refresh_rows(self, names: Iterable[str]) -> None:
        """Draw these rows again, if they are on screen."""
        top = int(self.scroll_y)
        window = self.index.order[top : top + max(0, self.size.height - 1)]
        on_screen = {name: index for index, name in enumerate(window, top)}
        for name in names:
            index = on_screen.get(name)
            if index is not None:
                self.refresh_line(index + 1)  # line 0 is the header

    def _follow_order(self, before: list[str]) -> None:
        """The rows shown or their order changed (from `before`): the cursor stays on its gateway, and
        the screen is drawn again if what it shows moved."""
        order = self.index.order
        top = int(self.scroll_y)
        window = max(1, self.size.height - 1)
        self._restore_cursor()
        if len(order) != len(before):
            self._resize_virtual()
        elif order[top : top + window] != before[top : top + window] or int(self.scroll_y) != top:
            self.refresh()

    def _restore_cursor(self) -> None:
        order = self.index.order
        name = self._cursor_name
        if name is not None and 0 <= self._cursor < len(order) and order[self._cursor] == name:
            return  # still where it was: the common case
        try:
            self._cursor = order.index(name) if name is not None else 0
        except ValueError:
            self._cursor = min(self._cursor, max(0, len(order) - 1))
            self._cursor_name = self.cursor_name
        self._scroll_to_cursor()

    def refresh_since(self, states: dict[str, GatewayState], *, now: float, interval_s: float | None = None) -> None:
        """Time moves on: the SINCE column of the rows on screen, and the stale mark of a row whose data is older
        than three poll intervals (`interval_s`)."""
        self.now = now
        self.stale_after_s = 3 * interval_s if interval_s else None
        if "since" not in self.columns and "latency" not in self.columns:
            return
        top = int(self.scroll_y)
        changed = []
        for name in self.index.order[top : top + self.size.height]:
            cells = self._cells.get(name)
            state = states.get(name)
            if cells is None or state is None:
                continue
            if cells["since"] != view.since_cell(state, now) or cells["latency"] != view.latency_cell(
                state, now, self.stale_after_s
            ):
                self._forget(name)
                changed.append(name)
        self._refresh_rows(changed)

    # -- cursor ----------------------------------------------------------------------------------
    def move_to(self, name: str) -> bool:
        try:
            index = self.index.order.index(name)
        except ValueError:
            return False
        self._set_cursor(index)
        return True

    def _set_cursor(self, index: int) -> None:
        if not self.index.order:
            return
        old, old_index = self.cursor_name, self._cursor
        self._cursor = max(0, min(len(self.index.order) - 1, index))
        self._cursor_name = self.cursor_name
        if old is not None:
            self._strips.discard((old, True))
        top = int(self.scroll_y)
        self._scroll_to_cursor()
        if int(self.scroll_y) != top:
            self.refresh()
        else:  # only the two rows the cursor left and reached
            self.refresh_line(old_index + 1)
            self.refresh_line(self._cursor + 1)

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1)  # the header takes one line
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        self._set_cursor(self._cursor + step)

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self._cursor + direction * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self.index.order) - 1)

    def action_select(self) -> None:
        if self.cursor_name is not None:
            self.post_message(self.RowSelected(self.cursor_name))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self.column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        index = int(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.index.order):
            self._set_cursor(index)
            if event.chain >= 2:
                self.action_select()

    # -- drawing ---------------------------------------------------------------------------------
    def _cells_of(self, name: str) -> dict[str, view.Cell]:
        cells = self._cells.get(name)
        if cells is None:
            config, state = self.index.rows[name]
            cells = view.row_cells(
                config,
                state,
                now=self.now,
                marked=name in self.marked,
                alerted=name in self.alerted,
                stale_after_s=self.stale_after_s,
            )
            self._cells.set(name, cells)
        return cells

    def _line(self, cells: dict[str, view.Cell], under: Style, plain: bool) -> list[Segment]:
        """A row's segments, each cell fitted to its column in its own style over `under` (`plain`: in `under`
        alone), as rich would draw the cells joined, at a fraction of the cost (a sort draws 45 new rows)."""
        segments = [Segment(" ", under)]
        gap = Segment(" " * SEPARATOR, under)
        styles = self._styles_of
        for column in self.columns:
            cell = cells[column]
            width = self._widths[column]
            if len(cell) > 1 and not plain:  # pieces in styles of their own: rich cuts and renders them
                piece = view.text_of(cell)
                piece.truncate(width, overflow="ellipsis", pad=True)
                segments.extend(Segment.apply_style(piece.render(self.app.console), under))
            else:
                words, style = cell[0] if len(cell) == 1 else ("".join(words for words, _ in cell), "")
                if not plain and style and style not in styles:
                    styles[style] = self.app.console.get_style(style)
                segments.append(Segment(view.fit(words, width), under if plain or not style else under + styles[style]))
            segments.append(gap)
        return segments

    def render_lines(self, crop: Region) -> list[Strip]:
        # The styles of every line, looked up once a paint, not once a line (0.25 ms each: 10 ms a screen).
        self._paint_styles = self._line_styles()
        try:
            return finished_lines(self, crop) if plain_box(self) else super().render_lines(crop)
        finally:
            self._paint_styles = None

    def _line_styles(self) -> tuple[Style, Style, Style]:
        """The widget's own style, the cursor's and a marked row's."""
        return (
            self.rich_style,
            self.get_component_rich_style("fleet-table--cursor"),
            self.get_component_rich_style("fleet-table--marked"),
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x = int(self.scroll_x)
        if y == 0:  # kept while it reads the same: drawn anew, its colours would be filtered again each paint
            style = self.get_component_rich_style("fleet-table--header")
            words = view.header_words(self.columns, self._widths, self.sort_column, self.sort_reverse, SEPARATOR)
            if self._header_drawn[0] != (words, scroll_x, width, style):
                strip = Strip(Text(words, no_wrap=True).render(self.app.console), self._total_width())
                strip = strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
                self._header_drawn = ((words, scroll_x, width, style), strip)
            return self._header_drawn[1]
        index = int(self.scroll_y) + y - 1
        base, cursor_style, marked_style = self._paint_styles or self._line_styles()
        if index >= len(self.index.order):
            return Strip([Segment(" " * width, base)], width)
        name = self.index.order[index]
        is_cursor = index == self._cursor
        # The highlight goes under the cells' own colours, the widget's base under both. A line is kept with
        # the styles it was drawn in: a theme, a focus or a mark that changed them draws it again.
        under = base + (cursor_style if is_cursor else marked_style if name in self.marked else Style.null())
        cached = self._strips.get((name, is_cursor))
        if cached is not None and cached[0] == under:
            strip = cached[1]
        else:
            # The cells' own colours (yellow, red) would vanish on the cursor's background: the
            # cursor row is drawn in the cursor's colours alone; the words still say it all.
            strip = Strip(self._line(self._cells_of(name), under, plain=is_cursor), self._total_width())
            self._strips.set((name, is_cursor), (under, strip))
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # ScrollView compares the size the layout gives with the table's own virtual size, which always
        # differ, so every layout made it refresh the scroll bars a frame later: a second frame (16 ms)
        # after every filter keystroke and sort (benchmarks/ui.py). Nothing to do when nothing changed.
        seen = (size, self.virtual_size, container_size)
        if seen == self._sized:
            return False
        self._sized = seen
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def _screen_changed(self, screen: object) -> None:
        # Under a panel, the table's scroll bar would show beside the panel's border, as if it were the
        # panel's, drawn outside it: hidden while another screen is on top.
        self.set_class(screen is not self.screen, "-covered")

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self) -> None:
        self._fit()
        self._scroll_to_cursor()
