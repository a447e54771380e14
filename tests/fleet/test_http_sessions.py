"""The poller's two HTTP stacks mean the same: aiohttp for a running loop, h11 for a single sweep.

A one-shot `status` polls with h11 (fleet/sweep_session.py) and the console with aiohttp
(fleet/aiohttp_session.py): a gateway must read the same whichever polled it, down to the words.
"""

import asyncio
import json

import pytest
from aiohttp import web

from convos_tui.api import errors, interpret
from convos_tui.fleet.aiohttp_session import AiohttpSession
from convos_tui.fleet.health_poll import RuntimeProbe
from convos_tui.fleet.http_answer import CUT_SHORT, UNSENDABLE
from convos_tui.fleet.sweep_session import SweepSession, _request
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from tests.local_http import json_answer, serve, tls_server_context

STATUS = {"ready": True, "conversation": None, "streaming": False}
# Every mode whose answer does not change with time (a stalled or flapping gateway does, by design).
MODES = [
    GatewaySpec("healthy"),
    GatewaySpec("bound", Mode.BOUND),
    GatewaySpec("offline", Mode.OFFLINE),
    GatewaySpec("pool-key", Mode.POOL_KEY),
    GatewaySpec("no-plugin", Mode.NO_PLUGIN),
    GatewaySpec("newer", Mode.NEWER_SHAPE, conversation_id="ab" * 16),
    GatewaySpec("slow", Mode.SLOW, latency=0.05),
    GatewaySpec("down", Mode.DOWN),
    GatewaySpec("reset", Mode.RESET),
    GatewaySpec("garbage-bytes", Mode.GARBAGE),
    GatewaySpec("garbage-json", Mode.GARBAGE, garbage_kind="json"),
    GatewaySpec("garbage-shape", Mode.GARBAGE, garbage_kind="shape"),
    GatewaySpec("garbage-markup", Mode.GARBAGE, garbage_kind="markup"),
    GatewaySpec("huge", Mode.HUGE),
    GatewaySpec("drip", Mode.DRIP),
    GatewaySpec("hermes", Mode.HERMES),
    GatewaySpec("wrapper", Mode.POOL_WRAPPER),
    GatewaySpec("wrapper-hermes", Mode.POOL_WRAPPER_HERMES),
    GatewaySpec("railway", Mode.RAILWAY),
    GatewaySpec("plugin-404", Mode.PLUGIN_404),
]


def said(result):
    """What a poll's verdict tells a person: the error's kind and words, or the status itself."""
    if isinstance(result, errors.GatewayError):
        return (type(result).__name__, result.summary, result.status)
    return result


async def verdicts(session, fleet):
    probes = {g.name: RuntimeProbe(g.url, {}, verify=True) for g in fleet.gateways}
    results = await asyncio.gather(*(probe.poll(session, 0.6) for probe in probes.values()))
    await session.close()
    return {name: (said(result), probes[name].health) for name, result in zip(probes, results, strict=True)}


async def test_every_mode_reads_the_same_on_both_stacks():
    async with SimFleet(MODES, speed=1) as fleet:
        h11_said = await verdicts(SweepSession(), fleet)
        aiohttp_said = await verdicts(AiohttpSession(concurrency=50, interval_s=5), fleet)
    for spec in MODES:
        assert h11_said[spec.name] == aiohttp_said[spec.name], spec.name
    # and they are what each mode means (not both wrong alike)
    assert h11_said["healthy"][0].ready and h11_said["huge"][0][1].startswith("answer larger than")
    assert h11_said["drip"][0][0] == "GatewayTimeout" and h11_said["down"][0][0] == "Unreachable"
    assert h11_said["reset"][0][1] == f"connection broken mid-answer: {CUT_SHORT}"


async def test_a_sweep_asks_a_gateways_routes_on_the_connection_its_status_came_on():
    peers = []

    async def handler(request):
        peers.append((request.path, request.transport.get_extra_info("peername")))
        if request.path == "/convos/status":  # the newer shape: its runtime is probed
            return json_answer({"conversationId": None, "inboxId": None, "pending": False, "clean": True})
        return json_answer({"ready": True}) if request.path == "/readyz" else web.Response(status=404)

    async with serve(handler) as port:
        session = SweepSession()
        probe = RuntimeProbe(f"http://127.0.0.1:{port}", {}, verify=True)
        await probe.poll(session, 2.0)
        await session.close()
    assert [path for path, _ in peers] == ["/convos/status", "/readyz", "/pool/health"]
    assert len({peer for _, peer in peers}) == 1


