"""Polling `GET /convos/status` of every gateway: one loop, bounded concurrency, a schedule per gateway.

The HTTP stack is one aiohttp session with keep-alive connections: measured on a 2-core machine it
sweeps 1,000 loopback gateways several times faster than httpx (see benchmarks/poll.py and the
README). Answers are classified by the same pure functions as the httpx client, so a status means
the same whichever path fetched it.

Rules: never more than one poll of a gateway in flight; a slow gateway only holds its own slot until
its timeout; a failing gateway backs off exponentially (up to a cap) and is polled at its normal pace
again as soon as it answers.

Where it runs: in the caller's event loop (`async with`, `sweep()`: the headless commands), in a thread
(`start_thread`), or, for the console, in a process of its own (`start_process`) that sends what each
poll observed back to the console's process, where the same `states` are updated in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import os
import pickle
import random
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yarl

from convos_tui.api import errors, interpret
from convos_tui.api.client import USER_AGENT, connection_reason
from convos_tui.api.endpoint import Route
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import DEFAULT_GRACE_S, DEFAULT_START_GRACE_S, GatewayState, Transition

JITTER = 0.1  # ±10 % of the interval, so a fleet added at once does not stay in lock-step
BACKOFF_CAP_S = 60.0
GATEWAY_KEEPALIVE_S = 5.0  # the gateway's (Node's) Keep-Alive: timeout=5
MIN_INTERVAL_S = 0.5
# In a process of its own (start_process), the poller sends what it observed in batches this often,
# and runs this much nicer than the console, so that a keypress gets the CPU first when both want it.
FLUSH_S = 0.05
PROCESS_NICE = 10


@dataclass
class _Slot:
    config: GatewayConfig
    headers: dict[str, str]
    url: yarl.URL | str  # parsed once: aiohttp would parse the string again on every poll
    ssl: bool | None  # False: this gateway opted out of TLS verification
    in_flight: bool = False
    again: bool = False  # poll again as soon as the current poll ends
    due: float = 0.0
    generation: int = 0  # bumps when rescheduled, so stale heap entries are skipped


class Poller:
    """Keeps a GatewayState per gateway up to date. Use `async with Poller(...)`, or `sweep()` once."""

    def __init__(
        self,
        gateways: Iterable[GatewayConfig],
        *,
        interval_s: float = 5.0,
        concurrency: int = 200,
        grace_s: float = DEFAULT_GRACE_S,
        start_grace_s: float = DEFAULT_START_GRACE_S,
        on_transition: Callable[[Transition], None] | None = None,
        on_poll: Callable[[GatewayState], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval_s = max(MIN_INTERVAL_S, interval_s)
        self.concurrency = concurrency
        self.grace_s = grace_s
        self.start_grace_s = start_grace_s
        self.on_transition = on_transition
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
        self._session: aiohttp.ClientSession | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._remote: _Remote | None = None
        self._switching = threading.Lock()  # stopping, or replacing a dead polling process by a thread
        self.failure: str | None = None  # why polling left its process for a thread, if it did
        for gateway in gateways:
            self.add(gateway, new=False)

    # -- lifecycle -------------------------------------------------------------------------------
    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.concurrency,
            limit_per_host=0,
            ttl_dns_cache=300,
            # Keep connections across polls; the real gateway closes idle ones after 5 s, and a
            # status poll that meets a just-closed connection is retried once (it is a safe GET).
            keepalive_timeout=max(15.0, self.interval_s * 2),
            enable_cleanup_closed=True,
        )
        return aiohttp.ClientSession(
            connector=connector,
            # Each poll is bounded by its own asyncio.timeout; aiohttp's default timer per request
            # would be a second one, paid on every poll.
            timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_read=None, sock_connect=None),
            auto_decompress=False,
            trust_env=False,
            skip_auto_headers=("Accept-Encoding",),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": "identity"},
        )

    async def __aenter__(self) -> Poller:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._session is None:
            self._session = self._new_session()
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._run(), name="poller")

    def start_thread(self) -> None:
        """Poll from a thread of its own, with its own event loop.

        The console's event loop and thousands of polls a second must not share one scheduler: asyncio
        has no priorities, so a flood of poll callbacks would hold every keypress back. In a thread,
        the interpreter's switch interval gives the UI its turn whatever the poller does. Callbacks
        (on_poll, on_transition) then run in the poller's thread; the controls below may be called
        from any thread."""
        started = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="convos-poller", daemon=True)
        self._thread.start()
        started.wait(timeout=10)

    def stop_thread(self, timeout_s: float = 5.0) -> None:
        """Stop polling and end the thread (or the process); quitting never hangs on a busy or stuck poll."""
        with self._switching:  # not while a dead process is being replaced by a thread (_lost)
            self._stop_background(timeout_s)

    def _stop_background(self, timeout_s: float) -> None:
        self._stop_remote(timeout_s)
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self.paused = True  # dispatch nothing new while stopping
        future = asyncio.run_coroutine_threadsafe(self.stop(), loop)
        try:
            future.result(timeout=timeout_s)
        except Exception:  # noqa: BLE001 - timed out or failed: the loop is stopped regardless
            future.cancel()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=timeout_s)  # a daemon thread: it cannot keep the process alive
        self._thread = None

    def start_process(self) -> None:
        """Poll from a process of its own, so that polling uses another core than the console.

        Measured at 5,000 gateways polled every 2 s (benchmarks/ui.py): in a thread, the poller and the
        console share one interpreter lock, so while keys come in the poller falls to a tenth of the
        polls it needs, and its allocations make the console's process run collections that hold every
        key back by up to 0.2 s. In a process, the poller sends each poll's outcome here in batches;
        a thread of this process applies them to `states` (the same objects, updated in place) and
        calls on_transition and on_poll, as the poller's thread did. The controls (pause, resume,
        poll_now, set_interval, add, remove, and a state's mark_pending) are sent to the process.
        Falls back to a thread if the process cannot be started."""
        try:
            self._remote = _Remote.start(self)
        except OSError as exc:
            self.failure = f"the polling process could not start ({exc.strerror or exc})"
            self.start_thread()
            return
        for state in self.states.values():
            _mirror(state, self._remote)

    def stop_process(self, timeout_s: float = 5.0) -> None:
        """Stop the polling process (or the thread it fell back to); quitting never hangs on it: a
        process that does not stop in time is killed."""
        self.stop_thread(timeout_s)

    def _stop_remote(self, timeout_s: float) -> None:
        remote, self._remote = self._remote, None
        if remote is not None:
            remote.stop(timeout_s)

    def _lost(self, remote: _Remote) -> None:
        """The polling process ended by itself: poll from a thread instead. (Called from the thread that
        read its batches; if a stop holds the lock, that stop ends everything and there is nothing to do.)"""
        if not self._switching.acquire(blocking=False):
            return
        try:
            if self._remote is remote:
                self._replace(remote)
        finally:
            self._switching.release()

    def _replace(self, remote: _Remote) -> None:
        self._remote = None
        try:
            code = remote.process.wait(timeout=2)
        except subprocess.TimeoutExpired:  # alive, but no longer talking: end it
            remote.process.kill()
            code = remote.process.wait()
        self.failure = remote.failure or f"the polling process ended (exit code {code})"
        remote.sock.close()
        self.start_thread()

    @property
    def in_process(self) -> bool:
        """True while a process of its own polls for this poller."""
        return self._remote is not None

    def _threadsafe(self, function: Callable[[], None]) -> None:
        """Run a control in the poller's own thread when it has one (its heap and events live there)."""
        loop = self._loop
        if self._thread is not None and loop is not None and threading.current_thread() is not self._thread:
            loop.call_soon_threadsafe(function)
        else:
            function()

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

    # -- the fleet -------------------------------------------------------------------------------
    def add(self, gateway: GatewayConfig, *, new: bool = True) -> None:
        """Poll one more gateway. A `new` one (added while running: just provisioned, just discovered)
        that does not answer yet reads as starting for the start grace; one known from the start does not."""
        headers = {"Authorization": f"Bearer {gateway.token}"} if gateway.token else {}
        url = gateway.url.rstrip("/") + Route.STATUS.path
        self._slots[gateway.name] = _Slot(
            config=gateway,
            headers=headers,
            url=_parsed(url),
            ssl=None if gateway.tls_verify else False,
        )
        now = self.clock()
        state = GatewayState(gateway.name, added_at=now if new else now - self.start_grace_s)
        self.states[gateway.name] = state
        if self._remote is not None:
            self._remote.send(("add", gateway, state))
            _mirror(state, self._remote)
            return
        self._schedule(gateway.name, time.monotonic())

    def remove(self, name: str) -> None:
        self._slots.pop(name, None)
        self.states.pop(name, None)
        if self._remote is not None:
            self._remote.send(("remove", name))

    def config(self, name: str) -> GatewayConfig | None:
        slot = self._slots.get(name)
        return slot.config if slot is not None else None

    # -- controls --------------------------------------------------------------------------------
    def set_interval(self, seconds: float) -> None:
        """A new refresh interval, applied at once: nothing waits longer than the new interval."""
        self.interval_s = max(MIN_INTERVAL_S, seconds)
        if self._remote is not None:
            self._remote.send(("set_interval", self.interval_s))
            return
        self._threadsafe(self._reschedule)

    def _reschedule(self) -> None:
        now = time.monotonic()
        for name, slot in self._slots.items():
            if slot.due > now + self.interval_s:
                self._schedule(name, now + random.uniform(0, self.interval_s))
        self._wake.set()

    def pause(self) -> None:
        self.paused = True
        if self._remote is not None:
            self._remote.send(("pause",))

    def resume(self) -> None:
        self.paused = False
        if self._remote is not None:
            self._remote.send(("resume",))
            return
        self._threadsafe(self._wake.set)

    def poll_now(self, name: str | None = None) -> None:
        """Poll one gateway (or all) right away; one in flight is polled again when it ends."""
        if self._remote is not None:
            self._remote.send(("poll_now", name))
            return
        self._threadsafe(lambda: self._poll_now(name))

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

    async def sweep(self, names: Iterable[str] | None = None) -> dict[str, GatewayState]:
        """Poll every gateway (or those named) once, concurrently within the limit, and wait for all."""
        own = self._session is None
        if own:
            self._session = self._new_session()
        try:
            targets = [n for n in (names if names is not None else list(self._slots)) if n in self._slots]
            await asyncio.gather(*(self._poll(name, reschedule=False) for name in targets))
            return {name: self.states[name] for name in targets}
        finally:
            if own:
                await self._session.close()
                self._session = None

    # -- the loop --------------------------------------------------------------------------------
    def _schedule(self, name: str, due: float) -> None:
        slot = self._slots[name]
        slot.generation += 1
        slot.due = due
        heapq.heappush(self._heap, (due, slot.generation, name))

    async def _run(self) -> None:
        while True:
            self._wake.clear()
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
                try:
                    status = await self._fetch(slot)
                except errors.GatewayError as error:
                    latency = time.monotonic() - started
                    state = self.states.get(name)
                    if state is None:
                        return
                    transition = state.observe_error(error, latency, self.clock(), start_grace_s=self.start_grace_s)
                else:
                    latency = time.monotonic() - started
                    state = self.states.get(name)
                    if state is None:
                        return
                    transition = state.observe_status(status, latency, self.clock(), grace_s=self.grace_s)
            self.polls += 1
            self.last_poll_at = self.clock()
            if transition is not None and self.on_transition is not None:
                self.on_transition(transition)
            if self.on_poll is not None:
                self.on_poll(state)
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

    async def _fetch(self, slot: _Slot) -> object:
        timeout_s = slot.config.timeouts.status
        for attempt in (1, 2):
            try:
                return await self._fetch_once(slot, timeout_s)
            except aiohttp.ServerDisconnectedError:
                # A keep-alive connection the gateway had just closed: one retry of this safe GET.
                if attempt == 2:
                    raise errors.Unreachable(
                        "connection broken mid-answer: the gateway closed the connection", route="status"
                    ) from None
        raise AssertionError("unreachable")

    async def _fetch_once(self, slot: _Slot, timeout_s: float) -> object:
        assert self._session is not None
        try:
            async with asyncio.timeout(timeout_s):
                async with self._session.get(
                    slot.url, headers=slot.headers, allow_redirects=False, ssl=slot.ssl if slot.ssl is False else True
                ) as response:
                    body, truncated = await _read_capped(response, interpret.MAX_BODY)
                    status, headers = response.status, response.headers
        except TimeoutError:
            raise errors.GatewayTimeout(f"status timed out after {timeout_s:g} s", route="status") from None
        except aiohttp.ServerDisconnectedError:
            raise
        except (aiohttp.ClientConnectorError, aiohttp.ClientSSLError, ssl.SSLError) as exc:
            raise errors.Unreachable(f"unreachable: {connection_reason(exc)}", detail=str(exc), route="status") from None
        except (aiohttp.ClientPayloadError, aiohttp.ClientOSError, aiohttp.ClientResponseError) as exc:
            raise errors.Unreachable(
                f"connection broken mid-answer: {connection_reason(exc)}", detail=str(exc), route="status"
            ) from None
        except (aiohttp.InvalidURL, ValueError) as exc:
            raise errors.Unreachable(f"bad URL: {interpret.one_line(str(exc), 120)}", route="status") from None
        if headers.get("Content-Encoding", "identity").lower() not in ("identity", ""):
            raise errors.UnexpectedAnswer("the answer is compressed although it was asked not to be", route="status")
        value = interpret.decode_answer(
            "status",
            status,
            headers.get("Content-Type"),
            body,
            truncated=truncated,
            retry_after=headers.get("Retry-After"),
            location=headers.get("Location"),
        )
        return interpret.parse_status(value, "status")


