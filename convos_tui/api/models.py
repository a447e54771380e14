"""Typed answers of the gateway API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StatusShape = Literal["classic", "newer", "railway"]
JoinOutcome = Literal["joined", "pending"]


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    """`GET /convos/status`, normalised from both shapes met in the field.

    classic: `{ready, conversation: {id} | null, streaming}` (xmtplabs/openclaw)
    newer:   `{conversationId, inboxId, pending, clean}` (the managed-runtime fork, and Hermes)
    railway: `GET /pool/status` `{ready, provisioned, conversationId, inviteUrl}` (the Railway template)
    Fields a shape does not carry are None; keys the shape should have but lacked are in `missing`.
    """

    shape: StatusShape
    ready: bool
    conversation_id: str | None
    streaming: bool | None
    pending: bool = False
    inbox_id: str | None = None
    clean: bool | None = None
    missing: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def bound(self) -> bool:
        return self.conversation_id is not None


@dataclass(frozen=True, slots=True)
class CreatedConversation:
    """`POST /convos/conversation`: the only time the gateway tells the invite."""

    conversation_id: str
    invite_url: str
    invite_slug: str
    elapsed_s: float  # the gateway's provisioning time, as seen by the client


@dataclass(frozen=True, slots=True)
class JoinResult:
    """`POST /convos/join`: joined and bound, or waiting for the creator to accept (nothing bound)."""

    outcome: JoinOutcome
    conversation_id: str | None
    raw_status: str  # joined | waiting_for_acceptance | pending_acceptance
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class SendResult:
    """`POST /convos/conversation/send`: the CLI's output, passed through by the plugin."""

    message_id: str | None
    conversation_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class LockResult:
    locked: bool


@dataclass(frozen=True, slots=True)
class SetupStatus:
    """`GET /convos/setup/status`: the Control UI onboarding, read only."""

    active: bool
    joined: bool
    joiner_inbox_id: str | None
