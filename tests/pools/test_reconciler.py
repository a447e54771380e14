"""The reconciler over real `sim` processes: it reaches and holds the target without overshoot, replaces a
killed instance (its log's last lines kept), opens its breaker after 3 failed launches, recycles an exploded
instance and a tainted one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from convos_tui.api.client import GatewayClient
from convos_tui.fleet.actions import ActionResult
from convos_tui.instances.launcher import alive
from convos_tui.pools.members import CLAIMED, CRASHED, LAUNCHING, PENDING, READY, TAINTED, Breaker
from convos_tui.pools.reconciler import Reconciler
from convos_tui.pools.service import PoolService
from tests.invite_samples import SHORT
from tests.pools.conftest import pool_config, services, until


def reconcile(service: PoolService, body: Callable[[Reconciler], Awaitable[Any]], interval: float = 0.02) -> Any:
    """Run the pool's reconciler while `body` runs; stop it (and its launches) afterwards."""

    async def main() -> Any:
        reconciler = Reconciler(service, next(iter(service.pools)), interval_s=interval)
        task = asyncio.create_task(reconciler.run())
        try:
            return await body(reconciler)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return asyncio.run(main())


def launches(service: PoolService) -> list[str]:
    return [a["outcome"] for a in service.instances.store.audit_log() if a["action"] == "launch"]


async def rounds(reconciler: Reconciler, count: int) -> None:
    done = reconciler.rounds + count
    await until(lambda: reconciler.rounds >= done, f"{count} more rounds")


def test_the_target_is_reached_and_held_with_no_overshoot_when_launches_are_slow(env):
    pool_config(env, target=3, parallel=2)
    env.config.write_text(env.config.read_text().replace("speed = 20", "speed = 4"))  # each launch ~1 s
    with services(env) as service:
        seen = {"launching": 0, "held": 0}

        async def body(reconciler: Reconciler) -> None:
            def sample() -> bool:
                counts = service.members.counts("booth")
                seen["launching"] = max(seen["launching"], counts[LAUNCHING])
                seen["held"] = max(seen["held"], counts[LAUNCHING] + counts[READY])
                return counts[READY] == 3

            await until(sample, "3 ready")
            await rounds(reconciler, 25)

        reconcile(service, body, interval=0.005)
        assert seen == {"launching": 2, "held": 3}  # two at once (parallel), never a fourth
        assert launches(service) == ["ok"] * 3  # held: no launch after the target was reached
        members = service.members.all("booth")
        assert [m.state for m in members] == [READY] * 3
        assert all(alive(service.instances.records.get(m.instance).pid, None) for m in members)
        summary = service.summaries()[0]
        assert summary.cold_start_s_p50 is not None and summary.next_ready_in_s == 0.0


def test_a_killed_instance_is_crashed_with_its_log_and_replaced(env):
    pool_config(env, target=2)
    with services(env) as service:

        async def body(reconciler: Reconciler) -> str:
            await until(lambda: service.members.counts("booth")[READY] == 2, "2 ready")
            victim = service.members.all("booth")[0]
            record = service.instances.records.get(victim.instance)
            os.kill(record.pid, signal.SIGKILL)
            await until(
                lambda: (
                    (service.members.get(victim.instance) or victim).state == CRASHED
                    and service.members.counts("booth")[READY] == 2
                ),
                "the crash noticed and a replacement ready",
            )
            return victim.instance

        victim = reconcile(service, body)
        crashed = service.members.get(victim)
        assert crashed.reason == "its process died" and "listening on 127.0.0.1" in crashed.log_tail
        assert service.instances.records.get(victim).state == "terminated"  # its directory is gone
        assert not (env.instances_dir / victim).exists()
        assert len(launches(service)) == 3
        assert [e["state"] for e in service.members.events("booth") if e["instance"] == victim][0] == CRASHED
        drained = asyncio.run(service.drain("booth", ready_only=False))  # the crashed one is cleared, not refused
        assert [r.outcome for r in drained] == ["ok", "ok"] and not service.members.all("booth")


def test_three_failed_launches_open_the_breaker_for_five_minutes(env, tmp_path):
    script = tmp_path / "exits.py"
    script.write_text("import sys\nprint('boot: Gateway token required', flush=True)\nsys.exit(1)\n")
    pool_config(env, target=2, parallel=1)
    env.config.write_text(
        env.config.read_text()
        .replace('type = "sim"', 'type = "openclaw"')
        .replace("speed = 20\n", f'executable = ["{sys.executable}", "{script}"]\n')
    )
    with services(env) as service:

        async def body(reconciler: Reconciler) -> tuple[str | None, float | None]:
            await until(lambda: reconciler.breaker_reason is not None, "the breaker to open")
            opened = (reconciler.breaker_reason, reconciler.breaker_reopens_at)
            await rounds(reconciler, 20)
            assert launches(service) == ["failed"] * 3  # no launch while it is open
            # Its five minutes are up: one launch tries again, fails, and it opens again.
            service.members.set_breaker("booth", Breaker(3, opened[0], time.time() - 1))
            await until(lambda: reconciler.breaker_reason is not None, "the breaker to open again")
            await rounds(reconciler, 10)
            return opened

        reason, reopens_at = reconcile(service, body)
        # the exit code is the gateway's own (the members' check never reaps a launch in flight)
        assert reason.startswith("3 launches failed in a row; the last: spawn failed: the gateway exited with code 1 ")
        assert time.time() + 290 < reopens_at <= time.time() + 300
        assert launches(service) == ["failed"] * 4
        summary = service.summaries()[0]
        assert summary.breaker_reason.startswith("4 launches failed in a row") and summary.breaker_reopens_at
        assert summary.counts[LAUNCHING] == 0 and not service.members.all("booth")


