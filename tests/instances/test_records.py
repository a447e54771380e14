"""The instance records: a store made before the docker and command launchers gains their columns on open,
keeping every row it had."""

from __future__ import annotations

import sqlite3

from convos_tui.instances.records import ADDED_COLUMNS, Records

OLD_SCHEMA = """
CREATE TABLE instances (
    id TEXT PRIMARY KEY, launcher TEXT NOT NULL, type TEXT NOT NULL, golden TEXT NOT NULL, dir TEXT NOT NULL,
    state TEXT NOT NULL, pid INTEGER, pid_start TEXT, port INTEGER, log TEXT NOT NULL, env TEXT,
    phases TEXT NOT NULL DEFAULT '{}', failed_phase TEXT, error TEXT, log_tail TEXT, conversation_id TEXT,
    created_at REAL NOT NULL, ended_at REAL
);
"""


def test_an_old_store_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "store.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    old.execute(
        "INSERT INTO instances (id, launcher, type, golden, dir, state, port, log, phases, created_at) "
        "VALUES ('local-1', 'local', 'sim', '/g', '/d', 'running', 19000, '/d/gateway.log', '{\"spawn\": 1.5}', 1.0)"
    )
    old.commit()
    old.close()
    records = Records.open(path)
    [record] = records.all()
    assert (record.id, record.port, record.phases, record.container, record.endpoint) == (
        "local-1",
        19000,
        {"spawn": 1.5},
        None,
        None,
    )
    assert record.url == "http://127.0.0.1:19000"
    record.container, record.endpoint = "abc123", "https://agent-1.fly.dev"
    records.save(record)
    records.close()
    again = Records.open(path)  # a second open finds the columns there and adds nothing
    assert again.get("local-1").url == "https://agent-1.fly.dev" and again.get("local-1").container == "abc123"
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(instances)")}
    assert set(ADDED_COLUMNS) <= columns
    again.close()