# -- polling from a process of its own -----------------------------------------------------------------
#
# The console's process and the poller's talk over a socket pair, in frames of a 4-byte length and a
# pickle. To the poller's process go the gateways, the settings and the states to start from, then the
# controls; back come batches of records, one per poll (or per state a control changed): the fields the
# poll set, with the status and the error replaced by ... when they equal the last ones sent, and the
# latency only when the poll measured one.

_HEADER = struct.Struct("!I")
_CHILD_CODE = "import sys; from convos_tui.fleet.poller import _child_main; _child_main(int(sys.argv[1]))"
_SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding convos_tui/


def _frame(message: object) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = sock.recv_into(view[got:])
        if not count:
            raise EOFError
        got += count
    return bytes(buffer)


def _recv_frame(sock: socket.socket) -> object:
    (size,) = _HEADER.unpack(_recv_exactly(sock, _HEADER.size))
    return pickle.loads(_recv_exactly(sock, size))


class _RemoteState(GatewayState):
    """A gateway's state mirrored from the polling process: marking it pending tells that process too,
    or its next poll would undo the mark."""

    _remote: _Remote | None

    def mark_pending(self, now: float) -> Transition | None:
        transition = super().mark_pending(now)
        remote = getattr(self, "_remote", None)
        if remote is not None:
            remote.send(("mark_pending", self.name, now))
        return transition


