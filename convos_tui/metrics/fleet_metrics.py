"""The metrics of one Fleet, served: what `convos-tui serve` and the console's `--metrics` start."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from prometheus_client.registry import CollectorRegistry

from convos_tui.api.interpret import remember_secret
from convos_tui.fleet.fleet import Fleet
from convos_tui.instances.records import Records
from convos_tui.metrics.access import Credentials
from convos_tui.metrics.collector import FleetCollector
from convos_tui.metrics.polls import PollTally
from convos_tui.metrics.server import MetricsServer
from convos_tui.pools.members import Members

DEFAULT_PORT = 9464  # the port of the OpenTelemetry Prometheus exporter: free on most hosts
CREDENTIALS_ENV = "CONVOS_TUI_METRICS"  # _TOKEN (bearer) or _BASIC (user:password)


@dataclass
class FleetMetrics:
    fleet: Fleet
    tally: PollTally
    server: MetricsServer
    records: Records | None = None
    members: Members | None = None

    @classmethod
    def of(cls, fleet: Fleet, host: str, port: int, credentials: Credentials) -> FleetMetrics:
        """The collector on `fleet` and a server for it, not yet listening; the tally hears no poll yet."""
        poller = fleet.poller
        assert poller is not None
        tally = PollTally()
        for secret in credentials.secrets():
            remember_secret(secret)
        records = None
        if fleet.inventory.launchers and fleet.store.path is not None:
            records = Records.open(fleet.store.path)
        members, names = None, [pool.name for pool in fleet.inventory.pools]
        if names and fleet.store.path is not None:  # the pools' tables, beside the instances' in the store
            members = Members.open(fleet.store.path)
        collector = FleetCollector(
            poller.states,
            fleet.config,
            tally,
            store=fleet.store,
            instances=partial(records.all, include_ended=True) if records is not None else None,
            pools=partial(_pool_counts, members, names) if members is not None else None,
            labels=fleet.inventory.settings.metric_labels,
        )
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)
        return cls(fleet, tally, MetricsServer(registry, host, port, credentials), records, members)

    def listen_to_polls(self) -> None:
        """Put the tally in front of the poller's on_poll (the console instead lists it in its poll_listeners)."""
        poller = self.fleet.poller
        assert poller is not None
        if poller.on_poll is not self.tally:
            self.tally.then = poller.on_poll
            poller.on_poll = self.tally

    def close(self) -> None:
        if self.records is not None:
            self.records.close()
        if self.members is not None:
            self.members.close()


def _pool_counts(members: Members, names: list[str]) -> dict[str, dict[str, int]]:
    return {name: members.counts(name) for name in names}
