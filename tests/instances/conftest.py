"""Instances over real processes and sockets: a golden, a config with a fast `sim` launcher, and a cleanup
that stops every process a test launched, even when the test fails."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convos_tui.instances.golden import init_golden
from convos_tui.instances.launcher import alive
from convos_tui.instances.records import Records

SPEED = 20  # boot 1-3 s and create 2-5 s become 50-150 ms and 100-250 ms (plus Python's own start)
# A port range of this test process's own, so that parallel runs on one machine rarely meet; below the
# kernel's ephemeral ports (32768 up), which any outgoing connection on the machine may hold for a while.
PORT_BASE = 20000 + (os.getpid() % 120) * 100


def free_range(size: int) -> str:
    """A range of `size` loopback ports none of which listens now (the machine is shared: a fixed range can be
    another run's). Ports of this kind are what the tests' launchers hand out."""
    with contextlib.ExitStack() as stack:
        low = bound_range(size, stack)[0].getsockname()[1]
    return f"{low}-{low + size - 1}"


def bound_range(size: int, stack: contextlib.ExitStack, *, listen: bool = False) -> list:
    """`size` loopback sockets bound to ports in a row, found and bound at once (closed with `stack`): with
    `listen`, they hold the ports against anyone else until then. SO_REUSEADDR, as a server sets it: a port
    that only lingers in TIME_WAIT after an earlier test's connections is free to bind."""
    import random
    import socket

    rng = random.Random()
    for _ in range(200):
        low = rng.randrange(20000, 32000 - size)
        attempt = contextlib.ExitStack()
        try:
            sockets = []
            for port in range(low, low + size):
                sock = attempt.enter_context(socket.socket())
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", port))
                if listen:
                    sock.listen()
                sockets.append(sock)
        except OSError:
            attempt.close()
            continue
        stack.enter_context(attempt)
        return sockets
    raise RuntimeError(f"no {size} free loopback ports in a row below 32000")


class Env:
    """A config, a data dir and `convos-tui` run as a real process against them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.golden = tmp / "golden"
        init_golden(self.golden, env="dev")
        self.data = tmp / "data"
        self.config = tmp / "config.toml"
        self.write_config()

    def write_config(self, extra: str = "", max_instances: int = 10) -> None:
        self.config.write_text(
            "[[launchers]]\n"
            'name = "sim"\n'
            'type = "sim"\n'
            f'golden = "{self.golden}"\n'
            f'ports = "{PORT_BASE}-{PORT_BASE + 99}"\n'
            f"max_instances = {max_instances}\n"
            f"speed = {SPEED}\n"
            'boot_timeout = "20s"\n'
            'tags = ["launched"]\n' + extra
        )

    @property
    def store_path(self) -> Path:
        return self.data / "convos-tui" / "store.sqlite3"

    @property
    def instances_dir(self) -> Path:
        return self.data / "convos-tui" / "instances"

    def environ(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVOS_")}
        env.update(XDG_DATA_HOME=str(self.data), **extra)
        return env

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "convos_tui", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            env=env or self.environ(),
            timeout=timeout,
        )

    def json(self, *args: str, **kwargs) -> list[dict]:
        done = self.run(*args, "--json", **kwargs)
        assert done.stdout, done.stderr
        return json.loads(done.stdout)

    def records(self) -> Records:
        return Records.open(self.store_path)


@pytest.fixture
def env(tmp_path):
    environment = Env(tmp_path)
    yield environment
    if environment.store_path.exists():
        records = environment.records()
        for record in records.all(include_ended=True):
            if alive(record.pid, record.pid_start):
                os.killpg(record.pid, signal.SIGKILL)
        records.close()


def pytest_terminal_summary(terminalreporter):
    """How many docker tests ran, and why the others skipped (.ci/run starts an engine; CI reads this line)."""
    ran, skipped = 0, []
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if "test_docker.py" not in getattr(report, "nodeid", ""):
                continue
            if outcome == "skipped":
                skipped.append(str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else "")
            elif report.when == "call":
                ran += 1
    if ran or skipped:
        reason = f" ({skipped[0]})" if skipped else ""
        terminalreporter.write_line(f"docker tests: {ran} ran against a real engine, {len(skipped)} skipped{reason}")


def bound_identity(read_config, seconds: float = 10.0) -> str | None:
    """The identity an instance's plugin wrote into its openclaw.json (`read_config()`) once bound, or None.

    The plugin writes it after answering the create, as the real one does (the simulated one within 50 ms), so
    on a busy machine the file may be read a moment before it holds it: wait for it, up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        identity = read_config()["channels"]["convos"].get("identityId")
        if identity or time.monotonic() > deadline:
            return identity
        time.sleep(0.05)
