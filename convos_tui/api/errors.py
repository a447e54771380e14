"""The error taxonomy of the gateway API: one class per thing a person can act on.

Every error carries a one-line `summary` for a table cell or a status bar, a `hint` saying what to do,
and the raw `detail` (the gateway's full text) for the screen one key away. No error ever holds a token.
"""

from __future__ import annotations

import enum
from typing import TypedDict, Unpack


class ErrorKind(enum.StrEnum):
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    UNAUTHORIZED = "unauthorized"
    STARTING = "starting"
    PLUGIN_MISSING = "plugin-missing"
    ALREADY_BOUND = "already-bound"
    NO_CONVERSATION = "no-conversation"
    INVALID_REQUEST = "invalid-request"
    GATEWAY_FAILURE = "gateway-failure"
    UNEXPECTED = "unexpected-answer"


class _Details(TypedDict, total=False):
    """GatewayError's keyword arguments, for the subclasses that add their own and pass these on."""

    detail: str
    status: int | None
    route: str
    outcome_unknown: bool


class GatewayError(Exception):
    """A call to a gateway did not give the answer asked for."""

    kind: ErrorKind = ErrorKind.UNEXPECTED
    hint: str = ""

    def __init__(
        self,
        summary: str,
        *,
        detail: str = "",
        status: int | None = None,
        route: str = "",
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail or summary
        self.status = status
        self.route = route
        # True when a mutating call may or may not have taken effect (timed out, or the connection
        # broke after the request was sent): the caller must re-poll instead of retrying.
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        return self.summary

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form for the headless commands and the audit."""
        return {
            "kind": str(self.kind),
            "summary": self.summary,
            "hint": self.hint,
            "status": self.status,
            "route": self.route,
            "outcome_unknown": self.outcome_unknown,
            "detail": self.detail,
        }


class Unreachable(GatewayError):
    kind = ErrorKind.UNREACHABLE
    hint = "Check that the gateway runs and that its URL and port are right."


class GatewayTimeout(GatewayError):
    kind = ErrorKind.TIMEOUT
    hint = "The gateway is slow or hung; a timed-out action may still have happened: re-poll before acting again."


class Unauthorized(GatewayError):
    kind = ErrorKind.UNAUTHORIZED
    hint = "Check the gateway's pool key (token_env in the config): it must equal channels.convos.poolApiKey."


class Starting(GatewayError):
    kind = ErrorKind.STARTING
    hint = "The gateway is starting; it will answer in a moment."

    def __init__(self, summary: str, *, retry_after: float | None = None, **kwargs: Unpack[_Details]) -> None:
        super().__init__(summary, **kwargs)
        self.retry_after = retry_after


class PluginMissing(GatewayError):
    kind = ErrorKind.PLUGIN_MISSING
    hint = "The gateway answers, but not with the Convos plugin: check that the plugin is installed and loaded."


class AlreadyBound(GatewayError):
    kind = ErrorKind.ALREADY_BOUND
    hint = "This gateway already holds a conversation: provision a fresh instance."


class NoActiveConversation(GatewayError):
    kind = ErrorKind.NO_CONVERSATION
    hint = "This gateway holds no conversation: create or join one first."


class InvalidRequest(GatewayError):
    kind = ErrorKind.INVALID_REQUEST
    hint = "The gateway refused the request's fields."


class GatewayFailure(GatewayError):
    kind = ErrorKind.GATEWAY_FAILURE
    hint = "The gateway tried and failed, and nothing was retried: its full answer (the plugin's own error) says why."


class UnexpectedAnswer(GatewayError):
    kind = ErrorKind.UNEXPECTED
    hint = "The gateway answered something the Convos plugin never sends."
