"""The poller's HTTP stack (fleet/http1_session.py): what every simulated mode reads as, down to the words, on a
fresh session and on one whose connections are kept (the console's); and what a gateway can send on the wire."""

import asyncio
import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from convos_tui.api import errors, interpret
from convos_tui.fleet.health_poll import RuntimeProbe
from convos_tui.fleet.http1_session import HEAD_LIMIT, Http1Session, _Target
from convos_tui.fleet.http_answer import CLOSED_EARLY, CUT_SHORT, UNSENDABLE
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from tests.local_http import json_answer, serve

ROOT = Path(__file__).resolve().parents[2]
STATUS = {"ready": True, "conversation": None, "streaming": False}
PROTOCOL = "connection broken mid-answer: the gateway closed the connection or broke the HTTP protocol"
CLASSIC = "/convos/status: answered (classic shape)"
NEWER = "/convos/status: answered (newer shape)"
# Every mode whose answer does not change with time (a stalled or flapping gateway does, by design): what its
# poll says (the error's kind, words and HTTP status, or the status's shape and conversation), its runtime,
# and the first reason of its health.
MODES = [
    (GatewaySpec("healthy"), (("classic", None), "openclaw", CLASSIC)),
    (GatewaySpec("bound", Mode.BOUND), (("classic", "5728eec56fb597aff9ec739301fea6dd"), "openclaw", CLASSIC)),
    (GatewaySpec("offline", Mode.OFFLINE), (("classic", None), "openclaw", CLASSIC)),
    (
        GatewaySpec("pool-key", Mode.POOL_KEY),
        (
            ("Unauthorized", "unauthorized (401): the pool key is missing or wrong", 401),
            "openclaw",
            "/convos/status: failed (unauthorized (401): the pool key is missing or wrong)",
        ),
    ),
    (
        GatewaySpec("no-plugin", Mode.NO_PLUGIN),
        (
            ("Starting", "starting: Plugin runtime is starting", 503),
            "openclaw",
            "/convos/status: failed (starting: Plugin runtime is starting)",
        ),
    ),
    (GatewaySpec("newer", Mode.NEWER_SHAPE, conversation_id="ab" * 16), (("newer", "ab" * 16), "openclaw", NEWER)),
    (GatewaySpec("slow", Mode.SLOW, latency=0.05), (("classic", None), "openclaw", CLASSIC)),
    (
        GatewaySpec("down", Mode.DOWN),
        (
            ("Unreachable", "unreachable: connection refused (nothing listens on that port)", None),
            "",
            "/convos/status: failed (unreachable: connection refused (nothing listens on that port))",
        ),
    ),
    (
        GatewaySpec("reset", Mode.RESET),
        (
            ("Unreachable", f"connection broken mid-answer: {CUT_SHORT}", None),
            "",
            f"/convos/status: failed (connection broken mid-answer: {CUT_SHORT})",
        ),
    ),
    (
        GatewaySpec("garbage-bytes", Mode.GARBAGE),
        (
            ("UnexpectedAnswer", "the answer is not valid UTF-8 (byte 0)", 200),
            "",
            "/convos/status: failed (the answer is not valid UTF-8 (byte 0))",
        ),
    ),
    (
        GatewaySpec("garbage-json", Mode.GARBAGE, garbage_kind="json"),
        (
            ("UnexpectedAnswer", "the answer is not valid JSON (line 1 column 61)", 200),
            "",
            "/convos/status: failed (the answer is not valid JSON (line 1 column 61))",
        ),
    ),
    (
        GatewaySpec("garbage-shape", Mode.GARBAGE, garbage_kind="shape"),
        (
            ("UnexpectedAnswer", "answer of the wrong shape: 'ready' should be true or false, got a string", 200),
            "",
            "/convos/status: failed (answer of the wrong shape: 'ready' should be true or false, got a string)",
        ),
    ),
    (
        GatewaySpec("garbage-markup", Mode.GARBAGE, garbage_kind="markup"),
        (
            ("classic", "[bold red]x[/][link=https://example.invalid/pwn]click[/link][@click=app.quit]q[/]"),
            "openclaw",
            CLASSIC,
        ),
    ),
    (
        GatewaySpec("huge", Mode.HUGE),
        (
            ("UnexpectedAnswer", "answer larger than 1024 KiB: cut off and ignored", 200),
            "",
            "/convos/status: failed (answer larger than 1024 KiB: cut off and ignored)",
        ),
    ),
    (
        GatewaySpec("drip", Mode.DRIP),
        (
            ("GatewayTimeout", "status timed out after 0.6 s", None),
            "",
            "/convos/status: failed (status timed out after 0.6 s)",
        ),
    ),
    (GatewaySpec("hermes", Mode.HERMES), (("newer", None), "hermes", NEWER)),
    (GatewaySpec("wrapper", Mode.POOL_WRAPPER), (("newer", None), "openclaw", NEWER)),
    (GatewaySpec("wrapper-hermes", Mode.POOL_WRAPPER_HERMES), (("newer", None), "hermes", NEWER)),
    (
        GatewaySpec("railway", Mode.RAILWAY),
        (
            ("PluginMissing", "no Convos plugin: the gateway answers with a web page (HTTP 200, the Control UI)", 200),
            "openclaw",
            "/convos/status: failed (no Convos plugin: the gateway answers with a web page (HTTP 200, the Control UI))",
        ),
    ),
    (
        GatewaySpec("plugin-404", Mode.PLUGIN_404),
        (
            (
                "PluginMissing",
                "no Convos plugin: the core is ready (/readyz) but the plugin routes answer with a text 404",
                404,
            ),
            "openclaw",
            "/convos/status: failed (no Convos plugin: the gateway has no such route (HTTP 404))",
        ),
    ),
]


