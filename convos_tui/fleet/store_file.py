"""The store's SQLite file: its schema, opening it in WAL mode, waiting for another process's lock, and keeping
the data dir and the files private (they hold live invites)."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
WAIT_S = 15.0  # how long a write waits for another process's lock before it fails (loudly)
WAIT_ENV = "CONVOS_TUI_STORE_WAIT_S"  # an operator's (or a test's) other wait, in seconds
SCHEMA_VERSION = 2
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
    elapsed_s REAL,
    pid INTEGER,                       -- the process that wrote it ahead (outcome unknown until it finishes)
    checked_at REAL                    -- an unfinished action looked into by a later run
);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    gateway TEXT NOT NULL,
    rule TEXT NOT NULL,
    event TEXT NOT NULL,               -- raised | acknowledged
    state TEXT NOT NULL,               -- the state it alerted on
    reason TEXT NOT NULL,
    began REAL NOT NULL,               -- when its episode began
    who TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (at);
"""


def default_wait() -> float:
    try:
        value = float(os.environ.get(WAIT_ENV, WAIT_S))
    except ValueError:
        return WAIT_S
    return value if 0 <= value <= 3600 else WAIT_S


def busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def retry_busy(work: Callable[[], T], wait_s: float) -> T:
    """`work()`, again with backoff while SQLite says the database is locked, for up to `wait_s` in all."""
    deadline = time.monotonic() + wait_s
    pause = 0.02
    while True:
        try:
            return work()
        except sqlite3.Error as exc:
            if not busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def connect(target: str, wait_s: float) -> sqlite3.Connection:
    # isolation_level=None: the store opens its own transactions (BEGIN IMMEDIATE), one per write.
    busy_ms = int(min(wait_s, 5.0) * 1000)
    connection = sqlite3.connect(target, timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout = {busy_ms}")
    if target != ":memory:":
        retry_busy(lambda: connection.execute("PRAGMA journal_mode = WAL"), wait_s)
        connection.execute("PRAGMA synchronous = FULL")
    retry_busy(lambda: migrate(connection), wait_s)
    return connection


def migrate(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        columns = {row[1] for row in connection.execute("PRAGMA table_info(audit)")}
        for column, kind in (("pid", "INTEGER"), ("checked_at", "REAL")):
            if column not in columns:  # a schema-1 store: the write-ahead columns are new
                connection.execute(f"ALTER TABLE audit ADD COLUMN {column} {kind}")
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if version is not None and int(version[0]) > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"written by a newer convos-tui (schema {version[0]})")
        connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def check_writable(connection: sqlite3.Connection) -> None:
    connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_at', ?)", (str(time.time()),))


def private_dir(folder: Path) -> list[str]:
    """Make the data dir (0700); one found open to others is tightened, and the notice says so."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if not mode & 0o077:
        return []
    try:
        os.chmod(folder, mode & 0o700)
    except OSError as exc:
        return [
            f"{folder} is readable by others (mode {mode:o}) and could not be tightened ({reason(exc)}): "
            f"it holds live invites; run `chmod 700 {folder}`"
        ]
    return [f"{folder} was readable by others (mode {mode:o}); it holds live invites, so it is now {mode & 0o700:o}"]


def private_file(path: Path) -> None:
    """The store file exists as 0600 before SQLite opens it (its WAL and shared-memory files take its mode)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if stat.S_IMODE(each.stat().st_mode) & 0o077:
                os.chmod(each, 0o600)
        except FileNotFoundError:
            pass


def reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]
