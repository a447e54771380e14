"""The fleet-wide timeline: state transitions, actions, alerts (raised, acknowledged) and the warm pools'
changes of state, from the store, newest first, filterable, live.

Once a second the screen asks the store for what came after the newest event it shows (a cheap query
at the edge of the timeline) and adds those rows on top: a gateway flapping every 10 s adds its rows
as they happen, the filter and the cursor stay as they are, and the title says as of when.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowDoesNotExist, RowKey

from convos_tui.fleet.state import Transition, describe_duration
from convos_tui.pools.members import CLAIMED, RESERVED
from convos_tui.ui.keys import bindings
from convos_tui.ui.messages import OpenDetail
from convos_tui.ui.results import outcome_style
from convos_tui.ui.rows import STATE_STYLE
from convos_tui.ui.screens.detail import clock_time
from convos_tui.ui.screens.pools import EVENT_STYLE as POOL_STYLE
from convos_tui.ui.widgets.fields import FieldInput
from convos_tui.ui.widgets.footer import Footer

if TYPE_CHECKING:
    from convos_tui.ui.context import Context

LIMIT = 2000  # of each kind, read at once
PEEK = 20  # actions read once a second to see what is new
REFRESH_S = 1.0
TITLE = " Events: transitions, actions, alerts, pools "  # newest first; fits 80 columns with "as of"
NOTHING = "nothing"  # the row key of the line saying there is nothing to show
FIELDS = ("gateway", "kind", "state", "action", "outcome", "rule", "pool")
FILTER_HELP = (
    "Filter (/): words are ANDed and looked for anywhere in an event; field:value for "
    + ", ".join(FIELDS)
    + " (kind: state, action, alert or pool; state: the state a transition left or reached, an alert fired on,"
    " or a pool's instance moved to; rule: an alert's rule); "
    "- negates (-kind:action); * and ? wildcards (gateway:eu-*). enter on an event opens its gateway's detail."
)


@dataclass(frozen=True)
class Event:
    at: float
    gateway: str
    kind: str  # state, action, alert or pool
    what: Text
    detail: str
    fields: Mapping[str, tuple[str, ...]]  # what `field:value` in the filter looks at (FIELDS)

    @property
    def haystack(self) -> str:
        return f"{self.gateway} {self.kind} {self.what.plain} {self.detail}".lower()


class EventFilter:
    """The events screen's filter: bare words anywhere, field:value on one field, - negates, wildcards."""

    def __init__(self, expression: str = "") -> None:
        self.terms: list[tuple[str | None, str, bool]] = []  # field (None: anywhere), value, negated
        self.problem = ""
        for word in expression.lower().split():
            negate = word.startswith("-") and len(word) > 1
            word = word[1:] if negate else word
            field, _, value = word.partition(":")
            if value and field in FIELDS:
                self.terms.append((field, value, negate))
            elif value and field.isalpha():
                self.problem = f"{field}: is not a field of events; the fields are {', '.join(FIELDS)}"
            else:
                self.terms.append((None, word, negate))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, event: Event) -> bool:
        return all(self._term(event, field, value) != negate for field, value, negate in self.terms)

    @staticmethod
    def _term(event: Event, field: str | None, value: str) -> bool:
        if field is None:
            return value in event.haystack
        wild = any(ch in value for ch in "*?[")
        return any(
            fnmatch.fnmatchcase(have.lower(), value) if wild else have.lower() == value
            for have in event.fields.get(field, ())
        )


class When(Text):
    """The TIME cell, which knows its instant: rows are sorted by it, not by its words (seconds)."""

    def __init__(self, at: float) -> None:
        super().__init__(clock_time(at), style="dim")
        self.at = at


class Edge:
    """How far one kind of event has been read: the newest instant, and what was read at that instant
    (the store reads "since" an instant including it, and two events can share one)."""

    def __init__(self) -> None:
        self.at: float | None = None
        self._read: set[Hashable] = set()

    def is_new(self, item: Transition | dict[str, Any]) -> bool:
        at = _at(item)
        return self.at is None or at > self.at or (at == self.at and _key(item) not in self._read)

    def take(self, items: list[Any]) -> list[Any]:
        """The items not read yet, which are read from now on."""
        fresh = [item for item in items if self.is_new(item)]
        if fresh:
            newest = max(_at(item) for item in fresh)
            at_newest = {_key(item) for item in fresh if _at(item) == newest}
            self._read = at_newest | self._read if newest == self.at else at_newest
            self.at = newest
        return fresh