def said(result):
    """What a poll's verdict tells a person: the error's kind and words, or the status's shape and conversation."""
    if isinstance(result, errors.GatewayError):
        return (type(result).__name__, result.summary, result.status)
    return (result.shape, result.conversation_id)


async def verdicts(session, fleet):
    probes = {g.name: RuntimeProbe(g.url, {}, verify=True) for g in fleet.gateways}
    results = await asyncio.gather(*(probe.poll(session, 0.6) for probe in probes.values()))
    return {
        name: (said(result), probes[name].health.runtime.name, probes[name].health.reasons[0])
        for name, result in zip(probes, results, strict=True)
    }


async def test_every_mode_reads_as_it_means_on_a_new_session_and_on_kept_connections():
    async with SimFleet([spec for spec, _ in MODES], speed=1) as fleet:
        session = Http1Session()
        first = await verdicts(session, fleet)
        kept = len(session._idle)
        second = await verdicts(session, fleet)  # the console's case: the connections of the first sweep
        await session.close()
    for spec, expected in MODES:
        assert first[spec.name] == expected, spec.name
        assert second[spec.name] == expected, spec.name
    # kept: every gateway whose answer ended cleanly; not the reset, huge or dripping one, nor the one down
    assert kept == len(MODES) - 4


async def test_a_sweep_asks_a_gateways_routes_on_the_connection_its_status_came_on():
    peers = []

    async def handler(request):
        peers.append((request.path, request.transport.get_extra_info("peername")))
        if request.path == "/convos/status":  # the newer shape: its runtime is probed
            return json_answer({"conversationId": None, "inboxId": None, "pending": False, "clean": True})
        return json_answer({"ready": True}) if request.path == "/readyz" else web.Response(status=404)

    async with serve(handler) as port:
        session = Http1Session()
        probe = RuntimeProbe(f"http://127.0.0.1:{port}", {}, verify=True)
        await probe.poll(session, 2.0)
        await probe.poll(session, 2.0)  # a later poll: the same connection still
        await session.close()
    assert [path for path, _ in peers] == ["/convos/status", "/readyz", "/pool/health", "/convos/status"]
    assert len({peer for _, peer in peers}) == 1


