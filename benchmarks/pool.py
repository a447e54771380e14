"""Pool benchmark: a claim from a warm pool against a cold launch-and-create, 1 and 20 at once, and the refill.

    nice .venv/bin/python benchmarks/pool.py                  # bursts of 1 and 20, simulated times at speed 1
    nice .venv/bin/python benchmarks/pool.py --sizes 1,5 --speed 4

For each burst size N, a fresh golden, data dir and `sim` launcher (the process launcher `openclaw` uses):

- cold: N instances launched at once from the golden with a create (what `convos-tui launch --create` does),
  the time from the call to each invite;
- warm, prepare = "create": a pool filled with N ready instances (each already holding its conversation),
  then N claims at once through the pool service; the time from each call to its invite as the caller sees it
  (audit written ahead and completed included), and the claim's own time the store keeps (claim_ms);
- warm, prepare = "none": the same with idle ready instances, each claim creating its conversation;
- refill: after the burst of claims on the "create" pool, a reconciler (parallel = 4, the default) brings it
  back to N ready; the time until it is there.

Figures go to stdout as one JSON document, progress to stderr. Nothing is asserted. Everything listens on
127.0.0.1 only, and every instance started is terminated before the next N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.report import log, run_sizes, summary
from convos_tui.fleet.actions import ActionResult, Actions
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.fleet.pools_config import PoolConfig
from convos_tui.fleet.store import Store
from convos_tui.instances.golden import init_golden
from convos_tui.instances.records import Records
from convos_tui.instances.service import InstanceService, Provision
from convos_tui.pools.members import READY
from convos_tui.pools.reconciler import Reconciler
from convos_tui.pools.service import PoolService

REFILL_LIMIT_S = 600.0


async def timed(work: Any) -> tuple[float, ActionResult]:
    started = time.monotonic()
    result = await work
    return time.monotonic() - started, result


async def burst(pools: PoolService, pool: str, count: int) -> dict[str, Any]:
    """Fill `pool` with `count` ready instances, then claim them all at once."""
    filled = time.monotonic()
    results = await pools.replenish(pool, count)
    failed = [r.summary for r in results if not r.ok]
    fill_s = time.monotonic() - filled
    claims = await asyncio.gather(*(timed(pools.claim(pool)) for _ in range(count)))
    ok = [(seconds, r) for seconds, r in claims if r.ok]
    return {
        "fill_s": round(fill_s, 3),
        "launch_failures": failed,
        "claims_ok": len(ok),
        "claim_as_seen": summary([s * 1000 for s, _ in ok], "ms", digits=3),
        "claim_stored": summary(
            [r.data["claim_ms"] for _, r in ok if r.data.get("claim_ms") is not None], "ms", digits=3
        ),
        "instances": [r.data["instance"] for _, r in ok],
    }


async def refill(pools: PoolService, pool: str, count: int) -> float:
    """How long a reconciler takes to bring `pool` back to `count` ready (it starts with none ready)."""
    reconciler = Reconciler(pools, pool, interval_s=0.05)
    started = time.monotonic()
    task = asyncio.create_task(reconciler.run())
    try:
        while pools.members.counts(pool)[READY] < count:
            if task.done():
                task.result()
            if time.monotonic() - started > REFILL_LIMIT_S:
                raise RuntimeError(f"{pool} not refilled in {REFILL_LIMIT_S:g} s: {pools.members.counts(pool)}")
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return time.monotonic() - started


async def one_size(count: int, speed: float, port_base: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="convos-pool-bench-") as tmp:
        root = Path(tmp)
        golden = root / "golden"
        init_golden(golden)
        launcher = LauncherConfig(
            name="bench",
            type="sim",
            golden=golden,
            ports=(port_base, port_base + 16 * count + 100),
            max_instances=4 * count,
            speed=speed,
            boot_timeout=300.0,
        )
        store = Store.open(root / "store.sqlite3")
        records = Records.open(store.path)
        instances = InstanceService({"bench": launcher}, store, records, Actions(store), root / "instances")
        configs = [
            # max_total 2N: the N claimed stay while the N fresh ones launch
            PoolConfig("warm-create", "bench", count, 2 * count, "create", parallel=4),
            PoolConfig("warm-none", "bench", count, 2 * count, "none", parallel=4),
        ]
        pools = PoolService.open(instances, configs)
        try:
            log(f"  cold: {count} launch(es) with a create at once …")
            cold = await asyncio.gather(
                *(timed(instances.launch(launcher, 1, Provision(create=True))) for _ in range(count))
            )
            cold_ok = [(s, r[0]) for s, r in cold if r[0].ok]
            await instances.terminate([r.gateway for _, r in cold_ok])
            figures: dict[str, Any] = {
                "burst": count,
                "cold_launch_and_create": {"ok": len(cold_ok), **summary([s for s, _ in cold_ok], "s", digits=3)},
            }
            for pool in ("warm-create", "warm-none"):
                log(f"  {pool}: filling {count}, then {count} claim(s) at once …")
                figures[pool] = await burst(pools, pool, count)
            log(f"  refill of warm-create to {count} ready …")
            figures["refill_s"] = round(await refill(pools, "warm-create", count), 3)
            cold_starts = pools.members.samples("warm-create", READY)
            figures["pool_cold_start"] = summary(cold_starts, "s", digits=3)
        finally:
            live = [r.id for r in records.all()]
            if live:
                await instances.terminate(live)
            left = list((root / "instances").iterdir()) if (root / "instances").exists() else []
            figures["left_behind"] = len(left)
            pools.close()
            instances.close()
        for pool in ("warm-create", "warm-none"):
            figures[pool].pop("instances")
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,20", help="comma-separated burst sizes (default 1,20)")
    parser.add_argument("--speed", type=float, default=1.0, help="the simulator's time factor (1: real-time)")
    parser.add_argument("--port-base", type=int, default=24000)
    args = parser.parse_args()

    def one(size: int) -> dict[str, Any]:
        log(f"burst of {size} (speed {args.speed:g}) …")
        return asyncio.run(one_size(size, args.speed, args.port_base))

    run_sizes(
        (int(s) for s in args.sizes.split(",")),
        {"speed": args.speed},
        one,
        lambda run: (
            f"  cold p95 {run['cold_launch_and_create']['p95_s']} s; warm create claim p95 "
            f"{run['warm-create']['claim_as_seen']['p95_ms']} ms; none p95 {run['warm-none']['claim_as_seen']['p95_ms']} ms; "
            f"refill {run['refill_s']} s"
        ),
    )


if __name__ == "__main__":
    main()
