"""The console's memory: state transitions, conversations provisioned here (with their invites), the audit.

One SQLite file in the data dir, in WAL mode with `synchronous=FULL`: a gateway never tells an invite
again after creating it, so a committed invite must survive the console being killed, or the machine
losing power. If the file cannot be opened or written (locked, read-only, disk full), the store carries
on in memory and says so in `warning` instead of crashing the console.
"""

from __future__ import annotations

import functools
import getpass
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from convos_tui.fleet.state import State, Transition

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY,
    gateway TEXT NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_by_gateway ON transitions (gateway, at);
CREATE INDEX IF NOT EXISTS transitions_by_time ON transitions (at);
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    gateway TEXT NOT NULL,
    gateway_url TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    origin TEXT NOT NULL,              -- create | join
    name TEXT,
    env TEXT,
    invite_url TEXT,                   -- only for conversations created here
    invite_slug TEXT,
    elapsed_s REAL,                    -- the gateway's provisioning time
    created_at REAL NOT NULL,
    invite_revoked_at REAL,            -- a lock rotated the invite: it no longer works
    exploded_at REAL
);
CREATE INDEX IF NOT EXISTS conversations_by_gateway ON conversations (gateway, created_at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    who TEXT NOT NULL,
    gateway TEXT,
    action TEXT NOT NULL,
    params TEXT NOT NULL,              -- JSON, never a token
    outcome TEXT NOT NULL,             -- ok | refused | failed | unknown
    detail TEXT NOT NULL,
    elapsed_s REAL
);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
"""

DAY = 86_400.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Retention:
    transitions_days: float = 30
    transitions_rows: int = 200_000
    audit_days: float = 365
    audit_rows: int = 200_000
    exploded_conversations_days: float = 365


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


def _locked(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class Store:
    """Use `Store.open(path)`; `Store.open(None)` is an in-memory store (tests, the demo)."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None, warning: str | None = None) -> None:
        # The console records transitions from the poller's thread and reads from the UI's: one lock
        # around the connection keeps SQLite's single connection safe.
        self._lock = threading.RLock()
        self._db = connection
        self.path = path
        self.warning = warning
        self.retention = Retention()
        self._who = who()

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | None) -> Store:
        if path is None:
            return cls(_connect(":memory:"), None)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = _connect(str(path))
            _check_writable(connection)
        except (sqlite3.Error, OSError) as exc:
            warning = (
                f"history store {path} cannot be used ({_reason(exc)}): keeping history in memory for this session only"
            )
            return cls(_connect(":memory:"), None, warning)
        store = cls(connection, path)
        store.prune()
        return store

    @_locked
    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass

    @_locked
    def _write(self, sql: str, rows: Iterable[tuple[Any, ...]] | tuple[Any, ...] = (), many: bool = False) -> int | None:
        """One committed write; a failing file store falls back to memory instead of crashing."""
        for attempt in (1, 2):
            try:
                with self._db:
                    cursor = self._db.executemany(sql, rows) if many else self._db.execute(sql, rows)  # type: ignore[arg-type]
                return cursor.lastrowid
            except sqlite3.Error as exc:
                if attempt == 2 or self.path is None:
                    raise
                self._fall_back(exc)
        return None

    def _fall_back(self, exc: Exception) -> None:
        """Move everything into an in-memory database and keep going there."""
        memory = _connect(":memory:")
        try:
            self._db.backup(memory)
        except sqlite3.Error:
            pass  # a fresh memory store: what was committed is safe on disk anyway
        self.warning = (
            f"history store {self.path} stopped accepting writes ({_reason(exc)}): "
            "keeping history in memory for the rest of this session"
        )
        self.close()
        self._db = memory
        self.path = None

    # -- transitions -----------------------------------------------------------------------------
    def record_transitions(self, transitions: Iterable[Transition]) -> None:
        rows = [(t.gateway, str(t.old), str(t.new), t.reason, t.at) for t in transitions]
        if rows:
            self._write("INSERT INTO transitions (gateway, old, new, reason, at) VALUES (?, ?, ?, ?, ?)", rows, many=True)

    @_locked
    def transitions(self, gateway: str | None = None, *, since: float | None = None, limit: int = 500) -> list[Transition]:
        sql = "SELECT gateway, old, new, reason, at FROM transitions WHERE 1=1"
        args: list[Any] = []
        if gateway is not None:
            sql += " AND gateway = ?"
            args.append(gateway)
        if since is not None:
            sql += " AND at >= ?"
            args.append(since)
        sql += " ORDER BY at DESC, id DESC LIMIT ?"
        args.append(limit)
        return [
            Transition(row[0], _state(row[1]), _state(row[2]), row[3], row[4]) for row in self._db.execute(sql, args)
        ]

    @_locked
    def last_states(self) -> dict[str, Transition]:
        """Each gateway's latest transition: where it stood, and since when."""
        rows = self._db.execute(
            "SELECT gateway, old, new, reason, MAX(at) FROM transitions GROUP BY gateway"
        ).fetchall()
        return {row[0]: Transition(row[0], _state(row[1]), _state(row[2]), row[3], row[4]) for row in rows}

    # -- conversations and invites ---------------------------------------------------------------
    def add_conversation(
        self,
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
    ) -> int:
        rowid = self._write(
            "INSERT INTO conversations (gateway, gateway_url, conversation_id, origin, name, env, invite_url,"
            " invite_slug, elapsed_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (gateway, gateway_url, conversation_id, origin, name, env, invite_url, invite_slug, elapsed_s,
             time.time() if at is None else at),
        )
        return int(rowid or 0)

    def conversations(self, gateway: str | None = None, *, limit: int = 500) -> list[dict[str, Any]]:
        return self._newest("SELECT * FROM conversations", "created_at", gateway, limit)

    def conversation(self, gateway: str, conversation_id: str) -> dict[str, Any] | None:
        """The record of this conversation on this gateway, if it was provisioned from this console."""
        for record in self.conversations(gateway, limit=50):
            if record["conversation_id"] == conversation_id:
                return record
        return None

    def mark_invite_revoked(self, gateway: str, conversation_id: str, at: float | None = None) -> None:
        self._write(
            "UPDATE conversations SET invite_revoked_at = COALESCE(invite_revoked_at, ?)"
            " WHERE gateway = ? AND conversation_id = ?",
            (time.time() if at is None else at, gateway, conversation_id),
        )

    def mark_exploded(self, gateway: str, conversation_id: str, at: float | None = None) -> None:
        self._write(
            "UPDATE conversations SET exploded_at = COALESCE(exploded_at, ?) WHERE gateway = ? AND conversation_id = ?",
            (time.time() if at is None else at, gateway, conversation_id),
        )

    # -- the audit -------------------------------------------------------------------------------
    def audit(
        self,
        action: str,
        *,
        gateway: str | None,
        params: dict[str, Any],
        outcome: str,
        detail: str = "",
        elapsed_s: float | None = None,
        at: float | None = None,
    ) -> None:
        self._write(
            "INSERT INTO audit (at, who, gateway, action, params, outcome, detail, elapsed_s)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time() if at is None else at, self._who, gateway, action,
             json.dumps(scrub(params), ensure_ascii=False, default=str), outcome, detail[:TEXT_LIMIT], elapsed_s),
        )

    def audit_log(self, gateway: str | None = None, *, limit: int = 500) -> list[dict[str, Any]]:
        select = "SELECT at, who, gateway, action, params, outcome, detail, elapsed_s FROM audit"
        rows = self._newest(select, "at", gateway, limit)
        for row in rows:
            row["params"] = json.loads(row["params"])
        return rows

    @_locked
    def _newest(self, select: str, time_column: str, gateway: str | None, limit: int) -> list[dict[str, Any]]:
        """Rows of `select`, of one gateway or all, newest first, as dicts."""
        args: list[Any] = []
        if gateway is not None:
            select += " WHERE gateway = ?"
            args.append(gateway)
        cursor = self._db.execute(f"{select} ORDER BY {time_column} DESC, id DESC LIMIT ?", [*args, limit])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- retention -------------------------------------------------------------------------------
    def prune(self, now: float | None = None) -> None:
        """Keep the file small over months: old transitions and audit rows go, invites stay."""
        now = time.time() if now is None else now
        keep = self.retention
        statements = [
            ("DELETE FROM transitions WHERE at < ?", (now - keep.transitions_days * DAY,)),
            (
                "DELETE FROM transitions WHERE id <= (SELECT id FROM transitions ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (keep.transitions_rows,),
            ),
            ("DELETE FROM audit WHERE at < ?", (now - keep.audit_days * DAY,)),
            ("DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?)", (keep.audit_rows,)),
            (
                "DELETE FROM conversations WHERE exploded_at IS NOT NULL AND exploded_at < ?",
                (now - keep.exploded_conversations_days * DAY,),
            ),
        ]
        for sql, args in statements:
            self._write(sql, args)

    @_locked
    def counts(self) -> dict[str, int]:
        return {
            table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            for table in ("transitions", "conversations", "audit")
        }


def _connect(target: str) -> sqlite3.Connection:
    connection = sqlite3.connect(target, timeout=2.0, isolation_level="DEFERRED", check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 2000")
    if target != ":memory:":
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
    connection.executescript(SCHEMA)
    version = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if version is None:
        with connection:
            connection.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    elif int(version[0]) > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"written by a newer convos-tui (schema {version[0]})")
    return connection


def _check_writable(connection: sqlite3.Connection) -> None:
    with connection:
        connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_at', ?)", (str(time.time()),))


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]


def _state(value: str) -> State:
    try:
        return State(value)
    except ValueError:
        return State.UNKNOWN
