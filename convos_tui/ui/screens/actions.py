"""Action panels: modal forms for create, join, send, rename, lock/unlock and explode on one gateway.

Every panel only gathers what to do and shows what happened: the work is the action service's (read-only,
audit, stored invites, re-poll). Errors are shown in the panel, in words, with the full text one key away.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from convos_tui.fleet.actions import OK, REFUSED, UNKNOWN, ActionResult
from convos_tui.fleet.inventory import GatewayConfig

if TYPE_CHECKING:
    from convos_tui.ui.app import ConvosApp

ENVS = [("dev", "dev"), ("production", "production")]
PERMISSIONS = [("default (all members)", ""), ("all members may add", "all-members"), ("admins only", "admin-only")]


class ActionPanel(ModalScreen[ActionResult | None]):
    """The frame every panel shares: a title, the form, a result line, Cancel and the action's button."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="panel-cancel"),
        Binding("d", "show_detail", "Full error", id="panel-detail", show=False),
        Binding("ctrl+s", "submit", "Go", id="panel-submit"),
    ]
    TITLE = ""
    BUTTON = "Go"
    BUTTON_VARIANT = "primary"

    def __init__(self, gateway: GatewayConfig) -> None:
        super().__init__(classes="action-panel")
        self.gateway = gateway
        self.result: ActionResult | None = None
        self.busy = False

    @property
    def convos(self) -> ConvosApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(classes="panel-box"):
            yield Static(Text(f"{self.TITLE} — {self.gateway.name}", style="bold"), classes="panel-title")
            # The form scrolls inside a height that fits the terminal, so the buttons are always on screen.
            with VerticalScroll(classes="panel-form"):
                yield from self.form()
                yield Static(id="panel-result")
            with Horizontal(classes="panel-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.BUTTON, id="go", variant=self.BUTTON_VARIANT)  # type: ignore[arg-type]

    def form(self) -> ComposeResult:
        return iter(())

    def say(self, text: str | Text, style: str = "") -> None:
        self.query_one("#panel-result", Static).update(text if isinstance(text, Text) else Text(text, style=style))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(self.result)

    def action_submit(self) -> None:
        button = self.query_one("#go", Button)
        if not button.disabled:
            self._go()

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        if self.result is not None and self.result.ok:
            self.dismiss(self.result)  # the button reads "Close" once done
            return
        if not self.busy:
            self.run_action()

    @work(exclusive=True)
    async def run_action(self) -> None:
        self.busy = True
        self.query_one("#go", Button).disabled = True
        started = time.monotonic()
        timer = self.set_interval(1.0, lambda: self.say(f"{self.progress()} {time.monotonic() - started:.0f} s", "dim"))
        self.say(f"{self.progress()}…", "dim")
        try:
            result = await self.perform()
        finally:
            timer.stop()
            self.busy = False
            self.query_one("#go", Button).disabled = False
        self.result = result
        self.show_result(result)

    def progress(self) -> str:
        return "working"

    async def perform(self) -> ActionResult:
        raise NotImplementedError

    def show_result(self, result: ActionResult) -> None:
        text = Text()
        if result.outcome == OK:
            text.append("✔ ", style="bold green")
            text.append(result.summary)
            if result.data.get("invite_url"):
                text.append("\ninvite: ", style="bold")
                text.append(result.data["invite_url"])
            self.query_one("#go", Button).label = "Close"
        else:
            style = "bold yellow" if result.outcome in (REFUSED, UNKNOWN) else "bold red"
            text.append(f"{result.outcome}: ", style=style)
            text.append(result.summary)
            if result.hint:
                text.append(f"\n{result.hint}", style="dim")
            if result.detail and result.detail != result.summary:
                text.append("\nd shows the gateway's full answer", style="dim")
        self.say(text)

    def action_show_detail(self) -> None:
        if self.result is not None and self.result.detail:
            self.say(Text(self.result.detail[:6000]))


class CreatePanel(ActionPanel):
    TITLE = "Create a conversation"
    BUTTON = "Create"

    def form(self) -> ComposeResult:
        yield Label("Conversation name")
        yield Input(placeholder="Convos Agent", id="name")
        yield Label("Network")
        yield Select(ENVS, value=self.gateway.env, allow_blank=False, id="env")
        yield Label("Agent's profile name (default: the conversation name)")
        yield Input(id="profile-name")
        yield Label("Description (optional)")
        yield Input(id="description")
        yield Label("Who may add members")
        yield Select(PERMISSIONS, value="", allow_blank=False, id="permissions")
        yield Label("Instructions for the agent (written to the gateway's INSTRUCTIONS.md)")
        yield TextArea(id="instructions")

    def progress(self) -> str:
        return "creating (2-5 s on a healthy gateway)"

    async def perform(self) -> ActionResult:
        value = lambda widget_id: self.query_one(f"#{widget_id}", Input).value.strip() or None  # noqa: E731
        instructions = self.query_one("#instructions", TextArea).text.strip() or None
        return await self.convos.actions.create(
            self.gateway,
            name=value("name"),
            env=str(self.query_one("#env", Select).value),
            profile_name=value("profile-name"),
            description=value("description"),
            permissions=str(self.query_one("#permissions", Select).value) or None,
            instructions=instructions,
        )


class JoinPanel(ActionPanel):
    TITLE = "Join a conversation"
    BUTTON = "Join"

    def form(self) -> ComposeResult:
        yield Label("Invite URL or slug")
        yield Input(placeholder="https://popup.convos.org/v2?i=…", id="invite")
        yield Label("Agent's profile name (optional)")
        yield Input(id="profile-name")
        yield Label("Network")
        yield Select(ENVS, value=self.gateway.env, allow_blank=False, id="env")

    def progress(self) -> str:
        return "joining: the gateway waits up to a minute for the creator to accept…"

    async def perform(self) -> ActionResult:
        return await self.convos.actions.join(
            self.gateway,
            self.query_one("#invite", Input).value,
            profile_name=self.query_one("#profile-name", Input).value.strip() or None,
            env=str(self.query_one("#env", Select).value),
        )


class SendPanel(ActionPanel):
    TITLE = "Send a message"
    BUTTON = "Send"

    def form(self) -> ComposeResult:
        yield Label("Message (sent whole, as written)")
        yield TextArea(id="message")

    async def perform(self) -> ActionResult:
        return await self.convos.actions.send(self.gateway, self.query_one("#message", TextArea).text)


class RenamePanel(ActionPanel):
    TITLE = "Rename the agent"
    BUTTON = "Rename"

    def form(self) -> ComposeResult:
        yield Label("The agent's profile name in this conversation (the conversation's own name does not change)")
        yield Input(id="profile-name")

    async def perform(self) -> ActionResult:
        return await self.convos.actions.rename(self.gateway, self.query_one("#profile-name", Input).value.strip())


class LockPanel(ActionPanel):
    TITLE = "Lock the conversation"
    BUTTON = "Lock"
    BUTTON_VARIANT = "warning"

    def __init__(self, gateway: GatewayConfig, *, unlock: bool = False) -> None:
        super().__init__(gateway)
        self.unlock = unlock
        if unlock:
            self.TITLE, self.BUTTON = "Unlock the conversation", "Unlock"

    def form(self) -> ComposeResult:
        warning = (
            "Unlocking lets people join again, but only with a new invite: earlier invites stay dead."
            if self.unlock
            else "Locking stops anyone new from joining, and every earlier invite of this conversation stops working."
        )
        yield Static(Text(warning, style="bold yellow"))

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    async def perform(self) -> ActionResult:
        return await self.convos.actions.lock(self.gateway, unlock=self.unlock)


class ExplodePanel(ActionPanel):
    TITLE = "Explode the conversation"
    BUTTON = "Explode"
    BUTTON_VARIANT = "error"

    def __init__(self, gateway: GatewayConfig, conversation_id: str | None) -> None:
        super().__init__(gateway)
        self.conversation_id = conversation_id

    def form(self) -> ComposeResult:
        what = self.conversation_id or "its conversation"
        yield Static(
            Text(
                f"This destroys {what} on {self.gateway.name} for everyone in it, and cannot be undone.\n"
                f"Type the gateway's name, {self.gateway.name}, to confirm.",
                style="bold red",
            )
        )
        yield Input(placeholder=self.gateway.name, id="confirm")

    def on_mount(self) -> None:
        self.query_one("#go", Button).disabled = True
        self.query_one("#cancel", Button).focus()  # a stray enter cancels

    @on(Input.Changed, "#confirm")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#go", Button).disabled = event.value != self.gateway.name

    async def perform(self) -> ActionResult:
        return await self.convos.actions.explode(self.gateway)
