"""Polling benchmark: the fleet Poller against N simulated gateways, beside a plain aiohttp reference poller.

    .venv/bin/python benchmarks/poll.py                  # N = 100, 1,000 and 5,000 (about 2.5 minutes)
    .venv/bin/python benchmarks/poll.py --sizes 1000     # one size
    .venv/bin/python benchmarks/poll.py --sizes 10000 --repeat 3 --seconds 20   # the largest fleet
    .venv/bin/python benchmarks/poll.py --sizes 1000 --repeat 15 --seconds 20

The simulated gateways (`convos-tui simulate`) run in a process of their own, on 127.0.0.1 only. For
each N, the Poller and the reference each run in a fresh worker process (so CPU and peak RSS belong to
one client); their warm sweeps run in blocks ordered poller, reference, reference, poller, so a machine
that speeds up or slows down during the run affects both alike. Measured for each client:

- a cold sweep (new connections), then the median of `--repeat` warm sweeps (keep-alive connections),
  with the CPU seconds they took; the warm/reference ratio is the figure to compare across machines;
- a sustained run of `--seconds` at `--interval`: polls/s, CPU seconds per 1,000 polls, and RSS and live
  objects after K and after 2K polls (memory must not grow with the number of polls);
- peak RSS, and how long stopping took.

Beside each phase: the simulator's CPU share of the wall time (near 1.0: the simulator, not the client,
set the pace) and the CPU share of other processes (well above 0: the machine was busy, the figures are
noisy). On Linux the simulator is pinned to one CPU and the workers to another.

The figures go to stdout as one JSON document, progress to stderr. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

from big_fleets import SHARD, merged_config, raise_fd_limit, shard_sizes  # benchmarks/, the script's own folder

DEFAULT_SIZES = (100, 1000, 5000)
SIM_START_TIMEOUT_S = 120.0
SIM_STOP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0  # a client whose stop takes longer is reported as hung


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- measuring a process ---------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory now (peak RSS alone cannot show growth)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def cpu_of(pids: tuple[int, ...] | None) -> float | None:
    """CPU seconds (user + system) other processes (the simulator's shards) have used, from /proc; None where
    that cannot be read."""
    if not pids:
        return None
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None
    return total


def busy_cpu() -> float | None:
    """CPU seconds the whole machine has been busy (all CPUs), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            user, nice, system, *_ = map(int, stat.readline().split()[1:])
        return (user + nice + system) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


class Meter:
    """Over one phase: wall time, own CPU, the simulator's CPU, and the CPU of everything else."""

    def __init__(self, sim_pid: tuple[int, ...] | None = None) -> None:
        self.sim_pid = sim_pid
        self.start = self.sample()

    def sample(self) -> tuple[float | None, ...]:
        return time.perf_counter(), time.process_time(), cpu_of(self.sim_pid), busy_cpu()

    def stop(self) -> dict[str, float | None]:
        end = self.sample()
        wall, cpu, sim, busy = (None if a is None or b is None else b - a for a, b in zip(self.start, end, strict=True))
        assert wall is not None and cpu is not None
        # The simulator is the other busy process on purpose; anything beyond it and us is noise.
        other = None if sim is None or busy is None else max(0.0, busy - cpu - sim)
        return {"wall": wall, "cpu": cpu, "sim": sim, "other": other}


def share(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else round(part / whole, 2)


def load(phases: list[dict[str, Any]]) -> dict[str, float | None]:
    wall = sum(phase["wall"] for phase in phases)
    total = {
        key: None if any(phase[key] is None for phase in phases) else sum(phase[key] for phase in phases)
        for key in ("sim", "other")
    }
    return {
        "simulator_cpu_share": share(total["sim"], wall),
        "other_processes_cpu_share": share(total["other"], wall),
    }


# -- the two clients -------------------------------------------------------------------------------


class PollerClient:
    """The fleet Poller. Its loop is started but paused, so sweeps share the loop's warm session."""

    def __init__(self, gateways: list[tuple[str, str]], interval_s: float, concurrency: int) -> None:
        from convos_tui.fleet.inventory import GatewayConfig
        from convos_tui.fleet.poller import Poller
        from convos_tui.fleet.state import State

        self.idle = State.IDLE  # what a healthy unbound simulated gateway is; anything else is a failure
        self.poller = Poller(
            (GatewayConfig(name, url) for name, url in gateways), interval_s=interval_s, concurrency=concurrency
        )

    async def open(self) -> None:
        await self.poller.start()
        # No await since start(): the loop task has not run yet, so it polls nothing until resume().
        self.poller.pause()

    async def sweep(self) -> int:
        states = await self.poller.sweep()
        return sum(state.state is not self.idle for state in states.values())

    def start_loop(self) -> None:
        self.poller.resume()

    @property
    def polls(self) -> int:
        return self.poller.polls

    def failures(self) -> int:
        return sum(state.state is not self.idle for state in self.poller.states.values())

    async def close(self) -> None:
        await self.poller.stop()


class ReferenceClient:
    """The yardstick: one session, a semaphore, GET and read the body, keep nothing."""

    def __init__(self, gateways: list[tuple[str, str]], interval_s: float, concurrency: int) -> None:
        self.urls = [url.rstrip("/") + "/convos/status" for _, url in gateways]
        self.interval_s = interval_s
        self.concurrency = concurrency
        self.polls = 0
        self.failed = 0
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        import aiohttp

        self.errors = (aiohttp.ClientError, TimeoutError)
        self.limit = asyncio.Semaphore(self.concurrency)
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.concurrency))

    async def get(self, url: str) -> bool:
        async with self.limit:
            try:
                async with self.session.get(url) as response:
                    await response.read()
                    ok = response.status == 200
            except self.errors:
                ok = False
        self.polls += 1
        self.failed += not ok
        return ok

    async def sweep(self) -> int:
        results = await asyncio.gather(*(self.get(url) for url in self.urls))
        return results.count(False)

    async def repoll(self, url: str) -> None:
        # Each gateway on its own schedule with the Poller's ±10 % jitter, until cancelled.
        while True:
            await self.get(url)
            await asyncio.sleep(self.interval_s * random.uniform(0.9, 1.1))

    def start_loop(self) -> None:
        self.failed = 0
        self.tasks = [asyncio.create_task(self.repoll(url)) for url in self.urls]

    def failures(self) -> int:
        return self.failed

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.session.close()


