"""The demo fleet's plan and lifecycle: seeded, realistic, valid config, nothing left behind."""

from __future__ import annotations

import collections
import socket
import tempfile

import pytest

from convos_tui.fleet.inventory import load_inventory
from convos_tui.sim.demo import DemoFleet, Role, demo_plan

from .conftest import wait_for


def test_the_same_seed_gives_the_same_fleet_and_another_seed_another():
    def summary(plan):
        return [(g.name, g.role, g.tags, g.spec.mode, g.spec.latency, g.spec.conversation_id) for g in plan]

    assert summary(demo_plan(24, seed=3)) == summary(demo_plan(24, seed=3))
    assert summary(demo_plan(24, seed=3)) != summary(demo_plan(24, seed=4))


def test_the_default_fleet_has_every_role_and_plenty_of_idle_gateways():
    roles = collections.Counter(g.role for g in demo_plan())
    assert set(roles) == set(Role)
    assert roles[Role.IDLE] >= 6 and roles[Role.LIVE] >= 3 and sum(roles.values()) == 24
    names = [g.name for g in demo_plan()]
    assert len(set(names)) == 24 and names == sorted(names)
    assert all(len(g.tags) == 3 and g.tags[0] in ("eu", "us", "ap") for g in demo_plan())


@pytest.mark.parametrize("count", [1, 2, 5, 8, 12, 50, 200])
def test_any_size_works_and_keeps_gateways_to_create_and_join_on(count):
    plan = demo_plan(count, seed=1)
    roles = collections.Counter(g.role for g in plan)
    assert len(plan) == count and len({g.name for g in plan}) == count
    assert roles[Role.IDLE] >= min(count, 2)
    assert (roles[Role.PENDING] + roles[Role.APPROVED] > 0) == (roles[Role.APPROVER] > 0)
    if count >= 48:
        assert roles[Role.STALLED] == count // 24


async def test_the_fleet_writes_a_valid_private_config_and_removes_everything(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    async with DemoFleet(24, seed=0, speed=100) as demo:
        root = demo.root
        assert root.parent == tmp_path and demo.data_dir.is_dir()
        assert demo.config_path.stat().st_mode & 0o777 == 0o600
        inventory = load_inventory(demo.config_path, required=True)
        assert not inventory.warnings
        assert [g.name for g in inventory.gateways] == [g.name for g in demo.plan]
        assert all(g.url.startswith("http://127.0.0.1:") and g.token is None for g in inventory.gateways)
        assert inventory.settings.streaming_grace == pytest.approx(0.15)
        assert inventory.select("eu") and {"eu"} <= set(inventory.select("eu")[0].tags)
        unreachable = demo.sim.gateway(demo.names(Role.UNREACHABLE)[0])
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", unreachable.port)) != 0  # a real port nobody listens on
        waiting = [demo.sim.gateway(name) for name in demo.names(Role.PENDING) + demo.names(Role.APPROVED)]
        booting = demo.sim.gateway(demo.names(Role.BOOTING)[0])
        assert all(gw.pending for gw in waiting) and booting.starting
        # At speed 100 the approval comes after 0.6 s and the boot ends after 0.45 s.
        approved = demo.sim.gateway(demo.names(Role.APPROVED)[0])
        await wait_for(lambda: approved.bound is not None and not booting.starting)
        assert demo.sim.gateway(demo.names(Role.PENDING)[0]).pending
        ports = [gw.port for gw in demo.sim.gateways]
    assert not root.exists() and list(tmp_path.iterdir()) == []
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_threaded_runs_beside_another_loop_and_stops_whatever_ends_the_block(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    demo = DemoFleet(8, seed=0, speed=100)
    with pytest.raises(RuntimeError, match="boom"), demo.threaded():
        assert demo.config_path.exists()
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


async def test_a_region_that_is_not_a_bare_key_is_one_profile_of_the_config(tmp_path, monkeypatch):
    import convos_tui.sim.demo as demo_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(demo_module, "SITES", (("fra", "eu.west"), ("sin", "ap/south")))
    async with DemoFleet(count=6, seed=0) as demo:
        inventory = load_inventory(demo.config_path, required=True)
        assert '[profiles."eu.west"]' in demo.config_path.read_text()
    for region in ("eu.west", "ap/south"):
        expected = {g.name for g in demo.plan if g.tags[0] == region}
        assert expected and {g.name for g in inventory.select(region)} == expected
