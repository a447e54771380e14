"""The process launcher: restore a golden, start its gateway on a loopback port, wait for the plugin, stop it.

One code path for both types: `openclaw` runs the real `openclaw gateway run --port N --bind loopback`, `sim`
runs the same argv with the project's simulator (`python -m convos_tui.sim.instance`) as the executable.

An instance's directory ($XDG_DATA_HOME/convos-tui/instances/<id>/) holds everything it writes:

    home/                 $HOME (the real gateway reads INSTRUCTIONS.md under $HOME, the CLI writes $HOME/.convos)
    home/.openclaw/       $OPENCLAW_STATE_DIR: the golden's copy, openclaw.json with this instance's secrets (0600)
    tmp/                  $TMPDIR (the real gateway writes under /tmp otherwise)
    tmp/jiti ->           the launcher's shared transpile cache (code, no state): without it, every instance
                          of openclaw 2026.2.x transpiles the plugin again, over a minute on a busy machine
    gateway.log           the gateway's stdout and stderr
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from convos_tui.fleet.launchers import PORT_SPAN, LauncherConfig
from convos_tui.instances.golden import CONFIG_FILE, load_config, write_json

STATE_DIR = Path("home") / ".openclaw"
LOG_FILE = "gateway.log"
TAIL_LINES = 12
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?")  # colours, titles
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what is left of the terminal's language
# What an instance takes from the console's environment, by name, and nothing else: the console's own
# environment holds the pool keys of other gateways (token_env) and its own state, none of which an agent's
# process should see. The provider key is passed, never written to a file. CONVOS_SIM_MODE only tells a
# simulated gateway how to behave.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "ANTHROPIC_API_KEY", "CONVOS_SIM_MODE")


class PhaseError(Exception):
    """A phase of a launch failed: which one, and why."""

    def __init__(self, phase: str, message: str) -> None:
        self.phase = phase
        self.message = message
        super().__init__(f"{phase}: {message}")


def command(launcher: LauncherConfig, port: int) -> list[str]:
    """The gateway's argv: the same for both types but for the executable."""
    if launcher.type == "sim":
        executable: Sequence[str] = (sys.executable, "-m", "convos_tui.sim.instance")
    else:
        executable = launcher.executable
    return [*executable, "gateway", "run", "--port", str(port), "--bind", "loopback"]


def restore(golden: Path, directory: Path, port: int, cache: Path) -> tuple[str, str]:
    """Copy the golden into a new instance directory with its own secrets and port; returns (pool key, env).

    The port goes into openclaw.json as well as on the command line: openclaw 2026.2.3 defines --port on both
    `gateway` and `gateway run`, so the parent command takes it and `gateway run` falls back to the config."""
    directory.mkdir(parents=True, mode=0o700)
    state = directory / STATE_DIR
    shutil.copytree(golden, state, symlinks=True)
    (directory / "tmp").mkdir(mode=0o700)
    (cache / "jiti").mkdir(parents=True, exist_ok=True)
    (directory / "tmp" / "jiti").symlink_to(cache / "jiti", target_is_directory=True)
    config = load_config(state)
    pool_key = secrets.token_urlsafe(24)
    gateway = config.setdefault("gateway", {})
    gateway.setdefault("auth", {}).update(mode="token", token=secrets.token_urlsafe(24))
    gateway["bind"] = "loopback"
    gateway["port"] = port
    convos = config.setdefault("channels", {}).setdefault("convos", {})
    convos["poolApiKey"] = pool_key
    config.setdefault("logging", {})["file"] = str(directory / "openclaw-file.log")
    write_json(state / CONFIG_FILE, config, mode=0o600)
    return pool_key, str(convos.get("env") or "production")


def pool_key(directory: Path) -> str | None:
    """The instance's pool key, read from its own config (never stored elsewhere)."""
    try:
        value = load_config(directory / STATE_DIR)["channels"]["convos"]["poolApiKey"]
    except Exception:
        return None
    return value if isinstance(value, str) else None


