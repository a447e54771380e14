"""What `convos-tui simulate` runs: start a fleet (and a pool manager), announce the config, wait for
Ctrl-C, stop. It composes the fleet (server.py) and the pool manager (pool.py), which know nothing of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from .modes import GatewaySpec
from .pool import SimPoolManager
from .server import SimFleet, stop_signals
from .toml_config import toml_config

__all__ = ["serve"]


async def serve(
    specs: Sequence[GatewaySpec],
    *,
    speed: float = 1.0,
    seed: int = 0,
    write_config: Path | None = None,
    announce: Callable[[str], None] = print,
    host: str = "127.0.0.1",
    pool: bool = False,
) -> None:
    """Run a fleet until SIGINT/SIGTERM (or cancellation), then stop it cleanly.

    The config TOML is announced, or written to `write_config` (and its path announced). With `pool`,
    a simulated pool manager lists the gateways and the config is one [[sources]] entry pointing at it."""
    fleet = SimFleet(specs, speed=speed, seed=seed, host=host)
    with stop_signals() as stop:
        async with fleet, contextlib.AsyncExitStack() as stack:
            toml = fleet.config_toml()
            if pool:
                manager = await stack.enter_async_context(SimPoolManager(fleet, host=host))
                toml = toml_config(
                    [
                        f"convos-tui simulated pool manager: {len(fleet.gateways)} gateways, seed {seed}, speed {speed:g}"
                    ],
                    {"sources": [{"type": "pool", "url": manager.url, "env": specs[0].env if specs else "dev"}]},
                )
            if write_config is not None:
                write_config.write_text(toml, encoding="utf-8")
                announce(f"Simulating {len(fleet.gateways)} gateways; config written to {write_config}")
            else:
                announce(toml)
            # A TOML comment, so `convos-tui simulate > fleet.toml` still gives a valid config.
            announce("# Serving until Ctrl-C.")
            await stop.wait()
