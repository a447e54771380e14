"""What every action panel shares: the form's frame, Cancel and the action's button, the flow that runs it on
one gateway (`ResultLine`) or on several (`BulkRun`), and how enter, ctrl+s and a worker's end are handled. The
panels themselves are in actions.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from convos_tui.fleet.actions import ActionResult
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import State, short_id
from convos_tui.ui.keys import bindings
from convos_tui.ui.results import counted
from convos_tui.ui.widgets.bulk_run import BulkRun
from convos_tui.ui.widgets.result_line import ResultLine

if TYPE_CHECKING:
    from convos_tui.ui.context import Context


def panel_frame(title: str, form: ComposeResult, below: list[Widget], button: str, variant: str) -> ComposeResult:
    """Every panel's frame: its title, its form, what shows the run (`below`), Cancel and the action's button.
    The form scrolls inside a height that fits the terminal; what is below it and the buttons stay on screen at
    80×24 however long the form."""
    with Vertical(classes="panel-box"):
        yield Static(Text(title, style="bold"), classes="panel-title")
        with VerticalScroll(classes="panel-form"):
            yield from form
        yield from below
        with Horizontal(classes="panel-buttons"):
            yield Button("Cancel", id="cancel")
            yield Button(button, id="go", variant=variant)  # type: ignore[arg-type]  # a str where Textual wants its Literal


class ActionPanel(ModalScreen["ActionResult | list[ActionResult] | None"]):
    """The frame every panel shares: a title, the form, its flow (the result line, or the bulk run), Cancel and
    the action's button.

    On one gateway the panel shows the result in words. On several (the marked rows) it first says what will
    happen and asks for the action's word typed in capitals, then runs the action with bounded concurrency
    behind a progress bar, and lists the result of every gateway, to copy or save.
    """

    BINDINGS = bindings("panel")  # fleet/console_names.py: KEYS
    AUTO_FOCUS = "Input, TextArea"  # the first field: a paste right after the key lands in it
    ACTION = ""
    TITLE = ""
    BUTTON = "Go"
    BUTTON_VARIANT = "primary"
    ALWAYS_BULK = False  # the summary, the typed word and the results list even on one gateway

    def __init__(self, gateways: GatewayConfig | Sequence[GatewayConfig], context: Context) -> None:
        super().__init__(classes="action-panel")
        self.context = context
        self.gateways = [gateways] if isinstance(gateways, GatewayConfig) else list(gateways)
        self.gateway = self.gateways[0]
        self.busy = False
        self.bulk = self.ALWAYS_BULK or len(self.gateways) > 1

    def compose(self) -> ComposeResult:
        target = counted(len(self.gateways), "gateway") if self.bulk else self.gateway.name
        self.flow: ResultLine | BulkRun = (
            BulkRun(self.ACTION, self.gateways, self.bulk_what, clock=self.context.clock)
            if self.bulk
            else ResultLine(self.gateway, self.progress(), clock=self.context.clock)
        )
        yield from panel_frame(f"{self.TITLE} — {target}", self.form(), [self.flow], self.BUTTON, self.BUTTON_VARIANT)

    def form(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.set_class(self.bulk, "-bulk")
        self.update_go()

    # -- what is still missing before the action can go ---------------------------------------------
    def bulk_what(self) -> str:
        return f"{self.ACTION} on {counted(len(self.gateways), 'gateway')}"

    def conversations(self) -> set[str]:
        """The distinct conversations the gateways hold (two gateways can share one: a creator and a joiner)."""
        states = self.context.fleet.states
        return {s.conversation_id for g in self.gateways if (s := states.get(g.name)) and s.conversation_id}

    def in_conversations(self) -> str:
        """ "8 conversations on 9 gateways": what an action on the conversations touches."""
        return f"{counted(len(self.conversations()), 'conversation')} on {counted(len(self.gateways), 'gateway')}"

    def state_warning(self) -> Text | None:
        """Said before sending: a create or a join on a gateway that holds a conversation is refused (409)."""
        state = self.context.fleet.states.get(self.gateway.name)
        if state is None or state.state in (State.IDLE, State.UNKNOWN):
            return None
        name = self.gateway.name
        if state.conversation_id or state.state in (State.LIVE, State.PENDING):
            held = f"conversation {short_id(state.conversation_id)}" if state.conversation_id else "a pending join"
            text = (
                f"{name} is {state.state} and holds {held}: the gateway will refuse this (409, one "
                "conversation per gateway). Explode it first, or choose an idle gateway."
            )
        else:
            text = f"{name} is {state.state} ({state.reason}): this will probably fail."
        return Text(text, style="bold yellow")

    def form_missing(self) -> str | None:
        """What the form still lacks before the action may go (None: nothing)."""
        return None

    def missing(self) -> str | None:
        return self.form_missing() or self.flow.missing()

    def ask(self) -> None:
        """Put the focus where the missing thing is typed."""
        self.flow.ask()

    @on(Input.Changed)
    def update_go(self) -> None:
        """The action's button works once nothing is missing, and never twice at once."""
        go = self.query_one("#go", Button)
        go.disabled = self.busy or (not self.flow.done and self.missing() is not None)

    # -- running ---------------------------------------------------------------------------------
    def say(self, text: str | Text, style: str = "") -> None:
        self.flow.say(text, style)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.busy and self.flow.stop():
            return
        self.dismiss(self.flow.outcome)

    @on(BulkRun.Confirm)
    def action_submit(self) -> None:
        self._go()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        """Enter in a confirmation box confirms, or says why it does not (the bulk run's box is its own).
        Enter in an ordinary field sends nothing (a pasted line ending must not send); it says what does."""
        if event.input.id == "confirm":
            self._go()
        elif self.bulk:
            self.say(
                f"enter does not start the run: type {self.flow.word} in the box below, then enter",  # type: ignore[union-attr]  # bulk: flow is a BulkRun
                "yellow",
            )
        else:
            self.say(f"enter does not send: ctrl+s (or {self.BUTTON}) does", "yellow")

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        if self.flow.done:
            self.action_cancel()  # the button reads "Close" once done
            return
        if self.busy:
            return
        missing = self.missing()
        if missing is not None:
            self.say(missing, "bold yellow")
            self.ask()
            return
        self.run_panel()

    @work(exclusive=True, group="action", exit_on_error=False)
    async def run_panel(self) -> None:  # not run_action: that name is Textual's own (it runs an action string)
        self.busy = True
        self.update_go()
        values = self.values()  # read once: editing the form during a run changes nothing
        try:
            await self.flow.run(
                lambda gateway: self.perform(gateway, values), self.context.actions, form=self.query_one(".panel-form")
            )
        finally:
            self.busy = False
        if self.flow.done:
            self.query_one("#go", Button).label = "Close"
        self.update_go()
        if (target := self.flow.after()) is not None:
            self.query_one(target).focus()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        # Anything the action service did not turn into a result (a bug, a store that cannot write) ends
        # the run, not the console: requests may be in flight elsewhere, and the rows shown stay.
        if event.state is not WorkerState.ERROR:
            return
        self.busy = False
        self.update_go()
        error = event.worker.error
        self.say(
            Text(
                f"the {self.ACTION} stopped on an unexpected error: {type(error).__name__}: {error}. "
                "What was sent may have been carried out: the next poll shows it.",
                style="bold red",
            )
        )

    def values(self) -> dict[str, Any]:
        """What the form says, read once before the run."""
        return {}

    def progress(self) -> str:
        return "working"

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        raise NotImplementedError

    def action_show_detail(self) -> None:
        self.flow.show_detail()

    def action_copy_results(self) -> None:
        self.flow.copy_results(lambda text: self.context.copy_text(text, what="the results"))

    def action_save_results(self) -> None:
        self.flow.save_results(Path.cwd())
