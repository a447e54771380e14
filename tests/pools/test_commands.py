"""The pool commands as real processes: `pool run` (one per pool, ended cleanly by SIGTERM), `claim`,
`replenish`, `drain` and `pool list`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from convos_tui.instances.launcher import alive
from convos_tui.pools.reconciler import RunnerLock
from tests.pools.conftest import counts, pool_config, wait_for


def test_pool_run_holds_the_pool_refuses_a_second_runner_and_ends_cleanly_on_sigterm(env):
    pool_config(env, target=2)
    command = [sys.executable, "-m", "convos_tui", "--config", str(env.config), "pool", "run", "booth"]
    runner = subprocess.Popen([*command, "--interval", "0.05"], env=env.environ(), stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: counts(env).get("ready") == 2, "2 ready")
        second = env.run("pool", "run", "booth")
        assert second.returncode == 3
        assert f"pool booth is already run by pid {runner.pid}; not starting a second one" in second.stderr
        claimed = env.json("claim", "booth")
        assert claimed[0]["outcome"] == "ok" and claimed[0]["invite_url"].startswith("https://")
        assert claimed[0]["claim_ms"] < 1000 and "poolApiKey" not in json.dumps(claimed)
        wait_for(lambda: counts(env).get("ready") == 2, "the claimed one replaced")
    finally:
        runner.send_signal(signal.SIGTERM)
        _, stderr = runner.communicate(timeout=60)
    assert runner.returncode == 0, stderr
    assert "pool booth stopped: 2 ready and 1 claimed stay up" in stderr
    listed = env.json("pool", "list")
    assert listed[0]["counts"]["ready"] == 2 and listed[0]["counts"]["launching"] == 0
    assert listed[0]["claim_ms_p50"] is not None and listed[0]["cold_start_s_p95"] is not None
    assert not any("invite_url" in m for m in listed[0]["members"])  # a listing never hands out an invite
    records = env.records()
    assert sum(alive(r.pid, r.pid_start) for r in records.all()) == 3  # ready and claimed instances stay up
    records.close()
    lock = RunnerLock(env.data / "convos-tui" / "pools", "booth")
    lock.acquire()  # the runner's lock went with its process
    lock.release()


def test_replenish_then_drain_ready_only_then_all_with_confirmation(env):
    pool_config(env, target=0, max_total=3)
    done = env.run("replenish", "booth", "4", "--json")
    assert done.returncode == 0, done.stderr
    assert [r["outcome"] for r in json.loads(done.stdout)] == ["ok"] * 3  # max_total 3: the fourth not reserved
    full = env.run("replenish", "booth", "1")
    assert full.returncode == 3 and "pool booth is at its max_total 3: nothing was started" in full.stderr
    assert env.run("claim", "booth").returncode == 0
    drained = env.json("drain", "booth")
    assert [r["action"] for r in drained] == ["terminate"] * 2 and counts(env)["claimed"] == 1
    refused = env.run("drain", "booth", "--all")
    assert refused.returncode == 2 and "ends claimed conversations: add --yes to confirm" in refused.stderr
    assert env.run("drain", "booth", "--all", "--yes").returncode == 0
    assert sum(counts(env).values()) == 0 and env.json("instances") == []
    timeline = env.run("pool", "events", "booth").stdout.splitlines()
    assert len(timeline) == 3 * 3 + 1  # launching, ready, ended for each; the claimed one also claimed
    assert " claimed   claimed (" in "\n".join(timeline) and timeline[0].split()[3] == "ended"
    unknown = env.run("claim", "nope")
    assert unknown.returncode == 2 and "no pool named 'nope' (pools: booth)" in unknown.stderr


def test_sigterm_mid_launch_stops_and_cleans_the_launches_in_flight(env):
    pool_config(env, target=2)
    env.config.write_text(env.config.read_text().replace("speed = 20", "speed = 0.5"))  # boots in 2-6 s
    command = [sys.executable, "-m", "convos_tui", "--config", str(env.config), "pool", "run", "booth"]
    runner = subprocess.Popen(command, env=env.environ(), stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: env.store_path.exists() and any(r.pid for r in env.records().all()), "a launch to spawn")
    finally:
        runner.send_signal(signal.SIGTERM)
        _, stderr = runner.communicate(timeout=60)
    assert runner.returncode == 0, stderr
    assert counts(env) == {state: 0 for state in counts(env)}  # no launching row left behind
    records = env.records()
    ended = {(r.state, r.error) for r in records.all(include_ended=True)}
    assert ended <= {("failed", "interrupted"), ("terminated", None)} and ended, (
        ended
    )  # one cut off just after: stopped
    assert not any(alive(r.pid, r.pid_start) for r in records.all(include_ended=True))
    records.close()
    assert not env.instances_dir.exists() or not list(env.instances_dir.iterdir())


def test_claim_refuses_what_cannot_apply_before_touching_the_pool(env):
    pool_config(env, target=0)
    missing = env.run("claim", "booth", "--instructions", str(env.tmp / "nope.md"))
    assert missing.returncode == 2 and "--instructions" in missing.stderr and "nope.md" in missing.stderr
    named = env.run("claim", "booth", "--name", "x")
    assert named.returncode == 3
    assert 'pool booth prepares its conversations ahead (prepare = "create"), so --name cannot apply' in named.stderr
    assert env.run("claim", "booth", "--join", "not an invite").returncode == 3
