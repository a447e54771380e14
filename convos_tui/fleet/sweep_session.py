"""A single sweep's HTTP stack: HTTP/1.1 by h11 over asyncio's streams, for a poll that runs once and ends.

A one-shot `status` (a cron job, a monitoring check) pays for its imports on every call. aiohttp's import,
with the two TLS contexts it builds on the way (loading the system's certificates), took 0.15-0.25 s of a
0.3-0.4 s run over 100 gateways; h11 takes about 0.01 s, and a TLS context is made only for an https
gateway. The answers mean the same as aiohttp's (fleet/http_answer.py): the same limits on size, time and
encoding, the same errors in the same words. A running polling loop (the console's) stays on aiohttp, whose C parser
costs less per poll (fleet/aiohttp_session.py). Each sweep of `status --watch` is a sweep like any other.

One connection per gateway, kept for the sweep: a gateway of another runtime is asked its other routes on
the connection its status came on.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import SplitResult, quote, urlsplit

import h11

from convos_tui.api import errors
from convos_tui.api.transport import USER_AGENT, connection_reason
from convos_tui.fleet.http_answer import (
    CLOSED_EARLY,
    CUT_SHORT,
    UNSENDABLE,
    RawAnswer,
    answer_of,
    bad_url,
    broken,
    timed_out,
    unreachable,
)

READ_SIZE = 65536
_BASE_HEADERS = (
    (b"User-Agent", USER_AGENT.encode()),
    (b"Accept", b"application/json"),
    (b"Accept-Encoding", b"identity"),
)


class _Closed(Exception):
    """The gateway closed the connection before the answer began: a kept connection it had just closed (retried
    once, as aiohttp's ServerDisconnectedError is), or a new one it closed without answering."""


class _Connection:
    __slots__ = ("began", "http", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.http = h11.Connection(h11.CLIENT)
        self.began = False  # the answer's head has come: a failure now cuts its body short

    def close(self) -> None:
        self.writer.close()  # not awaited: nothing is left to send, and the sweep's end must not wait for it


class SweepSession:
    """Connections for one sweep (see fleet/http_answer.py's HttpSession); `close` ends them all."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int, bool], _Connection] = {}
        self._tls: dict[bool, ssl.SSLContext] = {}

    def parse(self, url: str) -> SplitResult | str:
        """The URL split once; one that cannot be stays a string, to be reported at poll time."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
        except ValueError:
            return url
        return parts

    async def close(self) -> None:
        idle, self._idle = self._idle, {}
        for connection in idle.values():
            connection.close()

    async def get(
        self, url: object, headers: dict[str, str], *, verify: bool, timeout_s: float, route: str, limit: int
    ) -> RawAnswer:
        parts = url if isinstance(url, SplitResult) else self.parse(str(url))
        if isinstance(parts, str) or parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_url(str(url), route)
        try:
            async with asyncio.timeout(timeout_s):
                for attempt in (1, 2):
                    try:
                        return await self._get_once(parts, headers, verify, route, limit)
                    except _Closed:
                        if attempt == 2:
                            raise broken(CLOSED_EARLY, route) from None
        except TimeoutError:
            raise timed_out(route, timeout_s) from None
        raise AssertionError("unreachable")

    async def _get_once(
        self, parts: SplitResult, headers: dict[str, str], verify: bool, route: str, limit: int
    ) -> RawAnswer:
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        host = parts.hostname or ""
        key = (parts.scheme, host, port, verify)
        connection = self._idle.pop(key, None)
        if connection is None:
            try:
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=self._tls_context(verify) if tls else None, limit=READ_SIZE
                )
            except OSError as exc:  # refused, no route, DNS, TLS (ssl.SSLError is one): before anything was sent
                raise unreachable(exc, route) from None
            connection = _Connection(reader, writer)
        try:
            answer = await self._exchange(connection, parts, host, port, headers, route, limit)
        except (_Closed, errors.GatewayError, asyncio.CancelledError, TimeoutError):
            connection.close()
            raise
        except (OSError, h11.ProtocolError) as exc:  # ssl.SSLError is an OSError
            connection.close()
            if connection.began:
                reason = CUT_SHORT
            else:
                reason = connection_reason(exc, protocol_errors=(h11.ProtocolError,))
            raise broken(reason, route, str(exc)) from None
        http = connection.http
        if answer.truncated or http.our_state is not h11.DONE or http.their_state is not h11.DONE:
            connection.close()
        else:
            http.start_next_cycle()
            self._idle[key] = connection  # for the next route of this gateway, in this sweep
        return answer

    async def _exchange(
        self,
        connection: _Connection,
        parts: SplitResult,
        host: str,
        port: int,
        headers: dict[str, str],
        route: str,
        limit: int,
    ) -> RawAnswer:
        http = connection.http
        connection.began = False
        connection.writer.write(_request(http, parts, host, port, headers, route))
        await connection.writer.drain()
        response: h11.Response | None = None
        chunks: list[bytes] = []
        size = 0
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                data = await connection.reader.read(READ_SIZE)
                if not data and response is None and http.their_state is h11.SEND_RESPONSE:
                    raise _Closed
                http.receive_data(data)  # b"": the end of the stream (h11 says whether the answer was whole)
            elif isinstance(event, h11.Response):
                response, connection.began = event, True
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
                size += len(event.data)
                if size > limit:
                    return _answer(response, b"".join(chunks)[:limit], True, route)
            elif isinstance(event, h11.EndOfMessage):
                return _answer(response, b"".join(chunks), False, route)
            elif isinstance(event, h11.ConnectionClosed):
                raise _Closed
            # an InformationalResponse (1xx) is skipped: the final answer follows it

    def _tls_context(self, verify: bool) -> ssl.SSLContext:
        """Made for the first https gateway, not before: loading the system's certificates is most of what
        aiohttp's import costs."""
        context = self._tls.get(verify)
        if context is None:
            context = ssl.create_default_context()
            if not verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._tls[verify] = context
        return context


def _answer(response: h11.Response | None, body: bytes, truncated: bool, route: str) -> RawAnswer:
    if response is None:  # h11 gives Data only after a Response
        raise h11.RemoteProtocolError("an answer without a status line")
    found: dict[bytes, str] = {}
    for name, value in response.headers:  # h11 gives the names in lower case
        if name in (b"content-type", b"content-encoding", b"retry-after", b"location") and name not in found:
            found[name] = value.decode("latin-1")
    get = found.get
    return answer_of(
        response.status_code,
        get(b"content-type"),
        get(b"content-encoding"),
        body,
        truncated,
        get(b"retry-after"),
        get(b"location"),
        route,
    )


def _request(
    http: h11.Connection, parts: SplitResult, host: str, port: int, headers: dict[str, str], route: str
) -> bytes:
    """The GET's bytes, or Unreachable for what HTTP cannot carry (never naming a header's value: a token)."""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii():
        target = quote(target, safe="/?&=%:@!$'()*+,;~-._[]")  # as aiohttp sends it
    try:
        name = host if host.isascii() else host.encode("idna").decode("ascii")
        name = f"[{name}]" if ":" in name else name  # an IPv6 literal
        authority = name if port == (443 if parts.scheme == "https" else 80) else f"{name}:{port}"
        # A value goes as UTF-8, as aiohttp sends it; h11 refuses a line break or a NUL in it.
        fields = [
            (b"Host", authority.encode()),
            *_BASE_HEADERS,
            *((k.encode(), v.encode()) for k, v in headers.items()),
        ]
        request = h11.Request(method="GET", target=target, headers=fields)
        return http.send(request) + (http.send(h11.EndOfMessage()) or b"")
    except (UnicodeError, h11.LocalProtocolError):
        raise errors.Unreachable(UNSENDABLE, route=route) from None
