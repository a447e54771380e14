"""The fleet inventory: the config file read into settings, gateways, profiles and discovery sources.

Every problem found names the file, the line and the fix. All problems are collected at once, so one
`config check` shows everything to mend. A config with errors never yields an Inventory: the console
refuses to start half-working on it. How each single value is read and checked is in config_values.py.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from convos_tui.api.endpoint import Timeouts, url_problem
from convos_tui.fleet.alert_rules import read_alerts
from convos_tui.fleet.config_model import (
    CLIPBOARD_MODES,
    ENVS,
    GATEWAY_KEYS,
    PROFILE_KEYS,
    RUNTIME_CHOICES,
    SETTING_KEYS,
    SOURCE_KEYS,
    SOURCE_TYPES,
    GatewayConfig,
    Inventory,
    Profile,
    Settings,
    Source,
    _SourceCommon,
)
from convos_tui.fleet.config_values import (
    ENV_VAR_RE,
    NAME_RE,
    TAG_RE,
    ConfigError,
    Problem,
    ValueReader,
    nearest,
    parse_duration,
)
from convos_tui.fleet.console_names import BINDING_IDS, THEMES
from convos_tui.fleet.launchers import read_launchers
from convos_tui.fleet.pools_config import read_pools
from convos_tui.fleet.toml_lines import KeyPath, LazyTomlMap
from convos_tui.fleet.view_settings import read_columns, read_views

METRIC_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# The labels the metrics set themselves (convos_tui/metrics/collector.py), and the ones Prometheus adds.
TAKEN_METRIC_LABELS = frozenset({"gateway", "state", "le", "action", "outcome", "launcher", "phase", "job", "instance"})

__all__ = [
    "ENV_VAR_RE",
    "ENVS",
    "NAME_RE",
    "TAG_RE",
    "ConfigError",
    "GatewayConfig",
    "Inventory",
    "Problem",
    "Profile",
    "Settings",
    "Source",
    "load_inventory",
    "parse_duration",
    "parse_inventory",
]


def load_inventory(path: Path, *, environ: Mapping[str, str] | None = None, required: bool = False) -> Inventory:
    """The inventory in `path`. A missing file gives an empty inventory unless `required`.

    Raises ConfigError listing every problem (with lines) when the file cannot be used.
    """
    environ = os.environ if environ is None else environ
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(
                path, [Problem((), "no config file here", "Create one with `convos-tui config init`")]
            ) from None
        return Inventory(path=path, exists=False)
    except OSError as exc:
        raise ConfigError(
            path, [Problem((), f"cannot read the config ({exc.strerror})", "Check its permissions")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(path, [Problem((), "not valid UTF-8", "Save the file as UTF-8", line=line)]) from None
    return parse_inventory(text, path, environ=environ, mode=_file_mode(path))


def _file_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def parse_inventory(
    text: str,
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    mode: int | None = None,
) -> Inventory:
    environ = os.environ if environ is None else environ
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [_syntax_problem(exc)]) from None
    checker = _Checker(path, LazyTomlMap(text), environ)
    inventory = checker.inventory(checker.neutralise(data))
    if (
        inventory.gateways
        and mode is not None
        and mode & 0o077
        and any(g.token and not g.token_env for g in inventory.gateways)
    ):
        checker.warn(
            (),
            f"holds inline tokens and other users can read it (mode {mode:o})",
            f"Run `chmod 600 {path}`, or move the tokens to environment variables with token_env",
        )
    warnings = sorted(checker.warnings, key=_line)
    if checker.problems:
        raise ConfigError(path, sorted(checker.problems, key=_line) + warnings)
    return replace(inventory, warnings=tuple(warnings))


def _line(problem: Problem) -> int:
    """Problems are reported in the order a person reads the file: by line."""
    return problem.line or 0


def _same_url(url: str) -> str:
    """What two URLs that reach the same gateway have in common: scheme and host in any case, a final /."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _gateway_hint(name: str, names: list[str], shown: int = 10) -> str:
    if not names:
        return "Add the gateway first (`convos-tui config add NAME URL`)"
    match = nearest(name, names, "")
    if match.startswith("did you mean"):
        return match.capitalize()
    more = f" and {len(names) - shown} more (`convos-tui config list` shows them)" if len(names) > shown else ""
    return "Gateways in the config: " + ", ".join(names[:shown]) + more


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line = int(match.group(1)) if match else None
    what = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "invalid TOML"
    if match:
        what += f" (column {match.group(2)})"
    return Problem((), f"TOML syntax error: {what}", "Fix the syntax; nothing was loaded", line=line)


