"""What each fleet-table row shows, as plain data: cells, styles, sort keys.

Pure functions (no widgets), so the table can diff a row's new cells against the old ones and touch
only what changed. Every text comes from a gateway or a config, so cells are rich Text objects built
from plain strings: nothing here is ever parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from convos_tui.fleet.filter import Filter
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import ORDER, GatewayState, State, describe_duration, short_id

# State styles: the word is always shown, so the table reads without colour too.
STATE_STYLE = {
    State.LIVE: "bold green",
    State.IDLE: "cyan",
    State.PENDING: "magenta",
    State.FLAPPING: "bold yellow",
    State.STALLED: "bold red",
    State.STARTING: "yellow",
    State.UNAUTHORIZED: "bold red",
    State.NO_PLUGIN: "bold red",
    State.UNREACHABLE: "bold red",
    State.ERROR: "bold red",
    State.UNKNOWN: "dim",
}
STATE_MARK = {State.LIVE: "●", State.IDLE: "○", State.PENDING: "◐", State.UNKNOWN: "·"}
FAULT_MARK = "▲"
LAUNCHED_MARK = " ◆"  # after the name of an instance this console launched (origin launcher:NAME)


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # as the config's `columns` names it (fleet/console_names.py: COLUMN_NAMES)
    label: str
    compact: bool  # shown on a narrow terminal too (when the config chooses no columns)
    width: int = 0  # a width that fits every value it can take; 0: as wide as its longest value, up to max_width
    max_width: int = 0


COLUMNS = (
    Column("mark", " ", True, 1),
    Column("state", "STATE", True, 14),
    Column("name", "NAME", True, max_width=40),
    Column("runtime", "RUNTIME", False, 16),
    Column("url", "URL", False, max_width=48),
    Column("ready", "READY", False, 5),
    Column("streaming", "STREAM", True, 6),
    Column("conversation", "CONVERSATION", True, 13),
    Column("latency", "LATENCY", True, 8),
    Column("since", "SINCE", True, 7),
    Column("tags", "TAGS", False, max_width=30),
)
LABELS = {c.key: c.label for c in COLUMNS}
STALE_MARK = "⌛"  # in LATENCY, with the age of the row's data, once it is older than three poll intervals


def header_words(
    columns: tuple[str, ...], widths: dict[str, int], sort_column: str, sort_reverse: bool, separator: int
) -> str:
    """The column names, the sorted one with its arrow. The arrow may take one column of the separator, and
    goes right after the name where a space does not fit: a header never loses its name to an ellipsis
    ("LATENCY…"), at any width."""
    words = [" "]
    for column in columns:
        width, label = widths[column], LABELS[column]
        if column == sort_column:
            arrow = "▼" if sort_reverse else "▲"
            label = f"{label} {arrow}" if len(label) + 2 <= width + 1 else f"{label}{arrow}"
        words.append(label.ljust(width + separator))
    return "".join(words)


def grown_value(column: str, config: GatewayConfig) -> str:
    """What a column without a fixed width shows for a gateway (its width follows the longest)."""
    if column == "name":
        return name_shown(config)
    if column == "url":
        return config.display_url
    return ",".join(config.tags)


SORTABLE = ("state", "name", "runtime", "url", "ready", "streaming", "conversation", "latency", "since", "tags")


Piece = tuple[str, str]  # words, and the style they are drawn in ("": the row's own)
Cell = tuple[Piece, ...]  # what a cell shows: one piece, or a few in styles of their own


def text_of(cell: Cell) -> Text:
    """A cell as rich Text: one piece is the Text's own style, more are spans (as the table draws them)."""
    (words, style), *more = cell
    text = Text(words, style=style)
    for words, style in more:
        text.append(words, style=style)
    return text


def state_piece(state: State) -> Piece:
    mark = FAULT_MARK if state.is_fault else STATE_MARK.get(state, "·")
    return f"{mark} {state}", STATE_STYLE[state]


def state_text(state: State) -> Text:
    return Text(*state_piece(state))


