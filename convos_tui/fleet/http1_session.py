"""The poller's HTTP/1.1: asyncio's transports and httptools' parser (llhttp, Node's), connections kept per gateway.

Each poll is a GET whose request line and fixed headers are made once per gateway (a gateway's own headers,
its token, are checked and added per poll), written on a kept connection, and answered through parser
callbacks; nothing else is built per poll. Measured against aiohttp's client (benchmarks/poll.py), that
is less work per poll than aiohttp's request and response objects, and its import costs about 4 ms where
aiohttp's (with the TLS contexts it builds) cost 0.15-0.25 s of a one-shot run. One session serves a running
loop (the console's, across polls) and a single sweep (a one-shot `status`, closed after it) alike.

What a gateway sends is bounded as anywhere else in the poller (fleet/http_answer.py): at most `limit` bytes of
body, HEAD_LIMIT of what is not body (head, chunk lines, trailers), the poll's own timeout for the whole answer,
and a compressed answer refused. A connection is kept only after an answer that ended cleanly and alone (bytes
after it that nobody asked for end the connection); a kept one the gateway closed or reset as the request went
out is asked again once on a new one (a safe GET). Connections are aborted, never left to a TLS shutdown that a
hostile gateway could hold for 30 s.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from urllib.parse import SplitResult, quote, urlsplit

import httptools

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

HEAD_LIMIT = 65536  # what one answer may send that is not body (its head, chunk lines, trailers), in bytes
KEEP_IDLE_S = 15.0  # a connection idle longer is closed by us (the real gateway closes its own after 5 s)
_WANTED = (b"content-type", b"content-encoding", b"retry-after", b"location", b"content-length",
           b"transfer-encoding")  # fmt: skip
_BASE = b"User-Agent: " + USER_AGENT.encode() + b"\r\nAccept: application/json\r\nAccept-Encoding: identity\r\n"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header's name (RFC 9110)
_NOT_IN_A_HEADER = ("\r", "\n", "\0")
_PROTOCOL_ERRORS = (httptools.HttpParserError, httptools.HttpParserUpgrade)


class _Closed(Exception):
    """The gateway closed the connection before its answer began."""


class _Target:
    """A gateway URL as a poll needs it, made once: where to connect and the GET's first lines."""

    __slots__ = ("head", "host", "key", "port", "tls")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number or out of range
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(url)
        self.tls, self.host = parts.scheme == "https", parts.hostname
        self.port = port or (443 if self.tls else 80)
        self.key = (self.tls, self.host, self.port)
        self.head = _head(parts, self.host, self.port, self.tls)


def _head(parts: SplitResult, host: str, port: int, tls: bool) -> bytes | None:
    """The GET's request line and fixed headers; None where HTTP cannot carry the URL (reported at poll time,
    in UNSENDABLE's words)."""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii():
        target = quote(target, safe="/?&=%:@!$'()*+,;~-._[]")  # percent-encoded UTF-8, as browsers send it
    try:
        name = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    name = f"[{name}]" if ":" in name else name  # an IPv6 literal
    authority = name if port == (443 if tls else 80) else f"{name}:{port}"
    if any(c in target + authority for c in " \r\n\0"):
        return None
    return f"GET {target} HTTP/1.1\r\nHost: {authority}\r\n".encode() + _BASE


