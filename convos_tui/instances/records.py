"""What the console remembers of the instances it launched: one row each, in the store's SQLite file.

The table lives beside the store's own, in the same file, on a connection of its own (WAL lets both write).
No secret is kept here: an instance's gateway token and pool key stay in its own openclaw.json (mode 0600),
and go with its directory.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STARTING, RUNNING, FAILED, CRASHED, TERMINATED = "starting", "running", "failed", "crashed", "terminated"
LIVE = (STARTING, RUNNING, CRASHED)  # still has a directory (and maybe a process)
# The same phases for every type, so that figures compare: restore is the golden made into an instance (a
# process: its folder copied; docker: the image found or pulled and the container created; command: the
# launch hook run), spawn its start → port open, ready port open → plugin ready, then create or join.
PHASES = ("restore", "spawn", "ready", "create", "join")

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    launcher TEXT NOT NULL,
    type TEXT NOT NULL,                -- openclaw | sim | docker | command
    golden TEXT NOT NULL,
    dir TEXT NOT NULL,
    state TEXT NOT NULL,               -- starting | running | failed | crashed | terminated
    pid INTEGER,
    pid_start TEXT,                    -- the process's start time (/proc), so a reused pid is never taken for it
    port INTEGER,
    log TEXT NOT NULL,
    env TEXT,
    phases TEXT NOT NULL DEFAULT '{}', -- JSON: phase → seconds
    failed_phase TEXT,
    error TEXT,
    log_tail TEXT,                     -- the log's last lines when it failed or crashed
    conversation_id TEXT,
    created_at REAL NOT NULL,
    ended_at REAL,
    container TEXT,                    -- docker: the container's id; command: the id its launch hook printed
    endpoint TEXT,                     -- command: the URL its launch hook printed (else 127.0.0.1:port)
    token_env TEXT                     -- command: the console's variable holding its key, if the hook named one
);
CREATE INDEX IF NOT EXISTS instances_by_launcher ON instances (launcher, state);
"""
# Columns added after the first release, with their types: a store made before them gets them on open.
ADDED_COLUMNS = {"container": "TEXT", "endpoint": "TEXT", "token_env": "TEXT"}


@dataclass
class InstanceRecord:
    id: str
    launcher: str
    type: str
    golden: str
    dir: str
    state: str = STARTING
    pid: int | None = None
    pid_start: str | None = None
    port: int | None = None
    log: str = ""
    env: str | None = None
    phases: dict[str, float] = field(default_factory=dict)
    failed_phase: str | None = None
    error: str | None = None
    log_tail: str | None = None
    conversation_id: str | None = None
    created_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    container: str | None = None
    endpoint: str | None = None
    token_env: str | None = None

    @property
    def origin(self) -> str:
        return f"launcher:{self.launcher}"

    @property
    def url(self) -> str:
        return self.endpoint or f"http://127.0.0.1:{self.port}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["origin"] = self.origin
        data["phases"] = {k: round(v, 3) for k, v in self.phases.items()}
        return data


class Records:
    """Use `Records.open(store_path)`; None keeps them in memory (tests, a store that fell back to memory)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._lock = threading.RLock()
        self._db = connection

    @classmethod
    def open(cls, path: Path | None) -> Records:
        target = ":memory:" if path is None else str(path)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(target, timeout=5.0, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout = 5000")
        if path is not None:
            connection.execute("PRAGMA journal_mode = WAL")
            # NORMAL, not FULL: a commit survives the console being killed; what a power loss could take
            # is the latest change of an instance that the power loss killed as well.
            connection.execute("PRAGMA synchronous = NORMAL")
        connection.executescript(SCHEMA)
        have = {row[1] for row in connection.execute("PRAGMA table_info(instances)")}
        with connection:
            for column, kind in ADDED_COLUMNS.items():
                if column not in have:
                    connection.execute(f"ALTER TABLE instances ADD COLUMN {column} {kind}")
        return cls(connection)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def save(self, record: InstanceRecord) -> None:
        data = asdict(record)
        data["phases"] = json.dumps(record.phases)
        columns = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        with self._lock, self._db:
            self._db.execute(f"INSERT OR REPLACE INTO instances ({columns}) VALUES ({marks})", list(data.values()))

    def get(self, instance_id: str) -> InstanceRecord | None:
        found = self._select("WHERE id = ?", (instance_id,))
        return found[0] if found else None

    def all(self, *, include_ended: bool = False) -> list[InstanceRecord]:
        if include_ended:
            return self._select("", ())
        return self._select(f"WHERE state IN ({', '.join('?' for _ in LIVE)})", LIVE)

    def of_launcher(self, launcher: str) -> list[InstanceRecord]:
        return [r for r in self.all() if r.launcher == launcher]

    def _select(self, where: str, args: tuple[Any, ...]) -> list[InstanceRecord]:
        with self._lock:
            cursor = self._db.execute(f"SELECT * FROM instances {where} ORDER BY created_at, id", args)
            names = [c[0] for c in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor]
        for row in rows:
            row["phases"] = json.loads(row["phases"] or "{}")
        return [InstanceRecord(**row) for row in rows]
