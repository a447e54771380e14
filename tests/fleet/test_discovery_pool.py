"""Gateways from a pool manager's GET /api/pool/status, served by the simulated pool manager."""

import pathlib

import pytest

from convos_tui.fleet.discovery import discover, read_pool
from convos_tui.fleet.inventory import Source, parse_inventory
from convos_tui.sim import Mode, SimFleet, specs_for_modes
from convos_tui.sim.pool import SimPoolManager


@pytest.fixture
async def pool():
    specs = specs_for_modes(3, [Mode.HEALTHY, Mode.BOUND, Mode.DOWN])
    async with SimFleet(specs, speed=200) as fleet, SimPoolManager(fleet, key="manager-key") as manager:
        yield fleet, manager


async def test_instances_become_gateways(pool):
    fleet, manager = pool
    source = Source("pool", url=manager.url, token="manager-key", gateway_token="gw-key", env="dev", tags=("pool-a",))
    found = await read_pool(source)
    assert found.problems == []
    assert [(g.name, g.url, g.env, g.tags, g.token) for g in found.gateways] == [
        ("sim-01", fleet.gateway("sim-01").url, "dev", ("pool-a", "pool", "pool-idle"), "gw-key"),
        ("sim-02", fleet.gateway("sim-02").url, "dev", ("pool-a", "pool", "pool-claimed"), "gw-key"),
        ("sim-03", fleet.gateway("sim-03").url, "dev", ("pool-a", "pool", "pool-dead"), "gw-key"),
    ]
    assert all(g.origin == f"pool {manager.url}" for g in found.gateways)


async def test_a_wrong_manager_key_is_a_clear_problem(pool):
    _, manager = pool
    found = await read_pool(Source("pool", url=manager.url, token="wrong"))
    assert found.gateways == []
    assert found.problems == [
        f"pool {manager.url}: unauthorized (401): check the pool manager key (token_env of the source)"
    ]


async def test_an_unreachable_manager_is_a_problem_not_a_crash():
    found = await read_pool(Source("pool", url="http://127.0.0.1:9"))
    assert found.gateways == [] and "unreachable" in found.problems[0]


async def test_a_gateway_is_not_a_pool_manager(pool):
    fleet, _ = pool
    found = await read_pool(Source("pool", url=fleet.gateway("sim-01").url))
    assert found.gateways == [] and "not a pool status" in found.problems[0]


async def test_discovery_merges_behind_the_static_config(pool, tmp_path):
    fleet, manager = pool
    text = (
        f'[[gateways]]\nname = "sim-02"\nurl = "http://127.0.0.1:1"\n'
        f'[[gateways]]\nname = "mine"\nurl = "{fleet.gateway("sim-01").url}"\n'
        f'[[sources]]\ntype = "pool"\nurl = "{manager.url}"\ntoken_env = "MANAGER_KEY"\nenv = "dev"\n'
    )
    inventory = parse_inventory(text, pathlib.Path(tmp_path / "c.toml"), environ={"MANAGER_KEY": "manager-key"})
    found = await discover(inventory)
    assert [g.name for g in found.gateways] == ["sim-03"]  # sim-01's URL is known; sim-02's name is taken
    assert any("'sim-02'" in p and "clashes" in p for p in found.problems)
