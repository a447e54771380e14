"""The open-files limit the fleet benchmarks need: each gateway holds a listener and a connection on each side.

At 10,000 gateways that is more than the usual hard limit of 20,000; root may raise the hard limit too.
"""

from __future__ import annotations

import resource


def raise_fd_limit(needed: int, who: str) -> None:
    """Make room for `needed` open files in this process and its children, or exit saying why not."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
    except (ValueError, OSError):  # not allowed past the hard limit: as far as it goes
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        raise SystemExit(f"{who}: needs {needed} open files; the hard limit is {hard} (ulimit -Hn; root may raise it)")
