"""The screen an operator lives in: the summary, the live fleet table, the filter and the status line."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from convos_tui.fleet.actions import ACTIONS, ActionResult, tally
from convos_tui.fleet.filter import Filter, FilterError
from convos_tui.ui import rows as view
from convos_tui.ui.alerts import ConsoleAlerts
from convos_tui.ui.keys import bindings
from convos_tui.ui.messages import OpenDetail, OpenEvents, OpenGallery, OpenInvite, OpenPresentation, SetInterval
from convos_tui.ui.results import said
from convos_tui.ui.views import ConsoleViews
from convos_tui.ui.widgets.alert_line import AlertLine
from convos_tui.ui.widgets.fleet_table import FleetTable, Row
from convos_tui.ui.widgets.footer import Footer
from convos_tui.ui.widgets.history_input import HistoryInput
from convos_tui.ui.widgets.status_line import StatusLine
from convos_tui.ui.widgets.summary import Summary, SummaryBar, count_states

if TYPE_CHECKING:
    from convos_tui.fleet.state import State
    from convos_tui.ui.context import Context

MIN_WIDTH, MIN_HEIGHT = 60, 12
COMPACT_BELOW = 110
INTERVALS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# Polls a refresh tick applies per event, 3-7 ms at 5,000 gateways: a key meanwhile waits for one step at most.
TICK_STEP = 200
REFRESH_S = 0.5
READY_TIMEOUT_S = 0.5  # how long keys typed after opening a panel may wait for its focus
# The keys that read-only mode greys out, by binding id, and the action each would have run: every one that
# changes a gateway, an instance or a pool. The services of the last four write their own refusals.
REFUSED_READ_ONLY = {a: a for a in (*ACTIONS, "provision", "launch", "terminate", "recycle")} | {"pool-claim": "claim"}
SERVICE_REFUSES = {"launch", "terminate", "recycle", "pool-claim"}


class MainScreen(Screen[None]):
    BINDINGS = bindings("main")  # fleet/console_names.py: KEYS

    def __init__(self, context: Context) -> None:
        super().__init__(id="main")
        self.context = context
        self.filter = Filter()
        self.faults_only = False
        self.marked: set[str] = set()
        self._mark_anchor: str | None = None
        # Names of gateways polled since the last tick, appended from the poller's thread
        # (deque appends and pops are atomic; a set could change size while being read).
        self._dirty: deque[str] = deque()
        self._message = Text()
        self._summary: Summary | None = None
        self._counts: dict[State, int] | None = None  # of every gateway's state, at the last tick
        self.alerts = ConsoleAlerts(self)  # [[alerts]]: watched as the polls come in (ui/alerts.py)
        self.views = ConsoleViews(self)  # columns (ui/views.py)

    def compose(self) -> ComposeResult:
        yield SummaryBar(id="summary")
        yield AlertLine(id="alerts")
        with Vertical(id="body"):
            yield FleetTable(id="fleet")
            yield Static(id="too-small")
        yield StatusLine(id="statusline")
        hint = "filter: words, state:stalled, tag:pool-a, env:dev, -state:idle … (↑ earlier ones)"
        yield HistoryInput(self.views.filter_history, id="filter", placeholder=hint)
        yield Footer()

    def on_mount(self) -> None:
        self.table.chosen = self.views.start_columns
        self.table.set_columns(compact=self.size.width < COMPACT_BELOW)
        self.filter_box = self.query_one("#filter", HistoryInput)
        self.filter_box.display = False
        self.rebuild()
        self.ticker = self.set_interval(REFRESH_S, self._tick)

    @property
    def table(self) -> FleetTable:
        return self.query_one(FleetTable)

    # -- data ------------------------------------------------------------------------------------
    def mark_dirty(self, name: str) -> None:
        self._dirty.append(name)

    def _take_dirty(self, limit: int | None = None) -> set[str]:
        """The names polled since they were last taken (from at most `limit` polls)."""
        names: set[str] = set()
        for _ in range(len(self._dirty) if limit is None else limit):
            try:
                names.add(self._dirty.popleft())
            except IndexError:
                break
        self.alerts.observe(names)
        return names

    def _rows(self, dirty: set[str]) -> tuple[list[Row], list[str]]:
        """The rows the table must take (new to it, or changed since it took them) and the names it
        must drop (gone from the fleet)."""
        fleet, held = self.context.fleet, self.table.rows
        states = fleet.states
        if not dirty and held.keys() == states.keys():
            return [], []  # the common case on a keystroke: nothing to scan
        rows = [
            (config, states[config.name])
            for config in fleet.gateways
            if config.name in states and (config.name not in held or config.name in dirty)
        ]
        return rows, [name for name in held if name not in states]

    def rebuild(self) -> None:
        """Give the table what was polled and the rows it lacks, and show those that match.

        The table keeps every row and its order itself (it sorts again by itself when its sort changes):
        here only the rows it lacks or that the poller changed are given to it, and the filter chooses
        which are shown."""
        rows, gone = self._rows(self._take_dirty())
        table = self.table
        table.update(rows, gone, now=self.context.clock(), marked=self.marked)
        table.set_filter(view.RowFilter(self.filter, self.faults_only))
        self.show_summary()

    def refilter(self) -> None:
        """Only the filter or the sort changed: a keystroke costs that alone (benchmarks/ui.py). What was
        polled meanwhile waits for the next tick, and so do the state counts."""
        self.table.set_filter(view.RowFilter(self.filter, self.faults_only))
        self.show_summary(recount=False)

    def _tick(self) -> None:
        self.tick(step=TICK_STEP)

    def tick(self, *, step: int | None = None, left: int | None = None) -> None:
        """Twice a second: apply what the poller changed since the last tick, and the clock.

        Only what a row shows counts: a row polled again that looks the same is not drawn again, and a
        changed row is drawn again only if it is on screen. The filter and the order follow the rows
        that changed; nothing is rebuilt. With a `step`, the polls waiting when the tick came (`left`
        of them) are applied that many at a time, each step an event of its own; polls that come in
        meanwhile wait for the next tick."""
        now = self.context.clock()
        left = len(self._dirty) if left is None else left
        dirty = self._take_dirty(left if step is None else min(step, left))
        fleet = self.context.fleet
        if step is not None and left > step:
            self.call_later(self.tick, step=step, left=left - step)
        if dirty:
            rows, gone = [], []
            for name in dirty:
                config, state = fleet.config(name), fleet.states.get(name)
                if config is None or state is None:
                    gone.append(name)
                else:
                    rows.append((config, state))
            self.table.update(rows, gone, now=now, marked=self.marked)
        if step is None or left <= step:  # the last step: the clock and the counts
            self.table.refresh_since(
                fleet.states, now=now, interval_s=fleet.poller.interval_s if fleet.poller else None
            )
            self.alerts.tick()
            self.show_summary()

    def show_summary(self, recount: bool = True) -> None:
        """The header and the status line; `recount=False`: with the state counts of the last tick."""
        table = self.table
        if recount or self._counts is None:
            self._counts = count_states(self.context.fleet.states)
        counts = self._counts
        hidden = sum(1 for name in self.marked if not table.is_shown(name))
        self._summary = Summary.of(self.context.fleet, counts, shown=table.row_count, marked=len(self.marked),
                                   marked_hidden=hidden, now=self.context.clock(), read_only=self.context.read_only)  # fmt: skip
        # The header shows the counts and the badges only: drawn again (a layout of the whole screen)
        # only when one of them changed, not twice a second.
        header = (
            tuple(sorted(counts.items())),
            self._summary.total,
            self._summary.paused,
            self._summary.read_only,
            self.app.size.width,
        )
        if header != getattr(self, "_header_shown", None):
            self._header_shown = header
            self.query_one(SummaryBar).show(self._summary)
        self._show_status()

    def say(self, message: str, style: str = "") -> None:
        """A one-line message in the status line (plain text, never markup)."""
        self._message = Text(message, style=style)
        self._show_status()

    def _show_status(self) -> None:
        filters = " ".join(filter(None, [self.filter.expression, "state:faults" if self.faults_only else ""]))
        sort = f"sorted by {self.table.sort_column}{' (reversed)' if self.table.sort_reverse else ''}"
        self.query_one(StatusLine).show(filters, sort, self._message, self._summary, self.size.width - 2)

    # -- size ------------------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        notice = self.query_one("#too-small", Static)
        notice.display = small
        self.table.display = not small
        if small:
            notice.update(
                Text(
                    f"The terminal is too small: {width}×{height}.\nconvos-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
                    justify="center",
                )
            )
            return
        compact = width < COMPACT_BELOW
        if compact != self.table.compact:
            self.table.set_columns(compact)
            self.rebuild()
        self.show_summary()

    # -- keys ------------------------------------------------------------------------------------
    @property
    def typing(self) -> bool:
        """A field has the keys: the filter box, or the view command line."""
        return isinstance(self.focused, Input)

    def action_filter(self) -> None:
        box = self.filter_box
        box.display = True
        box.value = self.filter.expression
        self.set_focus(box)  # now, not later: the next key of a burst goes to the box

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        try:
            self.filter = Filter(event.value)
        except FilterError as exc:
            self.say(str(exc), "bold red")
            return
        self.say("")
        self.refilter()

    def action_filter_done(self, applied: bool = False) -> None:
        # The key after enter (or escape) in the box is the table's again, at once; keys typed before it that
        # the box has not taken yet still go to the box, and the filter follows them (Input.Changed).
        if applied:  # enter: into the filter history (ui/filter_history.py)
            self.filter_box.remember()
        self.filter_box.display = False
        self.set_focus(self.table)

    def _clear_filter(self) -> None:
        self.filter = Filter()
        self.filter_box.value = ""
        self.refilter()

    def action_escape(self) -> None:
        if self.filter_box.display:
            if self.typing:
                self.filter_box.call_later(self._clear_filter)  # after the keys the box has not taken yet
            self.action_filter_done()
            return
        if self.filter or self.faults_only:
            self.filter, self.faults_only = Filter(), False
            self.refilter()
        elif self.marked:
            self.action_clear_marks()

    def action_faults_only(self) -> None:
        self.faults_only = not self.faults_only
        self.refilter()

    def _refresh_rows(self, names: set[str]) -> None:
        """Marks changed on these rows: redraw them."""
        self.table.marked = self.marked
        self.table.invalidate(names)
        self.show_summary()

    def action_mark(self) -> None:
        name = self.table.cursor_name
        if name is None:
            return
        self.marked ^= {name}
        self._mark_anchor = name
        self._refresh_rows({name})
        self.table.action_cursor_down()

    def action_mark_range(self) -> None:
        """Mark every row from the last marked one to the cursor."""
        name = self.table.cursor_name
        order = self.table.names_in_order()
        if name is None or self._mark_anchor not in order:
            self.action_mark()
            return
        a, b = sorted((order.index(self._mark_anchor), order.index(name)))
        span = set(order[a : b + 1])
        self.marked |= span
        self._refresh_rows(span)

    def action_mark_all(self) -> None:
        shown = self.table.shown
        self.marked |= shown
        self._refresh_rows(shown)

    def action_clear_marks(self) -> None:
        cleared, self.marked = self.marked, set()
        self._refresh_rows(cleared)

    def action_sort_next(self) -> None:
        columns = [c for c in view.SORTABLE if c in self.table.columns]
        current = self.table.sort_column
        following = columns[(columns.index(current) + 1) % len(columns)] if current in columns else columns[0]
        self.sort_by(following, reverse=False)

    def action_sort_reverse(self) -> None:
        self.sort_by(self.table.sort_column, reverse=not self.table.sort_reverse)

    def sort_by(self, column: str, *, reverse: bool) -> None:
        self.table.set_sort(column, reverse)
        self.refilter()  # the status line says the new sort; the polls meanwhile wait for the tick, sorted as they come

    @on(FleetTable.HeaderClicked)
    def _header_clicked(self, event: FleetTable.HeaderClicked) -> None:
        column = event.column
        if column not in view.SORTABLE:
            return
        reverse = not self.table.sort_reverse if column == self.table.sort_column else False
        self.sort_by(column, reverse=reverse)

    def action_pause(self) -> None:
        poller = self.context.fleet.poller
        if poller is None:
            return
        if poller.paused:
            poller.resume()
            self.say("polling resumed")
        else:
            poller.pause()
            self.say("polling paused: p resumes", "yellow")
        self.show_summary()

    def targets(self) -> list[str]:
        """The marked gateways, or else the one under the cursor."""
        if self.marked:
            return [name for name in self.table.names_in_order() if name in self.marked] or sorted(self.marked)
        name = self.table.cursor_name
        return [name] if name else []

    def action_poll_now(self) -> None:
        poller = self.context.fleet.poller
        names = self.targets()
        if poller is None or not names:
            return
        for name in names:
            poller.poll_now(name)
        self.say(f"polling {names[0]}" if len(names) == 1 else f"polling {len(names)} gateways")

    def action_poll_all(self) -> None:
        poller = self.context.fleet.poller
        if poller is not None:
            poller.poll_now()
            self.say(f"polling all {len(self.context.fleet.states)} gateways")

    def _set_interval(self, step: int) -> None:
        poller = self.context.fleet.poller
        if poller is None:
            return
        current = min(INTERVALS, key=lambda value: abs(value - poller.interval_s))
        index = max(0, min(len(INTERVALS) - 1, INTERVALS.index(current) + step))
        self.post_message(SetInterval(INTERVALS[index]))

    def action_slower(self) -> None:
        self._set_interval(+1)

    def action_faster(self) -> None:
        self._set_interval(-1)

    @on(FleetTable.RowSelected)
    def _row_selected(self, event: FleetTable.RowSelected) -> None:
        # The table takes enter itself (select the row): opening the detail is the screen's answer.
        self.post_message(OpenDetail(event.name))

    def action_detail(self) -> None:
        name = self.table.cursor_name
        if name is not None:
            self.post_message(OpenDetail(name))

    def action_view(self, what: str) -> None:
        getattr(self.views, what)()  # the columns panel, …: ui/views.py

    def action_ack_alert(self) -> None:
        self.say(self.alerts.acknowledge(self.targets()))

    def alerts_ack_all(self) -> None:
        self.say(self.alerts.acknowledge(list(self.alerts.watch.active)))

    def action_events(self) -> None:
        self.post_message(OpenEvents())

    def action_invite(self) -> None:
        name = self.table.cursor_name
        if name is not None:
            self.post_message(OpenInvite(name))

    def action_present(self) -> None:
        self.post_message(OpenPresentation(self.table.cursor_name))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter_done" or (action == "escape" and self.typing):
            return self.focused is self.filter_box  # the view command line has its own
        if action in ("filter", "act", "provision", "instances", "pools") and self.typing:
            return False  # a letter typed in the filter box
        # Read-only: what changes a gateway, an instance or a pool is greyed (None): here, in `?`, in the palette.
        changes = action in ("act", "provision", "instances") or (action == "pools" and parameters != ("view",))
        if changes and self.context.read_only:
            return None
        return True

    async def action_act(self, action: str) -> None:
        """Open the panel of an action: on the marked gateways if any are marked, else the one under the cursor."""
        from convos_tui.ui.screens import actions as panels

        fleet = self.context.fleet
        gateways = [config for name in self.targets() if (config := fleet.config(name)) is not None]
        if not gateways:
            return
        state = fleet.states.get(gateways[0].name)
        await self._open(panels.panel_for(action, gateways, self.context, state.conversation_id if state else None))

    async def action_provision(self) -> None:
        from convos_tui.ui.screens.actions import provision_key  # the marked idle gateways, or the first shown

        await provision_key(self)

    async def _open(self, panel: Screen[Any]) -> None:
        self.say("")  # what the status line said is about an earlier action, not the panel's
        await self.app.push_screen(panel, self._acted)
        # Return once the panel has its focus (its first field). Called from a priority binding, this runs in
        # the app's own task, which is the one that hands each key to the focused widget: keys typed right
        # after the one that opened the panel (a fast typist, a paste) wait in the app's queue meanwhile, then
        # all go to the panel's field, in order. Without the wait they went to the table underneath.
        ready = asyncio.Event()
        panel.call_later(ready.set)  # behind the panel's resume, where it takes its focus
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), READY_TIMEOUT_S)

    def on_key(self, event: events.Key) -> None:
        """Read-only: a greyed action key says why nothing happens, and the refusal is audited."""
        active = self.active_bindings.get(event.key) if self.context.read_only else None
        if active is None or active.enabled or active.binding.id not in REFUSED_READ_ONLY:
            return
        event.stop()
        # SERVICE_REFUSES: refused and audited by their service; the others here, in a thread (a busy store waits).
        binding_id, action = active.binding.id, REFUSED_READ_ONLY[active.binding.id]
        if binding_id in SERVICE_REFUSES:
            call = self.action_pools("claim") if binding_id == "pool-claim" else self.action_instances(binding_id)
        else:
            call = self.context.refuse_read_only(action, [] if action == "provision" else self.targets(), self.say)
        self.run_worker(call, exit_on_error=False)

    async def action_instances(self, action: str) -> None:
        from convos_tui.ui.screens.launch import instance_key  # launch, terminate, recycle

        await instance_key(self, action)

    async def action_pools(self, action: str) -> None:
        from convos_tui.ui.screens.pools import pool_key  # the pools view, claim

        await pool_key(self, action)

    def _acted(self, outcome: ActionResult | list[ActionResult] | None) -> None:
        """A panel closed: say what happened; a new invite opens at once (one) or in the gallery (many)."""
        if outcome is None:
            return
        results = outcome if isinstance(outcome, list) else [outcome]
        if len(results) == 1:
            result = results[0]
            self.say(f"{result.gateway}: {result.action} " + (f"ok: {result.summary}" if result.ok else said(result)))
        else:
            self.say(f"{results[0].action} on {len(results)} gateways: {tally(results)}")
        created = [r for r in results if r.ok and r.action == "create" and r.data.get("invite_url")]
        if len(created) == 1:
            self.post_message(
                OpenInvite(created[0].gateway, created[0].data["invite_url"], created[0].data.get("conversation_id"))
            )
        elif created:
            self.post_message(OpenGallery(created))

    def jump_to(self, name: str) -> None:
        """Put the cursor on a gateway, clearing a filter that hides it."""
        if name not in self.table.shown:
            self.filter, self.faults_only = Filter(), False
            self.refilter()
        self.table.move_to(name)
        self.table.focus()
