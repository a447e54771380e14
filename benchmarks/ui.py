"""Console benchmark: key latency and refresh cost of the live console at fleet scale.

    .venv/bin/python benchmarks/ui.py                    # N = 1,000 and 5,000, polled every 2 s
    .venv/bin/python benchmarks/ui.py --sizes 5000 --presses 100
    .venv/bin/python benchmarks/ui.py --sizes 5000 --poller thread   # the poller in a thread, to compare
    .venv/bin/python benchmarks/ui.py --sizes 10000 --interval 5 --hold 300     # the largest fleet, RSS over 5 min

For each N, simulated gateways (`convos-tui simulate`) serve in their own process on 127.0.0.1, and the
console runs headless (Textual's `run_test`) in this process, polling all of them every `--interval`
seconds, exactly as `convos-tui` would (the poller in a process of its own, unless `--poller thread`).
Once every gateway has answered, it measures, while polling goes on:

- keypress-to-screen latency: the time from sending a key to the screen having processed it, every
  refresh it caused, and the paint of the result (rendered to the escape sequences a terminal would
  get, as run_test has no terminal), for cursor moves, filter keystrokes and sort changes; beside it,
  the CPU time the console's thread spent on each key. Each key is sent once the one before was
  painted; with `--pace N`, the same keys come again N a second (`paced`), each timed from when it
  was due, so a key held up by the one before counts the wait; and how long the console's thread
  waited, runnable, for a CPU another process held (Linux's schedstat), which neither its own work
  nor its paint timer explains;
- whether polling kept its pace meanwhile: the polls per second needed (N / interval) and achieved,
  and the CPU share of each party (console thread, poller, simulator, the rest of the machine);
- the collector's pauses in the console's process while the keys were timed;
- the resident memory (RSS) of the console's process and of the poller's, once every gateway answered, after
  the keys, and every interval for `--hold` seconds more of polling (it must stay flat);
- the cost of the refresh tick: the work the screen does twice a second for the gateways the poller
  changed, each step of it as it happens while the keys are timed (a tick applies at most 200 polls
  per event), and all of it in one go with every gateway changed (the worst case).

Figures are printed as one JSON document on stdout; progress goes to stderr. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import itertools
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path

from big_fleets import SHARD, merged_config, raise_fd_limit, shard_sizes  # benchmarks/, the script's own folder
from textual import events
from textual._compositor import CompositorUpdate
from textual.message_pump import MessagePump

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convos_tui.fleet.alert_rules import AlertRule  # noqa: E402 - after sys.path has the checkout
from convos_tui.fleet.fleet import Fleet  # noqa: E402 - after sys.path has the checkout
from convos_tui.fleet.inventory import parse_inventory  # noqa: E402 - after sys.path has the checkout
from convos_tui.fleet.state import FAULTS, State  # noqa: E402 - after sys.path has the checkout
from convos_tui.ui.app import ConvosApp  # noqa: E402 - after sys.path has the checkout
from convos_tui.ui.widgets.fleet_table import FleetTable  # noqa: E402 - after sys.path has the checkout

START_TIMEOUT_S = 120.0
# --alerts: every poll of every gateway goes through the rules, and every gateway has an episode under way (none
# due for an hour: the clock checks all of them twice a second); faults alert at once, with the bell.
BENCH_ALERTS = (
    AlertRule("every-state", frozenset(State), after=3600.0),
    AlertRule("faults", FAULTS, after=0.0, bell=True, notify="osc9"),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def simulated_fleet(count: int):
    """`convos-tui simulate` in processes of their own (one per 5,000 gateways), stopped (or killed) whatever
    happens. Yields the config they wrote, merged (the gateways of shard k renamed sim-NNNN-k), and their ids."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        sizes = shard_sizes(count)
        shards = [stack.enter_context(_simulator(size, Path(tmp) / f"shard-{k}.toml")) for k, size in enumerate(sizes)]
        merged = Path(tmp) / "fleet.toml"
        merged.write_text(merged_config(config for config, _ in shards))
        yield merged, [pid for _, pid in shards]


@contextmanager
def _simulator(count: int, config: Path):
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
        yield config, proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# -- what the machine did meanwhile ------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process now, in MiB, from /proc; None where it cannot be read."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as status:
            kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        return round(kib / 1024, 1)
    except (OSError, StopIteration, ValueError):
        return None


