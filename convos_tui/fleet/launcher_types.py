"""The keys of the `docker` and `command` launchers (see fleet/launchers.py for the whole table)."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from convos_tui.fleet.config_values import ENV_VAR_RE, ValueReader

if TYPE_CHECKING:
    from convos_tui.fleet.launchers import LauncherConfig

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What a template may name: the instance and where it runs. Secrets are never placeholders: a hook gets them
# in its environment (CONVOS_POOL_API_KEY, OPENCLAW_GATEWAY_TOKEN), where no `ps` shows them.
HOOK_PLACEHOLDERS = ("instance", "id", "launcher", "golden", "port", "dir")
CONTAINER_PLACEHOLDERS = ("id", "port")
SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)", re.I)


def _argv(checker: ValueReader, entry: dict[str, Any], key: str, where: tuple[Any, ...], label: str) -> tuple[str, ...]:
    """A template: a list of arguments, or a string split like a shell would (but never run by one)."""
    value = entry.get(key)
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as exc:
            checker.add(where + (key,), f"{label} {key}: {exc}", "Write it as a list of arguments")
            return ()
    if not isinstance(value, list) or not value or not all(isinstance(a, str) for a in value):
        checker.add(
            where + (key,),
            f"{label} {key} should be a command: a list of arguments",
            f'Write {key} = ["my-cli", "start", "{{id}}"] (to use a shell, say so: ["sh", "-c", "…"])',
        )
        return ()
    return tuple(value)


def _placeholders(
    checker: ValueReader, argv: tuple[str, ...], allowed: tuple[str, ...], where: tuple[Any, ...], label: str
) -> None:
    for arg in argv:
        for name in PLACEHOLDER.findall(arg):
            if name not in allowed:
                checker.add(
                    where,
                    f"{label}: unknown placeholder {{{name}}}",
                    f"Use {', '.join('{' + a + '}' for a in allowed)}",
                )


def read_docker(
    checker: ValueReader, entry: dict[str, Any], where: tuple[Any, ...], label: str, launcher: LauncherConfig
) -> LauncherConfig:
    image = checker.string(entry, "image", where, label)
    if not image:
        checker.add(
            where + ("image",) if "image" in entry else where,
            f"{label} needs an image (its golden)",
            'Write image = "name@sha256:…" (pin by digest: `convos-tui golden commit` prints it)',
        )
    pull = checker.choice(entry, "pull", where, label, ("missing", "always", "never"), "missing")
    network = checker.string(entry, "network", where, label, "bridge") or "bridge"
    port = entry.get("container_port", 18789)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        checker.add(where + ("container_port",), f"{label} container_port {port!r} is not a port", "Write 18789")
        port = 18789
    command: tuple[str, ...] = ()
    if "command" in entry:
        command = _argv(checker, entry, "command", where, label)
        _placeholders(checker, command, CONTAINER_PLACEHOLDERS, where + ("command",), label)
    if network == "host" and not any("{port}" in a for a in command):
        checker.add(
            where + ("network",),
            f'{label}: with network = "host" the gateway must listen on the port the console gives it',
            'Add command = [..., "--port", "{port}"], or use network = "bridge"',
        )
    env = checker.table(entry.get("env", {}), where + ("env",), f"{label} env")
    plain: list[tuple[str, str]] = []
    for name, value in env.items():
        if not ENV_VAR_RE.match(name) or not isinstance(value, str):
            checker.add(where + ("env", name), f'{label} env {name!r} should be NAME = "text"', "Fix or remove it")
        elif SECRET_ENV.search(name):
            checker.add(
                where + ("env", name),
                f"{label} env {name}: a secret does not go in the config",
                f'Export it in the console\'s environment and add "{name}" to pass_env',
            )
        else:
            plain.append((name, value))
    pass_env = entry.get("pass_env", list(launcher.pass_env))
    if not isinstance(pass_env, list) or not all(isinstance(n, str) and ENV_VAR_RE.match(n) for n in pass_env):
        checker.add(
            where + ("pass_env",), f"{label} pass_env should list variable names", 'pass_env = ["ANTHROPIC_API_KEY"]'
        )
        pass_env = list(launcher.pass_env)
    engine = checker.string(entry, "engine", where, label) or None
    state_dir = checker.string(entry, "state_dir", where, label, launcher.state_dir)
    return replace(
        launcher,
        image=image,
        pull=pull,
        network=network,
        container_port=port,
        command=command,
        env=tuple(plain),
        pass_env=tuple(pass_env),
        engine=engine,
        state_dir=state_dir,
    )


def read_hooks(
    checker: ValueReader, entry: dict[str, Any], where: tuple[Any, ...], label: str, launcher: LauncherConfig
) -> LauncherConfig:
    from convos_tui.fleet.launchers import HOOK_TIMEOUTS, HOOKS

    hooks = []
    for hook in HOOKS:
        if hook not in entry:
            if hook != "list":
                checker.add(
                    where,
                    f"{label} needs a {hook} command",
                    f'Write {hook} = ["my-cli", "{hook}", "{{id}}"] (see the README: command hooks)',
                )
            continue
        argv = _argv(checker, entry, hook, where, label)
        _placeholders(checker, argv, HOOK_PLACEHOLDERS, where + (hook,), label)
        hooks.append((hook, argv))
    timeouts = checker.table(entry.get("hook_timeouts", {}), where + ("hook_timeouts",), f"{label} hook_timeouts")
    checker.unknown_keys(timeouts, where + ("hook_timeouts",), HOOKS, f"{label} hook_timeouts")
    durations = {
        hook: checker.duration(timeouts, hook, where + ("hook_timeouts",), f"{label} hook_timeouts", default)
        for hook, default in HOOK_TIMEOUTS.items()
    }
    return replace(launcher, hooks=tuple(hooks), hook_timeouts=tuple(durations.items()))
