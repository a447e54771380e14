"""One `GET /convos/status` over aiohttp, as the poller sends it: the session it shares, and the fetch.

Answers are classified by the same pure functions as the httpx client (api/interpret.py), so a status
means the same whichever path fetched it; transport failures become the same GatewayError kinds.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import NamedTuple

import aiohttp
import yarl

from convos_tui.api import errors, interpret
from convos_tui.api.client import USER_AGENT, connection_reason
from convos_tui.api.models import GatewayStatus


def new_session(*, concurrency: int, interval_s: float) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        limit=concurrency,
        limit_per_host=0,
        ttl_dns_cache=300,
        # Keep connections across polls; the real gateway closes idle ones after 5 s, and a
        # status poll that meets a just-closed connection is retried once (it is a safe GET).
        keepalive_timeout=max(15.0, interval_s * 2),
        enable_cleanup_closed=True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        # Each poll is bounded by its own asyncio.timeout; aiohttp's default timer per request
        # would be a second one, paid on every poll.
        timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_read=None, sock_connect=None),
        auto_decompress=False,
        trust_env=False,
        skip_auto_headers=("Accept-Encoding",),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": "identity"},
    )


def parsed_url(url: str) -> yarl.URL | str:
    """The URL parsed once (aiohttp would parse a string again on every poll); a string aiohttp cannot
    parse stays a string, to be reported at poll time."""
    try:
        return yarl.URL(url)
    except (ValueError, TypeError):
        return url


class RawAnswer(NamedTuple):
    status: int
    content_type: str | None
    body: bytes
    truncated: bool
    headers: Mapping[str, str]


async def fetch_status(
    session: aiohttp.ClientSession, url: yarl.URL | str, headers: dict[str, str], *, verify: bool, timeout_s: float
) -> GatewayStatus:
    """The gateway's status, or the GatewayError that says why not."""
    answer = await fetch_raw(session, url, headers, verify=verify, timeout_s=timeout_s)
    return interpret.parse_status(decode(answer, "status"), "status")


def decode(answer: RawAnswer, route: str) -> object:
    """The JSON value of a 200 answer, or the GatewayError it means (api/interpret.py's rules)."""
    return interpret.decode_answer(
        route,
        answer.status,
        answer.content_type,
        answer.body,
        truncated=answer.truncated,
        retry_after=answer.headers.get("Retry-After"),
        location=answer.headers.get("Location"),
    )


async def fetch_raw(
    session: aiohttp.ClientSession,
    url: yarl.URL | str,
    headers: dict[str, str],
    *,
    verify: bool,
    timeout_s: float,
    route: str = "status",
    limit: int = interpret.MAX_BODY,
) -> RawAnswer:
    """One GET's answer as it came (at most `limit` bytes of body), or the transport's GatewayError."""
    for attempt in (1, 2):
        try:
            return await _get_once(session, url, headers, verify, timeout_s, route, limit)
        except aiohttp.ServerDisconnectedError:
            # A keep-alive connection the gateway had just closed: one retry of this safe GET.
            if attempt == 2:
                raise errors.Unreachable(
                    "connection broken mid-answer: the gateway closed the connection", route=route
                ) from None
    raise AssertionError("unreachable")


async def _get_once(
    session: aiohttp.ClientSession,
    url: yarl.URL | str,
    headers: dict[str, str],
    verify: bool,
    timeout_s: float,
    route: str,
    limit: int,
) -> RawAnswer:
    try:
        async with asyncio.timeout(timeout_s):
            async with session.get(url, headers=headers, allow_redirects=False, ssl=verify) as response:
                body, truncated = await _read_capped(response, limit)
                status, answer_headers = response.status, response.headers
    except TimeoutError:
        raise errors.GatewayTimeout(f"{route} timed out after {timeout_s:g} s", route=route) from None
    except aiohttp.ServerDisconnectedError:
        raise
    except (aiohttp.ClientConnectorError, aiohttp.ClientSSLError, ssl.SSLError) as exc:
        raise errors.Unreachable(f"unreachable: {connection_reason(exc)}", detail=str(exc), route=route) from None
    except (aiohttp.ClientPayloadError, aiohttp.ClientOSError, aiohttp.ClientResponseError) as exc:
        raise errors.Unreachable(
            f"connection broken mid-answer: {connection_reason(exc)}", detail=str(exc), route=route
        ) from None
    except (aiohttp.InvalidURL, ValueError) as exc:
        raise errors.Unreachable(f"bad URL: {interpret.one_line(str(exc), 120)}", route=route) from None
    if answer_headers.get("Content-Encoding", "identity").lower() not in ("identity", ""):
        raise errors.UnexpectedAnswer("the answer is compressed although it was asked not to be", route=route)
    return RawAnswer(status, answer_headers.get("Content-Type"), body, truncated, answer_headers)


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await response.content.read(65536)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
