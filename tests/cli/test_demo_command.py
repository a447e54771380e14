"""`convos-tui demo --serve-only` as a person runs it: a real process, the headless commands on its config,
then Ctrl-C, after which neither the process nor its temporary directory is left."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import tomllib

from convos_tui.sim.demo import Role, demo_plan


def environment(tmp_path):
    """A TMPDIR of the test's own, and XDG dirs no real user has."""
    dirs = {name: tmp_path / name for name in ("tmp", "config", "data")}
    for path in dirs.values():
        path.mkdir()
    return dirs, {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "TMPDIR": str(dirs["tmp"]),
        "XDG_CONFIG_HOME": str(dirs["config"]),
        "XDG_DATA_HOME": str(dirs["data"]),
    }


def cli(env, *args, timeout=30):
    return subprocess.run(
        [sys.executable, "-m", "convos_tui", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def start_demo(env, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "convos_tui", "demo", "--serve-only", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_notes(process, deadline_s=30.0):
    """The human notes on stderr, up to the line that says it serves."""
    lines = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Serving until Ctrl-C"):
            return "".join(lines)
    raise AssertionError("the demo did not say it serves:\n" + "".join(lines))


def test_serve_only_serves_the_headless_commands_and_leaves_nothing(tmp_path, demo_states):
    dirs, env = environment(tmp_path)
    process = start_demo(env, "--speed", "10")
    try:
        notes = read_notes(process)
        config_file = next(line.split(": ", 1)[1] for line in notes.splitlines() if line.startswith("config: "))
        root = os.path.dirname(config_file)
        assert os.path.dirname(root) == str(dirs["tmp"])
        with open(config_file, encoding="utf-8") as file:
            config_text = file.read()
        config = tomllib.loads(config_text)
        assert len(config["gateways"]) == 24
        # Keep the commands' history with the demo, as the notes say.
        env = {**env, "XDG_DATA_HOME": os.path.join(root, "data")}
        assert f"export XDG_DATA_HOME={env['XDG_DATA_HOME']}" in notes

        # Watch the fleet until every state the demo is there to show has been seen.
        watch = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "convos_tui",
                "--config",
                config_file,
                "status",
                "--watch",
                "--jsonl",
                "--interval",
                "0.5",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        seen: dict[str, set[str]] = {}
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and not demo_states <= set(seen):
                row = json.loads(watch.stdout.readline())
                seen.setdefault(row["state"], set()).add(row["name"])
        finally:
            watch.send_signal(signal.SIGINT)
            watch.wait(timeout=10)
        assert demo_states <= set(seen), sorted(seen)
        assert len(seen["idle"]) >= 6

        # Create on one idle gateway and join it from another, headless.
        first, second = sorted(seen["idle"])[:2]
        created = cli(env, "--config", config_file, "create", first, "--json")
        assert created.returncode == 0, created.stderr
        invite = json.loads(created.stdout)["invite_url"]
        joined = cli(env, "--config", config_file, "join", second, invite, "--json")
        assert joined.returncode == 0, joined.stderr
        assert json.loads(joined.stdout)["status"] == "joined"
        assert json.loads(joined.stdout)["conversation_id"] == json.loads(created.stdout)["conversation_id"]
        assert os.listdir(os.path.join(root, "data", "convos-tui"))  # the commands' store, in the demo's dir

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        # stdout is the config alone, so `convos-tui demo --serve-only > fleet.toml` gives a usable file.
        assert process.stdout.read() == config_text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert list(dirs["tmp"].iterdir()) == []
    assert list(dirs["data"].iterdir()) == [] and list(dirs["config"].iterdir()) == []


def test_sigterm_stops_it_cleanly_too(tmp_path):
    dirs, env = environment(tmp_path)
    process = start_demo(env, "--count", "6")
    try:
        read_notes(process)
        assert len(list(dirs["tmp"].iterdir())) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert list(dirs["tmp"].iterdir()) == []


def test_demo_help_and_bad_count():
    result = subprocess.run([sys.executable, "-m", "convos_tui", "demo", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--serve-only" in result.stdout and "--seed" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "convos_tui", "demo", "--count", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "Invalid value for '--count'" in result.stderr


def test_the_readme_says_how_to_start_it_and_describes_the_seed_0_fleet():
    text = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert re.search(r"<!-- demo-command -->\s*```sh\n\.venv/bin/convos-tui demo\n```", text)
    assert text.index("<!-- demo-command -->") < text.index("## Configuration")
    table = text.split("**What the demo shows**", 1)[1].split("\n\n", 2)[1]
    rows = [line.split(" | ")[0].strip("| ") for line in table.splitlines()[2:]]
    order = [
        Role.IDLE,
        Role.LIVE,
        Role.APPROVER,
        Role.PENDING,
        Role.APPROVED,
        Role.FLAPPING,
        Role.STALLED,
        Role.OFFLINE,
        Role.BOOTING,
        Role.NO_PLUGIN,
        Role.UNAUTHORIZED,
        Role.UNREACHABLE,
        Role.SLOW,
    ]
    plan = demo_plan(24, seed=0)
    assert [sorted(re.findall(r"`([^`]+)`", row)) for row in rows] == [
        sorted(g.name for g in plan if g.role is role) for role in order
    ]
    slow = next(g for g in plan if g.role is Role.SLOW)
    assert f"every answer takes {slow.spec.latency:g} s" in table


class Terminal:
    """A real process in a pseudo-terminal of a given size, as a person runs the console: keys in, screen out."""

    def __init__(self, env, *args, size=(120, 40)):
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "convos_tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color"},
            close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        self.output = b""

    def read_until(self, text, timeout=30.0):
        import select

        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never shown; last output: {self.output[-2000:]!r}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the process ended
                    raise AssertionError(f"{text!r} never shown before the end") from None

    def type(self, keys):
        os.write(self.master, keys.encode())

    def drain(self):
        """Read what is left, so the process never blocks writing to the terminal."""
        import select

        while select.select([self.master], [], [], 0)[0]:
            try:
                if not os.read(self.master, 65536):
                    return
            except OSError:
                return

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def test_read_only_holds_in_the_demo_console(tmp_path):
    # Before: `convos-tui --read-only demo` ignored the flag: no READ-ONLY, and `c` then ctrl+s created.
    dirs, env = environment(tmp_path)
    terminal = Terminal(env, "--read-only", "demo", "--count", "6", "--speed", "10")
    try:
        terminal.read_until("READ-ONLY")
        terminal.type("c")
        terminal.read_until("create refused")  # said at once, and written to the audit
        terminal.type("\x13")  # ctrl+s: no panel is open, nothing is sent
        terminal.drain()
        started = time.monotonic()
        terminal.type("q")
        while terminal.process.poll() is None and time.monotonic() - started < 15:
            terminal.drain()
            time.sleep(0.02)
        assert terminal.process.wait(timeout=1) == 0
    finally:
        terminal.close()
    assert list(dirs["tmp"].iterdir()) == []
