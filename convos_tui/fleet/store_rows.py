"""What the store writes, as plain values: audit parameters without secrets, who acted, the rows of a
conversation's life (created, its invite revoked, exploded), and whether a recorder's process is alive."""

from __future__ import annotations

import getpass
import os
import socket
import time
from typing import Any, Required, TypedDict, Unpack

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


class ConversationFields(TypedDict, total=False):
    """A conversation provisioned here, as the store keeps it: `add_conversation` and an action's effects
    both pass these. `at` (when it was created) defaults to now."""

    gateway: Required[str]
    gateway_url: Required[str]
    conversation_id: Required[str]
    origin: Required[str]
    name: str | None
    env: str | None
    invite_url: str | None
    invite_slug: str | None
    elapsed_s: float | None
    at: float | None


_CONVERSATION_COLUMNS = tuple(key for key in ConversationFields.__annotations__ if key != "at")


def conversation_row(**fields: Unpack[ConversationFields]) -> tuple[str, tuple[Any, ...]]:
    unknown = fields.keys() - ConversationFields.__annotations__.keys()
    missing = ConversationFields.__required_keys__ - fields.keys()
    if unknown or missing:  # an action's effects are a plain dict: a misspelt key must not drop a field
        raise TypeError(f"conversation fields: unknown {sorted(unknown)}, missing {sorted(missing)}")
    at = fields.get("at")
    return (
        f"INSERT INTO conversations ({', '.join(_CONVERSATION_COLUMNS)}, created_at)"
        f" VALUES ({', '.join('?' * (len(_CONVERSATION_COLUMNS) + 1))})",
        (*(fields.get(column) for column in _CONVERSATION_COLUMNS), time.time() if at is None else at),
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
