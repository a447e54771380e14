"""The poller in a process of its own: the console's side (PollProcess) and the polling process's (serve).

`multiprocessing` does the process and the channel: a `spawn` child (never a fork of a process that runs
threads, as Textual's driver does), started with the poller's settings, gateways and states, and a
`Pipe` whose messages are pickles with a length before them. To the polling process go the controls, each
a method name of CONTROLS with its arguments, run there by the same method of its own PollLoop; back come
Batches, every FLUSH_S, of what the polls observed: an Observation per poll (fleet/state.py) and the
transitions. Measured against the positional records and framing written by hand before: a batch of 125
polls costs the console's thread 0.07-0.08 ms to receive and apply, against 0.05 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from convos_tui.api import errors
from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.poll_loop import CONTROLS, PollLoop
from convos_tui.fleet.state import GatewayState, Observation, Transition

# The polling process sends what it observed in batches this often, and runs this much nicer than the
# console, so that a keypress gets the CPU first when both want it.
FLUSH_S = 0.05
PROCESS_NICE = 10
STOP = None  # the message that ends the polling process (so does the console's end of the pipe closing)


class Batch(NamedTuple):
    """What the polling process observed since its last batch, and its poll counters as they are now."""

    polls: int
    last_poll_at: float | None
    observations: list[Observation]
    transitions: list[Transition]


class PollProcess:
    """The console's side of a polling process: starts it, sends the controls, applies the batches."""

    def __init__(self, poller: PollLoop, *, on_lost: Callable[[PollProcess], None]) -> None:
        self.poller = poller
        self.on_lost = on_lost  # called from the reading thread when the process ends by itself
        self.failure: str | None = None  # what went wrong there (or in a callback here), if anything did
        self.stopping = False
        context = multiprocessing.get_context("spawn")
        self.conn, self._theirs = context.Pipe()
        # The child gets sys.path from here: no PYTHONPATH to set, whether installed or run from a checkout.
        self.process = context.Process(
            target=serve,
            name="convos-poller",
            daemon=True,  # ended with this process, should it exit without stopping the poller
            args=(self._theirs, poller.settings(), poller.paused, poller.configs(), dict(poller.states)),
        )
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="convos-poller-link", daemon=True)

    def start(self) -> None:
        """Start the process (an exception says why it could not be), then read what it sends, in a thread."""
        try:
            # The first start also starts multiprocessing's resource tracker, and hands it stderr's file
            # descriptor if it has one: under Textual, whose capture of stderr answers -1, that start
            # fails (ValueError: bad value(s) in fds_to_keep). Without a stderr none is handed over; the
            # tracker inherits descriptor 2 as every child does.
            with contextlib.redirect_stderr(None):  # None: no stderr, for a moment
                self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            self._theirs.close()  # the child has its own copy: its end of the pipe closes when it ends
        self._reader.start()

    def call(self, control: str, *args: Any, **kwargs: Any) -> None:
        """Run `control` (one of Poller's CONTROLS) in the polling process."""
        self._send((control, args, kwargs))

    def _send(self, message: object) -> None:
        with self._send_lock:
            try:
                self.conn.send(message)
            except OSError:
                pass  # the process has ended; the reader has seen it

    def _read(self) -> None:
        try:
            while True:
                message = self.conn.recv()
                if isinstance(message, Batch):
                    self._apply(message)
                else:
                    self.failure = message  # the polling process's traceback: it is ending
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        if not self.stopping:
            # The process died (or could not even start polling): polling goes on in a thread here,
            # rather than the console showing states that silently stop changing.
            self.on_lost(self)

    def _apply(self, batch: Batch) -> None:
        poller = self.poller
        states, on_poll, on_transitions = poller.states, poller.on_poll, poller.on_transitions
        # Each callback on its own: one that fails must not end the updates, nor lose the rest of a batch.
        for seen in batch.observations:
            state = states.get(seen.name)
            if state is not None:
                state.apply(seen)
                if on_poll is not None:
                    try:
                        on_poll(state)
                    except Exception as exc:
                        self.failure = f"{type(exc).__name__}: {exc}"
        if batch.transitions and on_transitions is not None:
            try:
                on_transitions(batch.transitions)
            except Exception as exc:
                self.failure = f"{type(exc).__name__}: {exc}"
        poller.polls, poller.last_poll_at = batch.polls, batch.last_poll_at

    def stop(self, timeout_s: float) -> None:
        self.stopping = True
        self._send(STOP)
        self.process.join(timeout_s)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self._reader.join(timeout_s)  # its end of the pipe is closed: the reader has read the rest
        self.conn.close()
        _stop_resource_tracker()

    def end(self) -> str:
        """After the process ended by itself: reap it (killed if it still runs but no longer talks), and
        say why it ended."""
        self.process.join(2)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self.conn.close()
        _stop_resource_tracker()
        return self.failure or f"the polling process ended (exit code {self.process.exitcode})"


