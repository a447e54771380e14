"""How one value of the config is read and checked: its type, its range, and a Problem when it is wrong.

`ValueReader` holds the problems found so far and the line of every key; `inventory.py` builds the
config's sections (settings, gateways, profiles, sources) on it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from convos_tui.api.endpoint import Timeouts
from convos_tui.api.interpret import clean_text
from convos_tui.fleet.toml_lines import KeyPath, TomlMap

# Whole-text patterns (`\Z`, not `$`, which also matches before a final newline): `.match` is a full match.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,63}\Z")
TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}\Z")
ENV_VAR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
TIMEOUT_KEYS = tuple(f.name for f in fields(Timeouts))

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a config: where, what, and what to do about it."""

    path: KeyPath
    message: str
    fix: str
    severity: Severity = "error"
    line: int | None = None

    def render(self, file: Path | str) -> str:
        where = f"{file}:{self.line}" if self.line else f"{file}"
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}: {label}{self.message}. {self.fix}"


class ConfigError(Exception):
    """The config cannot be used as it is. `problems` holds every finding, each with its line."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problem.render(path) for problem in problems))


def parse_duration(value: Any) -> float:
    """Seconds from `3`, `2.5`, `"500ms"`, `"3s"`, `"2m"`, `"1h"` or `"1m30s"`."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace(" ", "")
        matches = list(_DURATION_PART.finditer(text))
        if not matches or "".join(m.group(0) for m in matches) != text:
            raise ValueError(f"{value!r} is not a duration")
        seconds = sum(float(m.group(1)) * _UNIT_SECONDS[m.group(2)] for m in matches)
    else:
        raise ValueError(f"{value!r} is not a duration")
    if not 0 < seconds <= 86_400:
        raise ValueError(f"{value!r} is out of range")
    return seconds


