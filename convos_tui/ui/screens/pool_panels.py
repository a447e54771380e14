"""The panels of the pools view: replenish (how many to launch now) and drain (the ready instances only, or
every one, claimed ones too, only once the word is typed). They show each instance's outcome as the launch
and terminate panels do (ui/screens/launch.py: InstancePanel), and the work is the pool service's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, Select, Static

from convos_tui.fleet.actions import UNKNOWN, ActionResult
from convos_tui.instances.records import PHASES
from convos_tui.pools.members import CLAIMED, LAUNCHING, PENDING, READY, TAINTED
from convos_tui.pools.service import PoolSummary
from convos_tui.ui.results import counted
from convos_tui.ui.screens.launch import InstancePanel
from convos_tui.ui.widgets.fields import FieldInput

if TYPE_CHECKING:
    from convos_tui.ui.context import Context

DRAIN_WORD = "DRAIN"


class PoolPanel(InstancePanel):
    """A pool's panel: the pool's summary on top; the run is the pool service's."""

    def __init__(self, summary: PoolSummary, context: Context) -> None:
        super().__init__(context)
        self.summary = summary
        self.pool = summary.name
        self.TITLE = f"{self.BUTTON} pool {self.pool}"  # type: ignore[misc]  # a panel's own heading; Textual declares the name ClassVar

    def run_in_worker(self, what: str) -> None:
        self.busy = True
        self.query_one("#go", Button).disabled = True
        self.show_progress()
        self.say(what, "dim")
        self.run_pool()

    @work(exit_on_error=False, group="pools")
    async def run_pool(self) -> None:
        try:
            results = await self.perform()
        except Exception as exc:  # a bug or a store that cannot write ends the run, not the console
            results = [ActionResult(self.pool, self.ACTION, UNKNOWN, f"stopped: {type(exc).__name__}: {exc}")]
        finally:
            self.busy = False
        self.finished(results)

    ACTION = ""

    async def perform(self) -> list[ActionResult]:
        raise NotImplementedError

    def finished(self, results: list[ActionResult]) -> None:
        """Each launch's phases, as the launch panel shows them (the pool service reports them at the end)."""
        for result in results:
            for phase, took in (result.data.get("phases") or {}).items():
                if phase in PHASES:
                    self.on_phase(result.gateway, phase, took, None)
        super().finished(results)


class ReplenishPanel(PoolPanel):
    """`+`: launch N more now, beside what the reconciler launches to keep the target (max_total still holds)."""

    BUTTON = "Replenish"
    ACTION = "replenish"
    AUTO_FOCUS = "#replenish-count"

    def form(self) -> ComposeResult:
        counts, summary = self.summary.counts, self.summary
        held = sum(counts.get(state, 0) for state in (READY, LAUNCHING, CLAIMED, PENDING, TAINTED))
        shortfall = max(1, summary.target_ready - counts.get(READY, 0) - counts.get(LAUNCHING, 0))
        yield Static(
            Text(
                f"{counts.get(READY, 0)} ready of a target of {summary.target_ready}, "
                f"{counts.get(LAUNCHING, 0)} launching; {held} held of max_total {summary.max_total}.\n"
                "Each instance is launched from the launcher's golden"
                + (" and given its conversation now" if summary.prepare == "create" else "")
                + ".",
            )
        )
        yield Label(f"how many to launch (1 to {summary.max_total})")
        yield FieldInput(value=str(shortfall), id="replenish-count", restrict=r"[0-9]*", max_length=4)

    def count(self) -> int | str:
        typed = self.query_one("#replenish-count", Input).value.strip()
        if not typed.isdigit() or not 1 <= int(typed) <= self.summary.max_total:
            return f"how many: a whole number from 1 to {self.summary.max_total} (max_total of {self.pool})"
        return int(typed)

    @on(Input.Submitted, "#replenish-count")
    def _entered(self) -> None:
        self._go()

    def start(self) -> None:
        count = self.count()
        if isinstance(count, str):
            self.say(count, "bold red")
            return
        self.wanted = count
        self.run_in_worker(f"replenishing {self.pool}: {counted(count, 'instance')}…")

    async def perform(self) -> list[ActionResult]:
        return await self.context.pools.replenish(self.pool, self.wanted)


DRAIN_CHOICES = [("the ready instances only", "ready"), ("every instance, the claimed ones too", "all")]


class DrainPanel(PoolPanel):
    """`D`: terminate the pool's ready instances, or all of them; the claimed ones (live conversations
    someone was handed) only when asked, and once DRAIN is typed. Cancel has the focus first."""

    BUTTON = "Drain"
    BUTTON_VARIANT = "error"
    ACTION = "drain"

    def form(self) -> ComposeResult:
        counts = self.summary.counts
        claimed = counts.get(CLAIMED, 0) + counts.get(PENDING, 0)
        yield Static(
            Text(
                f"{counts.get(READY, 0)} ready, {counts.get(LAUNCHING, 0)} launching, {claimed} claimed or pending. "
                "Each instance drained is terminated: its process stopped, its directory removed, its "
                "conversation ended with it.",
            )
        )
        yield Label("drain")
        yield Select(DRAIN_CHOICES, value="ready", allow_blank=False, id="drain-which")
        yield Static(id="drain-warning")
        yield FieldInput(placeholder=f"type {DRAIN_WORD} to drain the claimed ones too", id="drain-confirm")

    def on_mount(self) -> None:  # (InstancePanel.on_mount runs too: Textual calls each class's handler)
        self._chosen()
        self.query_one("#cancel", Button).focus()  # a stray enter cancels

    @property
    def everything(self) -> bool:
        return self.query_one("#drain-which", Select).value == "all"

    @on(Select.Changed, "#drain-which")
    @on(Input.Changed, "#drain-confirm")
    def _chosen(self) -> None:
        every = self.everything
        box = self.query_one("#drain-confirm", Input)
        box.display = every
        warning = self.query_one("#drain-warning", Static)
        if every:
            claimed = self.summary.counts.get(CLAIMED, 0) + self.summary.counts.get(PENDING, 0)
            warning.update(
                Text(
                    f"{counted(claimed, 'claimed instance')} will be terminated too, and the people in their "
                    f"conversations lose them. Type {DRAIN_WORD} below, then enter.",
                    style="bold yellow",
                )
            )
        else:
            warning.update("")
        typed = box.value.strip() == DRAIN_WORD
        self.query_one("#go", Button).disabled = self.results is None and every and not typed

    @on(Input.Submitted, "#drain-confirm")
    def _entered(self) -> None:
        if not self.query_one("#go", Button).disabled:
            self._go()
        else:
            self.say(f"type {DRAIN_WORD} to drain the claimed ones too, then enter", "bold yellow")

    def start(self) -> None:
        if self.everything and self.query_one("#drain-confirm", Input).value.strip() != DRAIN_WORD:
            self.say(f"type {DRAIN_WORD} to drain the claimed ones too", "bold yellow")
            return
        self.ready_only = not self.everything
        which = "its ready instances" if self.ready_only else "every instance"
        self.run_in_worker(f"draining {self.pool}: {which}…")

    async def perform(self) -> list[ActionResult]:
        return await self.context.pools.drain(self.pool, ready_only=self.ready_only)
