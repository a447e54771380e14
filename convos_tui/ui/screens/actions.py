"""Action panels: modal forms for create, join, send, rename, lock/unlock and explode, on one gateway or
on the marked ones.

Every panel only gathers what to do and shows what happened: the work is the action service's (read-only,
audit, stored invites, re-poll, bounded concurrency). Errors are shown in the panel, in words, with the
full text one key away. On one gateway the panel's flow is a `ResultLine`; on several it is a `BulkRun`
(widgets/bulk_run.py): the panel follows either the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea
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

ENVS = [("dev", "dev"), ("production", "production")]
PERMISSIONS = [("default (all members)", ""), ("all members may add", "all-members"), ("admins only", "admin-only")]


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
            BulkRun(self.ACTION, self.gateways, self.bulk_what, clock=self.context.clock) if self.bulk
            else ResultLine(self.gateway, self.progress(), clock=self.context.clock))
        with Vertical(classes="panel-box"):
            yield Static(Text(f"{self.TITLE} — {target}", style="bold"), classes="panel-title")
            # The form scrolls inside a height that fits the terminal; the flow (the result) and the buttons
            # are below it, so they stay on screen at 80×24 however long the form.
            with VerticalScroll(classes="panel-form"):
                yield from self.form()
            yield self.flow
            with Horizontal(classes="panel-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.BUTTON, id="go", variant=self.BUTTON_VARIANT)  # type: ignore[arg-type]  # a str class attribute where Textual wants its Literal

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
        """"8 conversations on 9 gateways": what an action on the conversations touches."""
        return f"{counted(len(self.conversations()), 'conversation')} on {counted(len(self.gateways), 'gateway')}"

    def state_warning(self) -> Text | None:
        """Said before sending: a create or a join on a gateway that holds a conversation is refused (409)."""
        state = self.context.fleet.states.get(self.gateway.name)
        if state is None or state.state in (State.IDLE, State.UNKNOWN):
            return None
        name = self.gateway.name
        if state.conversation_id or state.state in (State.LIVE, State.PENDING):
            held = f"conversation {short_id(state.conversation_id)}" if state.conversation_id else "a pending join"
            text = (f"{name} is {state.state} and holds {held}: the gateway will refuse this (409, one "
                    "conversation per gateway). Explode it first, or choose an idle gateway.")
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
            self.say(f"enter does not start the run: type {self.flow.word} in the box below, then enter",  # type: ignore[union-attr]  # bulk: flow is a BulkRun
                     "yellow")
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
            await self.flow.run(lambda gateway: self.perform(gateway, values), self.context.actions,
                                form=self.query_one(".panel-form"))
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
        self.say(Text(f"the {self.ACTION} stopped on an unexpected error: {type(error).__name__}: {error}. "
                      "What was sent may have been carried out: the next poll shows it.", style="bold red"))

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


def panel_for(action: str, gateways: Sequence[GatewayConfig], context: Context,
              conversation_id: str | None = None) -> ActionPanel:
    """The panel of an action, by the name the keys and the palette use."""
    if action == "unlock":
        return LockPanel(gateways, context, unlock=True)
    if action == "explode":
        return ExplodePanel(gateways, context, conversation_id)
    panel: type[ActionPanel] = {"create": CreatePanel, "join": JoinPanel, "send": SendPanel, "rename": RenamePanel,
                                "lock": LockPanel}[action]
    return panel(gateways, context)


class CreatePanel(ActionPanel):
    ACTION = "create"
    TITLE = "Create a conversation"
    BUTTON = "Create"

    def form(self) -> ComposeResult:
        if not self.bulk and (warning := self.state_warning()) is not None:
            yield Static(warning, id="panel-warning")
        yield Label("Conversation name")
        yield Input(placeholder="Convos Agent", id="name")
        # The rest of the form is mounted right after the panel is first drawn: its selects and text area
        # are most of the panel's cost, and the name field (focused) is what is typed first.
        if self.bulk:  # each gateway keeps its own network unless one is chosen for all
            env = Select([("each gateway's own", ""), *ENVS], value="", allow_blank=False, id="env")
        else:
            env = Select(ENVS, value=self.gateway.env, allow_blank=False, id="env")
        rest = Vertical(
            Label("Network"), env,
            Label("Agent's profile name (default: the conversation name)"), Input(id="profile-name"),
            Label("Description (optional)"), Input(id="description"),
            Label("Who may add members"), Select(PERMISSIONS, value="", allow_blank=False, id="permissions"),
            Label("Instructions for the agent (written to the gateway's INSTRUCTIONS.md)"), TextArea(id="instructions"),
            classes="panel-rest")
        rest.styles.height = "auto"
        yield Lazy(rest)

    def bulk_what(self) -> str:
        states = self.context.fleet.states
        busy = sum(1 for g in self.gateways if (s := states.get(g.name)) and s.state is not State.IDLE)
        refused = f" ({busy} of them are not idle: those will refuse)" if busy else ""
        return f"create a conversation on each of {counted(len(self.gateways), 'gateway')}{refused}"

    def progress(self) -> str:
        return "creating (2-5 s on a healthy gateway)"

    def values(self) -> dict[str, Any]:
        def typed(widget_id: str) -> str | None:
            found = self.query(f"#{widget_id}")
            if not found:
                return None  # ctrl+s before the rest of the form was mounted: what its fields start with
            widget = found.first()
            return (widget.text if isinstance(widget, TextArea) else str(cast("Input | Select[str]", widget).value)).strip() or None

        return {key: typed(widget_id) for key, widget_id in (
            ("name", "name"), ("env", "env"), ("profile_name", "profile-name"), ("description", "description"),
            ("permissions", "permissions"), ("instructions", "instructions"))}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.create(gateway, **{**values, "env": values["env"] or gateway.env})


class ProvisionPanel(CreatePanel):
    """Create conversations on N idle gateways at once: the first N of the idle ones offered."""

    TITLE = "Provision conversations"
    ALWAYS_BULK = True  # even for one: the summary, the typed word, the results and the gallery

    def __init__(self, candidates: Sequence[GatewayConfig], context: Context, count: int = 1) -> None:
        super().__init__(list(candidates)[: max(1, count)], context)
        self.candidates = list(candidates)

    def form(self) -> ComposeResult:
        yield Label(f"How many conversations (1-{len(self.candidates)}: one per idle gateway)")
        yield Input(str(len(self.gateways)), id="count", type="integer")
        yield from super().form()

    def bulk_what(self) -> str:
        return f"create {counted(len(self.gateways), 'conversation')}, one on each idle gateway"

    def count(self) -> int | None:
        try:
            count = int(self.query_one("#count", Input).value)
        except ValueError:
            return None
        return count if 1 <= count <= len(self.candidates) else None

    def form_missing(self) -> str | None:
        # the word alone does not start a run of an impossible size
        return None if self.count() is not None else f"type a number from 1 to {len(self.candidates)}"

    def ask(self) -> None:
        if self.count() is None:
            self.query_one("#count", Input).focus()
        else:
            super().ask()

    @on(Input.Changed, "#count")
    def _count_typed(self) -> None:
        count = self.count()
        if count is None:
            self.say(self.form_missing() or "", "bold yellow")
            return
        self.say("")
        self.gateways = self.candidates[:count]
        self.flow.retarget(self.gateways)  # type: ignore[union-attr]  # provisioning is always bulk: flow is a BulkRun
        self.query_one(".panel-title", Static).update(Text(f"{self.TITLE} — {counted(count, 'gateway')}", style="bold"))


class JoinPanel(ActionPanel):
    ACTION = "join"
    TITLE = "Join a conversation"
    BUTTON = "Join"

    def form(self) -> ComposeResult:
        if not self.bulk and (warning := self.state_warning()) is not None:
            yield Static(warning, id="panel-warning")
        yield Label("Invite URL or slug")
        yield Input(placeholder="https://popup.convos.org/v2?i=…", id="invite")
        yield Label("Agent's profile name (optional)")
        yield Input(id="profile-name")
        yield Label("Network")
        yield Select(ENVS, value=self.gateway.env, allow_blank=False, id="env")

    def bulk_what(self) -> str:
        return f"join {counted(len(self.gateways), 'gateway')} to the same conversation"

    def progress(self) -> str:
        return "joining: the gateway waits up to a minute for the creator to accept…"

    def values(self) -> dict[str, Any]:
        return {
            "invite": self.query_one("#invite", Input).value,
            "profile_name": self.query_one("#profile-name", Input).value.strip() or None,
            "env": str(self.query_one("#env", Select).value),
        }

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.join(gateway, values["invite"], profile_name=values["profile_name"],
                                              env=values["env"])


class SendPanel(ActionPanel):
    ACTION = "send"
    TITLE = "Send a message"
    BUTTON = "Send"

    def form(self) -> ComposeResult:
        yield Label("Message (sent whole, as written)")
        yield TextArea(id="message")

    def bulk_what(self) -> str:
        return f"send this message into {self.in_conversations()}"

    def values(self) -> dict[str, Any]:
        return {"message": self.query_one("#message", TextArea).text}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.send(gateway, values["message"])


class RenamePanel(ActionPanel):
    ACTION = "rename"
    TITLE = "Rename the agent"
    BUTTON = "Rename"

    def form(self) -> ComposeResult:
        yield Label("The agent's profile name in this conversation (the conversation's own name does not change)")
        yield Input(id="profile-name")

    def bulk_what(self) -> str:
        return f"rename the agent in {self.in_conversations()}"

    def values(self) -> dict[str, Any]:
        return {"profile_name": self.query_one("#profile-name", Input).value.strip()}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.rename(gateway, values["profile_name"])


class LockPanel(ActionPanel):
    ACTION = "lock"
    TITLE = "Lock the conversation"
    BUTTON = "Lock"
    BUTTON_VARIANT = "warning"

    def __init__(self, gateways: GatewayConfig | Sequence[GatewayConfig], context: Context, *,
                 unlock: bool = False) -> None:
        super().__init__(gateways, context)
        self.unlock = unlock
        if unlock:
            self.ACTION, self.TITLE, self.BUTTON = "unlock", "Unlock the conversation", "Unlock"  # type: ignore[misc]  # a panel's TITLE is its own heading; Textual declares the name ClassVar

    def form(self) -> ComposeResult:
        warning = (
            "Unlocking lets people join again, but only with a new invite: earlier invites stay dead."
            if self.unlock
            else "Locking stops anyone new from joining, and every earlier invite of this conversation stops working."
        )
        yield Static(Text(warning, style="bold yellow"))

    def bulk_what(self) -> str:
        return f"{self.ACTION} {self.in_conversations()}"

    def on_mount(self) -> None:
        if not self.bulk:  # no field to type in: a stray enter cancels (on many, the word's box has it)
            self.set_focus(self.query_one("#cancel", Button))

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.lock(gateway, unlock=self.unlock)


class ExplodePanel(ActionPanel):
    """Explode: says what it does (this gateway leaves the conversation, deletes its keys and is free again) and
    what it does not (other gateways in the same conversation stay in it), and wants the name typed."""

    ACTION = "explode"
    TITLE = "Explode the conversation"
    BUTTON = "Explode"
    BUTTON_VARIANT = "error"
    WHAT = "tells the conversation to expire, deletes its keys for it and is free for a new one. It cannot be undone."

    def __init__(self, gateways: GatewayConfig | Sequence[GatewayConfig], context: Context,
                 conversation_id: str | None = None) -> None:
        super().__init__(gateways, context)
        self.conversation_id = conversation_id

    def form(self) -> ComposeResult:
        if self.bulk:
            yield Static(Text(f"Each gateway: {self.WHAT}", style="bold red"))
            return
        what = self.conversation_id or "its conversation"
        text = Text(f"Explode {what} on {self.gateway.name}. The gateway {self.WHAT}\n", style="bold red")
        if others := self.others_in_it():
            text.append(f"Other gateways in it stay in it: {', '.join(others)}. Explode them too to free them.\n",
                        style="bold yellow")
        text.append(f"Type the gateway's name, {self.gateway.name}, then enter, to confirm.", style="bold")
        yield Static(text)
        yield Input(placeholder=self.gateway.name, id="confirm")

    def others_in_it(self) -> list[str]:
        """The other gateways of the fleet bound to the same conversation (a joiner of the creator's, or so)."""
        if not self.conversation_id:
            return []
        return sorted(name for name, s in self.context.fleet.states.items()
                      if s.conversation_id == self.conversation_id and name != self.gateway.name)

    def bulk_what(self) -> str:
        return f"explode {self.in_conversations()}"

    def form_missing(self) -> str | None:
        if self.bulk:
            return None
        typed = self.query_one("#confirm", Input).value.strip()
        if typed == self.gateway.name:
            return None
        if not typed:
            return f"type the gateway's name, {self.gateway.name}, to confirm"
        return f"{typed!r} is not {self.gateway.name}: type the gateway's name exactly to confirm"

    def ask(self) -> None:
        if self.bulk:
            super().ask()
        else:
            self.query_one("#confirm", Input).focus()

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.explode(gateway)
