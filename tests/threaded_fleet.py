"""A SimFleet on its own event loop in a thread, for tests of commands that run asyncio.run themselves."""

from convos_tui.loop_thread import LoopThread
from convos_tui.sim import SimFleet


class ThreadFleet:
    def __init__(self, specs, speed=50):
        self.fleet = SimFleet(specs, speed=speed)
        self.runner = LoopThread("test-fleet")

    def call(self, coroutine):
        return self.runner.call(coroutine, timeout=20)

    def __enter__(self):
        self.call(self.fleet.start())
        return self.fleet

    def __exit__(self, *exc):
        try:
            self.call(self.fleet.stop())
        finally:
            self.runner.close()
