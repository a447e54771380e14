"""One-shot benchmark: `convos-tui status --json` as a whole process, beside the Node peer and a minimal aiohttp script.

    .venv/bin/python benchmarks/oneshot.py                       # N = 100, 1,000 and 5,000, 5 runs each
    .venv/bin/python benchmarks/oneshot.py --sizes 1000 --repeat 9
    .venv/bin/python benchmarks/oneshot.py --startup              # --help and status on an empty fleet only

The fleet is independent of the project: N HTTP servers on 127.0.0.1 in one Node process
(benchmarks/oneshot_fleet.mjs, each answering GET /convos/status with the real gateway's body), neither the
simulator nor aiohttp. On it, for each N, three whole processes run in turn, rotated so that each goes first
as often as the others (a machine that slows down during the run slows all three alike):

- ours: `convos-tui --config fleet.toml status --json`, with its store in a data directory of its own (the
  first run, which records every gateway's first state, is not counted: a cron job's runs after it are);
- node: benchmarks/oneshot_peer.mjs, `fetch` + `Promise.allSettled` in one process (the pool managers' way);
- aiohttp: benchmarks/oneshot_aiohttp.py, one session and a semaphore, nothing else (the floor for Python).

For each: the median and range of the wall time, the median CPU seconds (user + system) and peak RSS, and the
ratios of ours to the two others (medians). `--startup` times `convos-tui --help` and `status` on a config with no
gateways the same way. Each process's output is checked (ours: every gateway polled and none unreachable), so a
fast failure never counts as a fast run. The load average is printed beside the figures. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from big_fleets import raise_fd_limit  # benchmarks/, the script's own folder

HERE = Path(__file__).resolve().parent
PYTHON = Path(sys.executable)
CONVOS_TUI = PYTHON.parent / "convos-tui"
FLEET_START_TIMEOUT_S = 120.0
RUN_TIMEOUT_S = 300.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class FakeFleet:
    """The Node fleet, on ports the system chose, started and stopped with the `with` block."""

    def __init__(self, node: str, count: int) -> None:
        self.node, self.count = node, count
        self.ports: list[int] = []
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeFleet:
        self.process = subprocess.Popen(
            [self.node, str(HERE / "oneshot_fleet.mjs"), str(self.count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        # readline returns "" if the fleet dies; the timeout bounds a fleet that hangs while opening its ports.
        deadline = time.monotonic() + FLEET_START_TIMEOUT_S
        line = self.process.stdout.readline()
        try:
            self.ports = [int(port) for port in json.loads(line)]
        except (ValueError, TypeError):
            self.ports = []
        if len(self.ports) != self.count or time.monotonic() > deadline:
            self.__exit__()
            raise SystemExit(f"the fake fleet did not start (it said {line[:200]!r})")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/convos/status" for port in self.ports]

    def config(self) -> str:
        tables = [
            f'[[gateways]]\nname = "gw{i:05d}"\nurl = "http://127.0.0.1:{port}"\n' for i, port in enumerate(self.ports)
        ]
        return 'refresh = "5s"\npoll_concurrency = 200\n\n' + "\n".join(tables)


def process_env(data: Path) -> dict[str, str]:
    """The timed processes' environment: a data directory of their own, and bytecode caches written as a
    user's machine writes them (a wheel install has them from the start). With PYTHONDONTWRITEBYTECODE set,
    an editable install would compile each of its own modules on every run: 0.05 s of a 0.3 s run."""
    env = {**os.environ, "XDG_DATA_HOME": str(data), "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(command: list[str], env: dict[str, str]) -> tuple[dict[str, float], str]:
    """Run `command` to its end: wall s, CPU s of it and its children, peak RSS MiB; and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 2) or (done.returncode == 2 and "no gateways" not in done.stderr):
        raise SystemExit(f"{command[:3]} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of the children is the largest any child has had so far: measured per run via /usr/bin/time
    # would need another process; the per-client peak is taken from a run of its own below.
    return {"wall": wall, "cpu": cpu, "maxrss": after.ru_maxrss / 1024}, done.stdout


def check(kind: str, output: str, count: int) -> None:
    """A fast failure must not count as a fast run: every gateway answered."""
    gateways = json.loads(output)["gateways"]
    bad = [g for g in gateways if g["state"] not in ("idle", "active", "live")]  # the peers say active, we live
    if len(gateways) != count or bad:
        raise SystemExit(f"{kind}: {len(gateways)} of {count} gateways, {len(bad)} not idle or live: {bad[:3]}")


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    walls = sorted(r["wall"] for r in runs)
    return {
        "wall_median_s": round(statistics.median(walls), 3),
        "wall_range_s": [round(walls[0], 3), round(walls[-1], 3)],
        "cpu_median_s": round(statistics.median(r["cpu"] for r in runs), 3),
        "runs": len(runs),
    }


def peak_rss(command: list[str], env: dict[str, str]) -> float | None:
    """Peak RSS in MiB of one run, from GNU time (ru_maxrss of RUSAGE_CHILDREN only ever grows)."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if gnu_time is None:
        return None
    done = subprocess.run([gnu_time, "-f", "%M", *command], env=env, capture_output=True, text=True)
    try:
        return round(int(done.stderr.strip().splitlines()[-1]) / 1024, 1)
    except (ValueError, IndexError):
        return None


def rotate(commands: dict[str, list[str]], repeat: int, env: dict[str, str], count: int | None) -> dict[str, Any]:
    names = list(commands)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for turn in range(repeat):
        order = names[turn % len(names) :] + names[: turn % len(names)]
        for name in order:
            figures, output = timed(commands[name], env)
            if count is not None:
                check(name, output, count)
            runs[name].append(figures)
        log(f"  turn {turn + 1}/{repeat}: " + ", ".join(f"{n} {runs[n][-1]['wall']:.3f} s" for n in names))
    result = {name: summary(r) for name, r in runs.items()}
    for name in names:
        result[name]["peak_rss_mib"] = peak_rss(commands[name], env)
    return result


def ratios(result: dict[str, Any], ours: str, others: list[str]) -> dict[str, float]:
    mine = result[ours]["wall_median_s"]
    return {f"{ours}/{other}": round(mine / result[other]["wall_median_s"], 2) for other in others if other in result}


def measure(node: str | None, count: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with FakeFleet(node or "node", count) as fleet:
        config = workdir / f"fleet-{count}.toml"
        config.write_text(fleet.config())
        urls = workdir / f"urls-{count}.txt"
        urls.write_text("\n".join(fleet.urls()) + "\n")
        env = process_env(workdir / f"data-{count}")
        commands = {
            "ours": [str(CONVOS_TUI), "--config", str(config), "status", "--json"],
            "aiohttp": [str(PYTHON), str(HERE / "oneshot_aiohttp.py"), str(urls)],
        }
        if node is not None:
            commands["node"] = [node, str(HERE / "oneshot_peer.mjs"), str(urls)]
        for name, executable in args.also:  # another build of ours (e.g. the commit before), in the same rotation
            commands[name] = [executable, "--config", str(config), "status", "--json"]
            timed(commands[name], env)  # its own first run, not counted either (the store is shared)
        timed(commands["ours"], env)  # the first run records every gateway's first state: not counted
        log(f"{count} gateways (load {load_average()}):")
        result = rotate(commands, args.repeat, env, count)
        result["ratios"] = ratios(result, "ours", ["node", "aiohttp", *(name for name, _ in args.also)])
        result["load_average_after"] = load_average()
        return result


def startup(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    empty = workdir / "empty.toml"
    empty.write_text('refresh = "5s"\n')
    env = process_env(workdir / "data-empty")
    commands = {
        "--help": [str(CONVOS_TUI), "--help"],
        "status, empty fleet": [str(CONVOS_TUI), "--config", str(empty), "status"],
        "python -c pass": [str(PYTHON), "-c", "pass"],
    }
    for name, executable in args.also:
        commands[f"{name} --help"] = [executable, "--help"]
        commands[f"{name} status, empty fleet"] = [executable, "--config", str(empty), "status"]
    for command in commands.values():
        timed(command, env)  # not counted: it writes the bytecode caches, as the first run on a machine does
    log(f"start-up (load {load_average()}):")
    result = rotate(commands, args.repeat, env, None)
    result["load_average_after"] = load_average()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], default=[100, 1000, 5000],
                        help="comma-separated fleet sizes (default: 100,1000,5000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5, help="runs of each process per size (default 5)")
    parser.add_argument("--startup", action="store_true", help="only time --help and status on an empty fleet")
    parser.add_argument("--also", action="append", default=[], metavar="NAME=PATH", type=lambda t: tuple(t.split("=", 1)),
                        help="another convos-tui executable to time in the same rotation (e.g. before=/tmp/old/bin/convos-tui)")  # fmt: skip
    args = parser.parse_args()
    if any(len(pair) != 2 or not Path(pair[1]).exists() for pair in args.also):
        parser.error("--also takes NAME=PATH, PATH an existing convos-tui executable")
    if args.repeat < 1 or not all(1 <= n <= 9_000 for n in args.sizes):
        parser.error(
            "--repeat from 1 and --sizes from 1 to 9000 (the fleet holds two open files a gateway, in one process)"
        )
    node = shutil.which("node")
    if node is None:
        log("node is not installed: the fleet needs it (https://nodejs.org); nothing measured")
        raise SystemExit(2)
    raise_fd_limit(2 * max(args.sizes) + 1000, "oneshot.py")  # the fleet's listeners and accepted connections
    with tempfile.TemporaryDirectory(prefix="convos-oneshot-") as tmp:
        workdir = Path(tmp)
        report: dict[str, Any] = {"load_average_before": load_average(), "cpus": os.cpu_count()}
        report["startup"] = startup(args, workdir)
        if not args.startup:
            report["node_version"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
            for count in args.sizes:
                report[str(count)] = measure(node, count, args, workdir)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