def _mirror(state: GatewayState, remote: _Remote) -> None:
    state.__class__ = _RemoteState  # the same object: whoever holds it sees every update
    state._remote = remote  # type: ignore[attr-defined]


class _Remote:
    """The console's side of a polling process: sends the controls, applies the records it sends back."""

    def __init__(self, poller: Poller, process: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self.poller = poller
        self.process = process
        self.sock = sock
        self.failure: str | None = None  # what went wrong there, if anything did
        self.stopping = False
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="convos-poller-link", daemon=True)

    @classmethod
    def start(cls, poller: Poller) -> _Remote:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_SOURCE_ROOT), env.get("PYTHONPATH"))))
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # never onto the console's screen; a failure comes back as a message
                start_new_session=True,  # the terminal's signals are the console's; the process ends with the socket
                env=env,
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        remote = cls(poller, process, ours)
        settings = {
            "interval_s": poller.interval_s,
            "concurrency": poller.concurrency,
            "grace_s": poller.grace_s,
            "start_grace_s": poller.start_grace_s,
            "paused": poller.paused,
            "nice": PROCESS_NICE,
        }
        configs = [slot.config for slot in poller._slots.values()]
        remote.send(("init", settings, configs, dict(poller.states)))
        remote._reader.start()
        return remote

    def send(self, message: tuple[Any, ...]) -> None:
        data = _frame(message)
        with self._send_lock:
            try:
                self.sock.sendall(data)
            except OSError:
                pass  # the process has ended; the reader has seen it

    def _read(self) -> None:
        try:
            while True:
                message = _recv_frame(self.sock)
                kind = message[0]  # type: ignore[index]
                if kind == "polled":
                    self._apply(*message[1:])  # type: ignore[index]
                elif kind == "failed":
                    self.failure = message[1]  # type: ignore[index]
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        if not self.stopping:
            # The process died (or could not even start polling): polling goes on in a thread here,
            # rather than the console showing states that silently stop changing.
            self.poller._lost(self)

    def _apply(self, polls: int, last_poll_at: float | None, records: list[tuple[Any, ...]]) -> None:
        poller = self.poller
        states, on_poll, on_transition = poller.states, poller.on_poll, poller.on_transition
        for (
            name, state_name, reason, since, status, error, latency, failures,
            last_success, last_poll, stream_down_since, pending_join, transition,
        ) in records:  # fmt: skip
            state = states.get(name)
            if state is None:
                continue
            if status is not ...:
                state.status = status
            if error is not ...:
                state.error = error
            if latency is not None:
                state.latency_ms = latency
                state.latencies.append(latency)
            state.failures, state.last_success, state.last_poll = failures, last_success, last_poll
            state.stream_down_since, state.pending_join = stream_down_since, pending_join
            state.reason, state.since, state.state = reason, since, state_name
            try:
                if transition is not None and on_transition is not None:
                    on_transition(transition)
                if on_poll is not None:
                    on_poll(state)
            except Exception as exc:  # noqa: BLE001 - a failing callback must not end the updates
                self.failure = f"{type(exc).__name__}: {exc}"
        poller.polls, poller.last_poll_at = polls, last_poll_at

    def stop(self, timeout_s: float) -> None:
        self.stopping = True
        self.send(("stop",))
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._reader.join(timeout=timeout_s)
        self.sock.close()


