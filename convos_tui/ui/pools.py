"""The console's hold on the warm pools of `[pools.NAME]`: the pool service on the console's instance service
(its store, its action service), one reconciler per pool while the console runs, and the fleet's rows kept in
step with the instances the pools launch, hand out and terminate.

No Textual here: the screens (ui/screens/pools.py, presentation.py) call it from their workers. Every mutating
call is the pool service's, which goes through the action service (read-only refusal, the audit).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from convos_tui.fleet.actions import REFUSED, ActionResult
from convos_tui.fleet.pools_config import PoolConfig
from convos_tui.pools.members import Member
from convos_tui.pools.reconciler import Reconciler, RunnerBusy
from convos_tui.pools.service import PoolService, PoolSummary
from convos_tui.ui.instances import ConsoleInstances

FOLLOW_S = 1.0  # how often the fleet's rows catch up with the instances the reconcilers launched or ended
TAKE_OVER_S = 5.0  # how often a pool another process reconciles is tried again (that process may have ended)
READ_ONLY = "read-only mode: this console launches nothing; `convos-tui pool run {pool}` keeps the pool filled"
IN_MEMORY = "the history is in memory, so there is nowhere to keep the pool's instances"
NO_POOLS = "no [pools.NAME] in the config: add one (launcher, target_ready, max_total, prepare) to keep instances warm"


class ConsolePools:
    """`ConsolePools.open(instances)`; `service` is None when there are no pools, or nowhere to keep their
    instances (a store in memory), and every action then says so."""

    def __init__(self, instances: ConsoleInstances, service: PoolService | None, configured: Sequence[PoolConfig]):
        self.instances = instances
        self.service = service
        self.configured = tuple(configured)
        self.reconcilers: dict[str, Reconciler] = {}
        self.stopped: dict[str, str] = {}  # a pool this console does not reconcile (any more): why
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def open(cls, instances: ConsoleInstances) -> ConsolePools:
        configured = instances.fleet.inventory.pools
        if not configured or instances.service is None:
            return cls(instances, None, configured)
        return cls(instances, PoolService.open(instances.service, configured), configured)

    @property
    def names(self) -> list[str]:
        return [pool.name for pool in self.configured]

    # -- while the console runs ------------------------------------------------------------------
    def start(self) -> None:
        """One reconciler per pool, and the fleet following them, on the running loop (the console's)."""
        if self.service is None or self._tasks:
            return
        for name in self.service.pools:
            if self.service.instances.actions.read_only:  # it would launch: shown, never reconciled, here
                self.stopped[name] = READ_ONLY.format(pool=name)
                continue
            reconciler = self.reconcilers[name] = Reconciler(self.service, name)
            self._tasks.append(asyncio.ensure_future(self._reconcile(name, reconciler)))
        self._tasks.append(asyncio.ensure_future(self._follow()))

    async def _reconcile(self, name: str, reconciler: Reconciler) -> None:
        while True:
            try:
                self.stopped.pop(name, None)
                await reconciler.run()
            except RunnerBusy as exc:  # `convos-tui pool run NAME` has it: shown here, never doubled
                self.stopped[name] = (
                    f"reconciled by another process ({exc}): this console shows the pool and launches none; "
                    "it takes over if that process ends"
                )
                await asyncio.sleep(TAKE_OVER_S)
            except Exception as exc:  # the view says so; the console and the other pools go on
                self.stopped[name] = f"the reconciler stopped: {type(exc).__name__}: {exc}"
                return

    async def _follow(self) -> None:
        while True:
            self.instances.follow_records()
            await asyncio.sleep(FOLLOW_S)

    async def stop(self) -> None:
        """Stop the reconcilers (a launch under way cleans up what it started) before the console goes."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        if self.service is not None:
            self.service.close()

    # -- what the view shows -----------------------------------------------------------------------
    def summaries(self) -> list[PoolSummary]:
        return self.service.summaries() if self.service is not None else []

    def summary(self, pool: str) -> PoolSummary | None:
        return next((one for one in self.summaries() if one.name == pool), None)

    def events(self, pool: str, limit: int) -> list[dict[str, Any]]:
        """The pool's changes of state, newest first: instance, state, reason, at, seconds."""
        return self.service.members.events(pool, limit) if self.service is not None else []

    def member(self, instance: str) -> Member | None:
        """The instance's place in a pool (None: it is in none)."""
        return self.service.members.get(instance) if self.service is not None else None

    def config(self, pool: str) -> PoolConfig | None:
        return next((one for one in self.configured if one.name == pool), None)

    # -- actions ---------------------------------------------------------------------------------
    async def claim(self, pool: str) -> ActionResult:
        """A ready instance of the pool: its invite (prepare = "create"), or a conversation created on it."""
        if self.service is None:
            return self._nowhere(pool, "claim")
        result = await self.service.claim(pool)
        self.instances.follow_records()
        return result

    async def replenish(self, pool: str, count: int) -> list[ActionResult]:
        if self.service is None:
            return [self._nowhere(pool, "replenish")]
        results = await self.service.replenish(pool, count)
        self.instances.follow_records()
        return results

    async def drain(self, pool: str, *, ready_only: bool) -> list[ActionResult]:
        if self.service is None:
            return [self._nowhere(pool, "drain")]
        results = await self.service.drain(pool, ready_only=ready_only)
        self.instances.follow_records()
        return results

    @property
    def unavailable(self) -> str | None:
        """Why this console has no pool to act on (None: it has)."""
        if not self.configured:
            return NO_POOLS
        return None if self.service is not None else IN_MEMORY

    def _nowhere(self, pool: str, action: str) -> ActionResult:
        hint = "" if not self.configured else "Start the console with a writable data dir ($XDG_DATA_HOME/convos-tui)."
        return ActionResult(pool, action, REFUSED, f"refused: {self.unavailable}", hint=hint)
