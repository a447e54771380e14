"""What the poller's HTTP stack gives and raises: one GET's answer as it came, what it means, the session's shape.

The stack is fleet/http1_session.py's. It gives a RawAnswer or raises the GatewayError kinds made here, with
these words, and the answer is classified by the same pure functions as the httpx client's (api/interpret.py),
so a status means the same whichever path fetched it (the poller, or an action's check).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from convos_tui.api import errors, interpret
from convos_tui.api.transport import COMPRESSED, connection_reason

# A request HTTP cannot carry, in words that never quote a header's value (it may be a token).
UNSENDABLE = "the request cannot be sent: its host or a header (the token?) holds characters HTTP does not allow"
# Why an answer broke off: a body that stopped before its end (the connection closed or
# reset, a chunk broken), or a connection closed before the answer began (after one retry).
CUT_SHORT = "the answer stopped before its end (the gateway closed or reset the connection)"
CLOSED_EARLY = "the gateway closed the connection"


class RawAnswer(NamedTuple):
    status: int
    content_type: str | None
    body: bytes  # at most the limit asked for
    truncated: bool  # the answer was longer than that
    retry_after: str | None
    location: str | None


class HttpSession(Protocol):
    """A GET with the poller's limits: `limit` bytes of body at most, `timeout_s` for the whole answer."""

    def parse(self, url: str) -> object:
        """The URL in the form `get` takes fastest (parsed once, kept by the caller)."""

    async def get(
        self, url: object, headers: dict[str, str], *, verify: bool, timeout_s: float, route: str, limit: int
    ) -> RawAnswer:
        """The answer as it came, or the transport's GatewayError (Unreachable, GatewayTimeout, …)."""

    async def close(self) -> None: ...


def answer_of(
    status: int,
    content_type: str | None,
    content_encoding: str | None,
    body: bytes,
    truncated: bool,
    retry_after: str | None,
    location: str | None,
    route: str,
) -> RawAnswer:
    """The answer as the stack gives it; one compressed although asked not to be is refused."""
    if (content_encoding or "identity").lower() not in ("identity", ""):
        raise errors.UnexpectedAnswer(COMPRESSED, route=route)
    return RawAnswer(status, content_type, body, truncated, retry_after, location)


# The transport's failures, in the words the httpx client uses too.
def timed_out(route: str, timeout_s: float) -> errors.GatewayTimeout:
    return errors.GatewayTimeout(f"{route} timed out after {timeout_s:g} s", route=route)


def unreachable(exc: BaseException, route: str) -> errors.Unreachable:
    """No connection was made (refused, no route, DNS, TLS): nothing was sent."""
    return errors.Unreachable(f"unreachable: {connection_reason(exc)}", detail=str(exc), route=route)


def broken(reason: str, route: str, detail: str = "") -> errors.Unreachable:
    """The connection broke after the request went out."""
    return errors.Unreachable(f"connection broken mid-answer: {reason}", detail=detail, route=route)


def bad_url(text: str, route: str) -> errors.Unreachable:
    return errors.Unreachable(f"bad URL: {interpret.one_line(text, 120)}", route=route)


def decode(answer: RawAnswer, route: str) -> object:
    """The JSON value of a 200 answer, or the GatewayError it means (api/interpret.py's rules)."""
    return interpret.decode_answer(
        route,
        answer.status,
        answer.content_type,
        answer.body,
        truncated=answer.truncated,
        retry_after=answer.retry_after,
        location=answer.location,
    )
