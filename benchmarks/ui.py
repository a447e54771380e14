"""Console benchmark: key latency and refresh cost of the live console at fleet scale.

    .venv/bin/python benchmarks/ui.py                    # N = 1,000 and 5,000, polled every 2 s
    .venv/bin/python benchmarks/ui.py --sizes 5000 --presses 100

For each N, simulated gateways (`convos-tui simulate`) serve in their own process on 127.0.0.1, and the
console runs headless (Textual's `run_test`) in this process, polling all of them every `--interval`
seconds, exactly as `convos-tui` would. Once every gateway has answered, it measures, while polling
goes on:

- keypress-to-screen latency: the time from sending a key to the screen having processed it and
  refreshed (Pilot's press, then pause), for cursor moves, filter keystrokes and sort changes;
- the cost of one refresh tick: the work the screen does twice a second for the gateways the poller
  changed, measured with every gateway changed (the worst case) and as it happens during the run.

Figures are printed as one JSON document on stdout; progress goes to stderr. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from textual import events

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convos_tui.fleet.fleet import Fleet  # noqa: E402
from convos_tui.fleet.inventory import parse_inventory  # noqa: E402
from convos_tui.fleet.state import State  # noqa: E402
from convos_tui.ui.app import ConvosApp  # noqa: E402
from convos_tui.ui.widgets.fleet_table import FleetTable  # noqa: E402

START_TIMEOUT_S = 120.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def simulated_fleet(count: int):
    """`convos-tui simulate` in its own process group, stopped (or killed) whatever happens."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "fleet.toml"
        proc = subprocess.Popen(
            [sys.executable, "-m", "convos_tui", "simulate", "--count", str(count), "--write-config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not (config.exists() and config.stat().st_size):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the simulator did not start: {proc.stderr.read() if proc.stderr else ''}")
                time.sleep(0.1)
            yield config
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def stats_ms(samples: list[float]) -> dict[str, float | int]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def timed_presses(pilot, keys: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    """Time each key from its event reaching the app to every message it caused being processed.

    Pilot's own `press` also waits for the process to be idle, which never happens while the poller
    works: here the key is sent as the terminal driver would, then the screen and every widget on it
    are drained twice (the second time for the refreshes the key's handlers queued)."""
    samples = []
    app = pilot.app
    for key in keys:
        char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        started = time.perf_counter()
        app._driver.send_message(event)
        await pilot._wait_for_screen()
        await pilot._wait_for_screen()
        samples.append(time.perf_counter() - started)
    return samples


async def measure(count: int, args: argparse.Namespace) -> dict:
    with simulated_fleet(count) as config_path:
        inventory = parse_inventory(config_path.read_text(), config_path, environ={})
        fleet = await Fleet.load(inventory, data_dir=None)
        assert fleet.poller is not None
        fleet.poller.set_interval(args.interval)
        app = ConvosApp(fleet)
        async with app.run_test(size=(160, 48)) as pilot:
            screen = app.main_screen
            deadline = time.monotonic() + START_TIMEOUT_S
            while any(s.state == State.UNKNOWN for s in fleet.states.values()):
                if time.monotonic() > deadline:
                    raise RuntimeError("not every gateway answered in time")
                await asyncio.sleep(0.2)
            log(f"  {count}: every gateway answered; warming up")
            await asyncio.sleep(2 * args.interval)

            # Record the ticks as they happen while polling goes on.
            natural: list[float] = []
            dirty_sizes: list[int] = []

            def recorded_tick() -> None:
                dirty_sizes.append(len(screen._dirty))
                started = time.perf_counter()
                screen.tick()
                natural.append(time.perf_counter() - started)

            screen.ticker.stop()
            recorder = screen.set_interval(0.5, recorded_tick)
            polls_before, clock_before = fleet.poller.polls, time.monotonic()

            presses = args.presses
            cursor = await timed_presses(pilot, ["down"] * presses)
            await timed_presses(pilot, ["slash"])
            word = "sim-1"
            typing = [ch for _ in range(max(1, presses // (2 * len(word)))) for ch in [*word, *["backspace"] * len(word)]]
            filter_keys = await timed_presses(pilot, typing)
            await timed_presses(pilot, ["escape"])
            sort = await timed_presses(pilot, ["s"] * max(10, presses // 5))
            elapsed = time.monotonic() - clock_before
            polls = fleet.poller.polls - polls_before
            recorder.stop()

            # Worst case: every gateway changed since the last tick.
            full: list[float] = []
            for _ in range(args.full_ticks):
                screen._dirty.extend(fleet.states)
                started = time.perf_counter()
                screen.tick()
                full.append(time.perf_counter() - started)
            rows = screen.query_one(FleetTable).row_count

        return {
            "gateways": count,
            "rows_shown": rows,
            "poll_interval_s": args.interval,
            "polls_per_s_during_keys": round(polls / elapsed, 1),
            "key_latency": {
                "cursor_down": stats_ms(cursor),
                "filter_keystroke": stats_ms(filter_keys),
                "sort": stats_ms(sort),
                "all": stats_ms(cursor + filter_keys + sort),
            },
            "refresh_tick": {
                "during_run": stats_ms(natural) if natural else None,
                "dirty_rows_per_tick_median": int(statistics.median(dirty_sizes)) if dirty_sizes else 0,
                "all_rows_dirty": stats_ms(full),
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 5000])
    parser.add_argument("--interval", type=float, default=2.0, help="poll interval, seconds (default 2)")
    parser.add_argument("--presses", type=int, default=60, help="cursor presses per size (default 60)")
    parser.add_argument("--full-ticks", type=int, default=5, help="all-dirty refresh ticks to time (default 5)")
    args = parser.parse_args()
    results = []
    for count in args.sizes:
        log(f"N = {count}: starting the simulated fleet")
        results.append(asyncio.run(measure(count, args)))
        log(f"  {count}: done")
    document = {
        "benchmark": "convos-tui console",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "results": results,
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
