"""The headless actions as scripts use them: output, JSON, exit codes, read-only, the store."""

import json

import pytest
from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.fleet.store import Store
from convos_tui.sim import GatewaySpec, Mode
from tests.threaded_fleet import ThreadFleet

SPECS = [GatewaySpec("a"), GatewaySpec("b"), GatewaySpec("bound", Mode.BOUND), GatewaySpec("offline", Mode.OFFLINE)]


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    threaded = ThreadFleet(SPECS, speed=500)
    with threaded as sim:
        path = tmp_path / "fleet.toml"
        path.write_text(sim.config_toml())

        def run(*args, input=None):
            return CliRunner().invoke(main, ["--config", str(path), *args], input=input, catch_exceptions=False)

        run.sim = sim
        run.store_path = tmp_path / "data" / "convos-tui" / "store.sqlite3"
        yield run


def test_create_prints_and_stores_the_invite(fleet):
    result = fleet("create", "a", "--name", "Ops room", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["outcome"] == "ok" and data["invite_url"].startswith("https://dev.convos.org/v2?i=")
    assert data["provisioning_s"] > 0
    store = Store.open(fleet.store_path)
    assert store.conversation("a", data["conversation_id"])["invite_url"] == data["invite_url"]
    assert store.audit_log()[0]["action"] == "create"


def test_join_send_rename_lock_explode(fleet):
    invite = json.loads(fleet("create", "a", "--json").stdout)["invite_url"]
    assert fleet("join", "b", invite).exit_code == 0
    assert fleet.sim.gateway("b").bound == fleet.sim.gateway("a").bound
    sent = fleet("send", "a", "-", input="line one\nline two\n")
    assert sent.exit_code == 0 and fleet.sim.gateway("a").sent_messages == ["line one\nline two\n"]
    assert fleet("rename", "a", "Agent Smith").exit_code == 0
    assert fleet.sim.gateway("a").profile_name == "Agent Smith"
    assert fleet("lock", "a").exit_code == 0 and fleet.sim.gateway("a").locked
    assert fleet("lock", "a", "--unlock").exit_code == 0 and not fleet.sim.gateway("a").locked
    refused = fleet("explode", "a")
    assert refused.exit_code == 2 and "--yes" in refused.output
    assert fleet("explode", "a", "--yes").exit_code == 0 and fleet.sim.gateway("a").bound is None


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["create", "bound"], 1, "already holds a conversation"),
        (["create", "offline", "--name", "X"], 1, "dns error"),
        (["send", "a", "hi"], 1, "no active conversation"),
        (["join", "a", "bogus"], 3, "too short to be an invite"),
        (["join", "a", "https://popup.convos.org/v2?i=" + "A" * 240], 3, "production network"),
        (["send", "bound", ""], 3, "empty"),
        (["--read-only", "create", "a"], 3, "read-only"),
        (["create", "nope"], 2, "no gateway named 'nope'"),
    ],
)
def test_exit_codes_tell_failure_refusal_and_usage_apart(fleet, args, code, words):
    result = fleet(*args)
    assert result.exit_code == code, result.output
    assert words in result.output


def test_provision_creates_on_idle_gateways_and_reports_each(fleet):
    result = fleet("provision", "--count", "5", "--json")
    rows = {r["gateway"]: r for r in json.loads(result.stdout)}
    # "bound" is not idle; "offline" looks idle (its status cannot show XMTP is unreachable) and fails
    assert sorted(rows) == ["a", "b", "offline"]
    assert rows["a"]["invite_url"] and rows["b"]["invite_url"]
    assert rows["offline"]["outcome"] == "failed" and "dns error" in rows["offline"]["summary"]
    assert result.exit_code == 1  # not everything succeeded
    assert "only 3 idle gateway(s) match" in result.stderr


def test_provision_by_tag_succeeds_with_exit_0(fleet):
    result = fleet("provision", "--count", "1", "--tag", "healthy", "--json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 1


def test_a_store_that_cannot_be_written_after_the_answer_prints_the_invite_and_exits_5(fleet, monkeypatch):
    import sqlite3

    from convos_tui.api.client import GatewayClient

    assert fleet("status").exit_code == 0
    monkeypatch.setenv("CONVOS_TUI_STORE_WAIT_S", "0.3")
    holder = sqlite3.connect(fleet.store_path, isolation_level=None)
    real_create = GatewayClient.create

    async def create_then_lock_the_store(self, **kwargs):
        created = await real_create(self, **kwargs)  # the real gateway's answer
        holder.execute("BEGIN EXCLUSIVE")  # another process takes the lock before the invite is stored
        return created

    monkeypatch.setattr(GatewayClient, "create", create_then_lock_the_store)
    try:
        result = fleet("create", "a")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 5
    invite = fleet.sim.gateway("a").invite_url
    assert f"invite: {invite}" in result.stdout
    assert "could not be written" in result.stderr and "this invite is NOT saved" in result.stderr
    # the write-ahead row says a create went out, with no answer recorded: the store says so
    monkeypatch.delenv("CONVOS_TUI_STORE_WAIT_S")
    told = fleet("invite", "a")
    assert told.exit_code == 1 and "cut off before its answer was stored: its outcome is unknown" in told.stderr


def test_headless_actions_record_their_transitions_and_say_in_which_store(fleet):
    assert fleet("status").exit_code == 0
    created = fleet("create", "a")
    assert f"history: transitions recorded in {fleet.store_path}" in created.stderr
    assert fleet("explode", "a", "--yes").exit_code == 0
    store = Store.open(fleet.store_path)
    assert [(str(t.old), str(t.new)) for t in reversed(store.transitions("a"))] == [
        ("unknown", "idle"),
        ("idle", "live"),
        ("live", "idle"),
    ]
    as_json = json.loads(fleet("create", "b", "--json").stdout)
    assert as_json["history"] == f"history: transitions recorded in {fleet.store_path}"


def test_a_headless_action_beside_a_recording_console_leaves_the_recording_to_it(fleet):
    assert fleet("status").exit_code == 0
    console = Store.open(fleet.store_path)
    assert console.is_recorder()  # as a running console holds the data dir's recorder lock
    created = fleet("create", "a")
    assert created.exit_code == 0
    assert "transitions are recorded there by the console running" in created.stderr
    console.close()
