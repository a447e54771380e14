"""What only the polls themselves can tell Prometheus: how many failed, and how long each took.

A gateway's state keeps its consecutive failures and its last latency; a counter and a histogram need every
poll. `PollTally` is the poller's `on_poll`: it runs in whichever thread reports the polls (the poller's loop,
or the thread that applies a polling process's batches) and the collector reads it from the server's thread.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from convos_tui.api import errors
from convos_tui.fleet.state import GatewayState

# Seconds: a loopback gateway answers in milliseconds, a remote one in tens to hundreds, a stuck one at its timeout.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Histogram:
    """Cumulative-at-read bucket counts of observations, in the buckets given (seconds)."""

    buckets: tuple[float, ...] = DURATION_BUCKETS
    counts: list[int] = field(default_factory=list)  # one per bucket, plus +Inf: not cumulative here
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value

    def cumulative(self) -> list[tuple[str, float]]:
        """(le, count) pairs as prometheus_client's HistogramMetricFamily takes them, +Inf last."""
        running, out = 0, []
        for bound, count in zip((*map(str, self.buckets), "+Inf"), self.counts, strict=True):
            running += count
            out.append((bound, float(running)))
        return out


@dataclass
class _Seen:
    last_poll: float | None = None
    failures: int = 0  # the state's consecutive failures at the last poll seen


class PollTally:
    """Counts failed polls and times answered ones, per gateway, from each poll the poller reports.

    A poll is told apart from another report of the same state (a join marked pending) by its `last_poll`
    time. A polling process may report two polls of a gateway as one: the consecutive failures it carries
    still say how many failed."""

    def __init__(self, then: Callable[[GatewayState], None] | None = None) -> None:
        self.then = then  # the on_poll this one was put in front of, called after it
        self._lock = threading.Lock()
        self._seen: dict[str, _Seen] = {}
        self.failures: dict[str, int] = {}
        self.durations: dict[str, Histogram] = {}

    def __call__(self, state: GatewayState) -> None:
        with self._lock:
            self._count(state)
        if self.then is not None:
            self.then(state)

    def _count(self, state: GatewayState) -> None:
        seen = self._seen.setdefault(state.name, _Seen())
        if state.last_poll is None or state.last_poll == seen.last_poll:
            return
        seen.last_poll = state.last_poll
        if state.failures:
            # More than at the last poll seen: those are new; fewer or as many: it answered in between.
            new = state.failures - seen.failures if state.failures > seen.failures else state.failures
            self.failures[state.name] = self.failures.get(state.name, 0) + new
        seen.failures = state.failures
        # The state records a latency for every poll but those that got no answer (GatewayState.observe_error).
        answered = not isinstance(state.error, (errors.Unreachable, errors.GatewayTimeout))
        if answered and state.latency_ms is not None:
            self.durations.setdefault(state.name, Histogram()).observe(state.latency_ms / 1000)

    def snapshot(self) -> tuple[dict[str, int], dict[str, Histogram]]:
        """Copies, so that a scrape reads one consistent moment while polls go on."""
        with self._lock:
            durations = {}
            for name, histogram in self.durations.items():
                copy = Histogram(histogram.buckets)
                copy.counts, copy.total = list(histogram.counts), histogram.total
                durations[name] = copy
            return dict(self.failures), durations