class _Checker(ValueReader):
    # -- sections ----------------------------------------------------------------------------
    def inventory(self, data: dict[str, Any]) -> Inventory:
        self.unknown_keys(data, (), SETTING_KEYS, "the config")
        settings = self.settings(data)
        gateways = self.gateways(data.get("gateways", []), settings)
        entries = data.get("gateways", []) if isinstance(data.get("gateways"), list) else []
        names = list(
            dict.fromkeys(e["name"] for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str))
        )
        profiles = self.profiles(data.get("profiles", {}), names)
        sources = self.sources(data.get("sources", []))
        launchers = read_launchers(self, data.get("launchers", []))
        pools = read_pools(self, data.get("pools", {}), launchers)
        alerts = read_alerts(self, data.get("alerts", []))
        return Inventory(
            alerts=tuple(alerts),
            views=read_views(self, data.get("views", {})),
            launchers=tuple(launchers),
            pools=tuple(pools),
            path=self.path,
            settings=settings,
            gateways=tuple(gateways),
            profiles=profiles,
            sources=tuple(sources),
            warnings=tuple(self.warnings),
        )

    def settings(self, data: dict[str, Any]) -> Settings:
        defaults = Settings()
        concurrency = data.get("poll_concurrency", defaults.poll_concurrency)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 10_000:
            self.add(
                ("poll_concurrency",),
                f"poll_concurrency {concurrency!r} is not a whole number from 1 to 10000",
                "Set it to, say, 200",
            )
            concurrency = defaults.poll_concurrency
        keymap = self.table(data.get("keymap", {}), ("keymap",), "keymap")
        for binding, keys in keymap.items():
            if binding not in BINDING_IDS:
                self.add(
                    ("keymap", binding),
                    f"keymap {binding!r} is not a binding id of the console",
                    nearest(binding, BINDING_IDS, "binding ids").capitalize() + " (`?` in the console lists the ids)",
                )
            elif not isinstance(keys, str) or not keys.strip():
                self.add(
                    ("keymap", binding),
                    f"keymap {binding} should be keys as a string, not {keys!r}",
                    'Write e.g. poll-now = "r,f5"',
                )
        refresh = self.duration(data, "refresh", (), "the", defaults.refresh)
        if refresh < 0.5:
            self.add(
                ("refresh",),
                f"refresh {data['refresh']!r} is faster than twice a second",
                'Set refresh to "500ms" or more',
            )
        return Settings(
            refresh=refresh,
            poll_concurrency=concurrency,
            streaming_grace=self.duration(data, "streaming_grace", (), "the", defaults.streaming_grace),
            read_only=self.boolean(data, "read_only", (), "the", False),
            theme=self.theme(data, defaults.theme),
            clipboard=self.choice(data, "clipboard", (), "the", CLIPBOARD_MODES, defaults.clipboard),
            timeouts=self.timeouts(data.get("timeouts", {}), ("timeouts",), Timeouts(), "the"),
            keymap={k: v for k, v in keymap.items() if isinstance(v, str) and v.strip()},
            metric_labels=self.metric_labels(data.get("metric_labels", [])),
            columns=read_columns(self, data, (), "the config's"),
            mouse=self.boolean(data, "mouse", (), "the", True),
        )

    def metric_labels(self, value: Any) -> tuple[str, ...]:
        """Tag prefixes that `convos-tui serve --metrics` turns into labels: `region` gives region="eu" for the tag
        `region/eu`. Each must be a Prometheus label name that the metrics do not set themselves."""
        if not isinstance(value, list):
            self.add(("metric_labels",), "metric_labels should be a list", 'Write metric_labels = ["region"]')
            return ()
        good: list[str] = []
        for index, label in enumerate(value):
            if not isinstance(label, str) or not METRIC_LABEL_RE.match(label) or label.startswith("__"):
                self.add(
                    ("metric_labels", index),
                    f"metric label {label!r} is not a Prometheus label name",
                    "Use letters, digits and '_', not starting with a digit, e.g. region (for tags like region/eu)",
                )
            elif label in TAKEN_METRIC_LABELS or label in good:
                self.add(
                    ("metric_labels", index),
                    f"metric label {label!r} is already a label of the metrics",
                    f"Remove it, or tag the gateways with another prefix; taken: {', '.join(sorted(TAKEN_METRIC_LABELS))}",
                )
            else:
                good.append(label)
        return tuple(good)

    def theme(self, data: dict[str, Any], default: str) -> str:
        theme = self.string(data, "theme", (), "the", default) or default
        if theme in THEMES:
            return theme
        self.add(
            ("theme",), f"theme {theme!r} is not a theme of the console", nearest(theme, THEMES, "themes").capitalize()
        )
        return default

    def gateways(self, value: Any, settings: Settings) -> list[GatewayConfig]:
        if not isinstance(value, list):
            self.add(
                ("gateways",),
                "gateways should be an array of tables",
                "Write each gateway under its own [[gateways]] header",
            )
            return []
        seen: dict[str, KeyPath] = {}
        urls: dict[str, tuple[str, KeyPath]] = {}
        result = []
        for index, entry in enumerate(value):
            where: KeyPath = ("gateways", index)
            name = entry.get("name") if isinstance(entry, dict) else None
            key = name.lower() if isinstance(name, str) else None
            first_where = seen.get(key) if key is not None else None  # said even when the entry has other errors
            if first_where is not None:
                first = self.map.line_of(first_where + ("name",))
                self.add(
                    where + ("name",),
                    f"duplicate gateway name {name!r}" + (f" (first on line {first})" if first else ""),
                    "Give each gateway its own name",
                )
            elif key is not None:
                seen[key] = where
            gateway = self.gateway(entry, index, settings)
            if gateway is None or first_where is not None:
                continue
            if _same_url(gateway.url) in urls:
                other, other_where = urls[_same_url(gateway.url)]
                line = self.map.line_of(other_where + ("url",))
                self.warn(
                    where + ("url",),
                    f"gateway {gateway.name!r} has the URL of gateway {other!r}"
                    + (f" (line {line})" if line else "")
                    + ": both poll the same gateway",
                    "Remove one, or correct its URL",
                )
            urls.setdefault(_same_url(gateway.url), (gateway.name, where))
            result.append(gateway)
        return result

    def gateway(self, entry: Any, index: int, settings: Settings) -> GatewayConfig | None:
        where: KeyPath = ("gateways", index)
        if not isinstance(entry, dict):
            self.add(where, "a gateway should be a table", "Write it under a [[gateways]] header")
            return None
        name = entry.get("name")
        label = f"gateway {name!r}" if isinstance(name, str) and name else f"gateway #{index + 1}"
        self.unknown_keys(entry, where, GATEWAY_KEYS, label)
        problems_before = len(self.problems)
        if not isinstance(name, str) or not NAME_RE.match(name):
            self.add(
                where + ("name",) if "name" in entry else where,
                f"{label} needs a name" if name is None else f"{label}: name {name!r} is not a valid name",
                'Names are up to 64 letters, digits and . _ : @ / -, starting with a letter or digit, e.g. name = "gw-eu-1"',
            )
        url = entry.get("url")
        problem = url_problem(url) if isinstance(url, str) else "the URL is missing"
        if problem:
            self.add(
                where + ("url",) if "url" in entry else where,
                f"{label}: {problem}",
                'Give the gateway\'s base URL, e.g. url = "http://127.0.0.1:18789"',
            )
        env = self.choice(entry, "env", where, label, ENVS, "production")
        token_env, token = self.token_env(entry, "token_env", where, label)
        inline = entry.get("token")
        if inline is not None:
            if token_env:
                self.add(
                    where + ("token",),
                    f"{label} has both token and token_env",
                    "Keep token_env and remove the inline token",
                )
            elif not isinstance(inline, str) or not inline:
                self.add(
                    where + ("token",),
                    f"{label} token should be a non-empty string",
                    "Better: remove it and use token_env",
                )
            else:
                token = inline
        gateway = GatewayConfig(
            name=name if isinstance(name, str) else "",
            url=url.strip() if isinstance(url, str) else "",
            env=env,
            tags=self.tags(entry, where, label),
            note=self.string(entry, "note", where, label),
            token_env=token_env,
            token=token,
            tls_verify=self.boolean(entry, "tls_verify", where, label, True),
            timeouts=self.timeouts(entry["timeouts"], where + ("timeouts",), settings.timeouts, label)
            if "timeouts" in entry
            else settings.timeouts,
            runtime=self.choice(entry, "runtime", where, label, RUNTIME_CHOICES, "auto"),
        )
        errors = [p for p in self.problems[problems_before:] if p.severity == "error"]
        return None if errors else gateway

    def profiles(self, value: Any, names: list[str]) -> dict[str, Profile]:
        """The profiles; `names` are the names of every gateway entry, an entry with an error among them."""
        table = self.table(value, ("profiles",), "profiles")
        result = {}
        for profile_name, entry in table.items():
            where: KeyPath = ("profiles", profile_name)
            label = f"profile {profile_name!r}"
            entry = self.table(entry, where, label)
            self.unknown_keys(entry, where, PROFILE_KEYS, label)
            members = entry.get("gateways", [])
            if not isinstance(members, list):
                self.add(
                    where + ("gateways",),
                    f"{label} gateways should be a list of names",
                    'Write gateways = ["gw-1", "gw-2"]',
                )
                members = []
            for index, member in enumerate(members):
                if member not in names:
                    self.add(
                        where + ("gateways", index),
                        f"{label} names gateway {member!r}, which is not in the config",
                        _gateway_hint(str(member), names),
                    )
            result[profile_name] = Profile(
                profile_name,
                gateways=tuple(m for m in members if isinstance(m, str)),
                tags=self.tags(entry, where, label),
                columns=read_columns(self, entry, where, label),
            )
        return result

    def sources(self, value: Any) -> list[Source]:
        if not isinstance(value, list):
            self.add(
                ("sources",),
                "sources should be an array of tables",
                "Write each source under its own [[sources]] header",
            )
            return []
        result = []
        for index, entry in enumerate(value):
            where: KeyPath = ("sources", index)
            label = f"source #{index + 1}"
            entry = self.table(entry, where, label)
            self.unknown_keys(entry, where, SOURCE_KEYS, label)
            kind = self.choice(entry, "type", where, label, SOURCE_TYPES, "")
            common = _SourceCommon(
                env=self.choice(entry, "env", where, label, ENVS, "production"),
                tags=self.tags(entry, where, label),
                tls_verify=self.boolean(entry, "tls_verify", where, label, True),
                gateway_token=self.token_env(entry, "gateway_token_env", where, label)[1],
                line=self.map.line_of(where),
            )
            if kind == "file":
                raw = self.string(entry, "path", where, label)
                if not raw:
                    self.add(
                        where + ("path",) if "path" in entry else where,
                        f"{label} (file) needs a path",
                        'Write path = "gateways.txt" (relative to the config file)',
                    )
                    continue
                path = Path(raw).expanduser()
                result.append(Source("file", path=path if path.is_absolute() else self.path.parent / path, **common))
            elif kind == "pool":
                url = entry.get("url")
                problem = url_problem(url) if isinstance(url, str) else "the URL is missing"
                if problem:
                    self.add(
                        where + ("url",) if "url" in entry else where,
                        f"{label} (pool): {problem}",
                        'Give the pool manager\'s base URL, e.g. url = "https://pool.example"',
                    )
                    continue
                result.append(
                    Source("pool", url=url, token=self.token_env(entry, "token_env", where, label)[1], **common)
                )
        return result
