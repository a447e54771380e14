"""Launch benchmark: cold start per phase with the `sim` launcher, N instances launched at once.

    nice .venv/bin/python benchmarks/launch.py                 # N = 1, 10 and 50, simulated times at speed 1
    nice .venv/bin/python benchmarks/launch.py --sizes 1,10 --speed 1
    nice .venv/bin/python benchmarks/launch.py --sizes 1,10 --docker IMAGE     # IMAGE: what tests/docker_image.py prints

For each N, a fresh golden and data dir; the instances are launched at once through the instance service
(the code `convos-tui launch --create` runs), then terminated. Per phase (restore, spawn → port open,
port open → plugin ready, create) the p50 and p95 across instances, and for each instance:

- what the simulated gateway took: its process start up to its listening port, its plugin start window and
  the create call as the client saw it (the simulator logs its own times on the system's monotonic clock);
- what the console added on top: the restore, the time from the gateway's port opening (and its plugin being
  ready) to the console noticing it, and the console's work after the create answer (store, audit); plus
  the console's CPU seconds per instance over the whole launch.

Figures go to stdout as one JSON document, progress to stderr. Nothing is asserted. Everything listens on
127.0.0.1 only, and every process started is stopped before the next N.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.report import log, run_sizes, summary
from convos_tui.fleet.actions import Actions
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.fleet.store import Store
from convos_tui.instances.golden import init_golden
from convos_tui.instances.records import Records
from convos_tui.instances.service import InstanceService, Provision

MARK = re.compile(r"monotonic (\d+\.\d+)")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_size(count: int, speed: float, port_base: int, image: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="convos-launch-bench-") as tmp:
        root = Path(tmp)
        golden = root / "golden"
        init_golden(golden)
        launcher = LauncherConfig(
            name="bench",
            type="sim",
            golden=golden,
            ports=(port_base, port_base + 4 * count + 50),
            max_instances=count,
            speed=speed,
            boot_timeout=300.0,
        )
        if image:  # the docker launcher: the same phases, the gateway in a container of the image
            launcher = replace(
                launcher, type="docker", image=image, pull="never", env=(("CONVOS_SIM_SPEED", f"{speed:g}"),)
            )
        store = Store.open(root / "store.sqlite3")
        records = Records.open(store.path)
        service = InstanceService({"bench": launcher}, store, records, Actions(store), root / "instances")
        marks: dict[str, dict[str, float]] = {}

        def on_phase(instance: str, phase: str, seconds: float | None, error: str | None) -> None:
            marks.setdefault(instance, {})[f"{phase}_{'begin' if seconds is None else 'end'}"] = time.monotonic()

        cpu_before, wall_before = cpu(), time.monotonic()
        results = await service.launch(launcher, count, Provision(create=True), on_phase=on_phase)
        wall = time.monotonic() - wall_before
        console_cpu = cpu() - cpu_before
        phases: dict[str, list[float]] = {}
        gateway: dict[str, list[float]] = {"process_start_to_port": [], "plugin_start": [], "create_call": []}
        added: list[float] = []
        parts: dict[str, list[float]] = {"restore": [], "noticed_port": [], "noticed_ready": [], "after_create": []}
        totals: list[float] = []
        for result in results:
            if not result.ok:
                log(f"  {result.gateway}: {result.summary}")
                continue
            instance, data = result.gateway, result.data
            for name, seconds in data["phases"].items():
                phases.setdefault(name, []).append(seconds)
            totals.append(data["total_s"])
            record = records.get(instance)
            assert record is not None
            found = [float(m) for m in MARK.findall(service.backend(launcher).tail(record))]
            listening, ready = found[0], found[1]
            m = marks[instance]
            gateway["process_start_to_port"].append(listening - m["spawn_begin"])
            gateway["plugin_start"].append(ready - listening)
            gateway["create_call"].append(
                data["provisioning_s"] if "provisioning_s" in data else data["phases"]["create"]
            )
            noticed_port = max(0.0, m["spawn_end"] - listening)
            noticed_ready = max(0.0, m["ready_end"] - max(ready, m["spawn_end"]))
            create_work = max(0.0, data["phases"]["create"] - gateway["create_call"][-1])
            for name, value in zip(
                parts, (data["phases"]["restore"], noticed_port, noticed_ready, create_work), strict=True
            ):
                parts[name].append(value)
            added.append(sum(values[-1] for values in parts.values()))
        stop_before = time.monotonic()
        await service.terminate([r.gateway for r in results if r.ok])
        stop_wall = time.monotonic() - stop_before
        left = list((root / "instances").iterdir()) if (root / "instances").exists() else []
        service.close()
        return {
            "instances": count,
            "ok": len(totals),
            "wall_s": round(wall, 3),
            "phases": {name: summary(values) for name, values in phases.items()},
            "total": summary(totals),
            "gateway": {name: summary(values) for name, values in gateway.items()},
            "console_added": summary(added),
            "console_added_parts": {name: summary(values) for name, values in parts.items()},
            "console_cpu_per_instance_s": round(console_cpu / count, 4),
            "terminate_all_s": round(stop_wall, 3),
            "left_behind": len(left),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50", help="comma-separated N (default 1,10,50)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="the simulator's time factor (1: real-time boot/create)"
    )
    parser.add_argument("--port-base", type=int, default=21000)
    parser.add_argument("--docker", metavar="IMAGE", help="launch containers of IMAGE (tests/docker_image.py's)")
    args = parser.parse_args()

    def one(size: int) -> dict[str, Any]:
        log(f"launching {size} at once (speed {args.speed:g}) …")
        return asyncio.run(one_size(size, args.speed, args.port_base, args.docker))

    run_sizes(
        (int(s) for s in args.sizes.split(",")),
        {"speed": args.speed, "launcher": f"docker {args.docker}" if args.docker else "sim"},
        one,
        lambda run: (
            f"  total p50 {run['total']['p50']} s, p95 {run['total']['p95']} s; console added p95 "
            f"{run['console_added']['p95']} s; {run['ok']}/{run['instances']} ok"
        ),
    )


if __name__ == "__main__":
    main()
