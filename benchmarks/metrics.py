"""Scrape benchmark: what one scrape of `/metrics` costs the process that polls, at 100 to 5,000 gateways.

    nice .venv/bin/python benchmarks/metrics.py

The collector builds every metric at scrape time, in the server's thread: this times that build and its
encoding (what a scrape adds to the polling process), on gateways whose states, failures and poll-duration
histograms are filled as after an hour of polling, with a region label and a store holding 1,000 audited
actions. No network: the collector and the encoder are called directly. Figures go to stdout as JSON;
nothing is asserted.
"""

from __future__ import annotations

import json
import statistics
import time

from prometheus_client.exposition import generate_latest
from prometheus_client.registry import CollectorRegistry

from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import GatewayState
from convos_tui.fleet.store import Store
from convos_tui.metrics.collector import FleetCollector
from convos_tui.metrics.polls import PollTally

SIZES = (100, 1000, 5000)
SCRAPES = 15


def fleet(size: int) -> tuple[FleetCollector, Store]:
    configs = {
        f"gw-{i:05d}": GatewayConfig(f"gw-{i:05d}", f"http://127.0.0.1:{10000 + i}", tags=(f"region/r{i % 5}",))
        for i in range(size)
    }
    tally = PollTally()
    states = {}
    for i, name in enumerate(configs):
        state = GatewayState(name, added_at=0.0)
        status = GatewayStatus("classic", True, f"conv-{i}" if i % 2 else None, True)
        for poll in range(720):  # an hour at 5 s
            state.observe_status(status, 0.001 * (1 + poll % 40), 1.0 + poll)
            tally(state)
        states[name] = state
    store = Store.open(None)
    for i in range(1000):
        row = store.begin_action("create", gateway=f"gw-{i % size:05d}", params={})
        store.finish_action(row, outcome="ok" if i % 10 else "failed", detail="", elapsed_s=1.0)
    return FleetCollector(states, configs.get, tally, store=store, labels=["region"]), store


def main() -> None:
    results = []
    for size in SIZES:
        collector, store = fleet(size)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)
        times, body = [], b""
        for _ in range(SCRAPES):
            started = time.perf_counter()
            body = generate_latest(registry)
            times.append(time.perf_counter() - started)
        store.close()
        results.append(
            {
                "gateways": size,
                "scrape_ms_p50": round(statistics.median(times) * 1000, 1),
                "scrape_ms_max": round(max(times) * 1000, 1),
                "bytes": len(body),
                "series": body.count(b"\n") - body.count(b"\n#"),
            }
        )
    print(json.dumps({"scrapes_each": SCRAPES, "results": results}, indent=2))


if __name__ == "__main__":
    main()