# -- a worker: one client in its own process, driven line by line over stdin/stdout ----------------


def snapshot(client: PollerClient | ReferenceClient, polls_before: int) -> dict[str, float | int]:
    # Collect first, so the live-object count is what is kept rather than garbage awaiting collection.
    gc.collect()
    return {"polls": client.polls - polls_before, "rss_mb": round(rss_mb(), 1), "live_objects": len(gc.get_objects())}


async def sweep(client: PollerClient | ReferenceClient, sim_pid: tuple[int, ...] | None) -> dict[str, Any]:
    meter = Meter(sim_pid)
    failures = await client.sweep()
    return {**meter.stop(), "failures": failures}


async def sustain(client: PollerClient | ReferenceClient, args: argparse.Namespace, count: int) -> dict[str, Any]:
    # The simulator closes connections idle for 5 s: warm them up again after the other client's turn.
    await client.sweep()
    before = client.polls
    meter = Meter(args.sim_pid)
    client.start_loop()
    await asyncio.sleep(args.seconds / 2)
    after_k = snapshot(client, before)
    await asyncio.sleep(args.seconds / 2)
    phase = meter.stop()
    after_2k = snapshot(client, before)
    wall, cpu, polls = phase["wall"], phase["cpu"], after_2k["polls"]
    return {
        "sustained": {
            "seconds": round(wall, 2),
            "interval_s": args.interval,
            "offered_polls_per_s": round(count / args.interval),
            "polls": polls,
            "polls_per_s": round(polls / wall, 1),
            "cpu_s_per_1000_polls": round(cpu / polls * 1000, 4) if polls else None,
            "cpu_share": share(cpu, wall),
            # What one saturated core would sustain at this cost per poll: the headroom when not saturated.
            "polls_per_cpu_s": round(polls / cpu) if cpu else None,
            "failing_gateways_at_end": client.failures(),
            **load([phase]),
        },
        "memory": {
            "rss_mb_before_polling": args.rss_before_polling,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "after_k_polls": after_k,
            "after_2k_polls": after_2k,
        },
    }


async def close(client: PollerClient | ReferenceClient) -> dict[str, Any]:
    meter = Meter()
    # Bounded: a stop that hangs is reported, not awaited (cancelling it would wait on the same hang).
    done, _ = await asyncio.wait([asyncio.ensure_future(client.close())], timeout=STOP_TIMEOUT_S)
    return {"stop_s": round(meter.stop()["wall"], 3), "stop_hung": not done}


