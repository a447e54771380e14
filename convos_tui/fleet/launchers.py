"""`[[launchers]]` in the config: where instances run, each read with its line and fix on every problem.

[[launchers]]
name = "local"
type = "openclaw"          # or "sim": the project's simulator as the executable, same code path
golden = "golden"          # a folder made by `convos-tui golden init` (relative to the config file)
ports = "19000-19099"      # loopback ports for the instances (each also reserves port + 3)
max_instances = 10
tags = ["launched"]
executable = "openclaw"    # or a path, or an argv prefix: ["/opt/node/bin/node", "/opt/oc/openclaw.mjs"]
boot_timeout = "3m"        # spawn → plugin ready
grace = "5s"               # SIGTERM → SIGKILL
speed = 1                  # sim only: time factor of the simulated gateway

[[launchers]]
name = "containers"
type = "docker"            # one container per instance, through the Docker Engine API
image = "convos-golden@sha256:…"   # the golden: an image, pinned by digest (a tag can move)
pull = "missing"           # or "always", "never"
network = "bridge"         # the port published on 127.0.0.1 only; "host" where the engine has no bridge
container_port = 18789     # where the image's gateway listens (bridge); with "host" it gets {port} instead
command = [...]            # optional: the container's argv, placeholders {port} {id}
env = { NODE_ENV = "production" }  # plain settings for the container (never a secret)
pass_env = ["ANTHROPIC_API_KEY"]   # the console's variables passed by name
engine = "unix:///var/run/docker.sock"  # default: DOCKER_HOST, or the local socket

[[launchers]]
name = "fly"
type = "command"           # any platform with a CLI: templates run without a shell
launch = ["fly", "machine", "run", "{golden}", "--name", "{instance}"]   # prints {"id", "url", "token_env"?}
terminate = ["fly", "machine", "destroy", "--force", "{id}"]
list = ["fly", "machine", "list", "--json"]            # optional: the ids still running
hook_timeouts = { launch = "5m", terminate = "1m", list = "30s" }
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convos_tui.fleet.config_values import NAME_RE, ValueReader
from convos_tui.fleet.launcher_types import read_docker, read_hooks

PROCESS_TYPES = ("openclaw", "sim")
LAUNCHER_TYPES = (*PROCESS_TYPES, "docker", "command")
COMMON_KEYS = ("name", "type", "ports", "max_instances", "tags", "boot_timeout", "grace")
TYPE_KEYS = {
    "openclaw": ("golden", "executable"),
    "sim": ("golden", "speed"),
    "docker": ("image", "pull", "network", "container_port", "command", "env", "pass_env", "engine", "state_dir"),
    "command": ("golden", "launch", "terminate", "list", "hook_timeouts"),
}
LAUNCHER_KEYS = tuple(dict.fromkeys(COMMON_KEYS + tuple(k for keys in TYPE_KEYS.values() for k in keys)))
PULL_POLICIES = ("missing", "always", "never")
HOOKS = ("launch", "terminate", "list")
HOOK_TIMEOUTS = {"launch": 300.0, "terminate": 60.0, "list": 30.0}
DEFAULT_PASS_ENV = ("ANTHROPIC_API_KEY",)
DEFAULT_PORTS = (19000, 19999)
PORT_SPAN = 3  # openclaw 2026.2.3 also listens on port + 3 (browser control)


@dataclass(frozen=True, slots=True)
class LauncherConfig:
    name: str
    type: str
    golden: Path
    ports: tuple[int, int] = DEFAULT_PORTS
    max_instances: int = 10
    tags: tuple[str, ...] = ()
    executable: tuple[str, ...] = ("openclaw",)
    boot_timeout: float = 180.0
    grace: float = 5.0
    speed: float = 1.0
    # docker
    image: str = ""
    pull: str = "missing"
    network: str = "bridge"
    container_port: int = 18789
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    pass_env: tuple[str, ...] = DEFAULT_PASS_ENV
    engine: str | None = None
    state_dir: str = "/root/.openclaw"
    # command: a template (argv) per hook, its timeout; golden_name is the golden as written ({golden})
    hooks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    hook_timeouts: tuple[tuple[str, float], ...] = tuple(HOOK_TIMEOUTS.items())
    golden_name: str = ""
    line: int | None = field(default=None, compare=False)

    def hook(self, name: str) -> tuple[str, ...]:
        return dict(self.hooks).get(name, ())

    def hook_timeout(self, name: str) -> float:
        return dict(self.hook_timeouts).get(name, HOOK_TIMEOUTS[name])


def read_launchers(checker: ValueReader, value: Any) -> list[LauncherConfig]:
    if not isinstance(value, list):
        checker.add(
            ("launchers",),
            "launchers should be an array of tables",
            "Write each launcher under its own [[launchers]] header",
        )
        return []
    result: list[LauncherConfig] = []
    for index, entry in enumerate(value):
        where = ("launchers", index)
        entry = checker.table(entry, where, f"launcher #{index + 1}")
        name = entry.get("name")
        label = f"launcher {name!r}" if isinstance(name, str) and name else f"launcher #{index + 1}"
        before = len(checker.problems)
        checker.unknown_keys(entry, where, LAUNCHER_KEYS, label)
        if not isinstance(name, str) or not NAME_RE.match(name):
            checker.add(
                where + ("name",) if "name" in entry else where,
                f"{label} needs a valid name",
                'Names are up to 64 letters, digits and . _ : @ / -, e.g. name = "local"',
            )
        elif any(other.name == name for other in result):
            checker.add(where + ("name",), f"duplicate launcher name {name!r}", "Give each launcher its own name")
        kind = checker.choice(entry, "type", where, label, LAUNCHER_TYPES, "")
        for key in entry:
            if (
                key in LAUNCHER_KEYS
                and key not in COMMON_KEYS
                and kind
                and key not in TYPE_KEYS[kind] + ("executable",)
            ):
                checker.add(where + (key,), f'{label}: {key} is not a key of type "{kind}"', f"Remove {key}")
        golden_text = checker.string(entry, "golden", where, label)
        if not golden_text and kind in PROCESS_TYPES:
            checker.add(
                where + ("golden",) if "golden" in entry else where,
                f"{label} needs a golden",
                'Make one with `convos-tui golden init DIR` and write golden = "DIR"',
            )
        golden = Path(golden_text).expanduser()
        if not golden.is_absolute():
            golden = checker.path.parent / golden
        ports = _ports(checker, entry, where, label)
        max_instances = entry.get("max_instances", 10)
        if isinstance(max_instances, bool) or not isinstance(max_instances, int) or not 1 <= max_instances <= 1000:
            checker.add(
                where + ("max_instances",),
                f"{label} max_instances {max_instances!r} is not a whole number from 1 to 1000",
                "Set it to, say, 10",
            )
            max_instances = 10
        executable = _executable(checker, entry, where, label, kind) if kind in PROCESS_TYPES else ("openclaw",)
        speed = entry.get("speed", 1.0)
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.01 <= speed <= 10_000:
            checker.add(
                where + ("speed",),
                f"{label} speed {speed!r} is not a number from 0.01 to 10000",
                "Set speed = 1 (real time) or more to run faster",
            )
            speed = 1.0
        launcher = LauncherConfig(
            name=name if isinstance(name, str) else "",
            type=kind,
            golden=golden,
            ports=ports,
            max_instances=max_instances,
            tags=checker.tags(entry, where, label),
            executable=executable,
            boot_timeout=checker.duration(entry, "boot_timeout", where, label, 30.0 if kind == "sim" else 180.0),
            grace=checker.duration(entry, "grace", where, label, 5.0),
            speed=float(speed),
            golden_name=golden_text,
            line=checker.map.line_of(where),
        )
        if kind == "docker":
            launcher = read_docker(checker, entry, where, label, launcher)
        elif kind == "command":
            launcher = read_hooks(checker, entry, where, label, launcher)
        if not [p for p in checker.problems[before:] if p.severity == "error"]:
            result.append(launcher)
    return result


def _ports(checker: ValueReader, entry: dict[str, Any], where: tuple[Any, ...], label: str) -> tuple[int, int]:
    value = entry.get("ports")
    if value is None:
        return DEFAULT_PORTS
    bounds: list[Any] = []
    if isinstance(value, str) and value.count("-") == 1:
        bounds = [part.strip() for part in value.split("-")]
        bounds = [int(b) if b.isdigit() else b for b in bounds]
    elif isinstance(value, list):
        bounds = value
    if (
        len(bounds) == 2
        and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
        and 1024 <= bounds[0]
        and bounds[0] + PORT_SPAN <= bounds[1] <= 65535
    ):
        return (bounds[0], bounds[1])
    checker.add(
        where + ("ports",),
        f"{label} ports {value!r} is not a range of at least {PORT_SPAN + 1} ports from 1024 to 65535",
        'Write ports = "19000-19099"',
    )
    return DEFAULT_PORTS


def _executable(
    checker: ValueReader, entry: dict[str, Any], where: tuple[Any, ...], label: str, kind: str
) -> tuple[str, ...]:
    if "executable" not in entry:
        return ("openclaw",)
    if kind == "sim":
        checker.add(
            where + ("executable",),
            f"{label}: a sim launcher runs the project's simulator",
            'Remove executable, or use type = "openclaw"',
        )
        return ("openclaw",)
    value = entry["executable"]
    argv = [value] if isinstance(value, str) else value
    if isinstance(argv, list) and argv and all(isinstance(a, str) and a for a in argv):
        return tuple(str(Path(a).expanduser()) if a.startswith("~") else a for a in argv)
    checker.add(
        where + ("executable",),
        f"{label} executable should be a path or a list of strings",
        'Write executable = "/usr/local/bin/openclaw", or ["/opt/node/bin/node", "/opt/oc/openclaw.mjs"]',
    )
    return ("openclaw",)
