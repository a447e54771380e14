"""The pools view (`w`): each warm pool's instances by state against its target, its circuit breaker, and the
claim latency beside the cold start it saves, live; `c` claims (the invite's QR code follows), `+` replenishes,
`D` drains. `C` on the main screen claims without opening the view (it asks which pool when there are several).

The screens gather what to do and show what happened; the work is the pool service's (through ui/pools.py),
which passes every call through the action service (read-only refusal, the audit).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from convos_tui.api.interpret import one_line
from convos_tui.fleet.actions import UNKNOWN, ActionResult, tally
from convos_tui.pools.members import CLAIMED, CRASHED, LAUNCHING, PENDING, READY, TAINTED
from convos_tui.pools.service import PoolSummary
from convos_tui.ui.keys import bindings
from convos_tui.ui.messages import OpenInvite
from convos_tui.ui.pools import NO_POOLS
from convos_tui.ui.results import outcome_style, said, useful_hint
from convos_tui.ui.widgets.footer import COMPACT_BELOW, Footer

if TYPE_CHECKING:
    from convos_tui.ui.context import Context
    from convos_tui.ui.screens.main import MainScreen

REFRESH_S = 1.0
TITLE = " Pools: warm instances, claimed at once, against a cold launch "
COLUMNS = ("pool", "ready", "launching", "claimed", "crashed", "breaker", "claim p50/p95", "cold start p50/p95")
# Below COMPACT_BELOW columns the longer labels give way, so that the table fits 80 columns without scrolling.
COMPACT = {"launching": "launch", "crashed": "crash", "cold start p50/p95": "cold p50/p95"}
EVENT_COLUMNS = ("time", "instance", "state", "took", "why")
EVENTS_SHOWN = 50
WHY_FROM = 52  # the columns before `why` and the margins: a reason ends in … rather than scroll the table sideways
EVENT_STYLE = {READY: "green", LAUNCHING: "yellow", CLAIMED: "cyan", TAINTED: "yellow", CRASHED: "bold red"}
# The keys that act: greyed in read-only mode, where the action service refuses them.
ACTING = ("claim", "replenish", "drain")


# -- how a pool reads --------------------------------------------------------------------------------
def milliseconds(p50: float | None, p95: float | None) -> Text:
    if p50 is None or p95 is None:
        return Text("—", style="dim")
    return Text(f"{_short(p50)} / {_short(p95)} ms")


def seconds(p50: float | None, p95: float | None) -> Text:
    if p50 is None or p95 is None:
        return Text("—", style="dim")
    return Text(f"{p50:.1f} / {p95:.1f} s")


def _short(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def ready_cell(summary: PoolSummary) -> Text:
    ready, target = summary.counts.get(READY, 0), summary.target_ready
    style = "green" if ready >= target else "yellow" if ready else "bold red"
    return Text(f"{ready}/{target}", style=style)


def count_cell(summary: PoolSummary, state: str, style: str = "") -> Text:
    count = summary.counts.get(state, 0)
    return Text(str(count), style=style if count else "dim")


def breaker_cell(summary: PoolSummary) -> Text:
    return Text("open", style="bold red") if summary.breaker_reason else Text("closed", style="green")


def row(summary: PoolSummary) -> list[Text]:
    return [
        Text(summary.name, style="bold"),
        ready_cell(summary),
        count_cell(summary, LAUNCHING, "yellow"),
        count_cell(summary, CLAIMED, "cyan"),
        count_cell(summary, CRASHED, "bold red"),
        breaker_cell(summary),
        milliseconds(summary.claim_ms_p50, summary.claim_ms_p95),
        seconds(summary.cold_start_s_p50, summary.cold_start_s_p95),
    ]


def clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def span(seconds_left: float) -> str:
    whole = max(0, round(seconds_left))
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


PREPARED = {
    "create": "ready instances already hold their conversation and invite",
    "none": "ready = up and idle; a claim creates the conversation",
}


def detail_text(summary: PoolSummary, context: Context, launcher: str, stopped: str | None) -> Text:
    """Everything about one pool, in words: what the table's cells stand for, and what they lack."""
    counts = summary.counts
    text = Text()
    text.append(summary.name, style="bold")
    text.append(
        f"  launcher {launcher} · prepare {summary.prepare}: {PREPARED.get(summary.prepare, '')}\n", style="dim"
    )
    text.append(f"target {summary.target_ready} ready · max {summary.max_total} · now ")
    text.append(", ".join(f"{counts.get(state, 0)} {state}" for state in (READY, LAUNCHING, CLAIMED, PENDING)))
    for state, style in ((TAINTED, "yellow"), (CRASHED, "bold red")):
        text.append(", ")
        text.append(f"{counts.get(state, 0)} {state}", style=style if counts.get(state) else "")
    text.append("\n")
    if counts.get(READY):
        text.append("a claim is served at once", style="green")
        text.append(f" ({counts[READY]} ready)\n", style="dim")
    elif summary.next_ready_in_s is not None:
        text.append(f"empty: the next instance is ready in about {span(summary.next_ready_in_s)}\n", style="yellow")
    else:
        text.append("empty", style="bold yellow")
        launching = counts.get(LAUNCHING, 0)
        text.append(f": {launching} launching, none timed yet\n" if launching else ": none launching\n")
    if summary.breaker_reason:
        text.append("breaker open: ", style="bold red")
        text.append(summary.breaker_reason)
        if summary.breaker_reopens_at is not None:
            left = summary.breaker_reopens_at - context.clock()
            text.append(f"; no launch until {clock(summary.breaker_reopens_at)} (in {span(left)})")
        text.append("\n")
    else:
        text.append("breaker closed", style="green")
        text.append(" (3 failed launches in a row open it for 5 min)\n", style="dim")
    text.append("claim ", style="dim")
    text.append_text(milliseconds(summary.claim_ms_p50, summary.claim_ms_p95))
    text.append("  against a cold start ", style="dim")
    text.append_text(seconds(summary.cold_start_s_p50, summary.cold_start_s_p95))
    text.append(" (p50 / p95)\n", style="dim")
    if stopped:
        text.append(f"{stopped}\n", style="bold yellow")
    return text


