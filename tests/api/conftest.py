"""Simulated gateways over real loopback sockets, started and stopped by each test."""

from __future__ import annotations

import contextlib

import pytest

from convos_tui.api import Endpoint, GatewayClient, Timeouts
from convos_tui.sim import GatewaySpec, Mode, SimFleet

FAST = 500.0  # simulated time factor: a 3 s create takes 6 ms


@pytest.fixture
def start_fleet():
    """`async with start_fleet(spec, ...) as fleet:` — a fleet that is always stopped."""

    @contextlib.asynccontextmanager
    async def start(*specs: GatewaySpec, speed: float = FAST, seed: int = 7):
        fleet = SimFleet(list(specs), speed=speed, seed=seed)
        await fleet.start()
        try:
            yield fleet
        finally:
            await fleet.stop()

    return start


def client_for(
    fleet: SimFleet, name: str, *, token: str | None = None, timeouts: Timeouts | None = None
) -> GatewayClient:
    return GatewayClient(Endpoint(fleet.gateway(name).url, token=token, timeouts=timeouts or Timeouts()))


def spec(name: str, mode: Mode = Mode.HEALTHY, **kwargs) -> GatewaySpec:
    return GatewaySpec(name=name, mode=mode, **kwargs)
