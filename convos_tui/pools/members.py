"""The pool_members table: which instance belongs to which pool, in which state, since when and why.

It lives in the store's SQLite file beside the instances table, on a connection of its own. Every change that
decides something (a reservation before a launch, a claim) is one `BEGIN IMMEDIATE` transaction: it takes the
write lock before it reads, so two claims at the same moment, from two threads or two processes, never pick
the same instance, and two refills never both see room for one more. Each change of state is also a row of
pool_events (the pool's timeline, and the samples of claim latency and cold start).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from convos_tui.api.interpret import gateway_text
from convos_tui.fleet.store_file import connect, default_wait, retry_busy
from convos_tui.instances.launcher import alive, start_time

LAUNCHING, READY, CLAIMED, PENDING, TAINTED, CRASHED = "launching", "ready", "claimed", "pending", "tainted", "crashed"
STATES = (LAUNCHING, READY, CLAIMED, PENDING, TAINTED, CRASHED)
HOLDING = (LAUNCHING, READY, CLAIMED, PENDING, TAINTED)  # have (or will have) a process: count against max_total
RESERVED = "reserved-"  # a launch's row before the instance service names the instance
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS pool_members (
    instance TEXT PRIMARY KEY,        -- the instance's id (reserved-… until its launch names it)
    pool TEXT NOT NULL,
    state TEXT NOT NULL,              -- launching | ready | claimed | pending | tainted | crashed
    reason TEXT NOT NULL,
    since REAL NOT NULL,
    owner_pid INTEGER,                -- launching: the process that launches it, and its start time (/proc)
    owner_start TEXT,
    conversation_id TEXT,
    invite_url TEXT,                  -- prepare = "create": the invite a claim hands out
    join_invite TEXT,                 -- the invite a claim joined: a second claim with it gets this instance
    claimed_at REAL,
    log_tail TEXT                     -- crashed: the last lines of its log
);
CREATE INDEX IF NOT EXISTS pool_members_by_state ON pool_members (pool, state, since);
CREATE TABLE IF NOT EXISTS pool_events (
    id INTEGER PRIMARY KEY,
    pool TEXT NOT NULL,
    instance TEXT NOT NULL,
    state TEXT NOT NULL,              -- a member state, or ended (terminated: drained, recycled, failed launch)
    reason TEXT NOT NULL,
    at REAL NOT NULL,
    seconds REAL                      -- ready: the cold start; claimed (or pending): the claim's own time
);
CREATE INDEX IF NOT EXISTS pool_events_by_pool ON pool_events (pool, state, at);
CREATE TABLE IF NOT EXISTS pool_breakers (
    pool TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,        -- launches failed in a row
    reason TEXT,
    reopens_at REAL                   -- open until then (epoch seconds)
);
"""
ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Member:
    instance: str
    pool: str
    state: str
    reason: str
    since: float
    owner_pid: int | None = None
    owner_start: str | None = None
    conversation_id: str | None = None
    invite_url: str | None = None
    join_invite: str | None = None
    claimed_at: float | None = None
    log_tail: str | None = None

    @property
    def reserved(self) -> bool:
        return self.instance.startswith(RESERVED)

    def orphaned(self) -> bool:
        """A launching row whose launching process is gone (killed mid-launch): nobody will finish it."""
        return self.state == LAUNCHING and not alive(self.owner_pid, self.owner_start)


@dataclass(frozen=True, slots=True)
class Breaker:
    failures: int = 0
    reason: str | None = None
    reopens_at: float | None = None


