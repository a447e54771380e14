"""What `status` does to be fast keeps every promise: the hostile-gateway limits hold, the JSON is the same text
whichever encoder wrote it, and the optional speed-ups (orjson, uvloop) are only that."""

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.commands import status as status_command
from convos_tui.sim import GatewaySpec, Mode
from tests.threaded_fleet import ThreadFleet

HOSTILE = [
    GatewaySpec("fine"),
    GatewaySpec("huge", Mode.HUGE),
    GatewaySpec("drip", Mode.DRIP),
    GatewaySpec("garbage", Mode.GARBAGE),
    GatewaySpec("broken-json", Mode.GARBAGE, garbage_kind="json"),
    GatewaySpec("reset", Mode.RESET),
]
STATUS_TIMEOUT_S = 1.0


@pytest.fixture
def hostile_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with ThreadFleet(HOSTILE) as fleet:
        path = tmp_path / "fleet.toml"
        path.write_text(fleet.config_toml() + f'\n[timeouts]\nstatus = "{STATUS_TIMEOUT_S:g}s"\n')
        yield path


def polled(path, env=None):
    """`status --json` in a process of its own (as cron runs it); the document and how long it took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "convos_tui", "--config", str(path), "status", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), time.monotonic() - started


@pytest.mark.parametrize("extras", ["installed", "blocked"])
def test_hostile_gateways_are_bounded_on_the_fast_path(hostile_config, tmp_path, monkeypatch, extras):
    import os

    env = dict(os.environ)
    if extras == "blocked":  # as without the `fast` extra: both imports fail
        blocker = tmp_path / "blocked"
        blocker.mkdir()
        for name in ("orjson", "uvloop"):
            (blocker / f"{name}.py").write_text("raise ImportError('not installed')\n")
        env["PYTHONPATH"] = str(blocker)
    document, took = polled(hostile_config, env)
    states = {g["name"]: g for g in document["gateways"]}
    assert states["fine"]["state"] == "idle"
    kinds = {name: (states[name]["state"], (states[name]["error"] or {}).get("kind")) for name in states}
    assert kinds["huge"] == ("error", "unexpected-answer") and "larger than 1024 KiB" in states["huge"]["reason"]
    assert kinds["drip"] == ("unreachable", "timeout")  # one byte every half second: cut at the status timeout
    assert kinds["garbage"] == ("error", "unexpected-answer") and "not valid UTF-8" in states["garbage"]["reason"]
    assert kinds["broken-json"] == ("error", "unexpected-answer")
    assert kinds["reset"] == ("unreachable", "unreachable")
    assert len(json.dumps(document)) < 64_000  # nothing of the huge answer is copied out
    # Cut at the timeout, not after the drip's whole body (minutes): generous for a loaded machine, far below that.
    assert took < 30


def test_orjson_writes_the_same_text_as_python():
    orjson = pytest.importorskip("orjson")
    document = {
        "schema": status_command.SCHEMA,
        "counts": {"idle": 1, "live": 0},
        "gateways": [
            {"name": "gw-é", "tags": [], "status": {}, "latency_ms": 12.5, "since_s": 0.1, "ready": True, "x": None},
            {"name": "ünïcode ✓ \\u001b", "tags": ["a", "b"], "error": {"kind": "timeout", "detail": 'say "hi"\n'}},
        ],
    }
    expected = json.dumps(document, ensure_ascii=False, indent=2)
    assert orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() == expected
    assert status_command._json_document(document) == expected


def test_a_value_orjson_refuses_falls_back_to_python():
    pytest.importorskip("orjson")
    document = {"gateways": [{"big": 2**70}]}
    assert json.loads(status_command._json_document(document)) == document


def test_json_without_orjson_is_the_same(monkeypatch):
    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson now raises ImportError
    document = {"gateways": [{"name": "é", "latency_ms": 1.5}]}
    assert status_command._json_document(document) == json.dumps(document, ensure_ascii=False, indent=2)


def test_the_store_still_records_each_first_state(hostile_config):
    result = CliRunner().invoke(main, ["--config", str(hostile_config), "status", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    from convos_tui.fleet.paths import data_dir
    from convos_tui.fleet.store import Store

    store = Store.open(data_dir() / "store.sqlite3")
    try:
        last = store.last_states()
    finally:
        store.close()
    assert set(last) == {spec.name for spec in HOSTILE}
    assert str(last["fine"].new) == "idle"