def environment(launcher: LauncherConfig, directory: Path, cache: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    home = directory / "home"
    env.update(
        HOME=str(home),
        TMPDIR=str(directory / "tmp"),
        OPENCLAW_STATE_DIR=str(directory / STATE_DIR),
        OPENCLAW_CONFIG_PATH=str(directory / STATE_DIR / CONFIG_FILE),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        NO_COLOR="1",
        FORCE_COLOR="0",
        NODE_COMPILE_CACHE=str(cache / "node-compile-cache"),
    )
    if launcher.type == "sim":
        env["CONVOS_SIM_SPEED"] = f"{launcher.speed:g}"
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # the simulator: this very package
    else:
        first = Path(launcher.executable[0])
        if first.is_absolute():  # node beside it must be found by the gateway's own children
            env["PATH"] = f"{first.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


class Ports:
    """Loopback ports of one launcher's range: a port is given only if it and port + 3 are free."""

    def __init__(self) -> None:
        self._claimed: set[int] = set()  # ports handed out in this process and not yet released

    def claim(self, launcher: LauncherConfig, in_use: set[int]) -> int:
        low, high = launcher.ports
        taken = set(self._claimed)
        for port in in_use:
            taken.update(range(port, port + PORT_SPAN + 1))
        for port in range(low, high - PORT_SPAN + 1):
            span = (port, port + PORT_SPAN)
            if any(p in taken for p in span) or not all(_bindable(p) for p in span):
                continue
            self._claimed.update(range(port, port + PORT_SPAN + 1))
            return port
        raise PhaseError(
            "restore",
            f"no free loopback port pair (N and N+{PORT_SPAN}) left in {low}-{high}: "
            "terminate instances or widen ports in [[launchers]]",
        )

    def release(self, port: int | None) -> None:
        if port is not None:
            self._claimed.difference_update(range(port, port + PORT_SPAN + 1))


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As a server binds (aiohttp and docker-proxy do): a port held only by closed connections waiting out
        # TIME_WAIT is free, one that something listens on is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def spawn(launcher: LauncherConfig, directory: Path, port: int, cache: Path) -> subprocess.Popen[bytes]:
    """Start the gateway in a session of its own (it outlives the command that launched it)."""
    log = open(directory / LOG_FILE, "ab", buffering=0)
    try:
        return subprocess.Popen(
            command(launcher, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=directory,
            env=environment(launcher, directory, cache),
            start_new_session=True,
        )
    except OSError as exc:
        raise PhaseError(
            "spawn",
            f"cannot run {command(launcher, port)[0]} ({exc.strerror or exc}): fix executable "
            "in [[launchers]] or put openclaw on PATH",
        ) from None
    finally:
        log.close()


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell it from a later one with its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def alive(pid: int | None, started: str | None) -> bool:
    """Whether the process is still the one launched (a zombie or a reused pid is not)."""
    if not pid:
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child and has exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: kill(0) is all we can know
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return False
    return started is None or fields[19] == started


async def port_open(port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1.0)
    except (TimeoutError, OSError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def stop(pid: int | None, started: str | None, grace: float) -> bool:
    """SIGTERM the instance's process group, SIGKILL after `grace`; True if it had to be killed."""
    if not alive(pid, started):
        return False
    assert pid is not None
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid, started):
            _signal_group(pid, signal.SIGKILL)  # children left behind by the gateway, if any
            return False
        await asyncio.sleep(0.05)
    _signal_group(pid, signal.SIGKILL)
    for _ in range(100):
        if not alive(pid, started):
            break
        await asyncio.sleep(0.02)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # the gateway leads its own session: its children go with it
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def log_tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The log's last lines (from its last 64 KiB), for a person to see why it failed."""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - 65536))
            data = log.read()
    except OSError:
        return ""
    text = CONTROL.sub("", ANSI.sub("", data.decode("utf-8", errors="replace")))
    return "\n".join(text.splitlines()[-lines:])


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
