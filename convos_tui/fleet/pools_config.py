"""`[pools.NAME]` in the config: warm pools of instances, each on one of the `[[launchers]]`.

[pools.booth]
launcher = "local"       # a [[launchers]] name
target_ready = 3         # instances kept ready
max_total = 10           # ready + launching + claimed, at most
prepare = "create"       # "create": each ready instance already holds a conversation and its invite
                         # "none": ready = gateway up and idle; a claim creates or joins on it
parallel = 4             # launches at once while refilling
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convos_tui.fleet.config_values import NAME_RE, ValueReader, nearest
from convos_tui.fleet.launchers import LauncherConfig

PREPARE = ("create", "none")
POOL_KEYS = ("launcher", "target_ready", "max_total", "prepare", "parallel")


@dataclass(frozen=True, slots=True)
class PoolConfig:
    name: str
    launcher: str
    target_ready: int
    max_total: int
    prepare: str  # "create" | "none"
    parallel: int = 4
    line: int | None = field(default=None, compare=False)


def read_pools(checker: ValueReader, value: Any, launchers: list[LauncherConfig]) -> list[PoolConfig]:
    """The pools of the config, each problem with its line and fix; a pool with an error is left out."""
    table = checker.table(value, ("pools",), "pools")
    names = [launcher.name for launcher in launchers]
    result: list[PoolConfig] = []
    for name, entry in table.items():
        where = ("pools", name)
        label = f"pool {name!r}"
        before = len(checker.problems)
        entry = checker.table(entry, where, label)
        checker.unknown_keys(entry, where, POOL_KEYS, label)
        if not NAME_RE.match(name):
            checker.add(where, f"{label} is not a valid name", "Names are up to 64 letters, digits and . _ : @ / -")
        launcher = entry.get("launcher")
        if not isinstance(launcher, str) or not launcher:
            checker.add(
                where + ("launcher",) if "launcher" in entry else where,
                f"{label} needs a launcher",
                f'Write launcher = "NAME", one of the [[launchers]] ({", ".join(names) or "none yet: add one"})',
            )
        elif launcher not in names:
            checker.add(
                where + ("launcher",),
                f"{label} names launcher {launcher!r}, which is not in the config",
                nearest(launcher, names, "launchers").capitalize() if names else "Add a [[launchers]] entry first",
            )
        target = _count(checker, entry, "target_ready", where, label, 0, 1000, 1)
        maximum = _count(checker, entry, "max_total", where, label, 1, 1000, max(target, 1) * 2)
        if target > maximum:
            checker.add(
                where + ("target_ready",),
                f"{label} target_ready {target} is over its max_total {maximum}",
                "Lower target_ready or raise max_total",
            )
        config = next((c for c in launchers if c.name == launcher), None)
        if config is not None and maximum > config.max_instances:
            checker.warn(
                where + ("max_total",),
                f"{label} max_total {maximum} is over launcher {launcher!r}'s max_instances {config.max_instances}: "
                "launches past that are refused",
                f"Lower max_total, or raise max_instances of launcher {launcher!r}",
            )
        prepare = checker.choice(entry, "prepare", where, label, PREPARE, "create")
        parallel = _count(checker, entry, "parallel", where, label, 1, 64, 4)
        if [p for p in checker.problems[before:] if p.severity == "error"]:
            continue
        assert isinstance(launcher, str)
        result.append(
            PoolConfig(
                name=name,
                launcher=launcher,
                target_ready=target,
                max_total=maximum,
                prepare=prepare,
                parallel=parallel,
                line=checker.map.line_of(where),
            )
        )
    return result


def _count(
    checker: ValueReader,
    entry: dict[str, Any],
    key: str,
    where: tuple[Any, ...],
    label: str,
    low: int,
    high: int,
    default: int,
) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        checker.add(
            where + (key,),
            f"{label} {key} {value!r} is not a whole number from {low} to {high}",
            f"Set {key} = {default}",
        )
        return default
    return value