def worker(args: argparse.Namespace) -> None:
    with open(args.config, "rb") as file:
        gateways = [(gw["name"], gw["url"]) for gw in tomllib.load(file)["gateways"][: args.count]]
    kind = PollerClient if args.worker == "poller" else ReferenceClient
    client = kind(gateways, args.interval, args.concurrency)
    args.rss_before_polling = round(rss_mb(), 1)
    with asyncio.Runner() as runner:
        runner.run(client.open())
        for command in sys.stdin:
            if command.strip() == "sweep":
                reply = runner.run(sweep(client, args.sim_pid))
            elif command.strip() == "sustain":
                reply = runner.run(sustain(client, args, len(gateways)))
            else:
                reply = runner.run(close(client))
            print(json.dumps(reply), flush=True)
            if reply.get("stop_hung"):
                os._exit(0)  # leaving the Runner would wait for the hung stop forever
            if "stop_s" in reply:
                return
    os._exit(1)  # stdin closed: the benchmark is gone, and aiohttp's unclosed-session warnings would be noise


# -- the orchestrator ------------------------------------------------------------------------------


def child_setup(cpu: int | None) -> None:
    """Runs in a child before exec: its CPU, and death with the benchmark even if that is SIGKILLed (Linux)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def read_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """One line from a child, or kill it: a child that hangs ends the read instead of the benchmark."""
    assert proc.stdout is not None
    watchdog = threading.Timer(timeout_s, proc.kill)
    watchdog.start()
    try:
        return proc.stdout.readline()
    finally:
        watchdog.cancel()


class Worker:
    def __init__(self, kind: str, count: int, config: Path, sim_pid: tuple[int, ...], args: argparse.Namespace) -> None:
        self.kind = kind
        command = [
            sys.executable, __file__, "--worker", kind, "--config", str(config), "--count", str(count),
            "--sim-pid", ",".join(map(str, sim_pid)), "--seconds", str(args.seconds), "--interval", str(args.interval),
            "--concurrency", str(args.concurrency),
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=lambda: child_setup(None)
        )
        self.timeout_s = 60 + args.seconds + count / 100  # far above any honest answer

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = read_line(self.proc, self.timeout_s)
        if not line:
            raise RuntimeError(f"the {self.kind} worker died or hung on {command!r} (exit code {self.proc.poll()})")
        return json.loads(line)

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def summarise(cold: dict[str, Any], warm: list[dict[str, Any]], count: int) -> dict[str, Any]:
    walls = [sweep["wall"] for sweep in warm]
    cpu = statistics.median(sweep["cpu"] for sweep in warm)
    return {
        "cold_sweep_s": round(cold["wall"], 4),
        "cold_sweep_cpu_s": round(cold["cpu"], 4),
        "warm_sweep_s": round(statistics.median(walls), 4),  # the median of the warm sweeps
        "warm_sweep_s_min_max": [round(min(walls), 4), round(max(walls), 4)],
        "warm_sweep_cpu_s": round(cpu, 4),
        "warm_sweep_cpu_s_per_1000_polls": round(cpu / count * 1000, 4),
        "sweep_failures": cold["failures"] + sum(sweep["failures"] for sweep in warm),
        "warm_sweeps_load": load(warm),
    }


def measure(count: int, config: Path, sim_pid: tuple[int, ...], args: argparse.Namespace) -> dict[str, Any]:
    kinds = ("poller", "reference")
    workers = {kind: Worker(kind, count, config, sim_pid, args) for kind in kinds}
    try:
        cold: dict[str, dict[str, Any]] = {}
        warm: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        # Blocks in the order A B B A, so a machine that speeds up or slows down hits both clients alike.
        # Within a block the sweeps are back to back: a connection idle for 5 s is closed by the gateway,
        # so a client must not wait for the other's sweeps between two of its own.
        for kind in (*kinds, *reversed(kinds)):
            first = workers[kind].ask("sweep")  # cold the first time; later it re-warms after the other's turn
            cold.setdefault(kind, first)
            warm[kind] += [workers[kind].ask("sweep") for _ in range(math.ceil(args.repeat / 2))]
        row: dict[str, Any] = {"gateways": count}
        for kind in kinds:
            log(f"N={count}: {kind}: warm sweep {statistics.median(s['wall'] for s in warm[kind]) * 1000:.1f} ms; "
                f"sustained run of {args.seconds:g} s")  # fmt: skip
            row[kind] = summarise(cold[kind], warm[kind], count)
            row[kind].update(workers[kind].ask("sustain"))
            row[kind].update(workers[kind].ask("stop"))
    finally:
        for each in workers.values():
            each.end()
    poller, reference = row["poller"], row["reference"]
    row["warm_sweep_ratio_poller_to_reference"] = round(poller["warm_sweep_s"] / reference["warm_sweep_s"], 2)
    row["warm_sweep_cpu_ratio_poller_to_reference"] = round(
        poller["warm_sweep_cpu_s"] / reference["warm_sweep_cpu_s"], 2
    )
    row["sustained_polls_per_s_ratio_poller_to_reference"] = round(
        poller["sustained"]["polls_per_s"] / reference["sustained"]["polls_per_s"], 2
    )
    return row


def start_simulator(count: int, config: Path, cpu: int | None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "convos_tui", "simulate", "--count", str(count), "--write-config", str(config)]
    # Its own session: a Ctrl-C in the terminal reaches the benchmark, which stops the simulator itself.
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=lambda: child_setup(cpu)
    )


def wait_until_serving(proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + SIM_START_TIMEOUT_S
    while (line := read_line(proc, max(0.1, deadline - time.monotonic()))) != "":
        if line.startswith("# Serving until Ctrl-C"):  # printed once every gateway listens
            return
    raise RuntimeError(f"the simulator did not start (exit code {proc.wait()})")


def stop_simulator(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)  # its clean stop
        try:
            proc.wait(SIM_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def pick_cpus() -> tuple[int, int] | None:
    """(workers' CPU, simulator's CPU), or None where processes cannot be pinned or there is one CPU."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1]) if len(cpus) >= 2 else None


