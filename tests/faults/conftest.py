"""Faults over real processes: a `convos-tui simulate` fleet, and `convos-tui` commands run as subprocesses.

Everything listens on 127.0.0.1; every process a test starts is stopped by the fixture that started it.
"""

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def spawn(args, *, env, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "convos_tui", *args], env=env, cwd=ROOT, **kwargs)


@pytest.fixture
def home(tmp_path):
    """An environment of its own: data dir, config home, and no inherited crash point or token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVOS_TUI_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"), TZ="UTC")
    return env


class Simulator:
    def __init__(self, tmp_path: Path, env: dict[str, str], count: int, speed: float, modes: tuple[str, ...]):
        self.config = tmp_path / "fleet.toml"
        args = ["simulate", "--count", str(count), "--speed", str(speed), "--write-config", str(self.config)]
        for mode in modes:
            args += ["--mode", mode]
        self.process = spawn(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.config.exists():
                try:
                    self.gateways = tomllib.loads(self.config.read_text())["gateways"]
                    if len(self.gateways) == count:
                        return
                except (tomllib.TOMLDecodeError, KeyError):
                    pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"the simulator did not start: {self.process.stderr.read().decode()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def simulator(tmp_path, home):
    started = []

    def start(count=2, speed=50.0, modes=()):
        sim = Simulator(tmp_path, home, count, speed, modes)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def cli(home):
    """Run `convos-tui ARGS` as a process of its own; returns the CompletedProcess (bytes on stdin allowed)."""

    def run(*args, input=None, env=None, timeout=60, text=True):
        merged = dict(home, **(env or {}))
        return subprocess.run(
            [sys.executable, "-m", "convos_tui", *args],
            input=input,
            env=merged,
            cwd=ROOT,
            capture_output=True,
            text=text,
            timeout=timeout,
        )

    return run