async def test_a_kept_connection_the_gateway_closed_is_asked_again_on_a_new_one():
    async def handler(request):
        return json_answer(STATUS)

    async with serve(handler, keepalive_timeout=0.05) as port:  # it closes an idle connection at once
        session = SweepSession()
        url = f"http://127.0.0.1:{port}/convos/status"
        first = await session.get(url, {}, verify=True, timeout_s=2, route="status", limit=interpret.MAX_BODY)
        await asyncio.sleep(0.3)
        second = await session.get(url, {}, verify=True, timeout_s=2, route="status", limit=interpret.MAX_BODY)
        await session.close()
    assert first.status == second.status == 200 and json.loads(second.body) == STATUS


async def test_headers_are_sent_and_a_token_http_cannot_carry_is_refused_without_its_value():
    seen = []

    async def handler(request):
        seen.append((request.headers.get("Authorization"), request.headers.get("Accept-Encoding")))
        return json_answer(STATUS)

    async with serve(handler) as port:
        url = f"http://127.0.0.1:{port}/convos/status"
        for session in (SweepSession(), AiohttpSession(concurrency=2, interval_s=5)):
            await session.get(url, {"Authorization": "Bearer k-1"}, verify=True, timeout_s=2, route="status", limit=99)
            with pytest.raises(errors.Unreachable) as caught:
                await session.get(
                    url, {"Authorization": "Bearer se\r\ncret"}, verify=True, timeout_s=2, route="status", limit=99
                )
            await session.close()
            assert caught.value.summary == UNSENDABLE and "cret" not in str(caught.value.detail)
    assert seen == [("Bearer k-1", "identity")] * 2  # the broken one never left


async def test_a_compressed_answer_is_refused_by_both_stacks():
    async def handler(request):
        return web.Response(body=b"\x1f\x8b", headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    async with serve(handler) as port:
        url = f"http://127.0.0.1:{port}/convos/status"
        for session in (SweepSession(), AiohttpSession(concurrency=2, interval_s=5)):
            with pytest.raises(errors.UnexpectedAnswer, match="compressed although it was asked not to be"):
                await session.get(url, {}, verify=True, timeout_s=2, route="status", limit=99)
            await session.close()


@pytest.fixture(scope="module")
def tls():
    return tls_server_context()


async def test_tls_is_verified_unless_the_gateway_says_not_to(tls):
    async def handler(request):
        return json_answer(STATUS)

    async with serve(handler, ssl_context=tls) as port:
        url = f"https://127.0.0.1:{port}/convos/status"
        session = SweepSession()
        with pytest.raises(errors.Unreachable) as caught:
            await session.get(url, {}, verify=True, timeout_s=2, route="status", limit=99)
        assert "TLS certificate not trusted" in caught.value.summary
        answer = await session.get(url, {}, verify=False, timeout_s=2, route="status", limit=99)
        await session.close()
    assert answer.status == 200


async def test_a_url_that_cannot_be_polled_says_so():
    session = SweepSession()
    for url in ("http://127.0.0.1:99999/convos/status", "ftp://host/convos/status", "http:///convos/status"):
        with pytest.raises(errors.Unreachable, match="bad URL"):
            await session.get(session.parse(url), {}, verify=True, timeout_s=1, route="status", limit=99)


def test_the_host_header_names_ipv6_and_international_hosts_as_http_wants():
    import h11

    def host_of(url):
        session = SweepSession()
        parts = session.parse(url)
        sent = _request(h11.Connection(h11.CLIENT), parts, parts.hostname, parts.port or 80, {}, "status")
        return next(line for line in sent.split(b"\r\n") if line.lower().startswith(b"host:"))

    assert host_of("http://[::1]:8080/convos/status") == b"Host: [::1]:8080"
    assert host_of("http://bücher.example/convos/status") == b"Host: xn--bcher-kva.example"
    assert host_of("http://127.0.0.1:80/convos/status") == b"Host: 127.0.0.1"
