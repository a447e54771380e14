"""Golden checkpoints: an OpenClaw state directory configured once, copied for every instance.

A golden holds the configuration (the Convos plugin and its env, the AI provider's auth profile, the gateway
bound to loopback, the update check off) and the operator's `workspace/INSTRUCTIONS.md`, and nothing that
belongs to one instance: no XMTP identity (every instance launched from it would be the same agent) and no
secret (provider key, pool key, gateway token are given to each instance at launch).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_FILE = "openclaw.json"
INSTRUCTIONS_FILE = Path("workspace") / "INSTRUCTIONS.md"
INSTRUCTIONS_LIMIT = 64 * 1024
ENVS = ("dev", "production")
PROVIDERS = {"anthropic": ("anthropic:default", "ANTHROPIC_API_KEY")}
DEFAULT_INSTRUCTIONS = "# Instructions\n\nYou are a helpful agent in a Convos conversation. Be brief and kind.\n"
# JSON keys whose non-empty string value is a credential (compared without case, '-' or '_').
SECRET_KEYS = frozenset({"token", "apikey", "poolapikey", "password", "secret", "key", "accesstoken", "refreshtoken"})
# Credentials as they look in any file: Anthropic and OpenAI style keys, or an assignment of a known variable.
SECRET_TEXT = re.compile(
    r"sk-ant-[A-Za-z0-9_-]{8,}|sk-[A-Za-z0-9]{20,}|"
    r"(ANTHROPIC_API_KEY|OPENAI_API_KEY|OPENCLAW_GATEWAY_TOKEN|CONVOS_POOL_KEY)\s*[=:]\s*['\"]?[^\s'\"]{8,}"
)
XMTP_CONFIG_KEYS = ("identityId", "ownerConversationId")
# `${NAME}`: a value OpenClaw takes from the environment at start (how an image gets its per-instance secrets)
ENV_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
SCAN_LIMIT = 1024 * 1024  # files larger than this are not read for secrets (and are refused as unexpected)


@dataclass(frozen=True, slots=True)
class GoldenProblem:
    """One reason a golden cannot be used: where, what, and the fix."""

    path: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.path}: {self.message}. {self.fix.rstrip('.')}."


class GoldenError(Exception):
    def __init__(self, directory: Path, problems: list[GoldenProblem]) -> None:
        self.directory = directory
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


def config_json(env: str, provider: str, plugin: Path | None) -> dict[str, Any]:
    """openclaw.json of a golden: what `openclaw config set` would leave, with no secret in it."""
    profile_id, _ = PROVIDERS[provider]
    config: dict[str, Any] = {
        "gateway": {"mode": "local", "bind": "loopback", "auth": {"mode": "token"}},
        "update": {"checkOnStart": False},
        "discovery": {"mdns": {"mode": "off"}},
        "auth": {"profiles": {profile_id: {"provider": provider, "mode": "token"}}},
        "plugins": {"enabled": True, "entries": {"convos": {"enabled": True}}},
        "channels": {"convos": {"enabled": True, "env": env}},
    }
    if plugin is not None:
        config["plugins"]["load"] = {"paths": [str(plugin)]}
    return config


def write_json(path: Path, value: dict[str, Any], mode: int = 0o644) -> None:
    """JSON as `openclaw config set` writes it: two-space indent, a final newline; written whole, then renamed."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read_instructions(path: Path) -> str:
    """The text of an INSTRUCTIONS.md to be, or ValueError saying what is wrong with it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path} ({exc.strerror})") from None
    return _instructions_text(raw)


def _instructions_text(raw: bytes) -> str:
    if len(raw) > INSTRUCTIONS_LIMIT:
        raise ValueError(f"{len(raw)} bytes, over the {INSTRUCTIONS_LIMIT // 1024} KiB an INSTRUCTIONS.md may hold")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise ValueError("not text (it holds NUL bytes)")
    return text


def init_golden(
    directory: Path,
    *,
    env: str = "dev",
    instructions: str | None = None,
    provider: str = "anthropic",
    plugin: Path | None = None,
) -> list[Path]:
    """Write a golden into `directory` (absent or empty). Returns the files written."""
    if env not in ENVS:
        raise ValueError(f"env {env!r} is not one of {', '.join(ENVS)}")
    if provider not in PROVIDERS:
        raise ValueError(f"provider {provider!r} is not one of {', '.join(PROVIDERS)}")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ValueError(f"{directory} exists and is not an empty folder: choose a new one (nothing was written)")
    if plugin is not None:
        plugin = plugin.expanduser().resolve()
        if not plugin.is_dir():
            raise ValueError(f"--plugin {plugin} is not a folder: give the Convos plugin's folder (extensions/convos)")
    text = DEFAULT_INSTRUCTIONS if instructions is None else _instructions_text(instructions.encode("utf-8"))
    (directory / INSTRUCTIONS_FILE).parent.mkdir(parents=True, exist_ok=True)
    config = directory / CONFIG_FILE
    write_json(config, config_json(env, provider, plugin))
    (directory / INSTRUCTIONS_FILE).write_text(text, encoding="utf-8")
    return [config, directory / INSTRUCTIONS_FILE]


def load_config(directory: Path) -> dict[str, Any]:
    """openclaw.json of a golden (or an instance), or GoldenError."""
    path = directory / CONFIG_FILE
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoldenError(directory, [GoldenProblem(str(path), "missing", _INIT_FIX)]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GoldenError(
            directory,
            [
                GoldenProblem(
                    str(path),
                    f"not valid JSON ({_reason(exc)})",
                    "Fix the file, or make a new golden with `convos-tui golden init`",
                )
            ],
        ) from None
    if not isinstance(value, dict):
        raise GoldenError(directory, [GoldenProblem(str(path), "not a JSON object", _INIT_FIX)])
    return value


_INIT_FIX = "Make a golden with `convos-tui golden init DIR`"


def check_golden(directory: Path) -> list[GoldenProblem]:
    """Every reason this folder cannot be a golden checkpoint (none: it can)."""
    if not directory.is_dir():
        return [GoldenProblem(str(directory), "not a folder", _INIT_FIX)]
    problems: list[GoldenProblem] = []
    try:
        config = load_config(directory)
    except GoldenError as exc:
        problems += exc.problems
        config = None
    if config is not None:
        problems += _config_problems(directory / CONFIG_FILE, config)
    problems += _file_problems(directory)
    instructions = directory / INSTRUCTIONS_FILE
    if instructions.is_file():
        try:
            read_instructions(instructions)
        except ValueError as exc:
            problems.append(
                GoldenProblem(str(instructions), str(exc), f"Keep it UTF-8 text under {INSTRUCTIONS_LIMIT // 1024} KiB")
            )
    return problems


def _get(config: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(config, dict):
            return None
        config = config.get(key)
    return config


def _config_problems(path: Path, config: dict[str, Any]) -> list[GoldenProblem]:
    where = str(path)
    problems = []
    convos = _get(config, "channels", "convos")
    for key in XMTP_CONFIG_KEYS:
        if isinstance(convos, dict) and convos.get(key):
            problems.append(
                GoldenProblem(
                    f"{where}: channels.convos.{key}",
                    "XMTP state: every instance launched from this golden would be the same agent",
                    f"Remove channels.convos.{key} (each instance gets its own identity when it creates or joins)",
                )
            )
    if (
        _get(config, "plugins", "entries", "convos", "enabled") is not True
        or _get(config, "plugins", "enabled") is False
    ):
        problems.append(
            GoldenProblem(
                f"{where}: plugins.entries.convos.enabled",
                "the Convos plugin is not enabled",
                "Set plugins.entries.convos.enabled (and plugins.enabled) to true",
            )
        )
    if not isinstance(convos, dict) or convos.get("enabled") is not True:
        problems.append(
            GoldenProblem(
                f"{where}: channels.convos.enabled",
                "the Convos channel is not enabled",
                "Set channels.convos.enabled to true",
            )
        )
    env = convos.get("env") if isinstance(convos, dict) else None
    if env not in ENVS:
        problems.append(
            GoldenProblem(
                f"{where}: channels.convos.env",
                "the XMTP env is missing" if env is None else f"env {env!r} is not valid",
                'Set channels.convos.env to "dev" or "production"',
            )
        )
    for folder in _get(config, "plugins", "load", "paths") or []:
        if not isinstance(folder, str) or not Path(folder).is_dir():
            problems.append(
                GoldenProblem(
                    f"{where}: plugins.load.paths",
                    f"{folder!r} is not a folder",
                    "Point it at the Convos plugin's folder, or remove it",
                )
            )
    for key_path in _secret_paths(config):
        problems.append(
            GoldenProblem(
                f"{where}: {key_path}",
                "a secret in the golden (it belongs to one instance)",
                "Remove it: keys come from the environment at launch, tokens are made per instance",
            )
        )
    return problems


def _secret_paths(value: Any, prefix: str = "") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if ENV_REFERENCE.fullmatch(str(item)):
                continue
            if isinstance(item, str) and item and (_secret_key(str(key)) or SECRET_TEXT.search(item)):
                found.append(path)
            else:
                found += _secret_paths(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _secret_paths(item, f"{prefix}[{index}]")
    return found


def _secret_key(key: str) -> bool:
    key = key.lower().replace("_", "").replace("-", "")
    return key in SECRET_KEYS or key.endswith(("apikey", "token", "password", "secret"))


def _file_problems(directory: Path) -> list[GoldenProblem]:
    problems = []
    for root, dirs, files in os.walk(directory):
        here = Path(root)
        for name in list(dirs):
            if name == ".convos":
                problems.append(
                    GoldenProblem(
                        str(here / name),
                        "XMTP state (a .convos folder: identities and their databases)",
                        "Remove the folder from the golden",
                    )
                )
                dirs.remove(name)
        for name in files:
            path = here / name
            lower = name.lower()
            if (
                lower in ("identity.json", "identities.json")
                or lower.endswith((".db3", ".db3-wal", ".db3-shm"))
                or lower.startswith("xmtp-")
            ):
                problems.append(
                    GoldenProblem(
                        str(path), "XMTP state (an identity file or an XMTP database)", "Remove it from the golden"
                    )
                )
                continue
            if path.is_symlink() or not path.is_file():
                continue
            try:
                if path.stat().st_size > SCAN_LIMIT:
                    continue
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                continue
            if lower.endswith(".json") and path != directory / CONFIG_FILE:
                try:
                    json.loads(text)
                except json.JSONDecodeError as exc:
                    problems.append(
                        GoldenProblem(
                            str(path), f"not valid JSON ({_reason(exc)})", "Fix the file, or remove it from the golden"
                        )
                    )
            if name != CONFIG_FILE and SECRET_TEXT.search(text):
                problems.append(
                    GoldenProblem(
                        str(path),
                        "a secret in a file of the golden (a provider key, pool key or gateway token)",
                        "Remove it: give keys in the environment at launch",
                    )
                )
    return problems


def _reason(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:120]
