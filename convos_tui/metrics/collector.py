"""The fleet's metrics, built at scrape time from what the console already keeps (not gauges set by hand).

Sources: the poller's states (state, since, answered or not), the poll tally (failures, durations), the store's
audit (actions and their outcomes) and, where launchers are configured, the instance records (cold starts) and
the warm pools' members (instances per pool per state).
Labels are the gateway's name and the tag values asked for (`metric_labels`); never a conversation id, an
invite, a URL or a token: a gateway's name goes through the redaction every text from outside goes through.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from convos_tui.api.interpret import clean_text, redact
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import ORDER, GatewayState
from convos_tui.fleet.store import Store
from convos_tui.instances.records import InstanceRecord
from convos_tui.metrics.polls import DURATION_BUCKETS, Histogram, PollTally

# Launch phases take seconds (restore, spawn, plugin ready) to a minute or two (a create on a busy network).
COLD_START_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


def label_value(text: str) -> str:
    """Text shown in a label: control characters made visible, known secrets redacted."""
    return redact(clean_text(text))


def tag_value(tags: Sequence[str], label: str) -> str:
    """The value of `label` among a gateway's tags: `region/eu` gives region "eu"; none gives ""."""
    prefix = label + "/"
    return next((tag[len(prefix) :] for tag in tags if tag.startswith(prefix)), "")


class FleetCollector(Collector):
    """`REGISTRY.register(FleetCollector(...))`, or a CollectorRegistry of its own (what the server uses)."""

    def __init__(
        self,
        states: Mapping[str, GatewayState],
        configs: Callable[[str], GatewayConfig | None],
        tally: PollTally,
        *,
        store: Store | None = None,
        instances: Callable[[], Iterable[InstanceRecord]] | None = None,
        pools: Callable[[], Mapping[str, Mapping[str, int]]] | None = None,
        labels: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.states = states
        self.configs = configs
        self.tally = tally
        self.store = store
        self.instances = instances
        self.pools = pools  # pool name → its members counted per state (pools/members.py: Members.counts)
        self.labels = tuple(labels)
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []  # built at each scrape: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        states = list(self.states.values())  # a copy: polls may add or remove gateways meanwhile
        gateway_labels = ["gateway", *self.labels]
        up = GaugeMetricFamily(
            "convos_gateway_up", "1 when the gateway's last poll read its Convos status, else 0.", labels=gateway_labels
        )
        state_set = GaugeMetricFamily(
            "convos_gateway_state",
            "1 for the gateway's current state, 0 for the others.",
            labels=[*gateway_labels, "state"],
        )
        since = GaugeMetricFamily(
            "convos_gateway_state_since_seconds",
            "Seconds since the gateway entered its current state.",
            labels=gateway_labels,
            unit="seconds",
        )
        fleet = GaugeMetricFamily("convos_fleet_gateways", "Gateways in each state.", labels=["state"])
        failures = CounterMetricFamily(
            "convos_gateway_poll_failures",
            "Polls of the gateway that failed (no answer, refused, not the plugin, a broken answer).",
            labels=gateway_labels,
        )
        durations = HistogramMetricFamily(
            "convos_gateway_poll_duration_seconds",
            "Time a poll of /convos/status took, for the polls that got an answer.",
            labels=gateway_labels,
            unit="seconds",
        )
        failed, timed = self.tally.snapshot()
        counts = dict.fromkeys(ORDER, 0)
        for state in states:
            values = self._labels(state.name)
            counts[state.state] = counts.get(state.state, 0) + 1
            up.add_metric(values, 1.0 if state.status is not None and state.error is None else 0.0)
            for each in ORDER:
                state_set.add_metric([*values, str(each)], 1.0 if each == state.state else 0.0)
            since.add_metric(values, max(0.0, now - state.since))
            failures.add_metric(values, float(failed.get(state.name, 0)))
            histogram = timed.get(state.name) or Histogram(DURATION_BUCKETS)
            durations.add_metric(values, histogram.cumulative(), histogram.total)
        for each, count in counts.items():
            fleet.add_metric([str(each)], float(count))
        yield from (up, state_set, since, fleet, failures, durations)
        if self.store is not None:
            yield self._actions(self.store)
        if self.instances is not None:
            yield self._cold_starts(self.instances())
        if self.pools is not None:
            yield self._pool_instances(self.pools())

    def _labels(self, name: str) -> list[str]:
        config = self.configs(name)
        tags = config.tags if config is not None else ()
        return [label_value(name), *(label_value(tag_value(tags, label)) for label in self.labels)]

    @staticmethod
    def _actions(store: Store) -> Metric:
        actions = CounterMetricFamily(
            "convos_action",
            "Actions in the audit, by outcome (`unknown`: the run that made it did not see it finish).",
            labels=["action", "outcome"],
        )
        for (action, outcome), count in sorted(store.action_counts().items()):
            actions.add_metric([label_value(action), label_value(outcome)], float(count))
        return actions

    @staticmethod
    def _cold_starts(records: Iterable[InstanceRecord]) -> Metric:
        cold = HistogramMetricFamily(
            "convos_instance_cold_start_seconds",
            "Time each phase of an instance's launch took (restore, spawn, ready, create, join).",
            labels=["launcher", "phase"],
            unit="seconds",
        )
        by_phase: dict[tuple[str, str], Histogram] = {}
        for record in records:
            for phase, seconds in record.phases.items():
                by_phase.setdefault((record.launcher, phase), Histogram(COLD_START_BUCKETS)).observe(seconds)
        for (launcher, phase), histogram in sorted(by_phase.items()):
            cold.add_metric([label_value(launcher), phase], histogram.cumulative(), histogram.total)
        return cold

    @staticmethod
    def _pool_instances(pools: Mapping[str, Mapping[str, int]]) -> Metric:
        gauge = GaugeMetricFamily(
            "convos_pool_instances",
            "Instances of each warm pool in each state (launching, ready, claimed, pending, tainted, crashed).",
            labels=["pool", "state"],
        )
        for pool, counts in sorted(pools.items()):
            for state, count in counts.items():
                gauge.add_metric([label_value(pool), state], float(count))
        return gauge
