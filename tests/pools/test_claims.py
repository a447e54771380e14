"""Claims: atomic across threads and processes, one instance per invite, refused in read-only mode, an empty
pool that says when the next instance is due, and a pool that survives a console restart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading

from convos_tui.fleet.actions import ActionResult
from convos_tui.pools.members import CLAIMED, LAUNCHING, READY
from convos_tui.pools.reconciler import Reconciler
from tests.invite_samples import SHORT
from tests.pools.conftest import pool_config, seed_ready, services, until


def test_25_claims_at_once_from_threads_and_processes_get_20_distinct_instances(env):
    pool_config(env, target=0, max_total=20)
    with services(env) as service:
        seeded = seed_ready(service.members, "booth", 20)
    command = [sys.executable, "-m", "convos_tui", "--config", str(env.config), "claim", "booth", "--json"]
    processes = [
        subprocess.Popen(command, env=env.environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(15)
    ]
    start = threading.Barrier(10)
    results: list[ActionResult] = []

    def claim_in_a_thread() -> None:
        with services(env) as own:  # a connection of its own, as a second console would have
            start.wait()
            results.append(asyncio.run(own.claim("booth")))

    threads = [threading.Thread(target=claim_in_a_thread) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outputs = [json.loads(p.communicate(timeout=60)[0])[0] for p in processes]
    claimed = [r.data["instance"] for r in results if r.ok] + [o["instance"] for o in outputs if o["outcome"] == "ok"]
    assert sorted(claimed) == sorted(seeded)  # 20 claims, 20 distinct instances: each one exactly once
    empty = [r.summary for r in results if not r.ok] + [o["summary"] for o in outputs if o["outcome"] != "ok"]
    assert len(empty) == 5 and all("pool booth has no ready instance" in s for s in empty)
    assert sorted(p.returncode for p in processes).count(0) == 15 - len([o for o in outputs if o["outcome"] != "ok"])
    with services(env) as service:
        assert service.members.counts("booth")[CLAIMED] == 20
        invites = {o["instance"]: o["invite_url"] for o in outputs if o["outcome"] == "ok"}
        assert all(invites[m.instance] == m.invite_url for m in service.members.all("booth") if m.instance in invites)
        assert len(service.members.samples("booth", CLAIMED)) == 20  # every claim's latency is kept
        audit = [a["outcome"] for a in service.instances.store.audit_log() if a["action"] == "claim"]
        assert sorted(audit) == ["failed"] * 5 + ["ok"] * 20


def test_a_second_claim_with_the_same_invite_gets_the_first_ones_instance(env):
    pool_config(env, target=0, prepare="none")
    with services(env) as service:

        async def body() -> tuple[ActionResult, ActionResult, str]:
            assert all(r.ok for r in await service.replenish("booth", 2))
            pids = [service.instances.records.get(m.instance).pid for m in service.members.all("booth")]
            for pid in pids:  # the first claim's join hangs until they go on: the second comes while it is out
                os.kill(pid, signal.SIGSTOP)
            try:
                first = asyncio.create_task(service.claim("booth", join=SHORT))
                await until(lambda: service.members.counts("booth")[CLAIMED] == 1, "the first claim to take one")
                again = await service.claim("booth", join=f"  {SHORT}\n")
            finally:
                for pid in pids:
                    os.kill(pid, signal.SIGCONT)
            [other] = [m.instance for m in service.members.all("booth") if m.state == READY]
            return await first, again, other

        first, again, other = asyncio.run(body())
        assert again.ok and again.summary.startswith("already claimed with this invite: instance ")
        assert again.data["instance"] == first.gateway != other  # the same instance, not the other one
        assert service.members.get(other).state == READY
        # The simulated network does not know that invite: the join fails, is not retried, and its instance goes.
        assert first.outcome == "failed" and "Nothing was retried" in first.hint
        assert service.members.get(first.gateway) is None


def test_read_only_refuses_claim_replenish_and_drain(env):
    pool_config(env, target=0)
    with services(env) as service:
        [seeded] = seed_ready(service.members, "booth", 1)
    with services(env, read_only=True) as service:

        async def body() -> list[ActionResult]:
            return [
                await service.claim("booth"),
                *await service.replenish("booth", 2),
                *await service.drain("booth", ready_only=False),
            ]

        results = asyncio.run(body())
        assert [(r.action, r.outcome, r.summary) for r in results] == [
            (action, "refused", "refused: read-only mode") for action in ("claim", "replenish", "drain")
        ]
        assert [m.state for m in service.members.all("booth")] == [READY] and seeded
        assert not any(a["action"] == "launch" for a in service.instances.store.audit_log())
        audit = [(a["action"], a["outcome"]) for a in service.instances.store.audit_log()]
        assert set(audit) == {("claim", "refused"), ("replenish", "refused"), ("drain", "refused")}


def test_an_empty_pool_says_so_and_when_the_next_instance_is_due(env):
    pool_config(env, target=0)
    with services(env) as service:
        nothing = asyncio.run(service.claim("booth"))
        assert nothing.outcome == "failed" and "none is launching: is `convos-tui pool run booth`" in nothing.summary
        [seeded] = seed_ready(service.members, "booth", 1)
        service.members.set_state(seeded, READY, "ready", seconds=30.0)  # a cold start of 30 s measured
        assert asyncio.run(service.claim("booth")).ok
        service.reserve(service.pools["booth"], 1)  # one launching since now
        due = asyncio.run(service.claim("booth"))
        assert "the next one should be ready in about" in due.summary and 25 <= due.data["next_ready_in_s"] <= 30
        assert due.data["counts"][LAUNCHING] == 1


def test_a_pool_survives_a_console_restart(env):
    pool_config(env, target=2)
    with services(env) as service:

        async def fill() -> ActionResult:
            assert all(r.ok for r in await service.replenish("booth", 3))
            return await service.claim("booth")

        claimed = asyncio.run(fill())
        before = {m.instance: m.state for m in service.members.all("booth")}
    assert sorted(before.values()) == [CLAIMED, READY, READY]

    with services(env) as service:  # a console started afresh over the same store

        async def body() -> None:
            reconciler = Reconciler(service, "booth", interval_s=0.02)
            task = asyncio.create_task(reconciler.run())
            try:
                await until(lambda: reconciler.rounds >= 10, "10 rounds")
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        asyncio.run(body())
        assert {m.instance: m.state for m in service.members.all("booth")} == before  # found again, none launched
        assert service.members.get(claimed.data["instance"]).state == CLAIMED
        assert [a["action"] for a in service.instances.store.audit_log()].count("launch") == 3
        again = asyncio.run(service.claim("booth"))
        assert again.ok and again.data["instance"] in before and before[again.data["instance"]] == READY