def test_an_exploded_instance_is_recycled_and_replaced(env):
    pool_config(env, target=1)
    with services(env) as service:

        async def body(reconciler: Reconciler) -> str:
            await until(lambda: service.members.counts("booth")[READY] == 1, "1 ready")
            claimed = await service.claim("booth")
            assert claimed.ok and service.members.get(claimed.data["instance"]).state == CLAIMED
            exploded = await service.instances.actions.explode(service.gateway(claimed.data["instance"]))
            assert exploded.ok, exploded.summary
            await until(
                lambda: (
                    service.members.get(claimed.data["instance"]) is None
                    and service.members.counts("booth")[READY] == 1
                ),
                "the exploded instance recycled and a fresh one ready",
            )
            return claimed.data["instance"]

        instance = reconcile(service, body)
        assert service.instances.records.get(instance).state == "terminated"
        ended = [e for e in service.members.events("booth") if e["instance"] == instance][0]
        assert ended["state"] == "ended" and ended["reason"] == "recycled: its conversation was exploded"


def test_an_explode_through_the_action_service_recycles_at_once_without_a_reconciler(env):
    pool_config(env, target=1)
    with services(env) as service:

        async def body() -> str:
            [launched] = await service.replenish("booth", 1)
            claimed = await service.claim("booth")
            assert launched.ok and claimed.ok
            assert (await service.instances.actions.explode(service.gateway(claimed.data["instance"]))).ok
            return claimed.data["instance"]

        instance = asyncio.run(body())
        assert service.members.get(instance) is None and service.instances.records.get(instance).state == "terminated"
        assert not (env.instances_dir / instance).exists()
        audit = [(a["action"], a["outcome"]) for a in reversed(service.instances.store.audit_log())]
        assert audit[-2:] == [("explode", "ok"), ("terminate", "ok")]


def test_a_claimed_conversation_that_vanishes_taints_its_instance_which_is_left_to_its_owner(env):
    pool_config(env, target=1)
    with services(env) as service:

        async def body(reconciler: Reconciler) -> str:
            await until(lambda: service.members.counts("booth")[READY] == 1, "1 ready")
            claimed = await service.claim("booth")
            async with GatewayClient(service.gateway(claimed.data["instance"]).endpoint()) as client:
                await client.explode()  # behind the console's back: the store knows nothing of it
            instance = claimed.data["instance"]
            await until(lambda: service.members.get(instance).state == TAINTED, "the claimed one tainted")
            await rounds(reconciler, 10)
            return instance

        instance = reconcile(service, body)
        tainted = service.members.get(instance)
        assert tainted.state == TAINTED and tainted.reason == f"its conversation {tainted.conversation_id} vanished"
        assert service.instances.records.get(instance).state == "running"  # a claimed instance is never touched


def test_a_conversation_no_claim_made_taints_a_ready_instance_which_is_recycled(env):
    pool_config(env, target=1, prepare="none")
    with services(env) as service:

        async def body(reconciler: Reconciler) -> str:
            await until(lambda: service.members.counts("booth")[READY] == 1, "1 ready")
            [member] = service.members.all("booth")
            stray = await service.instances.actions.create(service.gateway(member.instance))  # not through a claim
            assert stray.ok
            await until(
                lambda: service.members.get(member.instance) is None and service.members.counts("booth")[READY] == 1,
                "the tainted instance recycled and a fresh one ready",
            )
            return member.instance

        instance = reconcile(service, body)
        states = [
            (e["state"], e["reason"]) for e in reversed(service.members.events("booth")) if e["instance"] == instance
        ]
        assert states[-2][0] == "tainted" and states[-2][1].startswith("a conversation appeared that no claim made")
        assert states[-1] == ("ended", "recycled: " + states[-2][1])


def test_a_pending_join_claim_becomes_claimed_once_accepted_and_its_claim_time_counts(env, monkeypatch):
    pool_config(env, target=1, prepare="none")
    with services(env) as service:

        async def waits_for_acceptance(gateway, invite_text, **_: Any) -> ActionResult:
            # What the action service returns when the gateway answers pending_acceptance: nothing bound yet.
            # (Each sim process is a network of its own, so a real join from one to another cannot wait.)
            data = {"status": "pending_acceptance", "conversation_id": None}
            return ActionResult(gateway.name, "join", "ok", "waiting for the creator to accept", data=data)

        monkeypatch.setattr(service.instances.actions, "join", waits_for_acceptance)

        async def body(reconciler: Reconciler) -> tuple[ActionResult, str]:
            await until(lambda: service.members.counts("booth")[READY] == 1, "1 ready")
            claim = await service.claim("booth", join=SHORT)
            instance = claim.data["instance"]
            assert claim.ok and claim.data["state"] == PENDING
            await rounds(reconciler, 2)
            assert service.members.get(instance).state == PENDING  # nothing bound: it keeps waiting
            async with GatewayClient(service.gateway(instance).endpoint()) as client:
                accepted = await client.create()  # the gateway is bound now, as after the creator's acceptance
            await until(lambda: service.members.get(instance).state == CLAIMED, "the pending claim claimed")
            return claim, accepted.conversation_id

        claim, conversation = reconcile(service, body)
        member = service.members.get(claim.data["instance"])
        assert member.conversation_id == conversation and member.reason.endswith("(accepted)")
        assert member.claimed_at is not None
        [claim_s] = service.members.samples("booth", CLAIMED)  # the claim's own time, counted once
        assert claim_s * 1000 <= claim.data["claim_ms"]
        summary = service.summary(service.pools["booth"])
        assert summary.claim_ms_p50 == summary.claim_ms_p95 == round(claim_s * 1000, 3)