def _stop_resource_tracker() -> None:
    """End the resource tracker that multiprocessing starts with a first process (it would stay a child
    of the console until it quits). It tracks semaphores and shared memory, and the polling process has
    neither; another start starts it again. (A private call, the one CPython's own tests use.)"""
    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is not None:
        stop()


# -- the polling process ---------------------------------------------------------------------------------


def serve(conn: Connection, settings: dict[str, Any], paused: bool, configs: list[GatewayConfig],
          states: dict[str, GatewayState]) -> None:  # fmt: skip
    """The polling process: poll the gateways until the console says stop, or goes."""
    os.setsid()  # the terminal's signals (a ctrl+c, a hang-up) are the console's to handle
    _silence_stdio()  # never onto the console's screen: a failure is sent back as a message
    os.nice(PROCESS_NICE)
    try:
        asyncio.run(_serve(conn, settings, paused, configs, states))
    except KeyboardInterrupt:
        pass


def _silence_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


async def _serve(conn: Connection, settings: dict[str, Any], paused: bool, configs: list[GatewayConfig],
                 states: dict[str, GatewayState]) -> None:  # fmt: skip
    try:
        poller = PollLoop(configs, **settings)
        poller.paused = paused
        for name, state in states.items():
            if name in poller.states:
                poller.states[name] = state
        reporter = _Reporter(poller, conn)
        # Every object made so far lives as long as the process: the collector need not scan them again.
        gc.collect()
        gc.freeze()
        await poller.start()
        try:
            await reporter.run()
        finally:
            await poller.stop()
    except BaseException:
        try:
            conn.send(traceback.format_exc())
        except OSError:
            pass
        raise


def _same_status(a: GatewayStatus | None, b: GatewayStatus | None) -> bool:
    return a is b or (a is not None and b is not None and a == b and a.raw == b.raw)


def _same_error(a: errors.GatewayError | None, b: errors.GatewayError | None) -> bool:
    return a is b or (
        a is not None and b is not None and type(a) is type(b) and a.args == b.args and a.__dict__ == b.__dict__
    )


class _Reporter:
    """The polling process's side: applies the controls, and sends what each poll observed in batches."""

    def __init__(self, poller: PollLoop, conn: Connection) -> None:
        self.poller = poller
        self.conn = conn
        self.observations: list[Observation] = []
        self.transitions: list[Transition] = []
        # What was last sent per gateway: (status, error, latency object); the latency is compared by
        # identity, as each poll that measures one appends a new float.
        self._sent: dict[str, tuple[GatewayStatus | None, errors.GatewayError | None, float | None]] = {}
        for state in poller.states.values():
            self._remember(state)
        poller.on_poll = self.observed
        poller.on_transitions = self.transitioned

    def _remember(self, state: GatewayState) -> None:
        self._sent[state.name] = (state.status, state.error, state.latencies[-1] if state.latencies else None)

    def transitioned(self, transitions: list[Transition]) -> None:
        self.transitions += transitions

    def observed(self, state: GatewayState) -> None:
        sent_status, sent_error, sent_latency = self._sent.get(state.name, (None, None, None))
        status = ... if _same_status(state.status, sent_status) else state.status
        error = ... if _same_error(state.error, sent_error) else state.error
        latency = state.latencies[-1] if state.latencies else None
        self._sent[state.name] = (
            state.status if status is not ... else sent_status,
            state.error if error is not ... else sent_error,
            latency,
        )
        self.observations.append(state.observation(status, error, latency if latency is not sent_latency else None))

    async def run(self) -> None:
        """Apply the controls as they come, and send a batch every FLUSH_S, until told to stop."""
        controls: asyncio.Queue[Any] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def readable() -> None:
            try:
                controls.put_nowait(self.conn.recv())
            except (EOFError, OSError):  # the console has gone
                loop.remove_reader(self.conn.fileno())
                controls.put_nowait(STOP)

        loop.add_reader(self.conn.fileno(), readable)
        try:
            flush_at = loop.time() + FLUSH_S
            while True:
                try:
                    async with asyncio.timeout_at(flush_at):
                        message = await controls.get()
                except TimeoutError:
                    self.flush()
                    flush_at = loop.time() + FLUSH_S
                    continue
                if message is STOP:
                    return
                self.control(*message)
        finally:
            loop.remove_reader(self.conn.fileno())

    def control(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if name not in CONTROLS:
            raise ValueError(f"not a control of the poller: {name!r}")
        getattr(self.poller, name)(*args, **kwargs)
        if name == "add":  # the console's copy of the state is as it was sent
            self._remember(kwargs["state"])
        elif name == "remove":
            self._sent.pop(args[0], None)

    def flush(self) -> None:
        self.poller.flush_transitions()  # those of the polls observed so far, into this batch
        if self.observations or self.transitions:
            batch = Batch(self.poller.polls, self.poller.last_poll_at, self.observations, self.transitions)
            self.observations, self.transitions = [], []
            self.conn.send(batch)
