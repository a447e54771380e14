"""What the fleet benchmarks need up to 10,000 gateways: room for the open files, and the simulator in shards.

Each simulated gateway holds two open files in its simulator (its listener, the connection it accepted), so one
simulator process of 10,000 gateways would need more than the usual hard limit of 20,000: the benchmarks start
one `convos-tui simulate` per SHARD gateways and merge the configs they write.
"""

from __future__ import annotations

import json
import resource
import tomllib
from collections.abc import Iterable
from pathlib import Path

SHARD = 5000  # gateways per simulator process


def shard_sizes(count: int) -> list[int]:
    return [min(SHARD, count - start) for start in range(0, count, SHARD)]


def merged_config(configs: Iterable[Path]) -> str:
    """One config of the gateways of every shard's config; those of shard k > 0 renamed NAME-k (names repeat)."""
    tables = []
    for k, config in enumerate(configs):
        for gateway in tomllib.loads(config.read_text())["gateways"]:
            name = gateway["name"] if k == 0 else f"{gateway['name']}-{k}"
            tables.append(f"[[gateways]]\nname = {json.dumps(name)}\nurl = {json.dumps(gateway['url'])}\n")
    return "\n".join(tables)


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