def _same_status(a: object, b: object) -> bool:
    return a is b or (a is not None and b is not None and a == b and a.raw == b.raw)  # type: ignore[attr-defined]


def _same_error(a: object, b: object) -> bool:
    return a is b or (
        a is not None and b is not None and type(a) is type(b) and a.args == b.args and a.__dict__ == b.__dict__  # type: ignore[attr-defined]
    )


class _Child:
    """The polling process's side: runs a Poller, applies the controls, sends what each poll observed."""

    def __init__(self, poller: Poller, writer: asyncio.StreamWriter) -> None:
        self.poller = poller
        self.writer = writer
        self.records: list[tuple[Any, ...]] = []
        self._transitions: dict[str, Transition] = {}
        # What was last sent per gateway: (status, error, latency object); the latency is compared by
        # identity, as each poll that measures one appends a new float.
        self._sent: dict[str, tuple[object, object, object]] = {}
        for state in poller.states.values():
            self._remember(state)
        poller.on_transition = self.transitioned
        poller.on_poll = self.polled

    def _remember(self, state: GatewayState) -> None:
        self._sent[state.name] = (state.status, state.error, state.latencies[-1] if state.latencies else None)

    def transitioned(self, transition: Transition) -> None:
        self._transitions[transition.gateway] = transition  # on_poll for the same gateway follows at once

    def polled(self, state: GatewayState) -> None:
        sent_status, sent_error, sent_latency = self._sent.get(state.name, (None, None, None))
        status = ... if _same_status(state.status, sent_status) else state.status
        error = ... if _same_error(state.error, sent_error) else state.error
        latency = state.latencies[-1] if state.latencies else None
        self._sent[state.name] = (
            state.status if status is not ... else sent_status,
            state.error if error is not ... else sent_error,
            latency,
        )
        self.records.append((
            state.name, state.state, state.reason, state.since, status, error,
            latency if latency is not sent_latency else None, state.failures,
            state.last_success, state.last_poll, state.stream_down_since, state.pending_join,
            self._transitions.pop(state.name, None),
        ))  # fmt: skip

    async def flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush()

    async def flush(self) -> None:
        if self.records:
            records, self.records = self.records, []
            self.writer.write(_frame(("polled", self.poller.polls, self.poller.last_poll_at, records)))
            await self.writer.drain()

    def control(self, message: tuple[Any, ...]) -> bool:
        """Apply one control; False for stop."""
        poller, kind = self.poller, message[0]
        if kind == "stop":
            return False
        if kind == "pause":
            poller.pause()
        elif kind == "resume":
            poller.resume()
        elif kind == "poll_now":
            poller.poll_now(message[1])
        elif kind == "set_interval":
            poller.set_interval(message[1])
        elif kind == "add":
            _, config, state = message
            poller.add(config)
            poller.states[config.name] = state
            self._remember(state)
        elif kind == "remove":
            poller.remove(message[1])
            self._sent.pop(message[1], None)
        elif kind == "mark_pending":
            _, name, now = message
            state = poller.states.get(name)
            if state is not None:
                state.mark_pending(now)
                self.polled(state)
        return True