def _at(item: Transition | dict[str, Any]) -> float:
    return item.at if isinstance(item, Transition) else item["at"]


def _key(item: Transition | dict[str, Any]) -> Hashable:
    if isinstance(item, Transition):
        return item
    return tuple(value for name, value in item.items() if name != "params")


def _fresh(edge: Edge, read: Any, fresh_start: bool) -> list[Any]:
    """What `read(limit)` (newest first) has that `edge` has not taken: a peek, then all of it if the peek
    was new from end to end (a bulk run's worth came in at once)."""
    items = read(LIMIT if fresh_start else PEEK)
    if not fresh_start and len(items) == PEEK and all(edge.is_new(item) for item in items):
        items = read(LIMIT)
    return edge.take(items)


def transition_event(t: Transition) -> Event:
    what = Text(f"{t.old} → ")
    what.append(str(t.new), style=STATE_STYLE[t.new])
    fields = {"gateway": (t.gateway,), "kind": ("state",), "state": (str(t.old), str(t.new))}
    return Event(t.at, t.gateway, "state", what, t.reason, fields)


def action_event(a: dict[str, Any]) -> Event:
    what = Text(f"{a['action']} ")
    what.append(a["outcome"], style=outcome_style(a["outcome"]))  # unsupported and refused are no failures
    gateway = str(a["gateway"] or "-")
    fields = {
        "gateway": (gateway,),
        "kind": ("action",),
        "action": (str(a["action"]),),
        "outcome": (str(a["outcome"]),),
    }
    return Event(a["at"], gateway, "action", what, f"{a['who']}  {a['detail']}".strip(), fields)


def alert_event(a: dict[str, Any]) -> Event:
    """An alert raised (the rule, the state and how long it had lasted) or acknowledged (and by whom)."""
    raised = a["event"] == "raised"
    what = Text("alert ")
    what.append(a["event"], style="bold red" if raised else "green")
    why = f" ({a['reason']})" if a["reason"] else ""
    lasted = f" for {describe_duration(a['at'] - a['began'])}" if raised else f" since {clock_time(a['began'])}"
    detail = f"{a['rule']}: {a['state']}{lasted}{why}" + ("" if raised else f"  by {a['who']}")
    fields = {"gateway": (a["gateway"],), "kind": ("alert",), "state": (a["state"],), "rule": (a["rule"],)}
    return Event(a["at"], a["gateway"], "alert", what, detail, fields)


def pool_event(p: dict[str, Any]) -> Event:
    """A pool's instance changing state, on the instance's gateway (the pool's own row before it has one)."""
    state, took = p["state"], p["seconds"]
    gateway = p["pool"] if p["instance"].startswith(RESERVED) else p["instance"]
    what = Text(f"{p['pool']}: ")
    what.append(state, style=POOL_STYLE.get(state, ""))
    timing = "" if took is None else f" ({took * 1000:.1f} ms)" if state == CLAIMED else f" ({took:.1f} s)"
    fields = {"gateway": (gateway,), "kind": ("pool",), "state": (state,), "pool": (p["pool"],)}
    return Event(p["at"], gateway, "pool", what, f"{p['reason']}{timing}", fields)


