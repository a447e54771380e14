"""The fleet: ports, start/stop hygiene, runtime control, config TOML, reproducibility, serve()."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import tomllib
from pathlib import Path

import httpx
import pytest

from convos_tui.sim import GatewaySpec, Mode, SimFleet, mixed_specs, serve, specs_for_modes

from .conftest import FAST, wait_for


def _ports_held_by_this_process() -> set[int]:
    """The local TCP ports of this process's own sockets, from /proc (Linux)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    held = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    held.add(int(fields[1].rsplit(":", 1)[1], 16))
    return held


def _refuses(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_start_and_stop_leave_no_port_and_no_task(client: httpx.AsyncClient) -> None:
    before = asyncio.all_tasks()
    fleet = SimFleet(mixed_specs(30, seed=2), speed=FAST)
    await fleet.start()
    ports = [gw.port for gw in fleet.gateways]
    assert len(set(ports)) == 30 and all(p > 0 for p in ports)
    # Leave work in flight: a drip body, a slow answer and a blocking join.
    for gw in fleet.gateways:
        if gw.mode in (Mode.DRIP, Mode.SLOW, Mode.HEALTHY):
            asyncio.ensure_future(client.get(gw.url + "/convos/status")).add_done_callback(
                lambda t: t.cancelled() or t.exception()
            )
    await asyncio.sleep(0.05)
    await fleet.stop()
    assert all(_refuses(port) for port in ports)
    # No socket of this process holds them any more. (Binding them again to check is no proof on a shared
    # machine: another process's outgoing connection can take a freed ephemeral port as its own at once.)
    assert not _ports_held_by_this_process() & set(ports)
    await asyncio.sleep(0.05)
    leftovers = {t for t in asyncio.all_tasks() - before if not t.done()}
    leftovers = {t for t in leftovers if "AsyncClient" not in repr(t) and "httpx" not in repr(t)}
    assert not {t for t in leftovers if "aiohttp" in repr(t) or "sim" in repr(t)}, leftovers


async def test_a_given_port_is_used_as_is(client: httpx.AsyncClient) -> None:
    port = _free_port()
    async with SimFleet([GatewaySpec("a", port=port)], speed=FAST) as fleet:
        assert fleet.gateway("a").port == port and fleet.gateway("a").url == f"http://127.0.0.1:{port}"
        assert (await client.get(f"http://127.0.0.1:{port}/convos/status")).status_code == 200


async def test_set_down_closes_and_reopens_the_same_port_keeping_state(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.BOUND)], speed=FAST) as fleet:
        gw = fleet.gateway("a")
        port, bound = gw.port, gw.bound
        assert (await client.get(gw.url + "/convos/status")).status_code == 200  # keep-alive connection open
        await fleet.set_down("a", True)
        assert _refuses(port)
        with pytest.raises(httpx.TransportError):
            await client.get(gw.url + "/convos/status")
        await fleet.set_down("a", False)
        assert gw.port == port
        assert (await client.get(gw.url + "/convos/status")).json()["conversation"] == {"id": bound}


async def test_a_down_gateway_can_be_brought_up(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.DOWN)], speed=FAST) as fleet:
        await fleet.set_down("a", False)
        assert fleet.gateway("a").mode is Mode.HEALTHY
        assert (await client.get(fleet.gateway("a").url + "/convos/status")).status_code == 200