async def _read_message(reader: asyncio.StreamReader) -> Any:
    (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    return pickle.loads(await reader.readexactly(size))


async def _serve_child(sock: socket.socket) -> None:
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    try:
        _, settings, configs, states = await _read_message(reader)
        nice, paused = settings.pop("nice"), settings.pop("paused")
        if nice:
            os.nice(nice)
        poller = Poller(configs, **settings)
        poller.paused = paused
        for name, state in states.items():
            if name in poller.states:
                poller.states[name] = state
        child = _Child(poller, writer)
        # Every object made so far lives as long as the process: the collector need not scan them again.
        gc.collect()
        gc.freeze()
        await poller.start()
        flusher = asyncio.create_task(child.flush_forever())
        try:
            while True:
                try:
                    message = await _read_message(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    break  # the console has gone
                if not child.control(message):
                    break
        finally:
            flusher.cancel()
            await poller.stop()
    except BaseException:
        with contextlib.suppress(Exception):
            writer.write(_frame(("failed", traceback.format_exc())))
            await writer.drain()
        raise
    finally:
        writer.close()


def _child_main(fd: int) -> None:
    """The polling process: `python -c` runs this with its end of the socket pair."""
    try:
        asyncio.run(_serve_child(socket.socket(fileno=fd)))
    except KeyboardInterrupt:
        pass


def _parsed(url: str) -> yarl.URL | str:
    """The URL parsed once; a string aiohttp cannot parse stays a string, to be reported at poll time."""
    try:
        return yarl.URL(url)
    except (ValueError, TypeError):
        return url


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await response.content.read(65536)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