def orchestrate(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    # The workers hold one connection a gateway, a simulator's shard two a gateway of its own; they inherit it.
    raise_fd_limit(2 * min(max(args.sizes), SHARD) + 1000, "poll.py")
    cpus = pick_cpus()
    if cpus is not None:
        os.sched_setaffinity(0, {cpus[0]})  # the workers inherit it
    report: dict[str, Any] = {
        "benchmark": "poll",
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "cpus": os.cpu_count(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "pinning": {"applied": cpus is not None, "workers_cpu": cpus and cpus[0], "simulator_cpu": cpus and cpus[1]},
        "settings": {
            "sizes": args.sizes,
            "warm_sweeps": 2 * math.ceil(args.repeat / 2),
            "sustained_seconds": args.seconds,
            "interval_s": args.interval,
            "concurrency": args.concurrency,
        },  # fmt: skip
        "results": [],
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="convos-poll-bench-") as tmp:
        config = Path(tmp) / "fleet.toml"
        for count in args.sizes:
            # A fresh simulator for each N: it logs every request, and an old one answers more slowly.
            log(f"N={count}: starting the simulated gateways")
            shards = [Path(tmp) / f"shard-{k}.toml" for k in range(len(shard_sizes(count)))]
            sims: list[subprocess.Popen[str]] = []
            try:
                for size, shard in zip(shard_sizes(count), shards, strict=True):
                    sims.append(start_simulator(size, shard, cpus and cpus[1]))
                    wait_until_serving(sims[-1])
                config.write_text(merged_config(shards))
                log(f"N={count}: a cold sweep and {2 * math.ceil(args.repeat / 2)} warm sweeps each, in blocks")
                report["results"].append(measure(count, config, tuple(sim.pid for sim in sims), args))
            finally:
                for sim in sims:
                    stop_simulator(sim)
    report["total_s"] = round(time.perf_counter() - started, 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], default=list(DEFAULT_SIZES),
                        help="comma-separated fleet sizes, 1 to 10000 (default: 100,1000,5000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=8,
                        help="warm sweeps per client, made even (two blocks); the median is reported")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each sustained run (default 10)")
    parser.add_argument("--interval", type=float, default=0.5, help="poll interval of the sustained run (min 0.5)")
    parser.add_argument("--concurrency", type=int, default=200, help="polls in flight at once (the config default)")
    parser.add_argument("--worker", choices=("poller", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sim-pid", type=lambda text: tuple(int(p) for p in text.split(",")), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        try:
            worker(args)
        except KeyboardInterrupt:
            # Ctrl-C reaches the whole process group; the benchmark reports it. Leave without aiohttp's
            # unclosed-session warnings.
            os._exit(130)
        return
    if not all(1 <= n <= 10_000 for n in args.sizes) or min(args.repeat, args.concurrency) < 1 or args.seconds <= 0:
        parser.error("--sizes from 1 to 10000 (the simulator's limit), --repeat and --concurrency from 1, "
                     "--seconds above 0")  # fmt: skip
    if args.interval < 0.5:
        parser.error("--interval from 0.5 (the Poller's minimum)")
    # SIGTERM unwinds like Ctrl-C, through the finally blocks that end the workers and the simulator.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print(json.dumps(orchestrate(args), indent=2))
    except KeyboardInterrupt:
        sys.exit("poll.py: interrupted; the simulator and the workers are stopped")


if __name__ == "__main__":
    main()
