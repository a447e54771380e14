"""Gateway states: what one poll (and the ones before it) says about a gateway.

The rules are DESIGN.md's "Gateway states". The subtle one is the stream: the real plugin restarts
its stream process up to three times over ~23 s, so `streaming: false` is not an outage until it has
lasted longer than the grace window (flapping before, stalled after).
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections import deque
from dataclasses import dataclass, field
from types import EllipsisType
from typing import TYPE_CHECKING, Any, NamedTuple

from convos_tui.api import errors
from convos_tui.api.models import GatewayStatus
from convos_tui.api.runtimes import UNKNOWN, Runtime

if TYPE_CHECKING:
    from convos_tui.fleet.health_poll import Health


class State(enum.StrEnum):
    LIVE = "live"
    IDLE = "idle"
    PENDING = "pending"
    FLAPPING = "flapping"
    STALLED = "stalled"
    STARTING = "starting"
    UNAUTHORIZED = "unauthorized"
    NO_PLUGIN = "no-plugin"
    UNREACHABLE = "unreachable"
    ERROR = "error"
    UNKNOWN = "unknown"  # not polled yet

    @property
    def is_fault(self) -> bool:
        return self in FAULTS


FAULTS = frozenset(
    {State.FLAPPING, State.STALLED, State.STARTING, State.UNAUTHORIZED, State.NO_PLUGIN, State.UNREACHABLE, State.ERROR}
)
# The order states are listed in (header counts, sorting by state): the healthy ones first.
ORDER = (
    State.LIVE,
    State.IDLE,
    State.PENDING,
    State.FLAPPING,
    State.STALLED,
    State.STARTING,
    State.UNAUTHORIZED,
    State.NO_PLUGIN,
    State.UNREACHABLE,
    State.ERROR,
    State.UNKNOWN,
)

DEFAULT_GRACE_S = 30.0
DEFAULT_START_GRACE_S = 20.0
LATENCY_HISTORY = 60


@dataclass(frozen=True, slots=True)
class Transition:
    gateway: str
    old: State
    new: State
    reason: str
    at: float  # wall-clock seconds


def iso_time(epoch: float | None) -> str | None:
    """UTC ISO-8601 with a Z, to the millisecond: what the JSON outputs carry."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def short_id(conversation_id: str | None) -> str:
    """A conversation id shortened for a table column."""
    if not conversation_id:
        return "-"
    return conversation_id if len(conversation_id) <= 13 else conversation_id[:12] + "…"


