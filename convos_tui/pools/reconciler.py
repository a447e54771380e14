"""The reconciler: keeps one pool at its target_ready, one per pool, in the console or `convos-tui pool run`.

Each round it checks the members first (a dead process is crashed, with its log's last lines, and replaced; a
conversation that appeared on a ready instance, or vanished from a claimed one, taints it; an explode recycles
its instance; a join the creator accepted is claimed), then tops the pool up: the launches it needs are
reserved in one transaction that counts again (no overshoot, however slow the launches), at most `parallel` at
once, never past max_total. After BREAKER_FAILURES failed launches in a row its breaker stops launches for
BREAKER_OPEN_S (service.py keeps the count, so a replenish counts too). It never touches a claimed instance.

A lock file per pool (fcntl, released when its process dies) refuses a second reconciler on the same pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from pathlib import Path
from urllib.parse import quote

from convos_tui.api import errors
from convos_tui.api.client import GatewayClient
from convos_tui.api.models import GatewayStatus
from convos_tui.instances.records import CRASHED as RECORD_CRASHED
from convos_tui.instances.records import LIVE, RUNNING, InstanceRecord
from convos_tui.pools.members import CLAIMED, CRASHED, LAUNCHING, PENDING, READY, TAINTED, Member
from convos_tui.pools.service import PoolService

STATUS_TIMEOUT_S = 2.0
CRASHED_KEPT_S = 86_400.0  # a crashed member stays listed (with its log) this long once its instance is gone


class RunnerBusy(Exception):
    """Another process already reconciles this pool."""


class RunnerLock:
    """An exclusive lock on `<data dir>/pools/<pool>.lock`, holding the runner's pid; it dies with the process."""

    def __init__(self, folder: Path | None, pool: str) -> None:
        self.path = None if folder is None else folder / f"{quote(pool, safe='')}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Raises RunnerBusy (naming the holder's pid) when another process holds it; again is a no-op."""
        if self.path is None or self._fd is not None:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise RunnerBusy(f"pid {holder}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Reconciler:
    def __init__(self, service: PoolService, pool: str, *, interval_s: float = 1.0) -> None:
        self.service = service
        self.pool = pool
        self.interval_s = interval_s
        self.lock = RunnerLock(service.lock_dir, pool)
        self._launches: set[asyncio.Task[object]] = set()
        self.rounds = 0  # finished rounds: a test (or the console) waits for one instead of a time

    @property
    def breaker_reason(self) -> str | None:
        breaker = self.service.members.breaker(self.pool)
        return breaker.reason if breaker.reopens_at is not None and breaker.reopens_at > time.time() else None

    @property
    def breaker_reopens_at(self) -> float | None:
        breaker = self.service.members.breaker(self.pool)
        return breaker.reopens_at if breaker.reopens_at is not None and breaker.reopens_at > time.time() else None

    async def run(self) -> None:
        """Until cancelled. Raises RunnerBusy when another process reconciles this pool already. On the way out
        the launches in flight are stopped and cleaned; ready and claimed instances stay up."""
        self.lock.acquire()
        try:
            while True:
                await self.round()
                await asyncio.sleep(self.interval_s)
        finally:
            for task in self._launches:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*self._launches, return_exceptions=True)
            self.service.members.abandon(self.pool)  # the rows of launches cancelled before they began
            self.lock.release()

    async def round(self) -> None:
        await self.check()
        self.top_up()
        self.rounds += 1

    # -- topping up ------------------------------------------------------------------------------
    def top_up(self) -> None:
        config = self.service.pools[self.pool]
        if self.breaker_reason is not None:
            return
        counts = self.service.members.counts(self.pool)
        wanted = min(config.target_ready - counts[READY] - counts[LAUNCHING], config.parallel - counts[LAUNCHING])
        if wanted <= 0:
            return
        if self.service.members.breaker(self.pool).reopens_at is not None:
            wanted = 1  # the breaker's time is up: one launch tries whether launches work again
        reserved = self.service.reserve(config, wanted, up_to_ready=config.target_ready)
        if reserved:
            task = asyncio.create_task(self.service.launch_reserved(config, reserved))
            self._launches.add(task)
            task.add_done_callback(self._launches.discard)

    # -- checking the members --------------------------------------------------------------------
    async def check(self) -> None:
        members = self.service.members.all(self.pool)
        settled = {m.instance for m in members if m.state != LAUNCHING}  # a launch in flight checks its own
        records = {r.id: r for r in await asyncio.to_thread(self.service.instances.refresh, settled)}
        polled = [m for m in members if m.state in (READY, CLAIMED, PENDING) and _running(records.get(m.instance))]
        statuses = await asyncio.gather(*(self._status(m) for m in polled))
        by_instance = dict(zip((m.instance for m in polled), statuses, strict=True))
        for member in members:
            await self._check_one(member, records.get(member.instance), by_instance.get(member.instance))

    async def _check_one(self, member: Member, record: InstanceRecord | None, status: GatewayStatus | None) -> None:
        members, store = self.service.members, self.service.instances.store
        if member.state == LAUNCHING:
            if member.orphaned():  # its launcher was killed mid-launch: nobody will finish it
                if member.reserved:
                    members.remove(member.instance, "its launch was cut off")
                else:
                    await self.service.recycle(member.instance, f"its launch was cut off (pid {member.owner_pid} gone)")
            return
        if member.state == CRASHED:
            if time.time() - member.since > CRASHED_KEPT_S and (record is None or record.state not in LIVE):
                members.remove(member.instance, "crashed over a day ago: no longer listed")
            return
        if record is None or (record.state != RUNNING and record.state != RECORD_CRASHED):
            members.remove(
                member.instance, f"its instance is {record.state if record else 'gone'} (terminated outside the pool)"
            )
            return
        if record.state == RECORD_CRASHED:
            members.set_state(member.instance, CRASHED, "its process died", log_tail=record.log_tail)
            if member.claimed_at is None:  # a claimed one stays for its owner to see; a ready one is replaced
                await self.service.instances.terminate([member.instance])
            return
        if member.state == TAINTED:
            if member.claimed_at is None:
                await self.service.recycle(member.instance, member.reason)
            return
        exploded = member.conversation_id and (store.conversation(member.instance, member.conversation_id) or {}).get(
            "exploded_at"
        )
        if member.state == CLAIMED and exploded:
            await self.service.recycle(member.instance, "its conversation was exploded")
            return
        if status is None:
            return  # no answer this round: the process check decides whether it died
        held = status.conversation_id
        if member.state == READY and held != member.conversation_id:
            members.set_state(member.instance, TAINTED, f"a conversation appeared that no claim made ({held})")
        elif member.state == CLAIMED and member.conversation_id and held is None:
            members.set_state(member.instance, TAINTED, f"its conversation {member.conversation_id} vanished")
        elif member.state == PENDING and held:
            members.set_state(
                member.instance, CLAIMED, f"claimed: joined conversation {held} (accepted)", conversation_id=held
            )

    async def _status(self, member: Member) -> GatewayStatus | None:
        gateway = self.service.gateway(member.instance)
        if gateway is None:
            return None
        try:
            async with GatewayClient(gateway.endpoint()) as client:
                return await asyncio.wait_for(client.status(), STATUS_TIMEOUT_S)
        except (errors.GatewayError, TimeoutError):
            return None


def _running(record: InstanceRecord | None) -> bool:
    return record is not None and record.state == RUNNING
