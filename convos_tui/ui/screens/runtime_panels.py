"""Panels of the managed runtime's newer routes: notify, update metadata, re-attest and reset, on one gateway or on
the marked ones (the frame, the flow and the typed word are action_panel.py's; the work is the action service's).

What the operator types is checked as it is typed (a JSON object of strings, an attestation per gateway) and the
action's button waits until it is right, saying what is wrong. Reset wants the gateway's name typed, like explode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Static, TextArea

from convos_tui.api.newer_bodies import check_attestation, parse_metadata_json
from convos_tui.fleet.actions import ActionResult
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.newer_actions import parse_attestations
from convos_tui.ui.screens.action_panel import ActionPanel
from convos_tui.ui.screens.actions import ExplodePanel
from convos_tui.ui.widgets.fields import FieldInput, FieldTextArea

if TYPE_CHECKING:
    from convos_tui.ui.context import Context

EXAMPLE_TIME = "2026-04-11T18:27:14.000Z"
NOT_EVERY_RUNTIME = "Managed runtime only (its OpenClaw fork, Hermes): other gateways say unsupported."


def newer_panel(
    action: str, gateways: Sequence[GatewayConfig], context: Context, conversation_id: str | None
) -> ActionPanel | None:
    """The panel of a newer route's action, or None for another action."""
    if action == "reset":
        return ResetPanel(gateways, context, conversation_id)
    panel = {"notify": NotifyPanel, "update-metadata": MetadataPanel, "re-attest": ReattestPanel}.get(action)
    return panel(gateways, context) if panel is not None else None


def runtime_warning(panel: ActionPanel, *, needs_conversation: bool = True) -> Text | None:
    """Said before sending, from the last poll: a classic plugin has none of these routes (reset is not even sent
    to it), and an instance without a conversation refuses notify, metadata and re-attest."""
    state = panel.context.fleet.states.get(panel.gateway.name)
    if state is None or state.status is None:
        return None
    name = panel.gateway.name
    if state.status.shape == "classic":
        text = f"{name} answers the classic status shape (xmtplabs/openclaw): it has no such route, so this will say "
        text += "unsupported and change nothing." if panel.ACTION != "reset" else "unsupported, and nothing is sent."
    elif needs_conversation and state.conversation_id is None:
        text = f"{name} holds no conversation: its runtime will refuse this (no active conversation)."
    else:
        return None
    return Text(text, style="bold yellow")


class _Checked(ActionPanel):
    """A panel whose text area holds what must parse before the action may go; on one gateway, what the last poll
    says of it first."""

    def compose_warning(self) -> ComposeResult:
        if not self.bulk and (warning := runtime_warning(self)) is not None:
            yield Static(warning, id="panel-warning")

    @on(TextArea.Changed)
    def _typed(self) -> None:
        self.update_go()


class NotifyPanel(_Checked):
    ACTION = "notify"
    TITLE = "Notify the agent"
    BUTTON = "Notify"

    def form(self) -> ComposeResult:
        yield from self.compose_warning()
        yield Static(
            Text(
                "A system message the agent answers in its conversation; members never see it (the pool forwards "
                "emails and SMS this way).\n" + NOT_EVERY_RUNTIME,
                style="dim",
            )
        )
        yield Label("Notification (sent whole, as written)")
        yield FieldTextArea(id="text")

    def bulk_what(self) -> str:
        return f"notify the agents of {self.in_conversations()}"

    def form_missing(self) -> str | None:
        return None if self.query_one("#text", TextArea).text.strip() else "write the notification first"

    def values(self) -> dict[str, Any]:
        return {"text": self.query_one("#text", TextArea).text}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.notify(gateway, values["text"])


class MetadataPanel(_Checked):
    ACTION = "update-metadata"
    TITLE = "Update the agent's profile metadata"
    BUTTON = "Update"

    def form(self) -> ComposeResult:
        yield from self.compose_warning()
        yield Static(Text("Set on the agent's profile in its conversation. " + NOT_EVERY_RUNTIME, style="dim"))
        yield Label('Metadata: a JSON object of strings, e.g. {"team": "ops", "email": "agent@example.com"}')
        yield FieldTextArea(id="metadata", language=None)

    def bulk_what(self) -> str:
        return f"set this metadata on the agents of {self.in_conversations()}"

    def _metadata(self) -> dict[str, str]:
        return parse_metadata_json(self.query_one("#metadata", TextArea).text, "the metadata")

    def form_missing(self) -> str | None:
        if not self.query_one("#metadata", TextArea).text.strip():
            return "write the metadata as a JSON object first"
        try:
            self._metadata()
        except ValueError as exc:
            return str(exc)
        return None

    def values(self) -> dict[str, Any]:
        return {"metadata": self._metadata()}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.update_metadata(gateway, values["metadata"])


