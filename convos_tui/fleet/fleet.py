"""The fleet as the headless commands and the console see it: gateways, their live state, the store.

It wires the inventory (static gateways and discovery), the poller and the store together: every
transition is recorded (each batch the poller hands over in one transaction), and each gateway starts
from where the store last saw it, so "since" means since when, even across runs of a cron job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.state import ORDER, GatewayState, State, Transition
from convos_tui.fleet.store import Store

STORE_FILE = "store.sqlite3"


@dataclass
class Fleet:
    inventory: Inventory
    store: Store
    profile: str | None = None
    gateways: list[GatewayConfig] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # discovery problems, to show
    poller: Poller | None = None

    @classmethod
    async def load(cls, inventory: Inventory, *, data_dir: Path | None, profile: str | None = None) -> Fleet:
        """The gateways of `profile` (static and discovered), with a store in `data_dir` (None: memory)."""
        store = Store.open(data_dir / STORE_FILE if data_dir is not None else None)
        fleet = cls(inventory, store, profile)
        fleet.gateways = inventory.select(profile)
        if inventory.sources:
            from convos_tui.fleet.discovery import discover  # (httpx): only for a config with [[sources]]

            found = await discover(inventory)
            fleet.problems = found.problems
            chosen = inventory.profile(profile) if profile else None
            fleet.gateways += [g for g in found.gateways if chosen is None or chosen.selects(g)]
        if inventory.launchers and data_dir is not None:  # the instances this console launched
            from convos_tui.instances.service import launched_gateways

            chosen, known = inventory.profile(profile) if profile else None, {g.name for g in fleet.gateways}
            fleet.gateways += [
                g
                for g in launched_gateways(inventory, data_dir)
                if g.name not in known and (chosen is None or chosen.selects(g))
            ]
        settings = inventory.settings
        fleet.poller = Poller(
            fleet.gateways,
            interval_s=settings.refresh,
            concurrency=settings.poll_concurrency,
            grace_s=settings.streaming_grace,
            on_transitions=fleet._record,
        )
        fleet._restore()
        return fleet

    def _restore(self) -> None:
        assert self.poller is not None
        last = self.store.last_states()
        grace = self.poller.grace_s
        for name, state in self.poller.states.items():
            seen = last.get(name)
            if seen is None:
                continue
            state.state, state.reason, state.since = seen.new, seen.reason, seen.at
            state.added_at = min(state.added_at, seen.at)  # known before: no start grace
            if seen.new == State.FLAPPING:
                state.stream_down_since = seen.at
            elif seen.new == State.STALLED:
                state.stream_down_since = seen.at - grace

    def _record(self, transitions: list[Transition]) -> None:
        self.store.record_transitions(transitions)

    def config(self, name: str) -> GatewayConfig | None:
        """The gateway named `name`, looked up in the poller's table (not a scan of the list)."""
        assert self.poller is not None
        return self.poller.config(name)

    @property
    def states(self) -> dict[str, GatewayState]:
        assert self.poller is not None
        return self.poller.states

    async def sweep(self) -> dict[str, GatewayState]:
        assert self.poller is not None
        return await self.poller.sweep()

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((str(s) for s in ORDER), 0)
        for state in self.states.values():
            counts[str(state.state)] += 1
        return counts

    def close(self) -> None:
        self.store.close()