def get(session, url, headers=None, **kw):
    kw = {"verify": True, "timeout_s": 2, "route": "status", "limit": interpret.MAX_BODY} | kw
    return session.get(url, headers or {}, **kw)


async def test_a_kept_connection_the_gateway_closed_is_asked_again_on_a_new_one():
    async def handler(request):
        return json_answer(STATUS)

    async with serve(handler, keepalive_timeout=0.05) as port:  # it closes an idle connection at once
        session = Http1Session()
        url = f"http://127.0.0.1:{port}/convos/status"
        first = await get(session, url)
        await asyncio.sleep(0.3)
        second = await get(session, url)
        await session.close()
    assert first.status == second.status == 200 and json.loads(second.body) == STATUS


async def test_headers_are_sent_and_a_token_http_cannot_carry_is_refused_without_its_value():
    seen = []

    async def handler(request):
        seen.append((request.headers.get("Authorization"), request.headers.get("Accept-Encoding")))
        return json_answer(STATUS)

    async with serve(handler) as port:
        url = f"http://127.0.0.1:{port}/convos/status"
        session = Http1Session()
        await get(session, url, {"Authorization": "Bearer k-1"}, limit=99)
        for headers in ({"Authorization": "Bearer se\r\ncret"}, {"Authori zation: cret": "x"}):
            with pytest.raises(errors.Unreachable) as caught:
                await get(session, url, headers, limit=99)
            assert caught.value.summary == UNSENDABLE and "cret" not in str(caught.value.detail)
        await session.close()
    assert seen == [("Bearer k-1", "identity")]  # the broken ones never left


async def test_a_compressed_answer_is_refused():
    async def handler(request):
        return web.Response(body=b"\x1f\x8b", headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    async with serve(handler) as port:
        session = Http1Session()
        with pytest.raises(errors.UnexpectedAnswer, match="compressed although it was asked not to be"):
            await get(session, f"http://127.0.0.1:{port}/convos/status", limit=99)
        await session.close()


async def test_tls_is_verified_unless_the_gateway_says_not_to(tls):
    async def handler(request):
        return json_answer(STATUS)

    async with serve(handler, ssl_context=tls) as port:
        url = f"https://127.0.0.1:{port}/convos/status"
        session = Http1Session()
        with pytest.raises(errors.Unreachable) as caught:
            await get(session, url, limit=99)
        assert "TLS certificate not trusted" in caught.value.summary
        answer = await get(session, url, verify=False, limit=99)
        again = await get(session, url, verify=False, limit=99)  # on the kept TLS connection
        with pytest.raises(errors.Unreachable):  # a kept unverified connection is never one a verified poll takes
            await get(session, url, limit=99)
        await session.close()
    assert answer.status == again.status == 200


async def test_a_url_that_cannot_be_polled_says_so():
    session = Http1Session()
    for url in ("http://127.0.0.1:99999/convos/status", "ftp://host/convos/status", "http:///convos/status"):
        with pytest.raises(errors.Unreachable, match="bad URL"):
            await get(session, session.parse(url), limit=99)
    for url in ("http://127.0.0.1:9/convos/sta tus", "http://127.0.0.1:9/convos/st\x00tus"):
        with pytest.raises(errors.Unreachable) as caught:
            await get(session, session.parse(url), limit=99)
        assert caught.value.summary == UNSENDABLE


def test_the_host_header_names_ipv6_and_international_hosts_as_http_wants():
    def host_of(url):
        sent = _Target(url).head
        return next(line for line in sent.split(b"\r\n") if line.lower().startswith(b"host:"))

    assert host_of("http://[::1]:8080/convos/status") == b"Host: [::1]:8080"
    assert host_of("http://bücher.example/convos/status") == b"Host: xn--bcher-kva.example"
    assert host_of("http://127.0.0.1:80/convos/status") == b"Host: 127.0.0.1"
    assert _Target("http://127.0.0.1:1/convos/st%C3%A4tus?x=ü").head.startswith(b"GET /convos/st%C3%A4tus?x=%C3%BC ")


# -- what a gateway can send on the wire: a raw server, one answer per connection -------------------------


@contextlib.asynccontextmanager
async def raw(*answers: bytes, close: bool = True):
    """A server whose n-th connection answers each request with `answers[n]` (or the last), closing after the
    first if `close`; yields (port, the connections it took)."""
    taken = []

    async def handle(reader, writer):
        answer = answers[min(len(taken), len(answers) - 1)]
        taken.append(writer)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(answer)
                await writer.drain()
                if close:
                    break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], taken
    finally:
        server.close()
        await server.wait_closed()


OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        (OK_HEAD + b"\r\n" + b'{"ready": true}', b'{"ready": true}'),  # no length: the answer ends with the connection
        (OK_HEAD + b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"rea\r\na\r\ndy": true}\r\n0\r\n\r\n', b'{"ready": true}'),
        (b"HTTP/1.1 100 Continue\r\n\r\n" + OK_HEAD + b"Content-Length: 2\r\n\r\n{}", b"{}"),  # 1xx skipped
    ],
    ids=["until-close", "chunked", "informational-first"],
)
async def test_answers_framed_every_way_http_allows_are_read_whole(wire, body):
    async with raw(wire) as (port, _):
        session = Http1Session()
        answer = await get(session, f"http://127.0.0.1:{port}/convos/status")
        await session.close()
    assert (answer.status, answer.body, answer.truncated, answer.content_type) == (200, body, False, "application/json")


@pytest.mark.parametrize(
    ("wire", "summary"),
    [
        (OK_HEAD + b'Content-Length: 50\r\n\r\n{"ready"', f"connection broken mid-answer: {CUT_SHORT}"),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", PROTOCOL),  # not HTTP at all
        (b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * (HEAD_LIMIT + 10), PROTOCOL),  # a head that never ends
        (b"", f"connection broken mid-answer: {CLOSED_EARLY}"),  # closed without a word, twice
    ],
    ids=["cut-short", "not-http", "endless-head", "closed-at-once"],
)
async def test_what_breaks_http_is_named_and_the_connection_is_not_kept(wire, summary):
    async with raw(wire, wire) as (port, taken):
        session = Http1Session()
        with pytest.raises(errors.Unreachable) as caught:
            await get(session, f"http://127.0.0.1:{port}/convos/status")
        assert session._idle == {}
        await session.close()
    assert caught.value.summary == summary
    assert len(taken) == (2 if wire == b"" else 1)  # only a connection closed before the answer is asked again


async def test_connection_close_and_an_answer_cut_at_the_limit_are_not_kept_but_a_clean_one_is():
    plain = OK_HEAD + b"Content-Length: 2\r\n\r\n{}"
    closing = OK_HEAD + b"Connection: close\r\nContent-Length: 2\r\n\r\n{}"
    long = OK_HEAD + b"Content-Length: 300\r\n\r\n" + b" " * 300
    async with raw(plain, plain, close=False) as (port, taken):
        session = Http1Session()
        url = f"http://127.0.0.1:{port}/convos/status"
        await get(session, url)
        await get(session, url)
        await session.close()
    assert len(taken) == 1
    for wire in (closing, long):
        async with raw(wire, wire, close=False) as (port, taken):
            session = Http1Session()
            url = f"http://127.0.0.1:{port}/convos/status"
            first = await get(session, url, limit=100)
            await get(session, url, limit=100)
            await session.close()
        assert len(taken) == 2
    assert first.truncated and len(first.body) == 100