def yes_no(value: bool | None) -> Piece:
    if value is None:
        return "-", "dim"
    return ("yes", "green") if value else ("no", "yellow")


def latency_shown(latency_ms: float | None) -> tuple[str, str]:
    """The latency as the table shows it: words and style."""
    if latency_ms is None:
        return "-", "dim"
    style = "red" if latency_ms > 1000 else "yellow" if latency_ms > 250 else ""
    return (f"{latency_ms:.0f} ms" if latency_ms >= 10 else f"{latency_ms:.1f} ms"), style


def latency_cell(state: GatewayState, now: float, stale_after_s: float | None) -> Cell:
    """The latency, or how old the row's data is when the gateway has not been polled for three intervals."""
    last = state.last_poll
    if stale_after_s is not None and last is not None and now - last > stale_after_s:
        return ((f"{STALE_MARK} {describe_duration(now - last)}", "yellow"),)
    return (latency_shown(state.latency_ms),)


def since_cell(state: GatewayState, now: float) -> Cell:
    if state.state == State.UNKNOWN:
        return (("-", "dim"),)
    return ((describe_duration(now - state.since), "dim"),)


ALERT_MARK = "!"  # on a row whose alert is not acknowledged yet (it wins over the mark: marks have a background)


def mark_piece(marked: bool, alerted: bool) -> Piece:
    if alerted:
        return ALERT_MARK, "bold white on red"
    return ("✔", "bold reverse") if marked else (" ", "")


def name_cell(config: GatewayConfig, marked: bool) -> Cell:
    name = (config.name, "bold" if marked else "")
    return (name, (LAUNCHED_MARK, "cyan")) if launched(config) else (name,)


def row_cells(
    config: GatewayConfig,
    state: GatewayState,
    *,
    now: float,
    marked: bool,
    alerted: bool = False,
    stale_after_s: float | None = None,
) -> dict[str, Cell]:
    """What each column shows for a gateway, as plain pieces: the table draws them straight into segments
    (a sort or a filter keystroke draws 45 new rows; benchmarks/ui.py)."""
    status = state.status if state.error is None else None
    return {
        "mark": (mark_piece(marked, alerted),),
        "state": (state_piece(state.state),),
        "name": name_cell(config, marked),
        "runtime": ((state.runtime.label, "dim" if not state.runtime.name else ""),),
        "url": ((config.display_url, "dim"),),
        "ready": (yes_no(status.ready if status else None),),
        "streaming": (yes_no(status.streaming if status else None),),
        "conversation": ((short_id(status.conversation_id if status else None), ""),),
        "latency": latency_cell(state, now, stale_after_s),
        "since": since_cell(state, now),
        "tags": ((",".join(config.tags), "dim"),),
    }


def fit(words: str, width: int) -> str:
    """`words` in exactly `width` cells: cut with an ellipsis, or padded with spaces (as rich's
    Text.truncate(width, overflow="ellipsis", pad=True) does)."""
    length = len(words) if words.isascii() else cell_len(words)  # most words are ASCII: no table lookups
    if length > width:
        return set_cell_size(words, width - 1) + "…" if width > 0 else ""
    return words + " " * (width - length)


def launched(config: GatewayConfig) -> bool:
    return config.origin.startswith("launcher:")


def name_shown(config: GatewayConfig) -> str:
    """The name as the table shows it (what its column's width is made for)."""
    return config.name + LAUNCHED_MARK if launched(config) else config.name


def look(config: GatewayConfig, state: GatewayState) -> tuple[object, ...]:
    """Everything a row shows but its mark and the time since its state began (which goes on by
    itself), and what a filter reads: a row whose look did not change after a poll is not drawn again.

    The latency comes last: what comes before it decides every sort value but latency's (sort_value), the
    search text (search_text) and whether a filter shows the row (Filter.matches), so a poll that changed
    only the latency needs only latency's sort value made again (ui/row_index.py)."""
    status = state.status
    shown = status if state.error is None else None
    return (
        config,
        state.state,
        shown.ready if shown else None,
        shown.streaming if shown else None,
        shown.conversation_id if shown else None,
        status.conversation_id if status else None,  # what search_text and a filter read, error or not
        status.shape if status else None,
        state.reason,
        state.since,
        state.runtime,
        latency_shown(state.latency_ms),
    )