def nearest(word: str, choices: tuple[str, ...] | list[str], what: str = "valid keys") -> str:
    """`did you mean 'x'?` for a close choice, else the choices (`what: a, b, c`)."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else f"{what}: " + ", ".join(choices)


class ValueReader:
    """Reads values out of the parsed TOML, recording a Problem (with its line) for each wrong one."""

    def __init__(self, path: Path, toml_map: TomlMap, environ: Mapping[str, str]) -> None:
        self.path = path
        self.map = toml_map
        self.environ = environ
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, where: KeyPath, message: str, fix: str, severity: Severity = "error") -> None:
        problem = Problem(where, message, fix, severity, self.map.line_of(where))
        (self.warnings if severity == "warning" else self.problems).append(problem)

    def warn(self, where: KeyPath, message: str, fix: str) -> None:
        self.add(where, message, fix, "warning")

    def neutralise(self, value: Any, where: KeyPath = ()) -> Any:
        """`value` (the parsed TOML) with every key and string passed through the neutraliser that cleans
        what gateways send, so nothing from the config reaches a terminal raw: not in the console, not in
        a command's output, not in an error message. A control character in a note is shown as � (a
        warning); anywhere else (names, URLs, paths, settings) it is an error. Inline tokens are secrets
        and never shown: they are left as they are."""
        if isinstance(value, dict):
            cleaned = {}
            for key, item in value.items():
                if clean_text(key) != key:
                    self.add(where + (key,), f"the key {key!r} holds control characters", "Remove them")
                cleaned[clean_text(key)] = self.neutralise(item, where + (key,))
            return cleaned
        if isinstance(value, list):
            return [self.neutralise(item, where + (index,)) for index, item in enumerate(value)]
        if not isinstance(value, str) or where[-1:] == ("token",) or clean_text(value) == value:
            return value
        key = next((part for part in reversed(where) if isinstance(part, str)), "")
        message = f"{key} holds control characters (a terminal escape, say)"
        if key == "note":
            self.warn(where, message + ", shown as \N{REPLACEMENT CHARACTER}", "Remove them from the note")
        else:
            self.add(where, message, "Remove them: names, URLs, paths and settings are plain text")
        return clean_text(value)

    # -- generic readers ---------------------------------------------------------------------
    def table(self, value: Any, where: KeyPath, label: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.add(where, f"{label} should be a table", f"Write it as [{'.'.join(map(str, where))}]")
        return {}

    def unknown_keys(self, table: dict[str, Any], where: KeyPath, valid: tuple[str, ...], label: str) -> None:
        for key in table:
            if key not in valid:
                self.add(where + (key,), f"unknown key {key!r} in {label}", nearest(key, valid).capitalize())

    def string(self, table: dict[str, Any], key: str, where: KeyPath, label: str, default: str = "") -> str:
        value = table.get(key, default)
        if isinstance(value, str):
            return value
        self.add(where + (key,), f"{label} {key} should be a string, not {value!r}", f'Write it in quotes: {key} = "…"')
        return default

    def boolean(self, table: dict[str, Any], key: str, where: KeyPath, label: str, default: bool) -> bool:
        value = table.get(key, default)
        if isinstance(value, bool):
            return value
        self.add(
            where + (key,),
            f"{label} {key} should be true or false, not {value!r}",
            f"Write {key} = true or {key} = false",
        )
        return default

    def duration(self, table: dict[str, Any], key: str, where: KeyPath, label: str, default: float) -> float:
        if key not in table:
            return default
        try:
            return parse_duration(table[key])
        except ValueError as exc:
            self.add(
                where + (key,),
                f"{label} {key}: {exc}",
                'Write a duration such as "500ms", "3s", "2m" or "1m30s" (or seconds as a number), above 0 and at most a day',
            )
            return default

    def choice(
        self, table: dict[str, Any], key: str, where: KeyPath, label: str, options: tuple[str, ...], default: str
    ) -> str:
        value = table.get(key, default)
        if value in options:
            return value
        self.add(
            where + (key,),
            f"{label} {key} {value!r} is not one of {', '.join(options)}",
            f"Set {key} to one of: {', '.join(options)}",
        )
        return default

    def tags(self, table: dict[str, Any], where: KeyPath, label: str) -> tuple[str, ...]:
        value = table.get("tags", [])
        if not isinstance(value, list):
            self.add(where + ("tags",), f"{label} tags should be a list", 'Write tags = ["pool-a", "eu"]')
            return ()
        good = []
        for index, tag in enumerate(value):
            if isinstance(tag, str) and TAG_RE.match(tag):
                good.append(tag)
            else:
                self.add(
                    where + ("tags", index),
                    f"{label} tag {tag!r} is not a valid tag",
                    "Tags are letters, digits, '.', '_', '/' and '-', up to 40 characters",
                )
        return tuple(dict.fromkeys(good))

    def token_env(self, table: dict[str, Any], key: str, where: KeyPath, label: str) -> tuple[str | None, str | None]:
        name = table.get(key)
        if name is None:
            return None, None
        if not isinstance(name, str) or not ENV_VAR_RE.match(name):
            self.add(
                where + (key,),
                f"{label} {key} {name!r} is not an environment variable name",
                f'Write the variable\'s name, e.g. {key} = "GW_POOL_KEY"',
            )
            return None, None
        value = self.environ.get(name, "")
        if not value:
            # One rule for every command: the file is right, its environment lacks a key. Nothing refuses
            # to start over it; a gateway that wants the key shows unauthorized.
            self.warn(
                where + (key,),
                f"{label} reads its key from ${name}, which is not set, so no key is sent",
                f"Export it before starting (export {name}=…), or remove {key}",
            )
            return name, None
        return name, value

    def timeouts(self, value: Any, where: KeyPath, base: Timeouts, label: str) -> Timeouts:
        table = self.table(value, where, f"{label} timeouts")
        self.unknown_keys(table, where, TIMEOUT_KEYS, f"{label} timeouts")
        changes = {
            key: self.duration(table, key, where, f"{label} timeout", getattr(base, key))
            for key in TIMEOUT_KEYS
            if key in table
        }
        return replace(base, **changes)
