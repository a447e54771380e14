"""Broken answers a console must survive: reset mid-body, garbage, a huge body, a body that drips.

They stand in for a gateway behind a broken proxy or a misbehaving process. Each answers every request the
same way, whatever the path or method, because that is what a console's status poll would meet.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from .jsjson import stringify
from .responses import JSON, NodeResponse, NodeStreamResponse, base_headers

__all__ = ["DRIP_INTERVAL", "HUGE_SIZE", "drip", "garbage", "huge", "reset"]

HUGE_SIZE = 2 * 1024 * 1024
DRIP_INTERVAL = 0.5  # real seconds between two body bytes
DRIP_MAX_SECONDS = 60.0

_GARBAGE = {
    # Invalid UTF-8 (a lone continuation byte, a truncated sequence, an encoded surrogate) and invalid JSON.
    "bytes": b'\xff\xfe{"ready":\x80tru\xc3(, "conversation": {"id": "\xed\xa0\x80\xf0\x9f"}',
    # Valid UTF-8, cut off in the middle of a value.
    "json": b'{"ready":true,"conversation":{"id":"5e2c0b8a7f","streaming":tru',
    # Valid JSON of the wrong shape and types.
    "shape": b'{"ready":"yes","conversation":7}',
}
_STATUS_BODY = stringify({"ready": True, "conversation": None, "streaming": False}).encode()


async def reset(request: web.BaseRequest) -> web.StreamResponse:
    """Promise a body, send part of it, then abort the TCP connection (the client sees a reset)."""
    resp = NodeStreamResponse(status=200, headers=base_headers(request, JSON))
    resp.content_length = len(_STATUS_BODY) + 512
    await resp.prepare(request)
    await resp.write(_STATUS_BODY[: len(_STATUS_BODY) // 2])
    if request.transport is not None:
        request.transport.abort()
    return resp


def garbage(request: web.BaseRequest, kind: str) -> web.Response:
    body = b"" if request.method == "HEAD" else _GARBAGE[kind]
    return NodeResponse(status=200, body=body, headers=base_headers(request, JSON))


async def huge(request: web.BaseRequest) -> web.StreamResponse:
    """A valid status padded to exactly 2 MiB, streamed in chunks without a Content-Length."""
    head = b'{"ready":true,"conversation":null,"streaming":false,"padding":"'
    tail = b'"}'
    resp = NodeStreamResponse(status=200, headers=base_headers(request, JSON))
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    if request.method == "HEAD":
        return resp
    with contextlib.suppress(ConnectionError):  # the client may stop reading: that is what it is for
        await resp.write(head)
        left = HUGE_SIZE - len(head) - len(tail)
        chunk = b"x" * 65536
        while left > 0:
            await resp.write(chunk[:left])
            left -= min(left, len(chunk))
        await resp.write(tail)
    return resp


async def drip(request: web.BaseRequest) -> web.StreamResponse:
    """Headers at once, then one byte of a valid status every DRIP_INTERVAL seconds (26 s in all)."""
    body = _STATUS_BODY[: int(DRIP_MAX_SECONDS / DRIP_INTERVAL)]
    resp = NodeStreamResponse(status=200, headers=base_headers(request, JSON))
    resp.content_length = len(body)
    await resp.prepare(request)
    if request.method == "HEAD":
        return resp
    with contextlib.suppress(ConnectionError):  # a client that gives up closes the connection
        for i in range(len(body)):
            await resp.write(body[i : i + 1])
            if i < len(body) - 1:
                await asyncio.sleep(DRIP_INTERVAL)
    return resp
