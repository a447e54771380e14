"""Action panels: modal forms for create, join, send, rename, lock/unlock and explode, on one gateway or
on the marked ones.

Every panel only gathers what to do and shows what happened: the work is the action service's (read-only,
audit, stored invites, re-poll, bounded concurrency). Errors are shown in the panel, in words, with the
full text one key away. On one gateway the panel's flow is a `ResultLine`; on several it is a `BulkRun`
(widgets/bulk_run.py): the panel follows either the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.lazy import Lazy
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from convos_tui.fleet.actions import ActionResult
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import State
from convos_tui.ui.results import counted
from convos_tui.ui.screens.action_panel import ActionPanel
from convos_tui.ui.widgets.fields import FieldInput, FieldTextArea

if TYPE_CHECKING:
    from convos_tui.ui.context import Context
    from convos_tui.ui.screens.main import MainScreen

ENVS = [("dev", "dev"), ("production", "production")]
PERMISSIONS = [("default (all members)", ""), ("all members may add", "all-members"), ("admins only", "admin-only")]


def panel_for(
    action: str, gateways: Sequence[GatewayConfig], context: Context, conversation_id: str | None = None
) -> ActionPanel:
    """The panel of an action, by the name the keys and the palette use."""
    from convos_tui.ui.screens.runtime_panels import newer_panel  # its panels build on ExplodePanel, below

    if (newer := newer_panel(action, gateways, context, conversation_id)) is not None:
        return newer
    if action == "unlock":
        return LockPanel(gateways, context, unlock=True)
    if action == "explode":
        return ExplodePanel(gateways, context, conversation_id)
    panel: type[ActionPanel] = {
        "create": CreatePanel,
        "join": JoinPanel,
        "send": SendPanel,
        "rename": RenamePanel,
        "lock": LockPanel,
    }[action]
    return panel(gateways, context)


class CreatePanel(ActionPanel):
    ACTION = "create"
    TITLE = "Create a conversation"
    BUTTON = "Create"

    def form(self) -> ComposeResult:
        if not self.bulk and (warning := self.state_warning()) is not None:
            yield Static(warning, id="panel-warning")
        yield Label("Conversation name")
        yield FieldInput(placeholder="Convos Agent", id="name")
        # The rest of the form is mounted right after the panel is first drawn: its selects and text area
        # are most of the panel's cost, and the name field (focused) is what is typed first.
        if self.bulk:  # each gateway keeps its own network unless one is chosen for all
            env = Select([("each gateway's own", ""), *ENVS], value="", allow_blank=False, id="env")
        else:
            env = Select(ENVS, value=self.gateway.env, allow_blank=False, id="env")
        rest = Vertical(
            Label("Network"),
            env,
            Label("Agent's profile name (default: the conversation name)"),
            FieldInput(id="profile-name"),
            Label("Description (optional)"),
            FieldInput(id="description"),
            Label("Who may add members"),
            Select(PERMISSIONS, value="", allow_blank=False, id="permissions"),
            Label("Instructions for the agent (written to the gateway's INSTRUCTIONS.md)"),
            FieldTextArea(id="instructions"),
            classes="panel-rest",
        )
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
            return (
                widget.text if isinstance(widget, TextArea) else str(cast("Input | Select[str]", widget).value)
            ).strip() or None

        return {
            key: typed(widget_id)
            for key, widget_id in (
                ("name", "name"),
                ("env", "env"),
                ("profile_name", "profile-name"),
                ("description", "description"),
                ("permissions", "permissions"),
                ("instructions", "instructions"),
            )
        }

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
        yield FieldInput(str(len(self.gateways)), id="count", type="integer")
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
        yield FieldInput(placeholder="https://popup.convos.org/v2?i=…", id="invite")
        yield Label("Agent's profile name (optional)")
        yield FieldInput(id="profile-name")
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
        return await self.context.actions.join(
            gateway, values["invite"], profile_name=values["profile_name"], env=values["env"]
        )


class SendPanel(ActionPanel):
    ACTION = "send"
    TITLE = "Send a message"
    BUTTON = "Send"

    def form(self) -> ComposeResult:
        yield Label("Message (sent whole, as written)")
        yield FieldTextArea(id="message")

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
        yield FieldInput(id="profile-name")

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

    def __init__(
        self, gateways: GatewayConfig | Sequence[GatewayConfig], context: Context, *, unlock: bool = False
    ) -> None:
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

    def __init__(
        self, gateways: GatewayConfig | Sequence[GatewayConfig], context: Context, conversation_id: str | None = None
    ) -> None:
        super().__init__(gateways, context)
        self.conversation_id = conversation_id

    def form(self) -> ComposeResult:
        if self.bulk:
            yield Static(Text(f"Each gateway: {self.WHAT}", style="bold red"))
            return
        what = self.conversation_id or "its conversation"
        text = Text(f"Explode {what} on {self.gateway.name}. The gateway {self.WHAT}\n", style="bold red")
        if others := self.others_in_it():
            text.append(
                f"Other gateways in it stay in it: {', '.join(others)}. Explode them too to free them.\n",
                style="bold yellow",
            )
        text.append(f"Type the gateway's name, {self.gateway.name}, then enter, to confirm.", style="bold")
        yield Static(text)
        yield FieldInput(placeholder=self.gateway.name, id="confirm")

    def others_in_it(self) -> list[str]:
        """The other gateways of the fleet bound to the same conversation (a joiner of the creator's, or so)."""
        if not self.conversation_id:
            return []
        return sorted(
            name
            for name, s in self.context.fleet.states.items()
            if s.conversation_id == self.conversation_id and name != self.gateway.name
        )

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


async def provision_key(main: MainScreen) -> None:
    """`N`: create conversations on idle gateways: the marked idle ones, or the first idle ones shown."""
    fleet = main.context.fleet
    names = [n for n in main.table.names_in_order() if not main.marked or n in main.marked]
    idle = [config for n in names if fleet.states[n].state is State.IDLE and (config := fleet.config(n)) is not None]
    if not idle:
        if main.marked:  # the marks choose; without them N takes the idle ones shown
            main.say(
                "no idle gateway marked: N needs gateways without a conversation; U clears the marks", "bold yellow"
            )
        else:
            main.say("no idle gateway shown: N needs gateways without a conversation", "bold yellow")
        return
    await main._open(ProvisionPanel(idle, main.context, len(idle) if main.marked else 1))
