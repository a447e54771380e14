"""An asyncio event loop running in a daemon thread of its own: the one helper for "a loop in a thread".

The poller uses it when it cannot have a process of its own, the demo to serve its simulated fleet
beside a Textual app, and the tests to serve a fleet to commands that run `asyncio.run` themselves.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """`runner = LoopThread("name")`, then `runner.call(coroutine)` from any other thread, and `close()`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)  # never keeps the process alive
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run `coroutine` on the loop and wait for its result; on a timeout it is cancelled, and TimeoutError raised."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def call_soon(self, function: Callable[[], object]) -> None:
        """Run `function` in the loop's thread: now if this is that thread, else as soon as the loop can."""
        if threading.current_thread() is self.thread:
            function()
        else:
            self.loop.call_soon_threadsafe(function)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the loop and wait (up to `timeout`) for the thread to end; its tasks are left as they are."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