_RANK = {state: index for index, state in enumerate(ORDER)}
_BOOL_RANK = {False: 0, True: 1, None: 2}  # missing last
_NO_CONVERSATION = "\x01"  # after every "\x00"-prefixed id


def sort_value(column: str, config: GatewayConfig, state: GatewayState) -> object:
    """What gateways are sorted by for `column`, missing values last; equal values keep name order.

    The values of one column are all of one type (int, float or str), never tuples: Python sorts
    those several times faster, which a sort of 5,000 gateways on a keypress needs. The table sorts
    by name first and then by these values, with a stable sort, in the same direction both times."""
    if column == "state":
        # Faults first when sorting by state: that is what an on-call person looks for.
        return (0 if state.state.is_fault else len(ORDER)) + _RANK[state.state]
    if column == "name":
        return name_value(config)
    if column == "url":
        return config.url
    if column == "runtime":
        return state.runtime.label if state.runtime.name else "\x7f"  # unknown last
    status = state.status if state.error is None else None
    if column in ("ready", "streaming"):
        return _BOOL_RANK[getattr(status, column) if status else None]
    if column == "conversation":
        cid = status.conversation_id if status else None
        return _NO_CONVERSATION if cid is None else "\x00" + cid
    if column == "latency":
        return float("inf") if state.latency_ms is None else state.latency_ms
    if column == "since":
        return -state.since  # the most recent change first
    if column == "tags":
        return ",".join(config.tags)
    return name_value(config)


def name_value(config: GatewayConfig) -> str:
    return config.name.lower()


def search_text(config: GatewayConfig, state: GatewayState) -> str:
    """Where a bare filter word is looked for: name, URL, tags, state, reason, conversation id, runtime, in
    lower case (a word never holds a newline, so it cannot match across two of them)."""
    conversation = (state.status.conversation_id or "") if state.status else ""
    runtime = state.runtime.label
    return f"{config.search_text}\n{state.state}\n{state.reason.lower()}\n{conversation.lower()}\n{runtime}"


class RowFilter:
    """The console's filter and its faults-only toggle, for one row or a whole fleet.

    Typing a filter is a word without wildcards most of the time: such words are looked for in each
    row's `search_text`, made once per change of the row, exactly as Filter.matches would find them
    (a test holds the two equal); other terms go through Filter.matches."""

    def __init__(self, filter: Filter, faults_only: bool) -> None:
        self.filter = filter
        self.faults_only = faults_only
        self.active = bool(filter) or faults_only
        terms = filter.terms
        plain = all(t.field is None and not any(ch in t.values[0] for ch in "*?[") for t in terms)
        self.words = [(t.values[0], t.negate) for t in terms] if plain else None

    def same_as(self, other: RowFilter) -> bool:
        return (self.filter.expression, self.faults_only) == (other.filter.expression, other.faults_only)

    def matches(self, config: GatewayConfig, state: GatewayState, text: str) -> bool:
        """Whether a row is shown; `text` is its search_text."""
        if self.faults_only and not state.state.is_fault:
            return False
        if self.words is not None:
            return all((word in text) != negate for word, negate in self.words)
        return self.filter.matches(config, state)

    def names(self, rows: dict[str, tuple[GatewayConfig, GatewayState]], texts: dict[str, str]) -> set[str]:
        """The names of the rows shown."""
        if self.words is None or self.faults_only:
            return {name for name, (config, state) in rows.items() if self.matches(config, state, texts[name])}
        names: set[str] | None = None
        for word, negate in self.words:
            pool = texts.items() if names is None else ((name, texts[name]) for name in names)
            names = {name for name, text in pool if (word in text) != negate}
        return set(rows) if names is None else names