def _cpu_s(stat_path: str) -> float | None:
    """CPU seconds (user + system) of a process or thread, from /proc; None where it cannot be read."""
    try:
        with open(stat_path) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return None


def _busy_s() -> float | None:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return (sum(values) - values[3] - values[4]) / TICKS
    except (OSError, IndexError, ValueError):
        return None


class CpuShares:
    """Cores used by each party between start() and stop(): the console's main thread, its other
    threads, the poller's process, the simulator, and everything else on the machine."""

    def __init__(self, simulators: list[int], poller: int | None) -> None:
        self.pids = {("simulator" if k == 0 else f"simulator_{k + 1}"): pid for k, pid in enumerate(simulators)}
        self.pids["poller_process"] = poller

    def _sample(self) -> dict[str, float | None]:
        sample: dict[str, float | None] = {"busy": _busy_s(), "at": time.monotonic()}
        me = os.getpid()
        names = {t.native_id: t.name for t in threading.enumerate()}
        others = 0.0
        for tid in os.listdir(f"/proc/{me}/task") if os.path.isdir(f"/proc/{me}/task") else ():
            used = _cpu_s(f"/proc/{me}/task/{tid}/stat") or 0.0
            if int(tid) == me:
                sample["console_main_thread"] = used
            else:
                sample[f"thread:{names.get(int(tid), tid)}"] = used
                others += used
        sample["console_other_threads"] = others
        for label, pid in self.pids.items():
            sample[label] = _cpu_s(f"/proc/{pid}/stat") if pid else None
        return sample

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float | None]:
        after = self._sample()
        elapsed = after["at"] - self.before["at"]

        def share(key: str) -> float | None:
            a, b = self.before.get(key), after.get(key)
            return None if a is None or b is None else round((b - a) / elapsed, 2)

        shares = {key: share(key) for key in after if key not in ("at", "busy") and not key.startswith("thread:")}
        shares.update({key: share(key) for key in after if key.startswith("thread:") and (share(key) or 0) >= 0.01})
        busy = share("busy")
        ours = sum(v for k, v in shares.items() if v is not None and not k.startswith("thread:"))
        shares["rest_of_machine"] = None if busy is None else round(max(0.0, busy - ours), 2)
        shares["cores"] = os.cpu_count()
        return shares