class _Connection(asyncio.Protocol):
    """One connection to a gateway, and the answer it is reading (the parser calls the on_ methods)."""

    def __init__(self, key: tuple[bool, str, int, bool], pool: Http1Session) -> None:
        self.key, self.pool = key, pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.lost = False
        self.idle_since = 0.0
        self._new_answer(None, 0, reused=False)

    def _new_answer(self, waiter: asyncio.Future[RawAnswer] | None, limit: int, *, reused: bool) -> None:
        self.waiter, self.limit, self.reused = waiter, limit, reused
        self.began = False  # the head is complete: a failure now cuts the answer short
        self.complete = False
        self.status = 0
        self.keep_alive = False
        self.informational = False
        self.fed = 0  # bytes read for this answer: a head, the body, chunk lines, trailers
        self.head_size = 0
        self.chunk_lines = 0
        self.headers: dict[bytes, bytes] = {}
        self.chunks: list[bytes] = []
        self.size = 0

    # -- asyncio's side --------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():  # nothing was asked: the gateway broke the protocol
            self._close()
            return
        self.fed += len(data)
        try:
            self.parser.feed_data(data)
        except _PROTOCOL_ERRORS as exc:
            self._fail(exc)
            return
        # What is not body (the head, chunk lines, trailers: httptools holds a line until it ends) is bounded,
        # as a gateway could send it for ever.
        if self.fed - self.size > HEAD_LIMIT + 32 * self.chunk_lines:
            self._fail(httptools.HttpParserError(f"more than {HEAD_LIMIT} bytes of head, chunk lines or trailers"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.pool._forget(self)
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if not self.began:
            # A kept connection the gateway closed or reset as the request went out is asked again (_Closed).
            waiter.set_exception(_Closed() if exc is None or (self.reused and not self.fed) else exc)
        elif exc is None and self._ends_at_close():  # no length given: the answer's end is the connection's
            self._finish(False)
        else:
            waiter.set_exception(exc or ConnectionResetError("closed before the answer's end"))

    # -- the parser's side -----------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.complete:  # a second answer in the read that ended ours: nobody asked for it
            raise httptools.HttpParserError("an answer nobody asked for")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value)
        if self.head_size > HEAD_LIMIT:  # all in one read, which the check after each read cannot stop
            raise httptools.HttpParserError(f"more than {HEAD_LIMIT} bytes of head")
        name = name.lower()
        if name in _WANTED and name not in self.headers:
            self.headers[name] = value

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        self.informational = 100 <= status < 200  # 100 Continue and the like: the final answer follows
        if self.informational:
            self.headers = {}
        else:
            self.began = True
            self.status = status
            self.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once the answer is complete

    def on_chunk_header(self) -> None:
        self.chunk_lines += 1

    def on_body(self, body: bytes) -> None:
        if self.waiter is None or self.waiter.done():  # cut at the limit: the rest of the read is dropped
            return
        self.chunks.append(body)
        self.size += len(body)
        if self.size > self.limit:
            self._finish(True)
            self._close()  # the rest is never read: the connection cannot be asked again

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            return
        self.complete = True
        self._finish(False)

    # -- the answer ------------------------------------------------------------------------------------
    def _ends_at_close(self) -> bool:
        return b"content-length" not in self.headers and b"transfer-encoding" not in self.headers

    def _finish(self, truncated: bool) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        body = b"".join(self.chunks)
        waiter.set_result(
            RawAnswer(self.status, None, body[: self.limit] if truncated else body, truncated, None, None)  # fmt: skip
        )

    def _fail(self, exc: BaseException) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        self._close()

    def _close(self) -> None:
        self.lost = True
        if self.transport is not None:
            # Not close(): over TLS it waits up to 30 s for a close_notify a hostile gateway never sends.
            self.transport.abort()

    async def ask(self, request: bytes, limit: int, *, reused: bool) -> tuple[RawAnswer, dict[bytes, bytes], bool]:
        """The answer to `request`, its headers, and whether the connection can be asked again."""
        waiter: asyncio.Future[RawAnswer] = asyncio.get_running_loop().create_future()
        self._new_answer(waiter, limit, reused=reused)
        assert self.transport is not None
        self.transport.write(request)
        try:
            answer = await waiter
        except BaseException:
            self._close()
            raise
        finally:
            self.waiter = None
        reusable = self.keep_alive and not (answer.truncated or self.lost)
        return answer, self.headers, reusable


class Http1Session:
    """Kept connections, one idle at most per gateway address (see fleet/http_answer.py's HttpSession)."""

    def __init__(self, *, keep_idle_s: float = KEEP_IDLE_S) -> None:
        self.keep_idle_s = keep_idle_s
        self._idle: dict[tuple[bool, str, int, bool], _Connection] = {}
        self._tls: dict[bool, ssl.SSLContext] = {}
        self._pruning: asyncio.TimerHandle | None = None
        self._closed = False

    def parse(self, url: str) -> _Target | str:
        """The URL made ready once; one that cannot be stays a string, to be reported at poll time."""
        try:
            return _Target(url)
        except ValueError:
            return url

    async def close(self) -> None:
        self._closed = True
        if self._pruning is not None:
            self._pruning.cancel()
            self._pruning = None
        idle, self._idle = self._idle, {}
        for connection in idle.values():
            connection._close()

    async def get(
        self, url: object, headers: dict[str, str], *, verify: bool, timeout_s: float, route: str, limit: int
    ) -> RawAnswer:
        target = url if isinstance(url, _Target) else self.parse(str(url))
        if isinstance(target, str):
            raise bad_url(target, route)
        request = _request(target, headers, route)
        try:
            async with asyncio.timeout(timeout_s):
                for attempt in (1, 2):
                    try:
                        return await self._get_once(target, verify, request, route, limit)
                    except _Closed:
                        if attempt == 2:
                            raise broken(CLOSED_EARLY, route) from None
        except TimeoutError:
            raise timed_out(route, timeout_s) from None
        raise AssertionError("unreachable")

    async def _get_once(self, target: _Target, verify: bool, request: bytes, route: str, limit: int) -> RawAnswer:
        key = (*target.key, verify)
        connection = self._idle.pop(key, None)
        reused = connection is not None and not connection.lost
        if connection is None or not reused:
            connection = await self._connect(target, verify, route)
        try:
            answer, headers, reusable = await connection.ask(request, limit, reused=reused)
        except (_Closed, asyncio.CancelledError, TimeoutError):
            raise
        except (OSError, *_PROTOCOL_ERRORS) as exc:  # ssl.SSLError is an OSError
            if connection.began and not isinstance(exc, _PROTOCOL_ERRORS):  # the body's bytes stopped coming
                reason = CUT_SHORT
            else:
                reason = connection_reason(exc, protocol_errors=_PROTOCOL_ERRORS)
            raise broken(reason, route, str(exc)) from None
        if reusable:
            self._keep(key, connection)
        else:
            connection._close()
        get = headers.get
        return answer_of(
            answer.status,
            _text(get(b"content-type")),
            _text(get(b"content-encoding")),
            answer.body,
            answer.truncated,
            _text(get(b"retry-after")),
            _text(get(b"location")),
            route,
        )

    async def _connect(self, target: _Target, verify: bool, route: str) -> _Connection:
        loop = asyncio.get_running_loop()
        connection = _Connection((*target.key, verify), self)
        try:
            await loop.create_connection(
                lambda: connection, target.host, target.port, ssl=self._tls_context(verify) if target.tls else None
            )
        except OSError as exc:  # refused, no route, DNS, TLS (ssl.SSLError is one): before anything was sent
            raise unreachable(exc, route) from None
        return connection

    def _keep(self, key: tuple[bool, str, int, bool], connection: _Connection) -> None:
        if self._closed:  # a poll that ended after close(): nothing is kept any more
            connection._close()
            return
        loop = asyncio.get_running_loop()
        connection.idle_since = loop.time()
        extra = self._idle.get(key)
        self._idle[key] = connection
        if extra is not None and extra is not connection:  # two polls of one address at once: keep one
            extra._close()
        if self._pruning is None:
            self._pruning = loop.call_later(self.keep_idle_s, self._prune)

    def _prune(self) -> None:
        """Close the connections idle for longer than keep_idle_s (a gateway gone from the fleet keeps none)."""
        self._pruning = None
        old = asyncio.get_running_loop().time() - self.keep_idle_s
        for key, connection in list(self._idle.items()):
            if connection.idle_since <= old:
                del self._idle[key]
                connection._close()
        if self._idle:
            self._pruning = asyncio.get_running_loop().call_later(self.keep_idle_s, self._prune)

    def _forget(self, connection: _Connection) -> None:
        """A connection closed while idle (the gateway's idle timeout) is no longer offered."""
        if self._idle.get(connection.key) is connection:
            del self._idle[connection.key]

    def _tls_context(self, verify: bool) -> ssl.SSLContext:
        """Made for the first https gateway, not before (loading the system's certificates takes time)."""
        context = self._tls.get(verify)
        if context is None:
            context = ssl.create_default_context()
            if not verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._tls[verify] = context
        return context


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _request(target: _Target, headers: dict[str, str], route: str) -> bytes:
    """The GET's bytes, or Unreachable for what HTTP cannot carry (never naming a header's value: a token)."""
    if target.head is None:
        raise errors.Unreachable(UNSENDABLE, route=route)
    if not headers:
        return target.head + b"\r\n"
    lines = [target.head]
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name) or any(c in value for c in _NOT_IN_A_HEADER):
            raise errors.Unreachable(UNSENDABLE, route=route)
        lines.append(f"{name}: {value}\r\n".encode())  # a value goes as UTF-8, as httpx sends it
    lines.append(b"\r\n")
    return b"".join(lines)
