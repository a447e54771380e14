"""The SQLite store: history, invites, audit, retention, and what happens when the file misbehaves."""

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from convos_tui.fleet.state import State, Transition
from convos_tui.fleet.store import Store

CID = "ab" * 16


def test_transitions_round_trip_and_last_states():
    store = Store.open(None)
    store.record_transitions(
        [
            Transition("a", State.UNKNOWN, State.IDLE, "ready", 100.0),
            Transition("a", State.IDLE, State.LIVE, "bound", 200.0),
            Transition("b", State.UNKNOWN, State.UNREACHABLE, "refused", 150.0),
        ]
    )
    assert [t.new for t in store.transitions("a")] == [State.LIVE, State.IDLE]
    assert [t.gateway for t in store.transitions(since=140)] == ["a", "b"]
    last = store.last_states()
    assert (last["a"].new, last["a"].at, last["b"].new) == (State.LIVE, 200.0, State.UNREACHABLE)


def test_invite_lifecycle():
    store = Store.open(None)
    store.add_conversation(
        gateway="gw", gateway_url="http://127.0.0.1:1", conversation_id=CID, origin="create", name="Ops",
        env="dev", invite_url="https://dev.convos.org/v2?i=abc", invite_slug="abc", elapsed_s=3.2, at=10.0,
    )
    record = store.conversation("gw", CID)
    assert (record["invite_url"], record["elapsed_s"], record["invite_revoked_at"], record["exploded_at"]) == (
        "https://dev.convos.org/v2?i=abc", 3.2, None, None
    )
    store.mark_invite_revoked("gw", CID, at=20.0)
    store.mark_invite_revoked("gw", CID, at=30.0)  # the first revocation is the one that counts
    store.mark_exploded("gw", CID, at=40.0)
    record = store.conversation("gw", CID)
    assert (record["invite_revoked_at"], record["exploded_at"]) == (20.0, 40.0)


def test_audit_never_keeps_a_token_and_bounds_text():
    store = Store.open(None)
    store.audit(
        "send",
        gateway="gw",
        params={"message": "x" * 5000, "token": "s3cret", "Authorization": "Bearer s3cret"},
        outcome="ok",
        elapsed_s=0.4,
    )
    [row] = store.audit_log()
    assert "s3cret" not in json.dumps(row)
    assert row["params"]["message"].endswith("(5000 characters)") and len(row["params"]["message"]) < 2100
    assert "@" in row["who"] and row["outcome"] == "ok"


def test_retention_by_age_and_rows():
    store = Store.open(None)
    now = 1_000_000_000.0
    store.record_transitions([Transition("a", State.IDLE, State.LIVE, "x", now - 40 * 86_400)])
    store.record_transitions([Transition("a", State.LIVE, State.IDLE, "y", now - float(i)) for i in range(50)])
    store.retention = store.retention.__class__(transitions_rows=10)
    store.prune(now)
    assert store.counts()["transitions"] == 10
    # the ten recorded last are kept (ids 42..51), the 40-day-old one went by age
    assert sorted(t.at for t in store.transitions(limit=100)) == [now - float(i) for i in range(49, 39, -1)]


def test_a_file_store_survives_reopening(tmp_path):
    path = tmp_path / "data" / "store.sqlite3"
    store = Store.open(path)
    assert store.warning is None and store.path == path
    store.add_conversation(gateway="gw", gateway_url="u", conversation_id=CID, origin="create", invite_url="i")
    store.close()
    again = Store.open(path)
    assert again.conversation("gw", CID)["invite_url"] == "i"
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_file_that_is_not_a_database_degrades_to_memory(tmp_path):
    path = tmp_path / "store.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    store = Store.open(path)
    assert store.path is None and "cannot be used" in store.warning and "in memory" in store.warning
    store.audit("lock", gateway="gw", params={}, outcome="ok")
    assert len(store.audit_log()) == 1
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_a_locked_database_degrades_to_memory_at_open(tmp_path):
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = Store.open(path)
        assert store.path is None and "locked" in store.warning
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_database_that_locks_mid_session_keeps_what_it_had_in_memory(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store.open(path)
    store.add_conversation(gateway="gw", gateway_url="u", conversation_id=CID, origin="create", invite_url="i")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store.audit("explode", gateway="gw", params={}, outcome="ok")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.path is None and "stopped accepting writes" in store.warning
    assert store.conversation("gw", CID)["invite_url"] == "i"
    assert [row["action"] for row in store.audit_log()] == ["explode"]


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from convos_tui.fleet.store import Store
    store = Store.open(Path(sys.argv[1]))
    for i in range(100000):
        store.add_conversation(gateway=f"gw-{i}", gateway_url="u", conversation_id=f"{i:032x}",
                               origin="create", invite_url=f"https://dev.convos.org/v2?i={i}")
        print(i, flush=True)
    """
)


def test_killing_the_console_mid_write_loses_no_committed_invite(tmp_path):
    path = tmp_path / "store.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    committed = -1
    deadline = time.monotonic() + 30
    try:
        while committed < 200 and time.monotonic() < deadline:
            committed = int(writer.stdout.readline())
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert committed >= 200
    store = Store.open(path)
    assert store.warning is None
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved = {row[0] for row in store._db.execute("SELECT invite_url FROM conversations")}
    assert all(f"https://dev.convos.org/v2?i={i}" in saved for i in range(committed + 1))
