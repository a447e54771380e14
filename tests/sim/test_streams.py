"""The stream schedule observed on a real gateway (findings §7) and the flapping mode."""

from __future__ import annotations

import pytest

from convos_tui.sim.streams import GIVE_UP_AFTER, StreamProfile, streaming_at

# (seconds after start, streaming) as polled every 0.5 s on the real gateway.
OBSERVED = [
    (0.0, True),
    (2.6, True),
    (3.1, False),
    (4.1, False),
    (4.7, True),
    (6.7, True),
    (7.3, False),
    (10.9, False),
    (11.4, True),
    (13.5, True),
    (14.0, False),
    (19.7, False),
    (20.2, True),
    (23.0, False),
]


@pytest.mark.parametrize(("elapsed", "expected"), OBSERVED)
def test_dying_schedule_matches_the_real_gateway(elapsed: float, expected: bool) -> None:
    assert streaming_at(StreamProfile.DYING, elapsed) is expected


def test_dying_stream_stays_down_for_good() -> None:
    assert 22 < GIVE_UP_AFTER <= 23
    assert not any(streaming_at(StreamProfile.DYING, GIVE_UP_AFTER + t / 10) for t in range(10_000))


def test_flapping_goes_down_a_few_seconds_then_comes_back() -> None:
    samples = [streaming_at(StreamProfile.FLAPPING, t / 10, phase=0) for t in range(600)]  # one minute
    assert samples.count(False) == 4 * 30  # 3 s down in every 15 s
    changes = [t for t in range(1, 600) if samples[t] != samples[t - 1]]
    assert changes == [120, 150, 270, 300, 420, 450, 570]  # down at 12 s, up at 15 s, and so on


def test_healthy_stream_never_drops() -> None:
    assert all(streaming_at(StreamProfile.HEALTHY, t) for t in range(0, 1000, 7))
