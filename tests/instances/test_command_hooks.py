"""The command launcher over real processes: small hook scripts (tests/instances/hooks/) that start simulated
gateways, as a platform's CLI would start machines."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.instances.conftest import Env, free_range

HOOKS = Path(__file__).resolve().parent / "hooks"


def hook_config(env: Env, how: str = "", extra: str = "") -> str:
    python = json.dumps(sys.executable)
    launch = [sys.executable, str(HOOKS / "launch.py"), str(env.golden), "{dir}", "{port}", *([how] if how else [])]
    return (
        "[[launchers]]\n"
        'name = "hooks"\n'
        'type = "command"\n'
        f"launch = {json.dumps(launch)}\n"
        f'terminate = [{python}, "{HOOKS / "terminate.py"}", "{{id}}"]\n'
        f'list = [{python}, "{HOOKS / "list.py"}", "{env.instances_dir}"]\n'
        f'ports = "{env.ports}"\n'
        'boot_timeout = "20s"\n' + extra
    )


@pytest.fixture
def henv(tmp_path):
    environment = Env(tmp_path)
    environment.ports = free_range(30)
    environment.config.write_text(hook_config(environment))
    yield environment
    for record in environment.records().all(include_ended=True):  # whatever a failed test left running
        if record.container and record.container.startswith("pid-"):
            try:
                os.killpg(int(record.container[4:]), signal.SIGKILL)
            except ProcessLookupError:
                pass


def pid_alive(instance_id: str) -> bool:
    stat = Path(f"/proc/{instance_id.removeprefix('pid-')}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_two_launched_by_hook_with_create_crash_seen_by_list_terminate_by_hook(henv):
    done = henv.run("launch", "--count", "2", "--create", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout)
    assert [r["outcome"] for r in results] == ["ok", "ok"], results
    assert len({r["conversation_id"] for r in results}) == 2
    records = {r.id: r for r in henv.records().all()}
    ids = [records[r["instance"]].container for r in results]
    assert all(i.startswith("pid-") and pid_alive(i) for i in ids)
    # the pool key went to the hook in its environment, never on its command line; the console sends it
    status = json.loads(henv.run("status", "--json").stdout)
    rows = {row["name"]: row for row in status["gateways"]}
    assert all(rows[r["instance"]]["status"]["conversation_id"] == r["conversation_id"] for r in results)

    os.killpg(int(ids[0][4:]), signal.SIGKILL)  # a machine that died: the list hook no longer lists it
    deadline = time.monotonic() + 10
    while pid_alive(ids[0]) and time.monotonic() < deadline:
        time.sleep(0.02)
    listed = {i["id"]: i["state"] for i in henv.json("instances")}
    assert listed == {results[0]["instance"]: "crashed", results[1]["instance"]: "running"}

    done = henv.run("terminate", "--yes", *(r["instance"] for r in results))
    assert done.returncode == 0, done.stdout + done.stderr
    deadline = time.monotonic() + 10
    while pid_alive(ids[1]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pid_alive(ids[1])
    assert not any((henv.instances_dir / r["instance"]).exists() for r in results)


def test_a_failing_launch_hook_shows_its_stderr_and_leaves_nothing(henv):
    henv.config.write_text(hook_config(henv, "fail"))
    done = henv.run("launch", "--json")
    assert done.returncode == 1
    [result] = json.loads(done.stdout)
    assert result["summary"] == "restore failed: launch hook exited with code 2"
    assert "no capacity in region ams" in result["log_tail"]
    assert list(henv.instances_dir.iterdir()) == []


def test_a_key_a_hook_prints_is_redacted_from_its_log_tail(henv):
    henv.config.write_text(hook_config(henv, "leak"))
    done = henv.run("launch", "--json")
    [result] = json.loads(done.stdout)
    assert "error: bad request with key" in result["log_tail"]
    assert result["log_tail"].endswith("with key [redacted]"), result["log_tail"]  # not the key itself
    assert henv.records().get(result["instance"]).log_tail == result["log_tail"]


def test_a_hook_past_its_timeout_is_ended_and_named(henv):
    henv.config.write_text(hook_config(henv, "hang", 'hook_timeouts = { launch = "1s" }\n'))
    done = henv.run("launch", "--json")
    assert done.returncode == 1
    [result] = json.loads(done.stdout)
    assert "launch hook did not finish within its timeout (1 s)" in result["summary"]


def test_the_json_line_is_found_among_other_output_and_arguments_see_no_shell(henv, tmp_path):
    henv.config.write_text(hook_config(henv, "noise"))
    done = henv.run("launch", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = json.loads(done.stdout)
    henv.run("terminate", "--yes", result["instance"])
    marker = tmp_path / "injected"
    text = hook_config(henv).replace('"{dir}"', f'"{{dir}}; touch {marker}"')
    henv.config.write_text(text)
    done = henv.run("launch", "--json")
    assert not marker.exists()  # "; touch" was one argument, not a shell's command


def test_a_launch_answer_without_url_is_refused_by_name(henv):
    henv.config.write_text(hook_config(henv, "nourl"))
    done = henv.run("launch", "--json")
    [result] = json.loads(done.stdout)
    assert "the launch hook's JSON line has no http(s) url" in result["summary"], result
