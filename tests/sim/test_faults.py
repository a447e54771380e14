"""Each fault mode, as a client sees it."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.sim.faults import DRIP_INTERVAL, HUGE_SIZE

from .conftest import FAST, wait_for


async def test_down_refuses_connections(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.DOWN)], speed=FAST) as fleet:
        gw = fleet.gateway("a")
        assert gw.port > 0 and not gw.listening
        with pytest.raises(httpx.ConnectError):
            await client.get(gw.url + "/convos/status")


async def test_reset_breaks_the_connection_mid_body(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.RESET)], speed=FAST) as fleet:
        url = fleet.gateway("a").url + "/convos/status"
        async with client.stream("GET", url) as resp:
            assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
            assert int(resp.headers["content-length"]) > 100
            with pytest.raises(httpx.RemoteProtocolError):
                await resp.aread()


async def test_garbage_bytes_are_neither_utf8_nor_json(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.GARBAGE, garbage_kind="bytes")], speed=FAST) as fleet:
        resp = await client.get(fleet.gateway("a").url + "/convos/status")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    with pytest.raises(UnicodeDecodeError):
        resp.content.decode("utf-8")
    with pytest.raises(ValueError):
        json.loads(resp.content)


@pytest.mark.parametrize("kind", ["json", "shape"])
async def test_garbage_json_and_shape(client: httpx.AsyncClient, kind: str) -> None:
    async with SimFleet([GatewaySpec("a", Mode.GARBAGE, garbage_kind=kind)], speed=FAST) as fleet:
        resp = await client.post(fleet.gateway("a").url + "/convos/conversation", json={})
    assert resp.status_code == 200
    text = resp.content.decode("utf-8")
    if kind == "json":
        with pytest.raises(ValueError):
            json.loads(text)
    else:
        assert json.loads(text) == {"ready": "yes", "conversation": 7}


async def test_huge_streams_two_mebibytes(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.HUGE)], speed=FAST) as fleet:
        resp = await client.get(fleet.gateway("a").url + "/convos/status")
    assert resp.status_code == 200 and "content-length" not in resp.headers
    assert len(resp.content) == HUGE_SIZE == 2 * 1024 * 1024
    assert json.loads(resp.content)["ready"] is True


async def test_drip_sends_headers_at_once_then_a_byte_every_half_second(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.DRIP)], speed=FAST) as fleet:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with client.stream("GET", fleet.gateway("a").url + "/convos/status") as resp:
            assert loop.time() - started < 0.4 and resp.status_code == 200
            total = int(resp.headers["content-length"])
            assert total * 0.5 <= 60  # ends by itself within a minute
            received = b""
            with pytest.raises(asyncio.TimeoutError):
                async with asyncio.timeout(1.2):
                    async for chunk in resp.aiter_raw():
                        received += chunk
            assert 2 <= len(received) <= 4 < total  # ~one byte per 0.5 s


async def test_slow_delays_every_answer_in_real_seconds(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.SLOW, latency=0.3)], speed=FAST) as fleet:
        loop = asyncio.get_running_loop()
        started = loop.time()
        resp = await client.get(fleet.gateway("a").url + "/convos/status")
        assert resp.json()["ready"] is True and loop.time() - started >= 0.3
        with pytest.raises(httpx.ReadTimeout):
            await client.get(fleet.gateway("a").url + "/convos/status", timeout=0.1)


async def test_no_plugin_answers_starting_then_falls_through(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.NO_PLUGIN)], speed=20) as fleet:  # 8 s window = 0.4 s
        gw = fleet.gateway("a")
        for method in ("GET", "POST"):
            resp = await client.request(method, gw.url + "/convos/status")
            assert (resp.status_code, resp.text) == (503, "Plugin runtime is starting")
            assert resp.headers["retry-after"] == "1"
            assert resp.headers["content-type"] == "text/plain; charset=utf-8"
        await wait_for(lambda: not gw.starting)
        page = await client.get(gw.url + "/convos/status")
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        assert len(page.content) == 18_429
        post = await client.post(gw.url + "/convos/conversation", json={})
        assert (post.status_code, post.text) == (404, "Not Found")


async def test_any_mode_can_have_a_start_window_and_has_it_again_after_a_restart(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", start_window=8), GatewaySpec("b")], speed=20) as fleet:
        a = fleet.gateway("a")
        resp = await client.get(a.url + "/convos/status")
        assert (resp.status_code, resp.text, resp.headers["retry-after"]) == (503, "Plugin runtime is starting", "1")
        assert not fleet.gateway("b").starting  # no window unless asked, outside no-plugin
        await wait_for(lambda: not a.starting)
        assert (await client.get(a.url + "/convos/status")).json() == {
            "ready": True,
            "conversation": None,
            "streaming": False,
        }
        await fleet.restart("a")
        assert (await client.get(a.url + "/convos/status")).status_code == 503


async def test_pool_key_mode_uses_the_default_key(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.POOL_KEY)], speed=FAST) as fleet:
        url = fleet.gateway("a").url + "/convos/status"
        assert (await client.get(url)).status_code == 401
        assert (await client.post(url)).status_code == 405
        ok = await client.get(url, headers={"Authorization": "Bearer pool-secret-789"})
        assert ok.status_code == 200


async def test_stalled_stream_flaps_then_goes_false_for_good(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.STALLED)], speed=50) as fleet:  # gives up after ~0.45 s
        url = fleet.gateway("a").url + "/convos/status"
        loop = asyncio.get_running_loop()
        started, samples = loop.time(), []
        while loop.time() - started < 0.5:
            samples.append((await client.get(url)).json()["streaming"])
            await asyncio.sleep(0.01)
        assert samples[0] is True
        assert any(a is False and b is True for a, b in zip(samples, samples[1:], strict=False)), (
            "it came back at least once"
        )
        later = [(await client.get(url)).json() for _ in range(5)]
        assert all(s["streaming"] is False and s["conversation"] is not None for s in later)


async def test_flapping_stream_comes_back(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.FLAPPING)], speed=50) as fleet:  # 15 s period = 0.3 s
        url = fleet.gateway("a").url + "/convos/status"
        samples = []
        for _ in range(60):
            samples.append((await client.get(url)).json()["streaming"])
            await asyncio.sleep(0.01)
        first_drop = samples.index(False)
        assert True in samples[first_drop:], "the stream came back after dropping"


async def test_clients_that_give_up_leave_no_error_in_the_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with SimFleet(
        [GatewaySpec("d", Mode.DRIP), GatewaySpec("h", Mode.HUGE), GatewaySpec("b", Mode.BOUND)], speed=FAST
    ) as fleet:
        for name in ("d", "h"):
            async with client.stream("GET", fleet.gateway(name).url + "/convos/status") as resp:
                async for _ in resp.aiter_raw():
                    break
        reader, writer = await asyncio.open_connection("127.0.0.1", fleet.gateway("b").port)
        writer.write(b"POST /convos/conversation/send HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n{")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await wait_for(lambda: len(fleet.gateway("b").request_log) == 1)
        await asyncio.sleep(DRIP_INTERVAL + 0.1)  # the drip's next write meets the closed connection
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_simulator_bug_answers_like_the_gateway_wrapper(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with SimFleet([GatewaySpec("a")], speed=FAST) as fleet:
        gw = fleet.gateway("a")

        async def broken(request: object) -> tuple[int, object]:
            raise RuntimeError("boom")

        monkeypatch.setattr(gw, "_status", broken)
        resp = await client.get(gw.url + "/convos/status")
    assert (resp.status_code, resp.headers["content-type"], resp.text) == (
        500,
        "text/plain; charset=utf-8",
        "Internal Server Error",
    )
    assert "boom" in caplog.text  # and the bug is not silent
