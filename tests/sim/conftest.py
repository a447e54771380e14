"""Shared helpers: every test starts its own fleet with `async with SimFleet(...)` and talks real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest_asyncio

FAST = 1000.0  # simulated seconds per real second: a 3 s create takes 3 ms, the 60 s join timeout 60 ms


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Plain HTTP on loopback only: skipping the CA bundle makes a client 50x cheaper to create.
    async with httpx.AsyncClient(timeout=10, verify=False) as http:
        yield http


async def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll until `predicate()` is true (a real-time bound for simulated-time events)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)
