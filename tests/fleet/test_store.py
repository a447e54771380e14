"""The SQLite store: history, invites, audit, retention, and what happens when the file misbehaves."""

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from convos_tui.fleet.state import State, Transition
from convos_tui.fleet.store import Store, StoreError
from convos_tui.fleet.store_file import SCHEMA

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
        gateway="gw",
        gateway_url="http://127.0.0.1:1",
        conversation_id=CID,
        origin="create",
        name="Ops",
        env="dev",
        invite_url="https://dev.convos.org/v2?i=abc",
        invite_slug="abc",
        elapsed_s=3.2,
        at=10.0,
    )
    record = store.conversation("gw", CID)
    assert (record["invite_url"], record["elapsed_s"], record["invite_revoked_at"], record["exploded_at"]) == (
        "https://dev.convos.org/v2?i=abc",
        3.2,
        None,
        None,
    )
    store.mark_invite_revoked("gw", CID, at=20.0)
    store.mark_invite_revoked("gw", CID, at=30.0)  # the first revocation is the one that counts
    store.mark_exploded("gw", CID, at=40.0)
    record = store.conversation("gw", CID)
    assert (record["invite_revoked_at"], record["exploded_at"]) == (20.0, 40.0)


def test_every_conversation_field_is_kept_and_a_misspelt_one_is_refused():
    store = Store.open(None)
    fields = dict(
        gateway="gw",
        gateway_url="u",
        conversation_id=CID,
        origin="join",
        name="Ops",
        env="dev",
        invite_url="https://x/v2?i=1",
        invite_slug="1",
        elapsed_s=2.5,
    )
    store.add_conversation(**fields, at=7.0)
    record = store.conversation("gw", CID)
    assert {key: record[key] for key in fields} == fields and record["created_at"] == 7.0
    # An action's effects are a plain dict: a misspelt key must fail the write, not drop the invite.
    audit_id = store.begin_action("create", gateway="gw", params={})
    with pytest.raises(TypeError, match="invite_uri"):
        store.finish_action(
            audit_id,
            outcome="ok",
            detail="created",
            elapsed_s=1.0,
            conversation=dict(
                gateway="gw", gateway_url="u", conversation_id="cd" * 16, origin="create", invite_uri="i"
            ),
        )
    assert len(store.conversations()) == 1 and store.audit_log()[0]["outcome"] == "unknown"


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


def test_a_database_locked_past_the_wait_at_open_is_in_memory_and_says_invites_are_not_saved(tmp_path):
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = Store.open(path, wait_s=0.3)
        assert store.path is None and "locked" in store.warning
        assert store.failure == store.warning and "not saved" in store.failure
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_write_that_cannot_be_made_fails_loudly_and_never_moves_to_memory(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store.open(path, wait_s=0.3)
    store.add_conversation(gateway="gw", gateway_url="u", conversation_id=CID, origin="create", invite_url="i")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="could not be written .database is locked"):
            store.audit("explode", gateway="gw", params={}, outcome="ok")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.path == path and "could not be written" in store.failure
    store.audit("explode", gateway="gw", params={}, outcome="ok")  # the lock is gone: writes go to the file again
    assert [row["action"] for row in Store.open(path).audit_log()] == ["explode"]