class GcPauses:
    """The collector's pauses in this process while recording: count, total and longest, per generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0
        self.recording = False

    def __call__(self, phase: str, info: dict) -> None:
        if not self.recording:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def summary(self) -> dict[str, dict[str, float | int]]:
        out = {}
        for generation in (0, 1, 2):
            times = [t for g, t in self.pauses if g == generation]
            out[f"gen{generation}"] = {
                "count": len(times),
                "total_ms": round(sum(times) * 1000, 1),
                "max_ms": round(max(times, default=0.0) * 1000, 1),
            }
        return out


def stats_ms(samples: list[float]) -> dict[str, float | int]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


class Painter:
    """Tells when the app has painted its screen, and does what a terminal driver would do with each
    paint (run_test has no terminal): render it to escape sequences."""

    def __init__(self, app) -> None:
        self.painted = asyncio.Event()
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is not None and app.is_headless:
                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(app.console)
                else:
                    app.console._render_buffer(app.console.render(renderable))
            self.painted.set()

        app._display = display

    async def next_paint(self) -> None:
        self.painted.clear()
        await asyncio.wait_for(self.painted.wait(), timeout=30)

    @staticmethod
    def pending(screen) -> bool:
        """A paint is due: the screen has one queued, or a widget on it asked for one that it has not
        handed to the screen yet (it does so when it next goes idle)."""
        if screen._layout_required or screen._scroll_required or screen._repaint_required or screen._dirty_widgets:
            return True
        return any(
            widget._repaint_required or widget._layout_required or widget._scroll_required
            for widget in screen.walk_children(with_self=False)
        )


class Quiescence:
    """Tells when the console has nothing left to do: no message pump (the app, a screen, a widget) holds a
    message or a callback, none is still handling one, and no paint is due.

    It watches the pumps from outside (each one's wait for its next message is wrapped), so it adds no
    message of its own. Pilot's `_wait_for_screen`, the older way (`--settle pilot`), posts a callback to the
    app and to every widget and waits for each: about 4 ms of the console's CPU per wait here, spent on the
    console's thread and counted in every key's figures."""

    def __init__(self) -> None:
        self.busy: weakref.WeakSet = weakref.WeakSet()
        self._original = MessagePump._get_message
        busy, original = self.busy, self._original

        async def get_message(pump: MessagePump):
            busy.discard(pump)  # done with its last message, idle callbacks included
            message = await original(pump)
            busy.add(pump)
            return message

        MessagePump._get_message = get_message  # type: ignore[method-assign]

    def close(self) -> None:
        MessagePump._get_message = self._original  # type: ignore[method-assign]

    def idle(self, app) -> bool:
        if any(pump.is_running and not pump._closed for pump in self.busy):
            return False
        screen = app.screen
        return not (
            screen._callbacks
            or any(p._message_queue.values or p._next_callbacks for p in (app, *screen.walk_children(with_self=True)))
        )

    async def settle(self, app, painter: Painter) -> None:
        """Wait for every message the key caused (it is in the app's queue already) and the paint of its effect."""
        for spins in itertools.count():
            if self.idle(app):
                if not painter.pending(app.screen):
                    return
                await painter.next_paint()
                continue
            # What is queued runs when this yields; a handler that awaits something longer is not spun on.
            await asyncio.sleep(0 if spins < 200 else 0.001)


def runqueue_wait_s() -> float:
    """How long this thread has waited, runnable, for a CPU another task held (Linux's schedstat; 0 elsewhere):
    the part of a key's latency that is neither the console's work nor its own waits (the paint timer)."""
    try:
        with open("/proc/thread-self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


async def timed_presses(
    pilot, keys: list[str], painter: Painter, pace_s: float = 0.0, quiet: Quiescence | None = None
) -> tuple[list[float], list[float], list[float]]:
    """Time each key from its event reaching the app to the screen showing its effect: every message
    it caused processed, then the paint of what it changed. Also the console thread's CPU per key.

    With `pace_s`, key i is due `i * pace_s` after the first, as a held key repeats, and is timed from
    when it was due: a key that could not be sent on time because the console was still busy with the
    one before counts that wait too (no coordinated omission). Without, each key is sent as soon as
    the one before was painted.

    The key is posted to the app as the terminal driver posts it. Then (`quiet`, the default) the clock
    stops once no pump of the console has anything left and the paint is done (Textual paints on a timer,
    up to 60 times a second). With `quiet=None` (`--settle pilot`, as before 2026-12-03), the screen and
    every widget on it are drained twice with pilot's `_wait_for_screen` (the second time for the
    refreshes the key's handlers queued), and while a paint is still due, its end is awaited too.

    Returns each key's latency, the console thread's CPU, and its wait for a CPU held by another task."""
    wall, cpu, waited = [], [], []
    app = pilot.app
    due = time.perf_counter()
    for key in keys:
        if pace_s:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        started, started_cpu, started_wait = time.perf_counter(), time.thread_time(), runqueue_wait_s()
        if quiet is not None:
            app.post_message(event)
            await quiet.settle(app, painter)
        else:
            app._driver.send_message(event)
            await pilot._wait_for_screen()
            await pilot._wait_for_screen()
            for _ in range(3):  # a paint can leave another due (a scroll bar that moved)
                if not painter.pending(app.screen):
                    break
                await painter.next_paint()
        wall.append(time.perf_counter() - (min(due, started) if pace_s else started))
        cpu.append(time.thread_time() - started_cpu)
        waited.append(runqueue_wait_s() - started_wait)
        due += pace_s
    return wall, cpu, waited


def by_kind(cursor: list[float], filter_keys: list[float], sort: list[float]) -> dict:
    """The figures of each kind of key, and of all of them."""
    return {
        "cursor_down": stats_ms(cursor),
        "filter_keystroke": stats_ms(filter_keys),
        "sort": stats_ms(sort),
        "all": stats_ms(cursor + filter_keys + sort),
    }


async def key_pass(
    pilot, painter: Painter, cpu: CpuShares, poller, presses: int, pace_s: float, quiet: Quiescence | None
) -> dict:
    """Cursor moves, filter keystrokes, then sorts, at `pace_s` apart (0: back to back); the latency and CPU of
    each kind, and what polling, the cores and the collector did meanwhile."""
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    pauses.recording = True
    cpu.start()
    polls_before, clock_before = poller.polls, time.monotonic()
    cursor, cursor_cpu, cursor_wait = await timed_presses(pilot, ["down"] * presses, painter, pace_s, quiet)
    await timed_presses(pilot, ["slash"], painter, 0.0, quiet)
    word = "sim-1"
    typing = [ch for _ in range(max(1, presses // (2 * len(word)))) for ch in [*word, *["backspace"] * len(word)]]
    filter_keys, filter_cpu, filter_wait = await timed_presses(pilot, typing, painter, pace_s, quiet)
    await timed_presses(pilot, ["escape"], painter, 0.0, quiet)
    sort, sort_cpu, sort_wait = await timed_presses(pilot, ["s"] * max(10, presses // 5), painter, pace_s, quiet)
    elapsed = time.monotonic() - clock_before
    polls = poller.polls - polls_before
    shares = cpu.stop()
    pauses.recording = False
    gc.callbacks.remove(pauses)
    return {
        "keys_per_s": round(1 / pace_s, 1) if pace_s else "back to back",
        "polls_per_s": round(polls / elapsed, 1),
        "latency": by_kind(cursor, filter_keys, sort),
        "console_cpu_per_key": by_kind(cursor_cpu, filter_cpu, sort_cpu),
        "console_wait_for_cpu_per_key": by_kind(cursor_wait, filter_wait, sort_wait),
        "cpu_cores": shares,
        "gc_pauses": pauses.summary(),
    }


async def measure(count: int, args: argparse.Namespace, quiet: Quiescence | None) -> dict:
    with simulated_fleet(count) as (config_path, simulator_pids):
        inventory = parse_inventory(config_path.read_text(), config_path, environ={})
        if args.alerts:
            inventory = dataclasses.replace(inventory, alerts=BENCH_ALERTS)
        fleet = await Fleet.load(inventory, data_dir=None)
        poller = fleet.poller
        assert poller is not None
        poller.set_interval(args.interval)
        if args.poller == "thread":
            poller.start_process = poller.start_thread
        app = ConvosApp(fleet)
        async with app.run_test(size=(160, 48)) as pilot:
            screen = app.main_screen
            painter = Painter(app)
            remote = getattr(poller, "_remote", None)
            cpu = CpuShares(simulator_pids, remote.process.pid if remote is not None else None)
            deadline = time.monotonic() + START_TIMEOUT_S
            while any(s.state == State.UNKNOWN for s in fleet.states.values()):
                if time.monotonic() > deadline:
                    raise RuntimeError("not every gateway answered in time")
                await asyncio.sleep(0.2)
            log(f"  {count}: every gateway answered; warming up")
            poller_pid = remote.process.pid if remote is not None else None
            rss = {"answered": {"console": rss_mb(os.getpid()), "poller": rss_mb(poller_pid)}}
            await asyncio.sleep(args.interval)
            polls_before, clock_before = poller.polls, time.monotonic()
            cpu.start()
            await asyncio.sleep(args.interval)
            idle = {
                "polls_per_s": round((poller.polls - polls_before) / (time.monotonic() - clock_before), 1),
                "cpu_cores": cpu.stop(),
            }

            # Record the refresh ticks (each step of one) as they happen while polling goes on.
            natural: list[float] = []
            dirty_sizes: list[int] = []
            tick = screen.tick

            def recorded_tick(**kwargs) -> None:
                dirty_sizes.append(len(screen._dirty))
                started = time.perf_counter()
                tick(**kwargs)
                natural.append(time.perf_counter() - started)

            screen.tick = recorded_tick
            # Back to back (the goal's figure, as before), then at --pace keys a second if asked, each with
            # what polling, the cores and the collector did meanwhile.
            burst = await key_pass(pilot, painter, cpu, poller, args.presses, 0.0, quiet)
            paced = (
                await key_pass(pilot, painter, cpu, poller, args.presses, 1 / args.pace, quiet) if args.pace else None
            )
            screen.tick = tick

            # Worst case: every gateway changed since the last tick.
            full: list[float] = []
            for _ in range(args.full_ticks):
                screen._dirty.extend(fleet.states)
                started = time.perf_counter()
                screen.tick()
                full.append(time.perf_counter() - started)
            rows = screen.query_one(FleetTable).row_count
            rss["after_keys"] = {"console": rss_mb(os.getpid()), "poller": rss_mb(poller_pid)}
            held: list[dict[str, float | None]] = []
            polls_before_hold = poller.polls
            for _ in range(int(args.hold / args.interval)):  # polling goes on: memory must not grow with it
                await asyncio.sleep(args.interval)
                held.append({"console": rss_mb(os.getpid()), "poller": rss_mb(poller_pid)})
                if len(held) % max(1, round(60 / args.interval)) == 0:  # a long hold shows its curve as it goes
                    print(f"  held {len(held) * args.interval:.0f} s: RSS {held[-1]}", file=sys.stderr, flush=True)
            if held:
                rss["held_s"], rss["polls_while_held"] = args.hold, poller.polls - polls_before_hold
                rss["held_first"], rss["held_last"] = held[0], held[-1]
                for party in ("console", "poller"):
                    values = [h[party] for h in held if h[party] is not None]
                    rss[f"held_{party}_max"] = max(values) if values else None
                # One sample a minute: whether memory levels off or keeps growing, not just where it ended.
                rss["held_each_minute"] = held[
                    max(1, round(60 / args.interval)) - 1 :: max(1, round(60 / args.interval))
                ]

        needed = count / args.interval
        return {
            "gateways": count,
            "rows_shown": rows,
            "poller": "process" if remote is not None else "thread",
            "poll_interval_s": args.interval,
            "polls_per_s_needed": round(needed, 1),
            "polls_per_s_during_keys": burst["polls_per_s"],
            "polling_kept_up_during_keys": burst["polls_per_s"] >= 0.95 * needed,
            "key_latency": burst["latency"],
            "console_cpu_per_key": burst["console_cpu_per_key"],
            "console_wait_for_cpu_per_key": burst["console_wait_for_cpu_per_key"],
            "cpu_cores_during_keys": burst["cpu_cores"],
            "gc_pauses_during_keys": burst["gc_pauses"],
            "paced": paced,
            "rss_mb": rss,
            "before_the_keys": idle,
            "refresh_tick": {
                "steps_during_keys": stats_ms(natural) if natural else None,
                "polls_waiting_per_step_median": int(statistics.median(dirty_sizes)) if dirty_sizes else 0,
                "all_rows_dirty_in_one_go": stats_ms(full),
            },
            "alerts": {"rules": len(inventory.alerts), "raised_and_not_acknowledged": len(screen.alerts.watch.active)},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 5000])
    parser.add_argument("--interval", type=float, default=2.0, help="poll interval, seconds (default 2)")
    parser.add_argument("--presses", type=int, default=60, help="cursor presses per size (default 60)")
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="after the keys back to back, the same keys again at this many a second, each timed from when it was"
        " due (25: a held key's auto-repeat, X's default rate); 0 (the default): back to back only",
    )
    parser.add_argument("--full-ticks", type=int, default=5, help="all-dirty refresh ticks to time (default 5)")
    parser.add_argument("--hold", type=float, default=0.0, help="seconds of polling after the keys, RSS sampled")
    parser.add_argument(
        "--poller",
        choices=("process", "thread"),
        default="process",
        help="where the console polls from: its own process (the default, as convos-tui does) "
        "or a thread of the console's process (as before), to compare",
    )
    parser.add_argument("--alerts", action="store_true", help="alert rules on (BENCH_ALERTS): every gateway watched")
    parser.add_argument(
        "--settle",
        choices=("quiet", "pilot"),
        default="quiet",
        help="when a key is done: once no pump of the console has anything left to do and the paint is done"
        " (the default), or after pilot's _wait_for_screen twice, which costs the console's thread about 8 ms a"
        " key itself (as before 2026-12-03), to compare",
    )
    args = parser.parse_args()
    if not all(1 <= n <= 10_000 for n in args.sizes) or args.hold < 0:
        parser.error("--sizes from 1 to 10000 (the simulator's limit), --hold from 0")
    raise_fd_limit(min(max(args.sizes), SHARD) * 2 + 1000, "ui.py")  # a simulator's listeners and connections
    load_at_start = [round(v, 2) for v in os.getloadavg()]
    results = []
    quiet = Quiescence() if args.settle == "quiet" else None  # before any app starts: it sees every pump
    try:
        for count in args.sizes:
            log(f"N = {count}: starting the simulated fleet")
            results.append(asyncio.run(measure(count, args, quiet)))
            log(f"  {count}: done")
    finally:
        if quiet is not None:
            quiet.close()
    document = {
        "benchmark": "convos-tui console",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": load_at_start,
        },
        "settle": args.settle,
        "results": results,
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
