"""What the launch and pool benchmarks share: progress to stderr, p50/p95/max of a sample, and the run over
each size that prints one JSON document with the machine's load before and after."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from convos_tui.quantiles import quantile


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary(values: list[float], unit: str = "", *, digits: int = 4) -> dict[str, float | None]:
    """p50, p95 and max; keys end in `_unit` when a unit is given (e.g. p95_ms)."""
    suffix = f"_{unit}" if unit else ""
    return {
        f"{name}{suffix}": quantile(values, q, digits=digits) for name, q in (("p50", 0.5), ("p95", 0.95), ("max", 1.0))
    }


def run_sizes(
    sizes: Iterable[int],
    figures: dict[str, Any],
    one_size: Callable[[int], dict[str, Any]],
    said: Callable[[dict[str, Any]], str],
) -> None:
    """Run each size, log what `said` picks from its figures, then print them all with the load around them."""
    figures = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}, **figures, "runs": []}
    for size in sizes:
        run = one_size(size)
        log(said(run))
        figures["runs"].append(run)
    figures["machine"]["load_after"] = os.getloadavg()
    print(json.dumps(figures, indent=2))
