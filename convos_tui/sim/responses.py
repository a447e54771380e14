"""HTTP answers shaped like the ones a Node.js OpenClaw gateway sends.

Plugin answers carry exactly `Content-Type: application/json` (no charset: aiohttp's json_response would add
one), `Connection: keep-alive` and `Keep-Alive: timeout=5` (Node's defaults), and no `Server` header. Core
answers (/tools/invoke, /health) carry `application/json; charset=utf-8`. Everything that is not a route
falls through to the Control UI, whose answers differ between the 2026.2.x core and newer ones.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import hdrs, web

from .jsjson import stringify

__all__ = [
    "NodeResponse",
    "NodeStreamResponse",
    "base_headers",
    "control_ui_html",
    "is_modern_core",
    "json_response",
    "text_response",
]

JSON = "application/json"
JSON_UTF8 = "application/json; charset=utf-8"
TEXT_UTF8 = "text/plain; charset=utf-8"
HTML_UTF8 = "text/html; charset=utf-8"


class NodeResponse(web.Response):
    """A Response without aiohttp's `Server` header (Node sends none)."""

    async def _write_headers(self) -> None:  # aiohttp hook (pinned < 4): last chance to edit headers
        self._headers.popall(hdrs.SERVER, None)
        await super()._write_headers()


class NodeStreamResponse(web.StreamResponse):
    async def _write_headers(self) -> None:
        self._headers.popall(hdrs.SERVER, None)
        await super()._write_headers()


def base_headers(request: web.BaseRequest, content_type: str) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    if request.keep_alive:
        headers.update({"Connection": "keep-alive", "Keep-Alive": "timeout=5"})
    else:
        headers["Connection"] = "close"
    return headers


def _body(request: web.BaseRequest, data: bytes) -> bytes:
    # Node writes no body and no Content-Length for HEAD; an empty body makes aiohttp do the same.
    return b"" if request.method == "HEAD" else data


def json_response(
    request: web.BaseRequest, status: int, value: Any, *, core: bool = False, extra: dict[str, str] | None = None
) -> NodeResponse:
    """`JSON.stringify(value)` with the plugin's content type (or the core's, with a charset)."""
    headers = base_headers(request, JSON_UTF8 if core else JSON)
    headers.update(extra or {})
    return NodeResponse(status=status, body=_body(request, stringify(value).encode("utf-8")), headers=headers)


def text_response(
    request: web.BaseRequest, status: int, text: str, extra: dict[str, str] | None = None
) -> NodeResponse:
    headers = base_headers(request, TEXT_UTF8)
    headers.update(extra or {})
    return NodeResponse(status=status, body=_body(request, text.encode("utf-8")), headers=headers)


def is_modern_core(version: str) -> bool:
    """Cores from 2026.3 on: /health exists, unknown POSTs get 404 and answers carry security headers."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if not match:
        return True
    return (int(match.group(1)), int(match.group(2))) >= (2026, 3)


# ---- the Control UI -------------------------------------------------------------------------------------

# The Control UI's index.html. Its size is what the transcript measured for each core (841 bytes on 2026.2.3,
# 692 on 2026.2.17, 18,429 on 2026.9.6); the content is a plausible SPA shell padded to that size.
_INDEX_SIZES = {"2026.2.3": 841, "2026.2.17": 692}
_LEGACY_INDEX_SIZE = 692
_MODERN_INDEX_SIZE = 18_429


def _index_page(size: int, *, modern: bool) -> bytes:
    head = (
        '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n'
        '    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
        + ('    <meta name="color-scheme" content="dark light" />\n' if modern else "")
        + "    <title>OpenClaw Control</title>\n"
        '    <script type="module" crossorigin src="./assets/index-Dm4c9WqZ.js"></script>\n'
        '    <link rel="stylesheet" crossorigin href="./assets/index-C1vTa8Ke.css">\n'
        "    <style>\n"
    )
    tail = "    </style>\n  </head>\n  <body>\n    <openclaw-app></openclaw-app>\n  </body>\n</html>\n"
    rule = "      .boot-splash{display:flex;align-items:center;justify-content:center;min-height:100vh}\n"
    page = head
    while len(page) + len(rule) + len(tail) <= size:
        page += rule
    page += " " * max(0, size - len(page) - len(tail)) + tail
    return page.encode("utf-8")


def _index_for(core_version: str) -> bytes:
    if is_modern_core(core_version):
        size = _MODERN_INDEX_SIZE
    else:
        size = next((n for v, n in _INDEX_SIZES.items() if core_version.startswith(v)), _LEGACY_INDEX_SIZE)
    return _INDEX_CACHE.setdefault(core_version, _index_page(size, modern=is_modern_core(core_version)))


_INDEX_CACHE: dict[str, bytes] = {}

# Security headers of the newer core (findings §8 names them; the values are inferred).
MODERN_HTML_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
    "script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "connect-src 'self' ws: wss:",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
MODERN_TEXT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def control_ui_html(request: web.BaseRequest, core_version: str) -> NodeResponse:
    """GET/HEAD on any path no route claims: the SPA's index.html."""
    modern = is_modern_core(core_version)
    headers = base_headers(request, HTML_UTF8)
    if modern:
        headers.update(MODERN_HTML_HEADERS)
    else:
        headers.update({"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
    return NodeResponse(status=200, body=_body(request, _index_for(core_version)), headers=headers)


def control_ui_fallthrough(request: web.BaseRequest, core_version: str) -> NodeResponse:
    """What the gateway answers on a path no route claims."""
    if request.method in ("GET", "HEAD"):
        return control_ui_html(request, core_version)
    if is_modern_core(core_version):
        return text_response(request, 404, "Not Found", MODERN_TEXT_HEADERS)
    return text_response(request, 405, "Method Not Allowed")
