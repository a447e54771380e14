"""The poller, and where it runs: in the caller's event loop, in a thread, or in a process of its own.

The loop and its schedule are fleet/poll_loop.py's. In the caller's event loop (`async with`, `sweep()`)
is where the headless commands run it. The console runs it in a process of its own (`start_process`,
fleet/poll_process.py), which sends what each poll observed back to the console's process, where the
same `states` are updated in place; in a thread (`start_thread`) when there can be no such process.
The controls (CONTROLS) work alike in all three.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.poll_loop import CONTROLS, PollLoop
from convos_tui.loop_thread import LoopThread

if TYPE_CHECKING:  # (multiprocessing and its pickling): imported by the console, which starts the process
    from convos_tui.fleet.poll_process import PollProcess

__all__ = ["CONTROLS", "Poller"]


class Poller(PollLoop):
    """A PollLoop that can also run in a thread or a process of its own. Use `async with Poller(...)`,
    `sweep()` once, or `start_process()` … `stop_process()`."""

    def __init__(self, gateways: Iterable[GatewayConfig], **settings: Any) -> None:
        self._thread: LoopThread | None = None
        self._remote: PollProcess | None = None
        self._switching = threading.Lock()  # stopping, or replacing a dead polling process by a thread
        self.failure: str | None = None  # why polling left its process for a thread, if it did
        super().__init__(gateways, **settings)

    def start_thread(self) -> None:
        """Poll from a thread of its own, with its own event loop.

        The console's event loop and thousands of polls a second must not share one scheduler: asyncio
        has no priorities, so a flood of poll callbacks would hold every keypress back. In a thread,
        the interpreter's switch interval gives the UI its turn whatever the poller does. Callbacks
        (on_poll, on_transitions) then run in the poller's thread; the controls may be called from any."""
        self._thread = LoopThread("convos-poller")
        self._thread.call(self.start(), timeout=10)

    def stop_thread(self, timeout_s: float = 5.0) -> None:
        """Stop polling and end the thread (or the process); quitting never hangs on a busy or stuck poll."""
        with self._switching:  # not while a dead process is being replaced by a thread (_lost)
            self._stop_background(timeout_s)

    def _stop_background(self, timeout_s: float) -> None:
        remote, self._remote = self._remote, None
        if remote is not None:
            remote.stop(timeout_s)
        thread = self._thread
        if thread is None:
            return
        self.paused = True  # dispatch nothing new while stopping
        try:
            thread.call(self.stop(), timeout=timeout_s)
        except Exception:
            pass
        thread.close(timeout_s)  # a daemon thread: it cannot keep the process alive
        self._thread = None

    def start_process(self) -> None:
        """Poll from a process of its own, so that polling uses another core than the console.

        Measured at 5,000 gateways polled every 2 s (benchmarks/ui.py): in a thread, the poller and the
        console share one interpreter lock, so while keys come in the poller falls to a tenth of the
        polls it needs, and its allocations make the console's process run collections that hold every
        key back by up to 0.2 s. In a process, the poller sends each poll's outcome here in batches;
        a thread of this process applies them to `states` (the same objects, updated in place) and
        calls on_transitions and on_poll, as the poller's thread did. The controls are sent to the
        process. Falls back to a thread if the process cannot be started, or when it dies."""
        from convos_tui.fleet.poll_process import PollProcess

        self._remote = PollProcess(self, on_lost=self._lost)
        try:
            self._remote.start()
        except Exception as exc:
            self._remote = None
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            self.failure = f"the polling process could not start ({reason})"
            self.start_thread()

    def stop_process(self, timeout_s: float = 5.0) -> None:
        """Stop the polling process (or the thread it fell back to); quitting never hangs on it: a
        process that does not stop in time is killed."""
        self.stop_thread(timeout_s)

    def _lost(self, remote: PollProcess) -> None:
        """The polling process ended by itself: poll from a thread instead. (Called from the thread that
        read its batches; if a stop holds the lock, that stop ends everything and there is nothing to do.)"""
        if not self._switching.acquire(blocking=False):
            return
        try:
            if self._remote is remote:
                self._remote = None
                self.failure = remote.end()
                self._poll_now(None)  # at once, and with the gateways added while the process polled
                self.start_thread()
        finally:
            self._switching.release()

    @property
    def in_process(self) -> bool:
        """True while a process of its own polls for this poller."""
        return self._remote is not None

    def _elsewhere(self, then: Callable[[], object] | None, control: str, *args: Any, **kwargs: Any) -> None:
        """What is left of a control once done here, done where the loop runs: in the polling process, by
        sending it the control (its poller runs the whole method); in the poller's thread, by running `then`
        there (its heap and events live there); in this loop, by running `then` now."""
        if self._remote is not None:
            self._remote.call(control, *args, **kwargs)
        elif then is not None:
            if self._thread is not None:
                self._thread.call_soon(then)
            else:
                then()