async def test_restart_refuses_for_a_while_then_restores_from_config(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a")], speed=40) as fleet:  # 2 s of downtime = 50 ms
        gw = fleet.gateway("a")
        created = (await client.post(gw.url + "/convos/conversation", json={})).json()
        await client.post(gw.url + "/convos/setup", json={})
        await fleet.restart("a", wait=False)
        assert _refuses(gw.port)
        await wait_for(lambda: gw.listening)
        status = (await client.get(gw.url + "/convos/status")).json()
        assert status == {"ready": True, "conversation": {"id": created["conversationId"]}, "streaming": True}
        setup = (await client.get(gw.url + "/convos/setup/status")).json()
        assert setup == {"active": False, "joined": False, "joinerInboxId": None}  # memory only


async def test_set_mode_at_runtime(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a")], speed=FAST) as fleet:
        gw = fleet.gateway("a")
        fleet.set_mode("a", Mode.OFFLINE)
        resp = await client.post(gw.url + "/convos/conversation", json={})
        assert resp.status_code == 500 and "dns error" in resp.json()["error"]
        fleet.set_mode("a", Mode.BOUND)
        assert (await client.get(gw.url + "/convos/status")).json()["conversation"] is not None
        fleet.set_mode("a", Mode.DOWN)
        assert _refuses(gw.port)
        fleet.set_mode("a", Mode.POOL_KEY)
        await wait_for(lambda: gw.listening)
        assert (await client.get(gw.url + "/convos/status")).status_code == 401


def test_config_toml_parses_and_names_every_gateway() -> None:
    async def run() -> tuple[str, list[str]]:
        specs = specs_for_modes(4, [Mode.HEALTHY, Mode.POOL_KEY, Mode.DOWN]) + [
            GatewaySpec('odd "name"', pool_key="other-key")
        ]
        async with SimFleet(specs, speed=FAST) as fleet:
            return fleet.config_toml(), [gw.url for gw in fleet.gateways]

    text, urls = asyncio.run(run())
    config = tomllib.loads(text)
    gateways = config["gateways"]
    assert [g["url"] for g in gateways] == urls
    assert [g["name"] for g in gateways] == ["sim-01", "sim-02", "sim-03", "sim-04", 'odd "name"']
    assert [g["tags"] for g in gateways][:3] == [["sim", "healthy"], ["sim", "pool-key"], ["sim", "down"]]
    assert all(g["env"] == "dev" for g in gateways)
    assert [g.get("token_env") for g in gateways] == [None, "CONVOS_SIM_POOL_KEY", None, None, "CONVOS_SIM_POOL_KEY_2"]
    assert "export CONVOS_SIM_POOL_KEY=pool-secret-789" in text.splitlines()[1]
    assert "export CONVOS_SIM_POOL_KEY_2=other-key" in text


async def test_same_seed_same_fleet(client: httpx.AsyncClient) -> None:
    async def observe(seed: int) -> list[object]:
        async with SimFleet(mixed_specs(12, seed=1), speed=FAST, seed=seed) as fleet:
            seen: list[object] = [gw.bound for gw in fleet.gateways]
            healthy = next(gw for gw in fleet.gateways if gw.mode is Mode.HEALTHY)
            created = (await client.post(healthy.url + "/convos/conversation", json={})).json()
            return [*seen, created["conversationId"], created["inviteSlug"]]

    assert await observe(4) == await observe(4)
    assert await observe(4) != await observe(5)


def test_duplicate_names_and_bad_speed_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        SimFleet([GatewaySpec("a"), GatewaySpec("a")])
    with pytest.raises(ValueError):
        SimFleet([GatewaySpec("a")], speed=0)


async def test_serve_writes_the_config_and_stops_on_sigterm(tmp_path: Path, client: httpx.AsyncClient) -> None:
    target = tmp_path / "fleet.toml"
    said: list[str] = []
    task = asyncio.ensure_future(
        serve(specs_for_modes(2, [Mode.HEALTHY]), speed=FAST, seed=0, write_config=target, announce=said.append)
    )
    await wait_for(lambda: target.exists() and any("Ctrl-C" in line for line in said))
    urls = [g["url"] for g in tomllib.loads(target.read_text())["gateways"]]
    assert (await client.get(urls[0] + "/convos/status")).status_code == 200
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)  # serve() owns SIGTERM now
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 2)
    assert all(_refuses(int(url.rsplit(":", 1)[1])) for url in urls)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_serve_announces_the_toml_and_stops_when_cancelled() -> None:
    said: list[str] = []
    task = asyncio.ensure_future(
        serve(specs_for_modes(1, [Mode.BOUND]), speed=FAST, seed=0, write_config=None, announce=said.append)
    )
    await wait_for(lambda: len(said) >= 2)
    port = int(tomllib.loads(said[0])["gateways"][0]["url"].rsplit(":", 1)[1])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _refuses(port)


async def test_a_gateway_back_from_down_has_dropped_every_connection_of_before(client: httpx.AsyncClient) -> None:
    """A process that went down has no connection left: a client's keep-alive one is closed before the
    port listens again, so the client's next request opens a new one rather than dying on the old."""
    async with SimFleet([GatewaySpec("a")], speed=FAST) as fleet:
        gw = fleet.gateway("a")
        for _ in range(60):
            assert (await client.get(gw.url + "/convos/status")).status_code == 200  # a keep-alive connection
            fleet.set_mode("a", Mode.DOWN)
            fleet.set_mode("a", Mode.HEALTHY)
            await wait_for(lambda: gw.listening)
