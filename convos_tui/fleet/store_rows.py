"""What the store writes, as plain values: audit parameters without secrets, who acted, the rows of a
conversation's life (created, its invite revoked, exploded), and whether a recorder's process is alive."""

from __future__ import annotations

import getpass
import os
import socket
import time
from typing import Any

SECRET_KEYS = frozenset({"token", "authorization", "pool_key", "poolapikey", "password", "secret", "key"})
TEXT_LIMIT = 2000


def scrub(params: dict[str, Any]) -> dict[str, Any]:
    """Audit parameters without anything secret, and without unbounded text."""
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if key.lower().replace("-", "_") in SECRET_KEYS:
            continue
        if isinstance(value, str) and len(value) > TEXT_LIMIT:
            value = value[:TEXT_LIMIT] + f"… ({len(value)} characters)"
        clean[key] = value
    return clean


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def conversation_row(
    *,
    gateway: str,
    gateway_url: str,
    conversation_id: str,
    origin: str,
    name: str | None = None,
    env: str | None = None,
    invite_url: str | None = None,
    invite_slug: str | None = None,
    elapsed_s: float | None = None,
    at: float | None = None,
) -> tuple[str, tuple[Any, ...]]:
    return (
        "INSERT INTO conversations (gateway, gateway_url, conversation_id, origin, name, env, invite_url,"
        " invite_slug, elapsed_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            gateway,
            gateway_url,
            conversation_id,
            origin,
            name,
            env,
            invite_url,
            invite_slug,
            elapsed_s,
            time.time() if at is None else at,
        ),
    )


def revoked_row(gateway: str, conversation_id: str, at: float | None = None) -> tuple[str, tuple[Any, ...]]:
    return (
        "UPDATE conversations SET invite_revoked_at = COALESCE(invite_revoked_at, ?)"
        " WHERE gateway = ? AND conversation_id = ?",
        (time.time() if at is None else at, gateway, conversation_id),
    )


def exploded_row(gateway: str, conversation_id: str, at: float | None = None) -> tuple[str, tuple[Any, ...]]:
    return (
        "UPDATE conversations SET exploded_at = COALESCE(exploded_at, ?) WHERE gateway = ? AND conversation_id = ?",
        (time.time() if at is None else at, gateway, conversation_id),
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
