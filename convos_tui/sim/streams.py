"""Whether a bound gateway's `conversation stream` child is alive at a given moment.

The plugin restarts the stream child at most 3 times (after 2, 4, 6 s) and then gives up for good, while
`/convos/status` keeps reporting the conversation. The schedule below is the one a real gateway showed
(real-gateway-findings §7): each child lived ~2.6 s before the XMTP error killed it. Times are simulated
seconds since the gateway started or was bound.
"""

from __future__ import annotations

import enum

__all__ = ["DYING_SCHEDULE", "GIVE_UP_AFTER", "StreamProfile", "streaming_at"]

# (start, end) of the intervals during which the child was alive; false outside them, for good after the last.
DYING_SCHEDULE: tuple[tuple[float, float], ...] = ((0.0, 2.85), (4.4, 7.0), (11.15, 13.75), (19.95, 22.6))
GIVE_UP_AFTER = DYING_SCHEDULE[-1][1]

# The flapping mode: false for 3 s out of every 15 s, forever (a stream that keeps reconnecting).
FLAP_PERIOD = 15.0
FLAP_DOWN = 3.0


class StreamProfile(enum.Enum):
    HEALTHY = "healthy"  # XMTP reachable: the child stays up
    DYING = "dying"  # the child fails on every start: flaps on the restart schedule, then gives up
    FLAPPING = "flapping"  # drops periodically, always comes back


def streaming_at(profile: StreamProfile, elapsed: float, *, phase: float = 0.0) -> bool:
    """The stream state `elapsed` simulated seconds after the instance started."""
    if profile is StreamProfile.HEALTHY:
        return True
    if profile is StreamProfile.DYING:
        return any(start <= elapsed < end for start, end in DYING_SCHEDULE)
    return (elapsed + phase) % FLAP_PERIOD < FLAP_PERIOD - FLAP_DOWN