class EventsScreen(Screen[None]):
    BINDINGS = bindings("events")  # fleet/console_names.py: KEYS
    FILTER_HELP = FILTER_HELP  # what `?` says of this screen's filter

    def __init__(self, context: Context) -> None:
        super().__init__(id="events")
        self.context = context
        self.filter = EventFilter()
        self._events: list[Event] = []  # newest first, filtered or not
        self._edges = (Edge(), Edge(), Edge(), Edge())  # how far transitions, actions, alerts, pools are read
        self._serial = 0  # row keys
        self._gateway_of: dict[str, str] = {}  # row key → the event's gateway, for enter

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#events-table", DataTable)

    def compose(self) -> ComposeResult:
        yield Static(id="events-title")
        yield FieldInput(
            id="events-filter-box",
            placeholder="filter: words, gateway:eu-*, state:stalled, kind:action, outcome:error …",
        )
        yield DataTable(id="events-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        for label in ("TIME", "GATEWAY", "KIND", "WHAT", "DETAIL"):
            self.table.add_column(label, key=label.lower())
        self.action_reload()
        self.table.focus()
        self.set_interval(REFRESH_S, self.follow)

    def action_focus_filter(self) -> None:
        self.query_one("#events-filter-box", Input).focus()

    @on(Input.Changed, "#events-filter-box")
    def _filtered(self, event: Input.Changed) -> None:
        self.filter = EventFilter(event.value)
        self._show()

    @on(DataTable.RowSelected, "#events-table")
    def _open_gateway(self, event: DataTable.RowSelected) -> None:
        """enter on an event: its gateway's detail (an action on no gateway, or a gateway gone, says so)."""
        name = self._gateway_of.get(str(event.row_key.value))
        if name is None:
            return
        if self.context.fleet.config(name) is None:
            self.notify(f"{name} is not in the fleet now: no detail to open", severity="warning", markup=False)
            return
        self.post_message(OpenDetail(name))

    @on(Input.Submitted, "#events-filter-box")
    def _done(self) -> None:
        self.table.focus()

    # -- reading ---------------------------------------------------------------------------------
    def _read(self, *, fresh_start: bool) -> list[Event]:
        """The events the screen has not read yet (all of them, up to LIMIT of each kind, at a fresh start)."""
        store = self.context.fleet.store
        if fresh_start:
            self._edges = (Edge(), Edge(), Edge(), Edge())
        transitions_edge, actions_edge, alerts_edge, pools_edge = self._edges
        transitions = transitions_edge.take(store.transitions(since=transitions_edge.at, limit=LIMIT))
        actions = _fresh(actions_edge, lambda limit: store.audit_log(limit=limit), fresh_start)
        alerts = alerts_edge.take(store.alert_log(since=alerts_edge.at, limit=LIMIT))
        pools = _fresh(pools_edge, self._pool_events, fresh_start)
        events = [
            *(transition_event(t) for t in transitions),
            *(action_event(a) for a in actions),
            *(alert_event(a) for a in alerts),
            *(pool_event(p) for p in pools),
        ]
        events.sort(key=lambda event: event.at, reverse=True)
        return events

    def _pool_events(self, limit: int) -> list[dict[str, Any]]:
        """The newest changes of every pool (pools/members.py keeps them beside the store, pool by pool)."""
        pools = self.context.pools
        found = [{"pool": name, **event} for name in pools.names for event in pools.events(name, limit)]
        return sorted(found, key=lambda event: event["at"], reverse=True)[:limit]

    def _matches(self, event: Event) -> bool:
        return self.filter.matches(event)

    # -- showing ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        """Everything again from the store."""
        self._events = self._read(fresh_start=True)
        self._show()

    def follow(self) -> None:
        """What happened since the last look: added on top, the filter and the cursor kept."""
        fresh = self._read(fresh_start=False)
        if fresh:
            self._events[:0] = fresh
            del self._events[2 * LIMIT :]
            self._add([event for event in fresh if self._matches(event)])
        self._show_title()

    def _show(self) -> None:
        table = self.table
        table.clear()
        self._gateway_of.clear()
        self._add([event for event in self._events if self._matches(event)][: 2 * LIMIT])
        if not table.row_count:
            words = "nothing recorded yet" if not self.filter else "nothing matches"
            table.add_row(Text("-"), Text("-"), Text("-"), Text(words), Text(""), key=NOTHING)
        self._show_title()

    def _add(self, events: list[Event]) -> None:
        """Rows for these events, in time order among those shown; the cursor stays on its row."""
        if not events:
            return
        table = self.table
        try:
            table.remove_row(NOTHING)
        except RowDoesNotExist:
            pass
        cursor: RowKey | None = None
        if table.row_count and table.cursor_row > 0:  # on the newest row, it stays on the newest
            cursor = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        for event in events:
            self._serial += 1
            self._gateway_of[str(self._serial)] = event.gateway
            table.add_row(
                When(event.at),
                Text(event.gateway),
                Text(event.kind),
                event.what,
                Text(event.detail),
                key=str(self._serial),
            )
        table.sort("time", key=lambda when: when.at, reverse=True)
        if cursor is not None:
            table.move_cursor(row=table.get_row_index(cursor), animate=False)

    def _show_title(self) -> None:
        title = Text(TITLE, style="bold reverse")
        as_of = time.strftime("%H:%M:%S", time.localtime(self.context.clock()))
        title.append(f"  as of {as_of}, live", style="dim")
        if self.filter.problem:
            title.append(f"  {self.filter.problem}", style="bold red")
        self.query_one("#events-title", Static).update(title)
