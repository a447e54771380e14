"""Warm pools: claim a ready instance in one transaction, replenish, drain, and what each pool looks like.

A pool is a `[pools.NAME]` of the config on one of its `[[launchers]]`. Its members are instances of the
instance service (launched, terminated and found again by it); which pool each belongs to, and in which state,
is in the pool_members table (members.py). Every mutating call goes through the action service: refused in
read-only mode, written ahead in the audit. The reconciler (reconciler.py) keeps each pool at its target.

A claim on a pool with prepare = "create" makes no gateway call: the ready instance already holds its
conversation, and the invite it was given at creation is handed out from the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from convos_tui.api.invites import InviteError, parse_invite
from convos_tui.fleet.actions import FAILED, OK, REFUSED, ActionResult
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.pools_config import PoolConfig
from convos_tui.instances.records import LIVE, RUNNING
from convos_tui.instances.service import InstanceService, Provision, instance_gateway
from convos_tui.pools.members import (
    CLAIMED,
    LAUNCHING,
    PENDING,
    READY,
    Breaker,
    Member,
    Members,
)
from convos_tui.quantiles import quantile

BREAKER_FAILURES = 3  # launches failed in a row that open a pool's breaker
BREAKER_OPEN_S = 300.0  # how long it stays open before a launch is tried again

# on_phase of the instance service, with the pool's name first
PoolPhaseCallback = Callable[[str, str, str, float | None, str | None], None]


@dataclass(frozen=True)
class PoolSummary:
    name: str
    target_ready: int
    max_total: int
    prepare: str
    counts: Mapping[str, int]
    breaker_reason: str | None
    breaker_reopens_at: float | None
    claim_ms_p50: float | None
    claim_ms_p95: float | None
    cold_start_s_p50: float | None
    cold_start_s_p95: float | None
    next_ready_in_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "counts": dict(self.counts)}


class PoolService:
    def __init__(self, instances: InstanceService, pools: Sequence[PoolConfig], members: Members) -> None:
        self.instances = instances
        self.pools: dict[str, PoolConfig] = {pool.name: pool for pool in pools}
        self.members = members
        self.on_phase: PoolPhaseCallback | None = None  # the console's progress, when it wants it
        self._parallel: dict[str, asyncio.Semaphore] = {}

    @classmethod
    def open(cls, instances: InstanceService, pools: Sequence[PoolConfig]) -> PoolService:
        """The pools' service; an explode through the instances' action service recycles a member at once
        (the console sets `exploded` on its own action service too; a reconciler catches the others)."""
        service = cls(instances, pools, Members.open(instances.store.path))
        instances.actions.on_exploded = service.exploded
        return service

    def close(self) -> None:
        self.members.close()

    def pool(self, name: str | None) -> PoolConfig:
        """The pool named `name` (None: the only one), or ValueError saying which exist."""
        if not self.pools:
            raise ValueError("no [pools.NAME] in the config: add one (a launcher, target_ready, max_total, prepare)")
        if name is None and len(self.pools) == 1:
            return next(iter(self.pools.values()))
        if name in self.pools:
            return self.pools[name]
        known = ", ".join(self.pools)
        if name is None:
            raise ValueError(f"several pools: name one ({known})")
        raise ValueError(f"no pool named {name!r} (pools: {known})")

    @property
    def lock_dir(self) -> Path | None:
        """Where the runners' lock files are (None: a store in memory, so no runner in another process)."""
        path = self.instances.store.path
        return None if path is None else path.parent / "pools"

    # -- claims ----------------------------------------------------------------------------------
    async def claim(
        self, pool: str, *, join: str | None = None, name: str | None = None, instructions: str | None = None
    ) -> ActionResult:
        """A ready instance of `pool`; data: instance, gateway, invite_url, conversation_id, claim_ms."""
        started = time.monotonic()
        target = f"pool:{pool}"
        params = {
            "pool": pool,
            "join": join,
            "name": name,
            "instructions": f"{len(instructions)} characters" if instructions is not None else None,
        }
        config = self.pools.get(pool)
        refusal = self._claim_refusal(pool, config, join, name, instructions)
        if refusal is not None or config is None:
            return await self.instances.actions.guarded("claim", target, params, lambda: _done(refusal))
        return await self.instances.actions.guarded(
            "claim", target, params, lambda: self._claim(config, join, name, instructions, started)
        )

    def _claim_refusal(
        self, pool: str, config: PoolConfig | None, join: str | None, name: str | None, instructions: str | None
    ) -> ActionResult | None:
        def refused(summary: str, hint: str = "") -> ActionResult:
            return ActionResult(f"pool:{pool}", "claim", REFUSED, summary, hint=hint)

        if config is None:
            return refused(f"no pool named {pool!r}", f"Pools in the config: {', '.join(self.pools) or 'none'}")
        if config.prepare == "create" and (join or name or instructions is not None):
            given = "--join" if join else "--name" if name else "--instructions"
            return refused(
                f'not claimed: pool {pool} prepares its conversations ahead (prepare = "create"), so {given} '
                "cannot apply to them",
                'Claim without it, or from a pool with prepare = "none"',
            )
        if join and (name or instructions is not None):
            return refused(
                "not claimed: --join joins someone else's conversation; --name and --instructions are for a create"
            )
        if join:
            try:
                parse_invite(join)
            except InviteError as exc:
                return refused(f"not claimed: {exc}")
        return None

    async def _claim(
        self, config: PoolConfig, join: str | None, name: str | None, instructions: str | None, started: float
    ) -> ActionResult:
        target = f"pool:{config.name}"
        key = parse_invite(join).slug if join else None
        prepared = config.prepare == "create"
        reason = "claimed" if prepared else "claimed: joining" if join else "claimed: creating a conversation"
        member, again = await asyncio.to_thread(
            self.members.claim, config.name, CLAIMED, reason, join_invite=key, started=started, timed=prepared
        )
        if member is None:
            return self._empty(config)
        if again:
            return ActionResult(
                member.instance,
                "claim",
                OK,
                f"already claimed with this invite: instance {member.instance} ({member.state})",
                hint="A second claim with the same invite gets the first one's instance, not another.",
                data=self._claim_data(member, started),
            )
        if prepared:
            return ActionResult(
                member.instance,
                "claim",
                OK,
                f"claimed {member.instance} in {(time.monotonic() - started) * 1000:.1f} ms",
                data=self._claim_data(member, started),
            )
        return await self._provision(config, member, join, name, instructions, started, target)

    async def _provision(
        self,
        config: PoolConfig,
        member: Member,
        join: str | None,
        name: str | None,
        instructions: str | None,
        started: float,
        target: str,
    ) -> ActionResult:
        """Create or join on a claimed instance of a pool with prepare = "none". One that fails is recycled."""
        gateway = self.gateway(member.instance)
        if gateway is None:
            result = ActionResult(member.instance, "claim", FAILED, f"{member.instance} is no longer running")
        elif join:
            result = await self.instances.actions.join(gateway, join, instructions=instructions)
        else:
            result = await self.instances.actions.create(gateway, name=name, instructions=instructions)
        if not result.ok:
            await self.recycle(member.instance, f"its claim failed: {result.summary}")
            return ActionResult(
                member.instance,
                "claim",
                result.outcome,
                f"claim failed: {result.summary}",
                hint=f"Nothing was retried; {member.instance} was terminated and the pool launches a fresh one.",
                detail=result.detail,
            )
        conversation = result.data.get("conversation_id")
        seconds = time.monotonic() - started
        if join and not conversation:
            state, reason = PENDING, "a join waits for the creator to accept"
        else:
            state, reason = CLAIMED, f"claimed: conversation {conversation}"
        await asyncio.to_thread(
            self.members.set_state,
            member.instance,
            state,
            reason,
            seconds=seconds,
            conversation_id=conversation,
            invite_url=result.data.get("invite_url"),
        )
        claimed = self.members.get(member.instance) or member
        return ActionResult(
            member.instance,
            "claim",
            OK,
            f"{reason} ({member.instance}, {seconds:.1f} s)",
            data=self._claim_data(claimed, started),
        )

    def _claim_data(self, member: Member, started: float) -> dict[str, Any]:
        return {
            "pool": member.pool,
            "instance": member.instance,
            "gateway": member.instance,
            "state": member.state,
            "invite_url": member.invite_url,
            "conversation_id": member.conversation_id,
            "claim_ms": round((time.monotonic() - started) * 1000, 3),
        }

    def _empty(self, config: PoolConfig) -> ActionResult:
        summary = self.summary(config)
        launching = summary.counts.get(LAUNCHING, 0)
        if summary.next_ready_in_s is not None:
            when = f"the next one should be ready in about {summary.next_ready_in_s:.0f} s"
        elif launching:
            when = f"{launching} launching, none finished yet to time it"
        elif summary.breaker_reason:
            when = f"launches are stopped: {summary.breaker_reason}"
        else:
            when = "none is launching: is `convos-tui pool run " + config.name + "` (or the console) running?"
        return ActionResult(
            f"pool:{config.name}",
            "claim",
            FAILED,
            f"pool {config.name} has no ready instance: {when}",
            hint=f"`convos-tui replenish {config.name} N` launches more now.",
            data={"pool": config.name, "next_ready_in_s": summary.next_ready_in_s, "counts": dict(summary.counts)},
        )

    # -- launches --------------------------------------------------------------------------------
    def reserve(self, config: PoolConfig, count: int, *, up_to_ready: int | None = None) -> list[str]:
        """Rows for up to `count` launches, counted in one transaction (no overshoot, whoever else launches)."""
        return self.members.reserve(config.name, count, config.max_total, up_to_ready=up_to_ready)

    async def launch_reserved(self, config: PoolConfig, reserved: Sequence[str]) -> list[ActionResult]:
        """Launch one instance per reservation, at most `parallel` at once; each ends ready, or out of the pool."""
        limit = self._parallel.setdefault(config.name, asyncio.Semaphore(config.parallel))

        async def one(row: str) -> ActionResult:
            try:
                await limit.acquire()
            except BaseException:  # cancelled while it waited its turn
                self.members.remove(row, "its launch was cancelled before it started")
                raise
            try:
                return await self._launch_one(config, row)
            finally:
                limit.release()

        # return_exceptions: when cancelled, wait for every launch to clean up, not only the first
        results = await asyncio.gather(*(one(row) for row in reserved), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, ActionResult)]

    async def _launch_one(self, config: PoolConfig, reserved: str) -> ActionResult:
        launcher = self.instances.launchers.get(config.launcher)
        if launcher is None:
            self.members.remove(reserved, "no launcher")
            return ActionResult(
                f"pool:{config.name}", "launch", REFUSED, f"launcher {config.launcher!r} is not configured"
            )
        named: list[str] = []

        def on_phase(instance: str, phase: str, seconds: float | None, error: str | None) -> None:
            if not named:
                named.append(instance)
                self.members.named(reserved, instance)
            if self.on_phase is not None:
                self.on_phase(config.name, instance, phase, seconds, error)

        provision = Provision(create=config.prepare == "create")
        try:
            [result] = await self.instances.launch(launcher, 1, provision, on_phase=on_phase)
        except BaseException:
            self.members.remove(named[0] if named else reserved, "its launch was interrupted")
            if named:  # cut off after the instance service finished (its audit row): nobody would own it
                await asyncio.shield(self._stop_unowned(named[0]))
            raise
        row = named[0] if named else reserved
        if result.ok:
            self.members.set_state(
                row,
                READY,
                f"ready: {result.summary}",
                seconds=result.data.get("total_s"),
                owner_pid=None,
                owner_start=None,
                conversation_id=result.data.get("conversation_id"),
                invite_url=result.data.get("invite_url"),
            )
        else:
            self.members.remove(row, f"launch {result.outcome}: {result.summary}")
        self._count_launch(config.name, result)
        return result

    async def _stop_unowned(self, instance: str) -> None:
        record = self.instances.records.get(instance)
        if record is not None and record.state == RUNNING:
            await self.instances.terminate([instance])

    def _count_launch(self, pool: str, result: ActionResult) -> None:
        """The breaker: BREAKER_FAILURES failed launches in a row stop launches for BREAKER_OPEN_S."""
        before = self.members.breaker(pool)
        if result.ok:
            if before.failures:
                self.members.set_breaker(pool, Breaker())
            return
        failures = before.failures + 1
        if failures < BREAKER_FAILURES:
            self.members.set_breaker(pool, Breaker(failures))
            return
        reason = f"{failures} launches failed in a row; the last: {result.summary}"
        self.members.set_breaker(pool, Breaker(failures, reason, time.time() + BREAKER_OPEN_S))

    async def replenish(self, pool: str, count: int) -> list[ActionResult]:
        """Launch `count` more instances now, past target_ready if asked, never past max_total."""
        params = {"pool": pool, "count": count}
        config = self.pools.get(pool)
        if config is None or self.instances.actions.read_only:
            return [await self._refused("replenish", pool, params)]
        reserved = self.reserve(config, count)
        if not reserved:
            full = ActionResult(
                f"pool:{pool}",
                "replenish",
                REFUSED,
                f"pool {pool} is at its max_total {config.max_total}: nothing was started",
                hint="Drain some instances, or raise max_total.",
            )
            return [await self.instances.actions.guarded("replenish", f"pool:{pool}", params, lambda: _done(full))]
        return await self.launch_reserved(config, reserved)

    async def _refused(self, action: str, pool: str, params: dict[str, Any]) -> ActionResult:
        """An unknown pool, or read-only mode (the action service says so, and audits it)."""
        unknown = ActionResult(
            f"pool:{pool}", action, REFUSED, f"no pool named {pool!r}", hint=f"Pools: {', '.join(self.pools) or 'none'}"
        )
        return await self.instances.actions.guarded(action, f"pool:{pool}", params, lambda: _done(unknown))

    # -- drain and recycle -----------------------------------------------------------------------
    async def drain(self, pool: str, *, ready_only: bool = True) -> list[ActionResult]:
        """Terminate the pool's ready instances (and, unless `ready_only`, the claimed, pending, tainted and
        crashed ones too). Launches in flight finish; a running reconciler refills the pool afterwards."""
        params = {"pool": pool, "ready_only": ready_only}
        if pool not in self.pools or self.instances.actions.read_only:
            return [await self._refused("drain", pool, params)]
        states = (READY,) if ready_only else tuple(s for s in self.members.counts(pool) if s != LAUNCHING)
        taken: list[Member] = []
        for state in states:
            taken += self.members.take(pool, state, "drained")
        live = [m.instance for m in taken if self._has_instance(m.instance)]  # a crashed ready one is gone already
        if not live:
            summary = f"pool {pool} has nothing to drain" if not taken else f"{len(taken)} crashed member(s) cleared"
            nothing = ActionResult(f"pool:{pool}", "drain", OK, summary)
            return [await self.instances.actions.guarded("drain", f"pool:{pool}", params, lambda: _done(nothing))]
        return await self.instances.terminate(live)

    def _has_instance(self, instance: str) -> bool:
        record = self.instances.records.get(instance)
        return record is not None and record.state in LIVE

    async def exploded(self, gateway: str) -> None:
        """A gateway's conversation was exploded: when it is a pool's instance, recycle it (the pool refills)."""
        if self.members.get(gateway) is not None:
            await self.recycle(gateway, "its conversation was exploded")

    async def recycle(self, instance: str, reason: str) -> ActionResult | None:
        """Take the instance out of its pool and terminate it; the reconciler launches its replacement."""
        if self.members.remove(instance, f"recycled: {reason}") is None:
            return None
        [result] = await self.instances.terminate([instance])
        return result

    # -- what there is ---------------------------------------------------------------------------
    def gateway(self, instance: str) -> GatewayConfig | None:
        """The member's gateway, to call it (None when it is not running)."""
        record = self.instances.records.get(instance)
        if record is None or record.state != RUNNING:
            return None
        return instance_gateway(record, self.instances.launchers, self.instances.pool_key(record))

    def summaries(self) -> list[PoolSummary]:
        return [self.summary(config) for config in self.pools.values()]

    def summary(self, config: PoolConfig) -> PoolSummary:
        counts = self.members.counts(config.name)
        breaker = self.members.breaker(config.name)
        now = time.time()
        is_open = breaker.reopens_at is not None and breaker.reopens_at > now
        claims = [s * 1000 for s in self.members.samples(config.name, CLAIMED)]
        colds = self.members.samples(config.name, READY)
        return PoolSummary(
            name=config.name,
            target_ready=config.target_ready,
            max_total=config.max_total,
            prepare=config.prepare,
            counts=counts,
            breaker_reason=breaker.reason if is_open else None,
            breaker_reopens_at=breaker.reopens_at if is_open else None,
            claim_ms_p50=quantile(claims, 0.5),
            claim_ms_p95=quantile(claims, 0.95),
            cold_start_s_p50=quantile(colds, 0.5),
            cold_start_s_p95=quantile(colds, 0.95),
            next_ready_in_s=self._next_ready(config, counts, quantile(colds, 0.5), breaker, now),
        )

    def _next_ready(
        self, config: PoolConfig, counts: Mapping[str, int], cold: float | None, breaker: Breaker, now: float
    ) -> float | None:
        """0 with one ready; else the oldest launch's expected end (from the measured cold start p50)."""
        if counts.get(READY):
            return 0.0
        if cold is None:
            return None
        launching = [m.since for m in self.members.all(config.name) if m.state == LAUNCHING]
        if launching:
            return round(max(0.0, cold - (now - min(launching))), 1)
        if breaker.reopens_at is not None and breaker.reopens_at > now:
            return round(breaker.reopens_at - now + cold, 1)
        return None


async def _done(result: ActionResult | None) -> ActionResult:
    assert result is not None
    return result


__all__ = ["PoolService", "PoolSummary"]
