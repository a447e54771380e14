"""A SimFleet on its own event loop in a thread, for tests of commands that run asyncio.run themselves."""

import asyncio
import threading

from convos_tui.sim import SimFleet


class ThreadFleet:
    def __init__(self, specs, speed=50):
        self.loop = asyncio.new_event_loop()
        self.fleet = SimFleet(specs, speed=speed)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=20)

    def __enter__(self):
        self.thread.start()
        self.call(self.fleet.start())
        return self.fleet

    def __exit__(self, *exc):
        self.call(self.fleet.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