def describe_duration(seconds: float) -> str:
    """Short enough for a table column: 45 s, 3m07s, 42 min, 5h03m, 3d04h."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86_400}d{seconds % 86_400 // 3600:02d}h"


class Observation(NamedTuple):
    """A GatewayState as a poll left it, sent from the polling process to the console's (GatewayState.apply).

    `status`, `error` and `health` are ... when they equal the ones sent last for this gateway, and `latency_ms` is
    None when the poll measured none: most polls change neither, and these are the costly fields to send."""

    name: str
    state: State
    reason: str
    since: float
    failures: int
    last_success: float | None
    last_poll: float | None
    stream_down_since: float | None
    pending_join: bool
    status: GatewayStatus | None | EllipsisType
    error: errors.GatewayError | None | EllipsisType
    latency_ms: float | None
    health: Health | None | EllipsisType = ...

    def __reduce__(self) -> tuple[Any, ...]:
        # As the tuple it is, with its class: 20 % cheaper to pickle and to load than a NamedTuple's own
        # way, which calls its __new__ with each field (measured).
        return (tuple.__new__, (Observation, tuple(self)))


@dataclass
class GatewayState:
    """Everything the console knows about one gateway, updated by each poll."""

    name: str
    added_at: float
    state: State = State.UNKNOWN
    reason: str = "not polled yet"
    since: float = 0.0
    status: GatewayStatus | None = None
    error: errors.GatewayError | None = None
    latency_ms: float | None = None
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_HISTORY))
    failures: int = 0
    last_success: float | None = None
    last_poll: float | None = None
    stream_down_since: float | None = None
    # Set when a join answered "waiting for acceptance": the classic status shape cannot say so itself.
    pending_join: bool = False
    # The runtime and what each of its routes said at the last probe (fleet/health_poll.py); None until then.
    health: Health | None = None
    _health_sent: Health | None = field(default=None, repr=False, compare=False)

    @property
    def runtime(self) -> Runtime:
        return self.health.runtime if self.health is not None else UNKNOWN

    def __post_init__(self) -> None:
        if not self.since:
            self.since = self.added_at

    @property
    def conversation_id(self) -> str | None:
        """The conversation the gateway said it holds at its last answer, if any."""
        return self.status.conversation_id if self.status is not None else None

    # -- observations --------------------------------------------------------------------------
    def observe_status(
        self, status: GatewayStatus, latency_s: float, now: float, *, grace_s: float = DEFAULT_GRACE_S
    ) -> Transition | None:
        self.status, self.error = status, None
        self.failures = 0
        self.last_success = self.last_poll = now
        self._record_latency(latency_s)
        if status.conversation_id is not None:
            self.pending_join = False
        state, reason = self._from_status(status, now, grace_s)
        return self._become(state, reason, now)

    def observe_error(
        self,
        error: errors.GatewayError,
        latency_s: float | None,
        now: float,
        *,
        start_grace_s: float = DEFAULT_START_GRACE_S,
    ) -> Transition | None:
        self.error = error
        self.failures += 1
        self.last_poll = now
        if latency_s is not None and not isinstance(error, (errors.Unreachable, errors.GatewayTimeout)):
            self._record_latency(latency_s)
        state, reason = self._from_error(error, now, start_grace_s)
        return self._become(state, reason, now)

    def mark_pending(self, now: float) -> Transition | None:
        """A join answered "waiting for acceptance": nothing is bound until the creator accepts."""
        self.pending_join = True
        if self.status is not None and self.status.conversation_id is None and self.error is None:
            return self._become(State.PENDING, "join waiting for the creator to accept", now)
        return None

    # -- rules ---------------------------------------------------------------------------------
    def _from_status(self, status: GatewayStatus, now: float, grace_s: float) -> tuple[State, str]:
        if status.pending or (self.pending_join and status.conversation_id is None):
            self.stream_down_since = None
            return State.PENDING, "join waiting for the creator to accept"
        if status.conversation_id is None:
            self.stream_down_since = None
            if not status.ready and status.shape == "railway":
                return State.STARTING, "the Railway template is still preparing its identity (/pool/status)"
            if not status.ready:
                return State.ERROR, "the plugin says it is not ready"
            return State.IDLE, "no conversation: ready to create or join"
        if status.streaming is not False:
            self.stream_down_since = None
            if status.streaming is None:
                return State.LIVE, "conversation bound (this gateway does not report streaming)"
            return State.LIVE, "conversation bound, streaming"
        if self.stream_down_since is None:
            self.stream_down_since = now
        down_for = now - self.stream_down_since
        if down_for < grace_s:
            return State.FLAPPING, f"stream down for {describe_duration(down_for)}: the plugin may be restarting it"
        return State.STALLED, f"stream down for {describe_duration(down_for)}: the plugin has given up on it"

    def _from_error(self, error: errors.GatewayError, now: float, start_grace_s: float) -> tuple[State, str]:
        if isinstance(error, errors.Starting):
            after = f" (retry after {error.retry_after:g} s)" if error.retry_after is not None else ""
            return State.STARTING, error.summary + after
        if isinstance(error, errors.Unauthorized):
            return State.UNAUTHORIZED, error.summary
        if isinstance(error, errors.PluginMissing):
            return State.NO_PLUGIN, error.summary
        if isinstance(error, (errors.Unreachable, errors.GatewayTimeout)):
            if self.last_success is None and now - self.added_at < start_grace_s:
                return State.STARTING, f"not answering yet ({error.summary})"
            return State.UNREACHABLE, error.summary
        return State.ERROR, error.summary

    def _become(self, state: State, reason: str, now: float) -> Transition | None:
        old = self.state
        self.reason = reason
        if state == old:
            return None
        self.state = state
        self.since = now
        return Transition(self.name, old, state, reason, now)

    def _record_latency(self, latency_s: float) -> None:
        self.latency_ms = latency_s * 1000
        self.latencies.append(self.latency_ms)

    # -- across processes ----------------------------------------------------------------------
    def observation(
        self,
        status: GatewayStatus | None | EllipsisType,
        error: errors.GatewayError | None | EllipsisType,
        latency_ms: float | None,
    ) -> Observation:
        """What the last poll left in this state, for a copy of it in another process (see Observation)."""
        # The health object stays the same one while nothing changes: sent by identity, once per change.
        health: Health | None | EllipsisType = ... if self.health is self._health_sent else self.health
        self._health_sent = self.health
        return Observation(
            self.name, self.state, self.reason, self.since, self.failures, self.last_success, self.last_poll,
            self.stream_down_since, self.pending_join, status, error, latency_ms, health,
        )  # fmt: skip

    def apply(self, seen: Observation) -> None:
        """Take what a poll in another process observed (this state is that one's copy)."""
        # Unpacked in Observation's order, just above: 5 times faster than reading its fields by name,
        # which at 5,000 records a batch cost 4 ms of the console's thread (measured).
        (_, self.state, self.reason, self.since, self.failures, self.last_success, self.last_poll,
         self.stream_down_since, self.pending_join, status, error, latency_ms, health) = seen  # fmt: skip
        if health is not ...:
            self.health = health
        if status is not ...:
            self.status = status
        if error is not ...:
            self.error = error
        if latency_ms is not None:
            self.latency_ms = latency_ms
            self.latencies.append(latency_ms)

    # -- views ---------------------------------------------------------------------------------
    def as_dict(self, now: float | None = None) -> dict[str, Any]:
        """The stable JSON form of the headless commands (documented in the README)."""
        now = time.time() if now is None else now
        status = self.status
        return {
            "state": str(self.state),
            "reason": self.reason,
            "since": iso_time(self.since),
            "since_s": round(max(0.0, now - self.since), 1),
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "failures": self.failures,
            "last_success": iso_time(self.last_success),
            "status": None
            if status is None
            else {
                "shape": status.shape,
                "ready": status.ready,
                "conversation_id": status.conversation_id,
                "streaming": status.streaming,
                "pending": status.pending,
                "inbox_id": status.inbox_id,
                "clean": status.clean,
                "missing": list(status.missing),
            },
            "runtime": self.runtime.as_dict(),
            "health": [] if self.health is None else list(self.health.reasons),
            "error": None
            if self.error is None
            else {
                "kind": str(self.error.kind),
                "summary": self.error.summary,
                "hint": self.error.hint,
            },
        }
