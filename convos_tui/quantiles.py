"""The p50/p95 the console shows (launch phases, a pool's claims and cold starts) and the benchmarks report.

Nearest rank on the sorted values, with Python's round() (halves to even) picking the rank: of four values
the p50 is the third. A sample, never an interpolation: each figure is a time that was measured.
"""

from __future__ import annotations

from collections.abc import Sequence


def nearest_rank(values: Sequence[float], q: float, *, digits: int = 3) -> float:
    """The q-quantile (0 to 1) of values, which must not be empty, rounded to `digits`."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))], digits)


def quantile(values: Sequence[float], q: float, *, digits: int = 3) -> float | None:
    """As nearest_rank; None when there is nothing measured yet."""
    return nearest_rank(values, q, digits=digits) if values else None
