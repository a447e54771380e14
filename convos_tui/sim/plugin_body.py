"""How the plugin reads a request's body: its 1 MiB cap, blank as {}, JSON.parse with V8's messages, and
JavaScript's property reads (null throws, a non-object has no property)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .jsjson import JsonSyntaxError, js_trim, parse, property_read_error

MAX_BODY_BYTES = 1024 * 1024


class _Undefined:
    """JavaScript's `undefined`: a property the body does not have."""


_UNDEF = _Undefined()


class PluginError(Exception):
    """Caught by the route's try-block: answered as `{"error": message}`."""


class CliFailure(Exception):
    """The simulated CLI exited non-zero with this message on stderr."""


def prop(body: Any, key: str) -> Any:
    """`body[key]` in JavaScript: null throws, non-objects (arrays, scalars) have no such property."""
    if body is None:
        raise PluginError(property_read_error(key))
    if isinstance(body, dict):
        return body.get(key, _UNDEF)
    return _UNDEF


def str_prop(body: Any, key: str) -> str | None:
    value = prop(body, key)
    return value if isinstance(value, str) else None


# Where a runtime that validates a body before its route runs (Hermes) leaves the body it validated.
VALIDATED_BODY: web.RequestKey[Any] = web.RequestKey("sim.validated_body", object)


async def read_body(request: web.BaseRequest) -> Any:
    """The plugin's readJsonBody: 1 MiB cap, blank means {}, JSON.parse otherwise."""
    if VALIDATED_BODY in request:
        return request[VALIDATED_BODY]
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_any():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise PluginError("Request body too large")
        chunks.append(chunk)
    raw = b"".join(chunks).decode("utf-8", "replace")
    if not js_trim(raw):
        return {}
    try:
        return parse(raw)
    except JsonSyntaxError as exc:
        raise PluginError(str(exc)) from None