async def test_a_connection_idle_past_its_time_is_closed_by_the_console():
    closed = asyncio.Event()

    async def handle(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK_HEAD + b"Content-Length: 2\r\n\r\n{}")
        await reader.read()  # b"" once the client closes
        closed.set()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    session = Http1Session(keep_idle_s=0.1)
    await get(session, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/convos/status")
    assert len(session._idle) == 1
    await asyncio.wait_for(closed.wait(), 5)
    assert session._idle == {}
    await session.close()
    server.close()
    await server.wait_closed()


def reset(writer):
    """Close with a reset (RST), not a FIN: as a gateway that crashed or dropped the connection does."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_an_answer_nobody_asked_for_in_the_same_read_is_never_taken_for_the_next():
    stale = b"HTTP/1.1 302 Found\r\nLocation: http://evil.example/\r\nRetry-After: 999\r\nContent-Length: 0\r\n\r\n"
    plain = OK_HEAD + b"Content-Length: 2\r\n\r\n{}"
    async with raw(plain + stale, plain, close=False) as (port, taken):
        session = Http1Session()
        url = f"http://127.0.0.1:{port}/convos/status"
        first = await get(session, url)
        second = await get(session, url)
        await session.close()
    assert (first.status, first.location, first.retry_after, first.body) == (200, None, None, b"{}")
    assert (second.status, second.location, second.body) == (200, None, b"{}")
    assert len(taken) == 2  # the first connection was not kept


async def test_endless_trailers_and_a_head_of_many_headers_in_one_read_are_cut_off_at_the_limit():
    chunked = OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: " + b"a" * (2 * HEAD_LIMIT)
    many = OK_HEAD + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 60) for i in range(2000)) + b"Content-Length: 2\r\n\r\n{}"
    for wire in (chunked, many):
        async with raw(wire, close=False) as (port, _):  # the connection stays open: only the limit ends it
            session = Http1Session()
            with pytest.raises(errors.Unreachable) as caught:
                await get(session, f"http://127.0.0.1:{port}/convos/status", timeout_s=30)
            await session.close()
        assert caught.value.summary == PROTOCOL


async def test_a_reset_in_an_answer_that_ends_at_close_is_no_whole_answer():
    async def handle(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK_HEAD + b'\r\n{"ready": tr')
        await writer.drain()
        await asyncio.sleep(0.1)
        reset(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    session = Http1Session()
    with pytest.raises(errors.Unreachable) as caught:
        await get(session, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/convos/status")
    await session.close()
    server.close()
    await server.wait_closed()
    assert caught.value.summary == f"connection broken mid-answer: {CUT_SHORT}"


async def test_a_kept_connection_reset_as_the_next_request_arrives_is_asked_again_on_a_new_one():
    connections = []

    async def handle(reader, writer):
        connections.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK_HEAD + b"Content-Length: 2\r\n\r\n{}")
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")  # the next request on the kept connection: reset, unanswered
            reset(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    session = Http1Session()
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/convos/status"
    await get(session, url)
    again = await get(session, url)
    await session.close()
    server.close()
    await server.wait_closed()
    assert again.status == 200 and len(connections) == 2


MUTE_TLS_GATEWAY = """
import socket, sys, threading
sys.path.insert(0, sys.argv[1])
from tests.local_http import tls_server_context
context, held = tls_server_context(), []
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
def take(connection):  # the handshake and the request, then never a byte again, nor a close_notify
    try:
        held.append(context.wrap_socket(connection, server_side=True)); held[-1].recv(65536)
    except OSError:
        pass
while True:
    threading.Thread(target=take, args=(listener.accept()[0],), daemon=True).start()
"""


def open_files():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts this process's files in /proc")
async def test_a_tls_gateway_that_never_answers_holds_no_connection_after_its_poll_timed_out():
    gateway = subprocess.Popen([sys.executable, "-c", MUTE_TLS_GATEWAY, str(ROOT)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(await asyncio.to_thread(gateway.stdout.readline))
        session = Http1Session()
        before = open_files()
        for _ in range(10):
            with pytest.raises(errors.GatewayTimeout):
                await get(session, f"https://127.0.0.1:{port}/convos/status", verify=False, timeout_s=0.3)
        await asyncio.sleep(0.2)
        after = open_files()
        await session.close()
    finally:
        gateway.kill()
        gateway.wait()
    assert after <= before + 1  # not 10 sockets held for asyncio's 30 s wait for the TLS close
