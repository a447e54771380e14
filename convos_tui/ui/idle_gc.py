"""Full collections while the console waits for a key, not in the middle of one.

At 5,000 gateways a full collection of what the console made since it started takes 40-120 ms, and
left to itself Python ran one every 3 s while keys came in: a key that met one waited that long
(measured with benchmarks/ui.py). Here the automatic full collections are off; one runs once no key
or click has come for `quiet_s`, at most every `every_s`, and after `at_most_s` whatever happens, so
cyclic garbage never piles up for long. So do those of the middle generation: 22-24 of them came
during the benchmark's 132 keys, up to 21 ms each (the table's cached lines, which outlive the young
generation). Only the young generation is collected as Python always does, in about 0.3 ms.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

NEVER = 2**30  # a threshold no count of collections reaches: none of that generation by itself


class IdleCollector:
    def __init__(
        self,
        *,
        quiet_s: float = 1.0,
        every_s: float = 10.0,
        at_most_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[], object] = gc.collect,
    ) -> None:
        self.quiet_s, self.every_s, self.at_most_s = quiet_s, every_s, at_most_s
        self.clock = clock
        self.collect = collect
        self.last_input = self.last_full = clock()
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Freeze what lives as long as the console, and take the full collections over."""
        self.collect()
        # The widgets and thousands of gateways' configs and states live as long as the console: no
        # full collection need scan them (measured at 5,000 gateways: pauses of up to 0.2 s before).
        gc.freeze()
        self._thresholds = gc.get_threshold()
        gc.set_threshold(self._thresholds[0], NEVER, NEVER)
        self.last_full = self.clock()

    def stop(self) -> None:
        """Give the full collections back to Python, over everything again."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()
            self._thresholds = None

    def touched(self) -> None:
        """A key or a click came."""
        self.last_input = self.clock()

    def tick(self) -> bool:
        """Collect now if it is time (called every second); True if it did."""
        if self._thresholds is None:
            return False
        now = self.clock()
        since_full = now - self.last_full
        quiet = now - self.last_input >= self.quiet_s
        if not ((quiet and since_full >= self.every_s) or since_full >= self.at_most_s):
            return False
        self.collect()
        self.last_full = self.clock()
        return True
