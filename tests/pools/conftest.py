"""Pools over real processes and sockets: the instances' `env` (a golden, a fast `sim` launcher, a cleanup that
kills whatever a test launched), a pool in its config, and the services opened in this process."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from convos_tui.fleet.inventory import load_inventory
from convos_tui.instances.service import InstanceService
from convos_tui.pools.members import READY, RESERVED, Members
from convos_tui.pools.service import PoolService
from tests.instances import conftest as instance_tests
from tests.instances.conftest import Env

env = instance_tests.env  # the fixture, shared with the instance tests
PORT_BASE = 12000 + (os.getpid() % 100) * 200  # below the ephemeral ports (32768-60999): never in TIME_WAIT
WAIT_S = 60.0  # a condition not met by then is a failure, not a slow machine


def pool_config(
    env: Env, name: str = "booth", *, target: int = 2, max_total: int = 6, prepare: str = "create", parallel: int = 4
) -> None:
    env.write_config(
        f'\n[pools.{name}]\nlauncher = "sim"\ntarget_ready = {target}\nmax_total = {max_total}\n'
        f'prepare = "{prepare}"\nparallel = {parallel}\n',
        max_instances=50,
    )
    # A port range of its own, wider and away from the instance tests' (other suites on the machine use theirs).
    text = env.config.read_text()
    start = text.index("ports = ")
    end = text.index("\n", start)
    env.config.write_text(f'{text[:start]}ports = "{PORT_BASE}-{PORT_BASE + 199}"{text[end:]}')


@contextmanager
def services(env: Env, *, read_only: bool = False) -> Iterator[PoolService]:
    """A console's pool service over the env's config and data dir (what the console opens)."""
    inventory = load_inventory(env.config)
    instances = InstanceService.open(inventory, env.data / "convos-tui", read_only=read_only)
    pools = PoolService.open(instances, inventory.pools)
    try:
        yield pools
    finally:
        pools.close()
        instances.close()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = WAIT_S) -> None:
    """As `until`, for a test that waits on another process (checked every 20 ms)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def counts(env: Env, pool: str = "booth") -> dict[str, int]:
    """A pool's members per state, as its store holds them now (nothing before the store exists)."""
    if not env.store_path.exists():
        return {}
    members = Members.open(env.store_path)
    try:
        return members.counts(pool)
    finally:
        members.close()


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Wait for a condition (checked every 20 ms), failing with `what` when it never comes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def seed_ready(members: Members, pool: str, count: int) -> list[str]:
    """`count` ready members with their invites and no process: a claim of prepare = "create" calls nothing."""
    names = []
    for index, row in enumerate(members.reserve(pool, count, count)):
        name = f"seeded-{index:02d}"
        members.named(row, name)
        members.set_state(
            name, READY, "ready", conversation_id=f"conv-{index:02d}", invite_url=f"https://dev.convos.org/v2?i={index}"
        )
        names.append(name)
    assert not any(m.instance.startswith(RESERVED) for m in members.all(pool))
    return names