class PoolsScreen(Screen[None]):
    BINDINGS = bindings("pools")  # fleet/console_names.py: KEYS

    def __init__(self, context: Context) -> None:
        super().__init__(id="pools")
        self.context = context
        self.busy = False
        self._summaries: dict[str, PoolSummary] = {}
        self._compact: bool | None = None  # the table's labels: the short ones (None: no columns yet)
        self._events_shown: tuple[object, ...] = ()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#pools-table", DataTable)

    def compose(self) -> ComposeResult:
        yield Static(Text(TITLE, style="bold reverse"), id="pools-title")
        yield DataTable(id="pools-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="pool-detail")
        yield DataTable(id="pool-events", cursor_type="none", zebra_stripes=True)
        yield Static(id="pools-status")
        yield Footer()

    def on_mount(self) -> None:
        for column in EVENT_COLUMNS:
            self.query_one("#pool-events", DataTable).add_column(column, key=column)
        self.show()
        self.table.focus()
        self.set_interval(REFRESH_S, self.show)
        if (unavailable := self.context.pools.unavailable) is not None:
            self.say(unavailable, "bold yellow")

    # -- live ------------------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        if (event.size.width < COMPACT_BELOW) != self._compact:
            self.show()

    def _set_columns(self) -> None:
        self._compact = compact = self.app.size.width < COMPACT_BELOW
        table = self.table
        table.clear(columns=True)
        for column in COLUMNS:
            table.add_column(COMPACT.get(column, column) if compact else column, key=column)
        self._summaries = {}

    def show(self) -> None:
        """The pools as they stand: rows updated in place, so the cursor stays on its pool."""
        if self._compact is None or (self.app.size.width < COMPACT_BELOW) != self._compact:
            self._set_columns()
        table = self.table
        summaries = {summary.name: summary for summary in self.context.pools.summaries()}
        for key in [key for key in table.rows if key.value not in summaries]:
            table.remove_row(key)
        for name, summary in summaries.items():
            cells = row(summary)
            if name in table.rows:
                if self._summaries.get(name) != summary:
                    for column, cell in zip(COLUMNS, cells, strict=True):
                        table.update_cell(name, column, cell)
            else:
                table.add_row(*cells, key=name)
        self._summaries = summaries
        self.show_detail()

    def show_detail(self) -> None:
        pool = self.pool
        summary = self._summaries.get(pool) if pool else None
        config = self.context.pools.config(pool) if pool else None
        detail = self.query_one("#pool-detail", Static)
        if summary is None or config is None or pool is None:
            detail.update("")
            return
        detail.update(detail_text(summary, self.context, config.launcher, self.context.pools.stopped.get(pool)))
        self.show_events(pool)

    def show_events(self, pool: str) -> None:
        """The pool's latest changes of state, newest first, each with its reason (the engine's words)."""
        events = self.context.pools.events(pool, EVENTS_SHOWN)
        shown = (pool, self.app.size.width, *(tuple(event.values()) for event in events))
        if shown == self._events_shown:
            return
        self._events_shown = shown
        table = self.query_one("#pool-events", DataTable)
        table.clear()
        for event in events:
            state = event["state"]
            took = event["seconds"]
            table.add_row(
                Text(clock(event["at"]), style="dim"),
                Text(event["instance"]),
                Text(state, style=EVENT_STYLE.get(state, "")),
                Text("" if took is None else f"{took * 1000:.1f} ms" if state == CLAIMED else f"{took:.1f} s"),
                Text(one_line(event["reason"], max(20, self.app.size.width - WHY_FROM))),
            )

    def on_data_table_row_highlighted(self) -> None:
        self.show_detail()

    @property
    def pool(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def say(self, text: str | Text, style: str = "") -> None:
        self.query_one("#pools-status", Static).update(text if isinstance(text, Text) else Text(text, style=style))

    # -- keys ------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ACTING and self.context.read_only:
            return None  # greyed; the key still says why (on_key), and the refusal is audited
        return True

    def on_key(self, event: events.Key) -> None:
        """Read-only: a greyed key goes to the pool service all the same, which refuses it and audits it."""
        active = self.active_bindings.get(event.key) if self.context.read_only else None
        if active is None or active.enabled or active.binding.action not in ACTING:
            return
        event.stop()
        pool, action = self.pool, active.binding.action
        if pool is None:
            return
        if action == "claim":
            self.claim()
        elif action == "replenish":
            self.replenish_run(pool, 1)
        else:
            self.drain_run(pool, True)

    def action_claim(self) -> None:
        self.claim()

    def claim(self) -> None:
        pool = self.pool
        if pool is None:
            self.say(NO_POOLS, "bold yellow")
        elif self.busy:
            self.say("a claim is under way: wait for it", "yellow")
        else:
            self.busy = True
            self.say(f"claiming from {pool}…", "dim")
            claim_from(self, self.context, pool, self.claimed)

    def claimed(self, result: ActionResult) -> None:
        self.busy = False
        self.say(result_line(result))
        self.show()

    async def action_replenish(self) -> None:
        from convos_tui.ui.screens.pool_panels import ReplenishPanel

        if (summary := self._under_cursor()) is not None:
            await self.app.push_screen(ReplenishPanel(summary, self.context), self.acted)

    async def action_drain(self) -> None:
        from convos_tui.ui.screens.pool_panels import DrainPanel

        if (summary := self._under_cursor()) is not None:
            await self.app.push_screen(DrainPanel(summary, self.context), self.acted)

    def _under_cursor(self) -> PoolSummary | None:
        """The pool under the cursor, or None after saying why there is none."""
        summary = self._summaries.get(self.pool or "")
        if summary is None:
            self.say(self.context.pools.unavailable or "no pool under the cursor", "bold yellow")
        return summary

    def acted(self, results: list[ActionResult] | None) -> None:
        if results:
            self.say(results_line(results))
        self.show()

    @work(group="pools", exit_on_error=False)
    async def replenish_run(self, pool: str, count: int) -> None:
        self.acted(await self.context.pools.replenish(pool, count))

    @work(group="pools", exit_on_error=False)
    async def drain_run(self, pool: str, ready_only: bool) -> None:
        self.acted(await self.context.pools.drain(pool, ready_only=ready_only))


# -- a claim, from the view, the main screen or presentation mode ---------------------------------------
def result_line(result: ActionResult) -> Text:
    text = Text(f"{result.gateway}: ", style="bold")
    text.append(said(result), style="green" if result.ok else outcome_style(result.outcome))
    if not result.ok and (hint := useful_hint(result)):
        text.append(f"  {hint}", style="dim")
    return text


def results_line(results: list[ActionResult]) -> Text:
    if len(results) == 1:
        return result_line(results[0])
    return Text(f"{results[0].action}: {tally(results)}", style="bold")


def claim_from(screen: Screen[Any], context: Context, pool: str, then: Callable[[ActionResult], None]) -> None:
    """Claim from `pool` in a worker of `screen`; `then(result)` on the screen's side. A claim that hands out
    an invite opens its QR code, as a create does."""

    async def run() -> None:
        try:
            result = await context.pools.claim(pool)
        except Exception as exc:  # a bug or a store that cannot write ends the claim, not the console
            result = ActionResult(pool, "claim", UNKNOWN, f"the claim stopped: {type(exc).__name__}: {exc}")
        then(result)
        invite = result.data.get("invite_url")
        if result.ok and invite:
            gateway = result.data.get("gateway") or result.data.get("instance") or result.gateway
            screen.post_message(OpenInvite(gateway, invite, result.data.get("conversation_id")))

    screen.run_worker(run(), group="pools", exit_on_error=False)


class ChoosePool(ModalScreen["str | None"]):
    """`C` with several pools: which one (its ready count beside it); enter claims, escape cancels."""

    BINDINGS = bindings("panel", only=("panel-cancel",))  # console_names.KEYS

    def __init__(self, names: list[str], summaries: list[PoolSummary]) -> None:
        super().__init__(classes="action-panel")
        self.names = names
        self.summaries = {summary.name: summary for summary in summaries}

    def compose(self) -> ComposeResult:
        options = []
        for name in self.names:
            label = Text(f"{name:<16}", style="bold")
            if (summary := self.summaries.get(name)) is not None:
                label.append_text(ready_cell(summary))
                label.append(" ready")
            options.append(Option(label, id=name))
        chooser = OptionList(*options, id="pool-choice", classes="panel-box")
        chooser.border_title = "Claim from which pool?"
        yield chooser

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


async def pool_key(main: MainScreen, action: str) -> None:
    """`w` opens the pools view; `C` claims from the only pool, or asks which of several."""
    pools = main.context.pools
    if action == "view":
        await main.app.push_screen(PoolsScreen(main.context))
        return
    if not pools.configured:
        main.say(NO_POOLS, "bold yellow")
        return

    def claim(pool: str | None) -> None:
        if pool is not None:
            main.say(f"claiming from {pool}…", "dim")
            claim_from(main, main.context, pool, lambda result: main.say(result_line(result).plain, _style(result)))

    if len(pools.configured) == 1:
        claim(pools.configured[0].name)
    else:
        await main.app.push_screen(ChoosePool(pools.names, pools.summaries()), claim)


def _style(result: ActionResult) -> str:
    return "green" if result.ok else f"bold {outcome_style(result.outcome)}"
