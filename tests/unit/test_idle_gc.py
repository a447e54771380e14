"""Full collections wait for a pause in the keys, and never wait longer than their limit."""

import gc

from convos_tui.ui.idle_gc import NEVER, IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def collector(clock: Clock, collected: list[float]) -> IdleCollector:
    return IdleCollector(
        quiet_s=1.0, every_s=10.0, at_most_s=60.0, clock=clock, collect=lambda: collected.append(clock.now)
    )


def test_a_full_collection_waits_for_a_quiet_second_and_never_longer_than_its_limit():
    clock, collected = Clock(), []
    idle = collector(clock, collected)
    before = gc.get_threshold()
    try:
        idle.start()
        assert gc.get_threshold() == (before[0], NEVER, NEVER)  # the young generation alone as before
        assert collected == [1000.0]  # what is frozen is collected first: no garbage kept for good
        for _ in range(50):  # a key every 0.5 s for 25 s: never quiet, not yet at the limit
            clock.now += 0.5
            idle.touched()
            assert not idle.tick()
        clock.now += 1.0  # a quiet second, 26 s after the last one
        assert idle.tick() and collected[-1] == clock.now
        clock.now += 5.0
        assert not idle.tick()  # quiet, but the last one was 5 s ago
        for _ in range(130):  # typing without a pause for 65 s: the limit wins
            clock.now += 0.5
            idle.touched()
            idle.tick()
        assert len(collected) == 3 and collected[2] - collected[1] == 60.0
    finally:
        idle.stop()
    assert gc.get_threshold() == before  # the process collects as it did before the console
    assert gc.get_freeze_count() == 0  # over everything again


def test_before_start_and_after_stop_it_never_collects():
    clock, collected = Clock(), []
    idle = collector(clock, collected)
    clock.now += 3600
    assert not idle.tick() and collected == []
