"""The console's memory: state transitions, conversations provisioned here (with their invites), the audit.

One SQLite file in the data dir, in WAL mode with `synchronous=FULL`: a gateway never tells an invite
again after creating it, so a committed invite must survive the console being killed, or the machine
losing power. The data dir is 0700 and the files 0600: the store holds live invites.

A write waits for another process's lock (`WAIT_S`, retrying with backoff) and never degrades on its own:
one that cannot be made raises StoreError and sets `failure`, which the console shows in a banner and a
command reports with its own exit code. Only a file that cannot be opened at all (damaged, read-only, newer
schema) leaves the store in memory, with `warning` and `failure` both saying so.

Mutating actions are written ahead: `begin_action` commits an audit row with outcome `unknown` before the
request goes out, and `finish_action` completes it in the same transaction as what the answer brought (the
invite). A run killed in between leaves that row: the next start lists it (`unfinished`).
One process per data dir records transitions (a lock file beside the store), so two consoles never
record each one twice.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from convos_tui.api.interpret import gateway_text
from convos_tui.fleet.state import State, Transition
from convos_tui.fleet.store_file import (
    check_writable,
    connect,
    default_wait,
    private_dir,
    private_file,
    reason,
    retry_busy,
)
from convos_tui.fleet.store_rows import (
    TEXT_LIMIT,
    ConversationFields,
    alive,
    conversation_row,
    exploded_row,
    revoked_row,
    scrub,
    who,
)

if TYPE_CHECKING:
    from convos_tui.fleet.alerts import Alert

DAY = 86_400.0
T = TypeVar("T")
PRUNE_EVERY = 1000  # transitions recorded between two prunes while running
RECORDER_LOCK = "recorder.lock"


class StoreError(Exception):
    """A write the store could not make (after waiting for a busy lock): nothing of it was saved."""


@dataclass(frozen=True, slots=True)
class Retention:
    transitions_days: float = 30
    transitions_rows: int = 200_000
    audit_days: float = 365
    audit_rows: int = 200_000
    exploded_conversations_days: float = 365


def _locked(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class Store:
    """Use `Store.open(path)`; `Store.open(None)` is an in-memory store (tests, the demo)."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path | None,
        warning: str | None = None,
        *,
        wait_s: float | None = None,
    ) -> None:
        # The console records transitions from the poller's thread and reads from the UI's: one lock
        # around the connection keeps SQLite's single connection safe.
        self._lock = threading.RLock()
        self._db = connection
        self.path = path
        self.warning = warning
        # Set (and kept) once a write could not be made, or when a file store could not be opened:
        # what this run keeps is not saved. Never cleared by itself.
        self.failure: str | None = warning
        self.notices: list[str] = []  # e.g. the data dir was tightened
        self.retention = Retention()
        self.wait_s = default_wait() if wait_s is None else wait_s
        self._who = who()
        self._recorder: int | None = None  # the recorder lock's file descriptor, while this process holds it
        self._since_prune = 0

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | None, *, wait_s: float | None = None) -> Store:
        if path is None:
            return cls(connect(":memory:", 0), None)
        wait = default_wait() if wait_s is None else wait_s
        notices: list[str] = []
        try:
            notices = private_dir(path.parent)
            private_file(path)
            connection = connect(str(path), wait)
            retry_busy(lambda: check_writable(connection), wait)
        except (sqlite3.Error, OSError) as exc:
            warning = (
                f"history store {path} cannot be used ({reason(exc)}): keeping history in memory for this "
                "session only: invites created now are not saved"
            )
            store = cls(connect(":memory:", 0), None, warning, wait_s=wait)
            store.notices = notices
            return store
        store = cls(connection, path, wait_s=wait)
        store.notices = notices
        try:
            store.prune()
        except StoreError:
            pass  # `failure` says so; the store is still usable for reading
        return store

    @_locked
    def close(self) -> None:
        if self._recorder is not None:
            os.close(self._recorder)  # releases the recorder lock
            self._recorder = None
        try:
            self._db.close()
        except sqlite3.Error:
            pass

    def _transaction(self, steps: list[tuple[str, Any, bool]]) -> list[int | None]:
        """Run (sql, args, many) steps in one committed transaction, waiting for a busy lock up to
        `wait_s`; StoreError (and `failure` set) when it cannot be made. Nothing is ever half-written."""
        with self._lock:
            try:
                return retry_busy(lambda: self._commit(steps), self.wait_s)
            except sqlite3.Error as exc:
                self.failure = f"history store {self.path or 'in memory'} could not be written ({reason(exc)})"
                raise StoreError(self.failure) from exc

    def _commit(self, steps: list[tuple[str, Any, bool]]) -> list[int | None]:
        self._db.execute("BEGIN IMMEDIATE")  # take the write lock first: a busy wait, never a stale snapshot
        try:
            ids = []
            for sql, args, many in steps:
                cursor = self._db.executemany(sql, args) if many else self._db.execute(sql, args)
                ids.append(cursor.lastrowid)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return ids

    def _write(
        self, sql: str, rows: Iterable[tuple[Any, ...]] | tuple[Any, ...] = (), many: bool = False
    ) -> int | None:
        """One committed write (StoreError when it cannot be made)."""
        return self._transaction([(sql, rows, many)])[0]

    # -- transitions -----------------------------------------------------------------------------
    def record_transitions(self, transitions: Iterable[Transition]) -> bool:
        """Record them when this process is its data dir's recorder (True); another process recording the
        same fleet (a second console) keeps them once. A failing write sets `failure` and raises nothing:
        the poller must go on."""
        rows = [(t.gateway, str(t.old), str(t.new), gateway_text(t.reason), t.at) for t in transitions]
        if not rows or not self.is_recorder():
            return False
        try:
            self._write(
                "INSERT INTO transitions (gateway, old, new, reason, at) VALUES (?, ?, ?, ?, ?)", rows, many=True
            )
            self._since_prune += len(rows)
            if self._since_prune >= PRUNE_EVERY:
                self._since_prune = 0
                self.prune()  # a console left open for days stays within the retention too
        except StoreError:
            return False
        return True

    @_locked
    def is_recorder(self) -> bool:
        """Whether this process records transitions: it holds the data dir's recorder lock (taken when free)."""
        if self.path is None or self._recorder is not None:
            return True
        try:
            fd = os.open(self.path.parent / RECORDER_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return True  # no lock file possible: record rather than lose history
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass
        self._recorder = fd
        return True

    def recorder_pid(self) -> int | None:
        """The process that records transitions in this data dir, when another one does."""
        if self.path is None or self.is_recorder():
            return None
        try:
            return int((self.path.parent / RECORDER_LOCK).read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    @_locked
    def transitions(
        self, gateway: str | None = None, *, since: float | None = None, limit: int = 500
    ) -> list[Transition]:
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

    # -- alerts --------------------------------------------------------------------------------------
    def record_alerts(self, rows: Iterable[tuple[str, Alert, float]]) -> None:
        """(event, alert, at) rows in one transaction: an alert raised, or acknowledged by whoever runs this."""
        sql = "INSERT INTO alerts (at, gateway, rule, event, state, reason, began, who) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        who = self._who
        self._write(
            sql,
            [(t, a.gateway, a.rule, e, str(a.state), gateway_text(a.reason), a.began, who) for e, a, t in rows],
            many=True,
        )

    @_locked
    def alert_log(self, *, since: float | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Alerts raised and acknowledged, newest first (from `since` on, that instant included)."""
        cursor = self._db.execute(
            "SELECT at, gateway, rule, event, state, reason, began, who FROM alerts WHERE at >= ?"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (float("-inf") if since is None else since, limit),
        )
        return [dict(zip([c[0] for c in cursor.description], row, strict=True)) for row in cursor]

    # -- conversations and invites ---------------------------------------------------------------
    def add_conversation(self, **fields: Unpack[ConversationFields]) -> int:
        return int(self._write(*conversation_row(**fields)) or 0)

    def conversations(self, gateway: str | None = None, *, limit: int = 500) -> list[dict[str, Any]]:
        return self._newest("SELECT * FROM conversations", "created_at", gateway, limit)

    def conversation(self, gateway: str, conversation_id: str) -> dict[str, Any] | None:
        """The record of this conversation on this gateway, if it was provisioned from this console."""
        for record in self.conversations(gateway, limit=50):
            if record["conversation_id"] == conversation_id:
                return record
        return None

    def mark_invite_revoked(self, gateway: str, conversation_id: str, at: float | None = None) -> None:
        self._write(*revoked_row(gateway, conversation_id, at))

    def mark_exploded(self, gateway: str, conversation_id: str, at: float | None = None) -> None:
        self._write(*exploded_row(gateway, conversation_id, at))

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
            (
                time.time() if at is None else at,
                self._who,
                gateway,
                action,
                json.dumps(scrub(params), ensure_ascii=False, default=str),
                outcome,
                gateway_text(detail[:TEXT_LIMIT]),
                elapsed_s,
            ),
        )

    def begin_action(self, action: str, *, gateway: str, params: dict[str, Any], at: float | None = None) -> int:
        """The write-ahead row of a mutating action, committed before its request goes out: outcome `unknown`
        until `finish_action` completes it. StoreError when it cannot be written (then do not send), and
        in a store that fell back to memory at open: what the action brings would not be saved."""
        if self.path is None and self.failure:
            raise StoreError(self.failure)
        rowid = self._write(
            "INSERT INTO audit (at, who, gateway, action, params, outcome, detail, elapsed_s, pid)"
            " VALUES (?, ?, ?, ?, ?, 'unknown', ?, NULL, ?)",
            (
                time.time() if at is None else at,
                self._who,
                gateway,
                action,
                json.dumps(scrub(params), ensure_ascii=False, default=str),
                "sent; no answer recorded yet",
                os.getpid(),
            ),
        )
        return int(rowid or 0)

    def finish_action(
        self,
        audit_id: int,
        *,
        outcome: str,
        detail: str,
        elapsed_s: float | None,
        conversation: dict[str, Any] | None = None,
        revoked: tuple[str, str] | None = None,
        exploded: tuple[str, str] | None = None,
    ) -> None:
        """Complete a written-ahead action and keep what its answer brought, in ONE transaction: the invite
        is never saved without its audit row, nor the row marked done without the invite."""
        steps: list[tuple[str, Any, bool]] = [
            (
                "UPDATE audit SET outcome = ?, detail = ?, elapsed_s = ?, pid = NULL WHERE id = ?",
                (outcome, gateway_text(detail[:TEXT_LIMIT]), elapsed_s, audit_id),
                False,
            )
        ]
        if conversation is not None:
            steps.append((*conversation_row(**conversation), False))
        if revoked is not None:
            steps.append((*revoked_row(*revoked), False))
        if exploded is not None:
            steps.append((*exploded_row(*exploded), False))
        self._transaction(steps)

    @_locked
    def unfinished(self) -> list[dict[str, Any]]:
        """Actions with outcome `unknown` no later run has looked into, oldest first: `cut_off` when the run
        never completed the row (killed, or its store write failed), else the answer never came (a timeout).
        Those still in flight in a live process on this host (another console, a command now) are left out."""
        rows = self._db.execute(
            "SELECT id, at, who, gateway, action, params, detail, pid FROM audit"
            " WHERE outcome = 'unknown' AND checked_at IS NULL ORDER BY at, id LIMIT 200"
        ).fetchall()
        found = []
        for rowid, at, writer, gateway, action, params, detail, pid in rows:
            if pid is not None and writer == self._who and alive(pid):
                continue
            found.append(
                {
                    "id": rowid,
                    "at": at,
                    "who": writer,
                    "gateway": gateway,
                    "action": action,
                    "params": json.loads(params),
                    "detail": detail,
                    "cut_off": pid is not None,
                }
            )
        return found

    def mark_checked(self, audit_id: int, finding: str, at: float | None = None) -> None:
        """Say what a later run found out about an unfinished action (its outcome stays `unknown`, and its
        pid says it was cut off)."""
        self._write(
            "UPDATE audit SET checked_at = ?, detail = ? WHERE id = ?",
            (time.time() if at is None else at, gateway_text(finding[:TEXT_LIMIT]), audit_id),
        )

    @_locked
    def unfinished_create(self, gateway: str) -> dict[str, Any] | None:
        """The gateway's newest create, when its outcome is unknown (a run that did not finish, or a timeout)."""
        row = self._db.execute(
            "SELECT at, outcome, detail, checked_at, pid FROM audit WHERE gateway = ? AND action = 'create'"
            " ORDER BY at DESC, id DESC LIMIT 1",
            (gateway,),
        ).fetchone()
        if row is None or row[1] != "unknown":
            return None
        return {"at": row[0], "detail": row[2], "checked_at": row[3], "cut_off": row[4] is not None}

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
            ("DELETE FROM alerts WHERE at < ?", (now - keep.audit_days * DAY,)),
            (
                "DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (keep.audit_rows,),
            ),
            (
                "DELETE FROM conversations WHERE exploded_at IS NOT NULL AND exploded_at < ?",
                (now - keep.exploded_conversations_days * DAY,),
            ),
        ]
        self._transaction([(sql, args, False) for sql, args in statements])

    @_locked
    def action_counts(self) -> dict[tuple[str, str], int]:
        """How many audited actions each (action, outcome) has: what Prometheus counts (convos_tui/metrics)."""
        cursor = self._db.execute("SELECT action, outcome, COUNT(*) FROM audit GROUP BY action, outcome")
        return {(action, outcome): count for action, outcome, count in cursor}

    @_locked
    def counts(self) -> dict[str, int]:
        return {
            table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("transitions", "conversations", "audit")
        }


def _state(value: str) -> State:
    try:
        return State(value)
    except ValueError:
        return State.UNKNOWN