class ReattestPanel(_Checked):
    """One gateway: the three values. Several: one attestation each, pasted as JSON (the pool signs each agent's
    inbox id, so one signature cannot serve two gateways)."""

    ACTION = "re-attest"
    TITLE = "Re-attest the agent"
    BUTTON = "Re-attest"
    BUTTON_VARIANT = "warning"

    def form(self) -> ComposeResult:
        yield from self.compose_warning()
        yield Static(
            Text(
                "Replaces the attestation the agent's profile shows: a wrong one shows it unverified.\n"
                + NOT_EVERY_RUNTIME,
                style="bold yellow",
            )
        )
        if self.bulk:
            yield Label('One per gateway, as JSON: {"gateway": {"attestation", "attestation_ts", "attestation_kid"}}')
            yield FieldTextArea(id="attestations", language=None)
            return
        yield Label("Attestation (the pool's base64url signature)")
        yield FieldInput(id="attestation")
        # The time and the key id side by side: the whole form, warning included, fits 80×24 unscrolled.
        when = Vertical(Label("Signed at (ISO 8601 UTC)"), FieldInput(placeholder=EXAMPLE_TIME, id="attestation-ts"))
        kid = Vertical(Label("Signing key id"), FieldInput(id="attestation-kid"))
        row = Horizontal(when, kid)
        for box in (row, when, kid):
            box.styles.height = "auto"
        yield row

    def _attestations(self) -> dict[str, tuple[str, str, str]]:
        if self.bulk:
            return parse_attestations(self.query_one("#attestations", TextArea).text, "the attestations")
        typed = [
            self.query_one(f"#{i}", Input).value.strip() for i in ("attestation", "attestation-ts", "attestation-kid")
        ]
        return {self.gateway.name: check_attestation(*typed)}

    def form_missing(self) -> str | None:
        try:
            found = self._attestations()
        except ValueError as exc:
            return str(exc)
        if missing := [g.name for g in self.gateways if g.name not in found]:
            return f"no attestation for {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}: give one each"
        return None

    def bulk_what(self) -> str:
        return f"replace the attestations of the agents of {self.in_conversations()}"

    def values(self) -> dict[str, Any]:
        return {"attestations": self._attestations()}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.reattest(gateway, values["attestations"].get(gateway.name))


class ResetPanel(ExplodePanel):
    """Factory reset: says what is deleted and what is not told (the conversation's members), and wants the
    gateway's name typed on one gateway (the word RESET on several)."""

    ACTION = "reset"
    TITLE = "Factory-reset the instance"
    BUTTON = "Reset"
    WHAT = (
        "leaves its conversation without a word, deletes its identity, credentials, instructions and history, and "
        "is clean for a new one. It cannot be undone. A gateway with the classic OpenClaw plugin is not sent it."
    )

    def form(self) -> ComposeResult:
        if self.bulk:
            yield Static(Text(f"Each instance {self.WHAT}", style="bold red"))
        else:
            if (warning := runtime_warning(self, needs_conversation=False)) is not None:
                yield Static(warning, id="panel-warning")
            held = f" (it holds conversation {self.conversation_id})" if self.conversation_id else ""
            text = Text(f"Reset {self.gateway.name}{held}. The instance {self.WHAT}\n", style="bold red")
            if others := self.others_in_it():
                text.append(f"The other gateways in it stay in it: {', '.join(others)}.\n", style="bold yellow")
            text.append(f"Type the gateway's name, {self.gateway.name}, then enter, to confirm.", style="bold")
            yield Static(text)
            yield FieldInput(placeholder=self.gateway.name, id="confirm")
        yield Checkbox("Skip the agent's greeting in its next conversation", id="skip-greeting")

    def bulk_what(self) -> str:
        return f"reset {self.in_conversations()}"

    def values(self) -> dict[str, Any]:
        return {"skip_greeting": self.query_one("#skip-greeting", Checkbox).value}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.context.actions.reset(gateway, skip_greeting=values["skip_greeting"])
