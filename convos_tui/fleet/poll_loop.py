"""Polling `GET /convos/status` of every gateway: one loop, bounded concurrency, a schedule per gateway.

The HTTP stack is fleet/http1_session.py's: connections kept per gateway, the GET made once, the answer
read by httptools' parser. A running loop keeps its session across polls; a sweep with no loop running (a
one-shot `status`) makes one for the sweep and closes it after.

Rules: never more than one poll of a gateway in flight; a slow gateway only holds its own slot until
its timeout; a failing gateway backs off exponentially (up to a cap) and is polled at its normal pace
again as soon as it answers.

This is the loop and its schedule, run in the caller's event loop (`async with`, `sweep()`). Where else
it runs (a thread, a process of its own) is fleet/poller.py's.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from convos_tui.api import errors
from convos_tui.api.interpret import remember_secret
from convos_tui.api.runtimes import RAILWAY
from convos_tui.fleet.health_poll import RuntimeProbe
from convos_tui.fleet.http1_session import KEEP_IDLE_S, Http1Session
from convos_tui.fleet.http_answer import HttpSession
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import DEFAULT_GRACE_S, DEFAULT_START_GRACE_S, GatewayState, Transition

log = logging.getLogger(__name__)

JITTER = 0.1  # ±10 % of the interval, so a fleet added at once does not stay in lock-step
BACKOFF_CAP_S = 60.0
GATEWAY_KEEPALIVE_S = 5.0  # the gateway's (Node's) Keep-Alive: timeout=5
MIN_INTERVAL_S = 0.5
# The methods that change what is polled, or how: each changes here at once what a reader of `states`,
# `paused` or `interval_s` sees, and leaves the rest to `_elsewhere`, where the loop runs. A polling
# process gets each by name, and runs it by the same method (fleet/poll_process.py); nothing else.
CONTROLS = frozenset({"add", "remove", "set_interval", "pause", "resume", "poll_now", "mark_pending"})


@dataclass
class _Slot:
    config: GatewayConfig
    probe: RuntimeProbe  # its status route, and what it learned of the gateway's other routes
    in_flight: bool = False
    again: bool = False  # poll again as soon as the current poll ends
    due: float = 0.0
    generation: int = 0  # bumps when rescheduled, so stale heap entries are skipped


class PollLoop:
    """Keeps a GatewayState per gateway up to date. Use `async with PollLoop(...)`, or `sweep()` once.

    `on_poll(state)` follows every poll; `on_transitions(list)` gets the state changes in batches (all
    those of a sweep, of a turn of the loop, or of a batch from a polling process), so that a store
    records each batch in one transaction."""

    def __init__(
        self,
        gateways: Iterable[GatewayConfig],
        *,
        interval_s: float = 5.0,
        concurrency: int = 200,
        grace_s: float = DEFAULT_GRACE_S,
        start_grace_s: float = DEFAULT_START_GRACE_S,
        on_transitions: Callable[[list[Transition]], None] | None = None,
        on_poll: Callable[[GatewayState], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval_s = max(MIN_INTERVAL_S, interval_s)
        self.concurrency = concurrency
        self.grace_s = grace_s
        self.start_grace_s = start_grace_s
        self.on_transitions = on_transitions
        self.on_poll = on_poll
        self.clock = clock
        self.paused = False
        self.states: dict[str, GatewayState] = {}
        self.polls = 0
        self.last_poll_at: float | None = None
        self._slots: dict[str, _Slot] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(concurrency)
        self._session: HttpSession | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._transitions: list[Transition] = []  # not yet handed to on_transitions
        for gateway in gateways:
            self.add(gateway, new=False)

    def settings(self) -> dict[str, Any]:
        """The constructor's settings as they are now (what a polling process is started with)."""
        return {"interval_s": self.interval_s, "concurrency": self.concurrency, "grace_s": self.grace_s,
                "start_grace_s": self.start_grace_s}  # fmt: skip

    # -- lifecycle -------------------------------------------------------------------------------
    async def __aenter__(self) -> PollLoop:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _new_session(self) -> Http1Session:
        # Connections kept across polls; the real gateway closes idle ones after 5 s, and a poll that meets
        # one it had just closed is asked again once on a new one.
        return Http1Session(keep_idle_s=max(KEEP_IDLE_S, self.interval_s * 2))

    async def start(self) -> None:
        if self._session is None:
            self._session = self._new_session()
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._run(), name="poller")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.flush_transitions()

    def _elsewhere(self, then: Callable[[], object] | None, control: str, *args: Any, **kwargs: Any) -> None:
        """What is left of a control once done here (see CONTROLS), done where the loop runs: here, now.
        (Poller sends it to its polling process, or runs it in its thread.)"""
        if then is not None:
            then()

    # -- the fleet -------------------------------------------------------------------------------
    def add(self, gateway: GatewayConfig, *, new: bool = True, state: GatewayState | None = None) -> None:
        """Poll one more gateway. A `new` one (added while running: just provisioned, just discovered)
        that does not answer yet reads as starting for the start grace; one known from the start does not.
        (`state`: the one to start from, as a polling process gets it from the console.)"""
        # Known here too (a polling process gets its configs pickled, never built): an echoed token is redacted.
        remember_secret(gateway.token)
        headers = {"Authorization": f"Bearer {gateway.token}"} if gateway.token else {}
        probe = RuntimeProbe(gateway.url, headers, verify=gateway.tls_verify, railway=gateway.runtime == RAILWAY)
        self._slots[gateway.name] = _Slot(config=gateway, probe=probe)
        if state is None:
            now = self.clock()
            state = GatewayState(gateway.name, added_at=now if new else now - self.start_grace_s)
        self.states[gateway.name] = state
        name = gateway.name
        self._elsewhere(lambda: self._poll_now(name), "add", gateway, state=state)  # (unless removed meanwhile)

    def remove(self, name: str) -> None:
        self._slots.pop(name, None)
        self.states.pop(name, None)
        self._elsewhere(None, "remove", name)

    def config(self, name: str) -> GatewayConfig | None:
        slot = self._slots.get(name)
        return slot.config if slot is not None else None

    def configs(self) -> list[GatewayConfig]:
        return [slot.config for slot in self._slots.values()]

    # -- controls --------------------------------------------------------------------------------
    def set_interval(self, seconds: float) -> None:
        """A new refresh interval, applied at once: nothing waits longer than the new interval."""
        self.interval_s = max(MIN_INTERVAL_S, seconds)
        self._elsewhere(self._reschedule, "set_interval", seconds)

    def _reschedule(self) -> None:
        now = time.monotonic()
        for name, slot in self._slots.items():
            if slot.due > now + self.interval_s:
                self._schedule(name, now + random.uniform(0, self.interval_s))
        self._wake.set()

    def pause(self) -> None:
        self.paused = True
        self._elsewhere(None, "pause")

    def resume(self) -> None:
        self.paused = False
        self._elsewhere(self._wake.set, "resume")

    def poll_now(self, name: str | None = None) -> None:
        """Poll one gateway (or all) right away; one in flight is polled again when it ends."""
        self._elsewhere(lambda: self._poll_now(name), "poll_now", name)

    def _poll_now(self, name: str | None) -> None:
        names = [name] if name is not None else list(self._slots)
        now = time.monotonic()
        for each in names:
            slot = self._slots.get(each)
            if slot is None:
                continue
            if slot.in_flight:
                slot.again = True
            else:
                self._schedule(each, now)
        self._wake.set()

    def mark_pending(self, name: str, now: float) -> Transition | None:
        """A join to this gateway answered "waiting for acceptance" (see GatewayState.mark_pending): marked
        here at once, and reported (on_poll, on_transitions) where the loop runs, so the polls there keep it."""
        state = self.states.get(name)
        if state is None:
            return None
        transition = state.mark_pending(now)
        self._elsewhere(lambda: self._report(state, transition, flush=True), "mark_pending", name, now)
        return transition

    async def sweep(self, names: Iterable[str] | None = None) -> dict[str, GatewayState]:
        """Poll every gateway (or those named) once, concurrently within the limit, and wait for all."""
        own = None
        if self._session is None:  # a session of its own for this sweep, closed after
            own = Http1Session()
            self._session = own
        try:
            targets = [n for n in (names if names is not None else list(self._slots)) if n in self._slots]
            await asyncio.gather(*(self._poll(name, reschedule=False) for name in targets))
            self.flush_transitions()
            return {name: self.states[name] for name in targets}
        finally:
            if own is not None:
                await own.close()
                self._session = None

    # -- what it observed ------------------------------------------------------------------------
    def _report(self, state: GatewayState, transition: Transition | None, *, flush: bool = False) -> None:
        if transition is not None:
            self._transitions.append(transition)
        if self.on_poll is not None:
            self.on_poll(state)
        if flush:
            self.flush_transitions()

    def flush_transitions(self) -> None:
        """Hand the transitions seen since the last call to on_transitions, in one list."""
        if self._transitions:
            transitions, self._transitions = self._transitions, []
            if self.on_transitions is not None:
                self.on_transitions(transitions)

    # -- the loop --------------------------------------------------------------------------------
    def _schedule(self, name: str, due: float) -> None:
        slot = self._slots[name]
        slot.generation += 1
        slot.due = due
        heapq.heappush(self._heap, (due, slot.generation, name))

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                self.flush_transitions()  # those of the polls that ended since the last turn (each wakes it)
            except Exception:  # a failing recorder must not stop the polling
                log.exception("on_transitions failed")
            now = time.monotonic()
            if not self.paused:
                while self._heap and self._heap[0][0] <= now:
                    _, generation, name = heapq.heappop(self._heap)
                    slot = self._slots.get(name)
                    if slot is None or slot.generation != generation or slot.in_flight:
                        continue
                    self._start(name)
            delay = self._heap[0][0] - now if self._heap and not self.paused else None
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that arrives just as the event
            # is set, and stop() then waits for ever (a wake-up happens on every finished poll).
            try:
                async with asyncio.timeout(max(0.0, delay) if delay is not None else None):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _start(self, name: str) -> None:
        task = asyncio.create_task(self._poll(name, reschedule=True))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poll(self, name: str, *, reschedule: bool) -> None:
        slot = self._slots.get(name)
        if slot is None or slot.in_flight:
            return
        slot.in_flight = True
        try:
            async with self._limit:
                started = time.monotonic()
                assert self._session is not None
                result = await slot.probe.poll(self._session, slot.config.timeouts.status)
                latency = slot.probe.latency_s if slot.probe.latency_s is not None else time.monotonic() - started
                state = self.states.get(name)
                if state is None:
                    return
                state.health = slot.probe.health
                if isinstance(result, errors.GatewayError):
                    transition = state.observe_error(result, latency, self.clock(), start_grace_s=self.start_grace_s)
                else:
                    transition = state.observe_status(result, latency, self.clock(), grace_s=self.grace_s)
            self.polls += 1
            self.last_poll_at = self.clock()
            self._report(state, transition)
        finally:
            slot.in_flight = False
        if name not in self._slots:
            return
        if slot.again:
            slot.again = False
            self._schedule(name, time.monotonic())
            self._wake.set()
        elif reschedule:
            self._schedule(name, time.monotonic() + self._next_delay(state))
            self._wake.set()

    def _next_delay(self, state: GatewayState) -> float:
        base = self.interval_s
        if state.failures:
            base = min(BACKOFF_CAP_S, max(base, self.interval_s * 2 ** (state.failures - 1)))
        delay = base * random.uniform(1 - JITTER, 1 + JITTER)
        if not state.failures and base <= GATEWAY_KEEPALIVE_S:
            # The gateway closes a connection idle for 5 s: a 5 s refresh with jitter would reconnect
            # on half the polls (measured: +39 % CPU per poll). Stay just inside its keep-alive.
            delay = min(delay, GATEWAY_KEEPALIVE_S - 0.5)
        return delay