HOLDER = textwrap.dedent(
    """
    import sqlite3, sys, time
    d = sqlite3.connect(sys.argv[1], isolation_level=None)
    d.execute("BEGIN IMMEDIATE")
    d.execute("INSERT OR REPLACE INTO meta VALUES('h','x')")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_a_write_waits_for_another_process_holding_the_lock(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store.open(path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), "2.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        store.audit("lock", gateway="gw", params={}, outcome="ok")  # the old 2 s busy timeout gave up here
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert waited > 1.5 and store.failure is None
    assert [row["action"] for row in Store.open(path).audit_log()] == ["lock"]


def test_write_ahead_then_one_transaction_for_the_answer_and_the_invite(tmp_path):
    store = Store.open(tmp_path / "store.sqlite3")
    audit_id = store.begin_action("create", gateway="gw", params={"name": "Ops", "token": "S3CRET"})
    row = store.audit_log()[0]
    assert (row["outcome"], row["params"]) == ("unknown", {"name": "Ops"})
    assert store.unfinished() == []  # this process is alive and still at it
    store.finish_action(
        audit_id,
        outcome="ok",
        detail="created",
        elapsed_s=1.0,
        conversation=dict(
            gateway="gw", gateway_url="u", conversation_id=CID, origin="create", invite_url="https://x/v2?i=1"
        ),
    )
    assert store.audit_log()[0]["outcome"] == "ok" and store.conversation("gw", CID)["invite_url"] == "https://x/v2?i=1"
    assert len(store.audit_log()) == 1


def test_a_failed_completion_saves_neither_half(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store.open(path, wait_s=0.3)
    audit_id = store.begin_action("create", gateway="gw", params={})
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError):
            store.finish_action(
                audit_id,
                outcome="ok",
                detail="created",
                elapsed_s=1.0,
                conversation=dict(gateway="gw", gateway_url="u", conversation_id=CID, origin="create", invite_url="i"),
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.conversations() == [] and store.audit_log()[0]["outcome"] == "unknown"


def test_unfinished_actions_of_a_dead_run_are_listed_until_checked(tmp_path):
    path = tmp_path / "store.sqlite3"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    store = Store.open(path)
    store.begin_action("create", gateway="gw", params={})
    store._db.execute("UPDATE audit SET pid = ?", (int(dead.stdout),))  # as the killed run left it
    assert [(u["action"], u["gateway"]) for u in store.unfinished()] == [("create", "gw")]
    assert store.unfinished_create("gw")["checked_at"] is None
    store.mark_checked(store.unfinished()[0]["id"], "gw holds conversation x: created by a run that did not finish")
    assert store.unfinished() == [] and "did not finish" in store.unfinished_create("gw")["detail"]


def test_one_recorder_per_data_dir(tmp_path):
    path = tmp_path / "store.sqlite3"
    first, second = Store.open(path), Store.open(path)
    one = [Transition("a", State.UNKNOWN, State.IDLE, "ready", 100.0)]
    assert first.record_transitions(one) and not second.record_transitions(one)
    assert first.counts()["transitions"] == 1
    first.close()
    assert second.record_transitions(one) and second.counts()["transitions"] == 2


def test_history_is_pruned_while_running(monkeypatch):
    monkeypatch.setattr("convos_tui.fleet.store.PRUNE_EVERY", 20)
    store = Store.open(None)
    store.retention = store.retention.__class__(transitions_rows=10)
    for i in range(200):
        store.record_transitions([Transition("a", State.IDLE, State.LIVE, "x", time.time() + i)])
    assert store.counts()["transitions"] <= 30


def test_a_schema_1_store_gains_the_write_ahead_columns(tmp_path):
    path = tmp_path / "store.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        SCHEMA.replace("elapsed_s REAL,\n    pid INTEGER,", "elapsed_s REAL\n    --").replace("checked_at REAL", "")
    )
    old.execute("INSERT INTO meta VALUES ('schema', '1')")
    old.execute(
        "INSERT INTO audit (at, who, action, params, outcome, detail) VALUES (?, 'w', 'lock', '{}', 'ok', '')",
        (time.time(),),
    )
    old.commit()
    old.close()
    store = Store.open(path)
    assert store.failure is None and store.audit_log()[0]["action"] == "lock"
    store.begin_action("create", gateway="gw", params={})
    assert store.unfinished() == []


def test_the_data_dir_and_the_files_are_private_even_under_umask_022(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    old = os.umask(0o022)
    try:
        store = Store.open(folder / "store.sqlite3")
        store.audit("lock", gateway="gw", params={}, outcome="ok")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and "now 700" in store.notices[0]
    for each in folder.iterdir():
        assert stat.S_IMODE(each.stat().st_mode) == 0o600, each


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