class Members:
    """Use `Members.open(store_path)`; None keeps them in memory (a store that fell back to memory)."""

    def __init__(self, connection: sqlite3.Connection, wait_s: float) -> None:
        self._lock = threading.RLock()
        self._db = connection
        self._wait_s = wait_s
        self._me = (os.getpid(), start_time(os.getpid()))

    @classmethod
    def open(cls, path: Path | None) -> Members:
        wait = default_wait()
        connection = connect(":memory:" if path is None else str(path), wait)
        retry_busy(lambda: connection.executescript(SCHEMA), wait)
        return cls(connection, wait)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- transactions ----------------------------------------------------------------------------
    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one transaction that holds the write lock from its first read (BEGIN IMMEDIATE)."""

        def attempt() -> T:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._db)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            return result

        with self._lock:
            return retry_busy(attempt, self._wait_s)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    @staticmethod
    def _event(
        db: sqlite3.Connection, pool: str, instance: str, state: str, reason: str, seconds: float | None
    ) -> None:
        db.execute(
            "INSERT INTO pool_events (pool, instance, state, reason, at, seconds) VALUES (?, ?, ?, ?, ?, ?)",
            (pool, instance, state, gateway_text(reason), time.time(), seconds),
        )

    # -- launches --------------------------------------------------------------------------------
    def reserve(self, pool: str, wanted: int, max_total: int, *, up_to_ready: int | None = None) -> list[str]:
        """Rows for up to `wanted` new launches, counted again inside the transaction: never past `max_total`
        members holding a process, nor (a refill) past `up_to_ready` ready and launching ones."""

        def work(db: sqlite3.Connection) -> list[str]:
            counts = _counts(db, pool)
            room = max_total - sum(counts.get(s, 0) for s in HOLDING)
            if up_to_ready is not None:
                room = min(room, up_to_ready - counts.get(READY, 0) - counts.get(LAUNCHING, 0))
            ids = [f"{RESERVED}{secrets.token_hex(4)}" for _ in range(max(0, min(wanted, room)))]
            for row_id in ids:
                db.execute(
                    "INSERT INTO pool_members (instance, pool, state, reason, since, owner_pid, owner_start) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (row_id, pool, LAUNCHING, "launch reserved", time.time(), *self._me),
                )
            return ids

        return self._write(work)

    def named(self, reserved: str, instance: str) -> None:
        """The launch has its instance id: the reservation takes it."""

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE pool_members SET instance = ?, reason = ? WHERE instance = ?", (instance, "launching", reserved)
            )
            row = db.execute("SELECT pool FROM pool_members WHERE instance = ?", (instance,)).fetchone()
            if row is not None:
                self._event(db, row[0], instance, LAUNCHING, "launching from the golden", None)

        self._write(work)

    # -- changes of state ------------------------------------------------------------------------
    def set_state(self, instance: str, state: str, reason: str, *, seconds: float | None = None, **fields: Any) -> None:
        """Move a member to `state` with its reason (and the columns in `fields`), and write it in the timeline."""
        columns = ", ".join(f"{name} = ?" for name in ("state", "reason", "since", *fields))
        reason = gateway_text(reason)  # it may quote a gateway or a log: cleaned, credentials redacted
        if fields.get("log_tail"):
            fields["log_tail"] = gateway_text(fields["log_tail"])

        def work(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT pool FROM pool_members WHERE instance = ?", (instance,)).fetchone()
            if row is None:
                return
            db.execute(
                f"UPDATE pool_members SET {columns} WHERE instance = ?",
                (state, reason, time.time(), *fields.values(), instance),
            )
            if not instance.startswith(RESERVED):
                self._event(db, row[0], instance, state, reason, seconds)

        self._write(work)

    def remove(self, instance: str, reason: str, *, only_states: tuple[str, ...] = STATES) -> Member | None:
        """Take the member out of its pool (it is being, or was, terminated); None when it was not in one of
        `only_states` (a claim took it first)."""

        def work(db: sqlite3.Connection) -> Member | None:
            found = _select(db, "WHERE instance = ?", (instance,))
            if not found or found[0].state not in only_states:
                return None
            db.execute("DELETE FROM pool_members WHERE instance = ?", (instance,))
            if not instance.startswith(RESERVED):
                self._event(db, found[0].pool, instance, ENDED, reason, None)
            return found[0]

        return self._write(work)

    def abandon(self, pool: str) -> None:
        """This process's launching rows of `pool`, left by launches that never ran (a runner stopping)."""

        def work(db: sqlite3.Connection) -> None:
            for member in _select(db, "WHERE pool = ? AND state = ? AND owner_pid = ?", (pool, LAUNCHING, self._me[0])):
                db.execute("DELETE FROM pool_members WHERE instance = ?", (member.instance,))
                self._event(db, pool, member.instance, ENDED, "its launch was interrupted", None)

        self._write(work)

    def take(self, pool: str, state: str, reason: str) -> list[Member]:
        """Every member of `pool` in `state`, taken out in one transaction (a drain: no claim gets them after)."""

        def work(db: sqlite3.Connection) -> list[Member]:
            found = _select(db, "WHERE pool = ? AND state = ?", (pool, state))
            for member in found:
                db.execute("DELETE FROM pool_members WHERE instance = ?", (member.instance,))
                self._event(db, pool, member.instance, ENDED, reason, None)
            return found

        return self._write(work)

    # -- claims ----------------------------------------------------------------------------------
    def claim(
        self, pool: str, state: str, reason: str, *, join_invite: str | None, started: float, timed: bool
    ) -> tuple[Member | None, bool]:
        """Pick the oldest ready member and mark it `state`, in one transaction. With `join_invite` already
        claimed by an earlier claim: that member, and True (the double claim handed the same instance)."""

        def work(db: sqlite3.Connection) -> tuple[Member | None, bool]:
            if join_invite is not None:
                earlier = _select(
                    db,
                    "WHERE pool = ? AND join_invite = ? AND state IN (?, ?, ?)",
                    (pool, join_invite, CLAIMED, PENDING, TAINTED),
                )
                if earlier:
                    return earlier[0], True
            found = _select(db, "WHERE pool = ? AND state = ? ORDER BY since LIMIT 1", (pool, READY))
            if not found:
                return None, False
            now = time.time()
            db.execute(
                "UPDATE pool_members SET state = ?, reason = ?, since = ?, claimed_at = ?, join_invite = ? WHERE instance = ?",
                (state, reason, now, now, join_invite, found[0].instance),
            )
            seconds = time.monotonic() - started if timed else None
            self._event(db, pool, found[0].instance, state, reason, seconds)
            return _select(db, "WHERE instance = ?", (found[0].instance,))[0], False

        return self._write(work)

    # -- what there is ---------------------------------------------------------------------------
    def all(self, pool: str | None = None) -> list[Member]:
        with self._read() as db:
            if pool is None:
                return _select(db, "ORDER BY pool, since", ())
            return _select(db, "WHERE pool = ? ORDER BY since", (pool,))

    def get(self, instance: str) -> Member | None:
        with self._read() as db:
            found = _select(db, "WHERE instance = ?", (instance,))
        return found[0] if found else None

    def counts(self, pool: str) -> dict[str, int]:
        with self._read() as db:
            return {state: _counts(db, pool).get(state, 0) for state in STATES}

    def samples(self, pool: str, state: str, limit: int = 200) -> list[float]:
        """The latest `limit` claim times (state claimed) or cold starts (state ready), in seconds. A join's
        claim that waits for acceptance has its time on its pending event (its later claimed one has none)."""
        states = (CLAIMED, PENDING) if state == CLAIMED else (state, state)
        with self._read() as db:
            rows = db.execute(
                "SELECT seconds FROM pool_events WHERE pool = ? AND state IN (?, ?) AND seconds IS NOT NULL "
                "ORDER BY at DESC LIMIT ?",
                (pool, *states, limit),
            ).fetchall()
        return [row[0] for row in rows]

    def events(self, pool: str, limit: int = 100) -> list[dict[str, Any]]:
        with self._read() as db:
            cursor = db.execute(
                "SELECT instance, state, reason, at, seconds FROM pool_events WHERE pool = ? ORDER BY at DESC, id DESC LIMIT ?",
                (pool, limit),
            )
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- the circuit breaker ---------------------------------------------------------------------
    def breaker(self, pool: str) -> Breaker:
        with self._read() as db:
            row = db.execute(
                "SELECT failures, reason, reopens_at FROM pool_breakers WHERE pool = ?", (pool,)
            ).fetchone()
        return Breaker(*row) if row else Breaker()

    def set_breaker(self, pool: str, breaker: Breaker) -> None:
        self._write(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO pool_breakers (pool, failures, reason, reopens_at) VALUES (?, ?, ?, ?)",
                (pool, breaker.failures, breaker.reason, breaker.reopens_at),
            )
        )


def _counts(db: sqlite3.Connection, pool: str) -> dict[str, int]:
    rows = db.execute("SELECT state, COUNT(*) FROM pool_members WHERE pool = ? GROUP BY state", (pool,)).fetchall()
    return {state: count for state, count in rows}


def _select(db: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[Member]:
    cursor = db.execute(f"SELECT * FROM pool_members {where}", args)
    names = [c[0] for c in cursor.description]
    return [Member(**dict(zip(names, row, strict=True))) for row in cursor]
