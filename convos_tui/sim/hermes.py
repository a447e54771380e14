"""The managed runtime's Hermes: the same Convos routes as the OpenClaw plugin, answered the FastAPI way.

From xmtplabs/convos-managed-agent-runtime runtime/hermes/src/server/server.py (2026-04-11): routing first
(404 `{"detail":"Not Found"}`, 405 `{"detail":"Method Not Allowed"}`), then the bearer check (401), then
pydantic's body validation (422 with a list of errors, before any "No active conversation" check), then the
route. Errors are `{"detail": str}`; the 409 text is shorter; send answers `{"ok": true}`; `GET /health`
answers `{"ok": true}` without auth. Pydantic is lax: the strings "true"/"false" pass as booleans.
The routes themselves are the plugin's (plugin.py), given the body as validated and answered in this shape.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .plugin_body import MAX_BODY_BYTES, VALIDATED_BODY, PluginError

_Route = Callable[[web.BaseRequest], Awaitable[tuple[int, Any]]]

# Field → type of each route's pydantic model; a name ending in "?" has a default. The routes without a
# body parameter (status, explode) validate nothing.
MODELS: dict[str, dict[str, type]] = {
    "/convos/conversation": {
        "name?": str, "profileName?": str, "profileImage?": str, "description?": str, "imageUrl?": str,
        "permissions?": str, "accountId?": str, "instructions?": str, "env?": str,
    },
    "/convos/join": {
        "inviteUrl": str, "profileName?": str, "profileImage?": str, "metadata?": dict, "accountId?": str,
        "instructions?": str, "env?": str,
    },
    "/convos/conversation/send": {"message": str},
    "/convos/rename": {"name": str},
    "/convos/lock": {"unlock?": bool},
    "/convos/update-metadata": {"metadata": dict},
    "/convos/notify": {"text": str},
    "/convos/re-attest": {"attestation": str, "attestation_ts": str, "attestation_kid": str},
    "/convos/reset": {"skipGreeting?": bool},
}  # fmt: skip
# Routes whose body has a default (`body: ResetBody = ResetBody()`): no body at all is fine.
OPTIONAL_BODY = frozenset({"/convos/reset"})
ALREADY_BOUND = "Instance already bound to a conversation."
_TRUE = ("1", "on", "t", "true", "y", "yes")
_FALSE = ("0", "off", "f", "false", "n", "no")


def response(status: int, value: Any) -> web.Response:
    """What uvicorn sends for a FastAPI JSONResponse: compact JSON, `application/json`, its Server header."""
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return web.Response(status=status, body=body, headers={"Content-Type": "application/json", "Server": "uvicorn"})


def health() -> web.Response:
    return response(200, {"ok": True})


def _error(kind: str, loc: list[Any], msg: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


def _field(name: str, expected: type, value: Any) -> tuple[Any, dict[str, Any] | None]:
    """The value as pydantic's lax mode takes it, or its validation error."""
    loc = ["body", name]
    if expected is str:
        if isinstance(value, str):
            return value, None
        return None, _error("string_type", loc, "Input should be a valid string", value)
    if expected is bool:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, int) and value in (0, 1):
            return bool(value), None
        if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE, None
        return None, _error("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", value)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return value, None  # dict[str, str]
    if isinstance(value, dict):
        bad = next(k for k, v in value.items() if not isinstance(v, str))
        return None, _error("string_type", [*loc, bad], "Input should be a valid string", value[bad])
    return None, _error("dict_type", loc, "Input should be a valid dictionary", value)


def validate(path: str, raw: bytes) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The body as the route's model holds it, or pydantic's errors (what FastAPI answers 422 with)."""
    model = MODELS[path]
    if not raw.strip():
        if path in OPTIONAL_BODY:
            return {}, []
        return None, [_error("missing", ["body"], "Field required", None)]
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        position, reason = getattr(exc, "pos", 0), getattr(exc, "msg", str(exc))
        invalid = {**_error("json_invalid", ["body", position], "JSON decode error", {}), "ctx": {"error": reason}}
        return None, [invalid]
    if not isinstance(value, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        return None, [_error("model_attributes_type", ["body"], msg, value)]
    body: dict[str, Any] = {}
    problems = []
    for key, expected in model.items():
        name = key.rstrip("?")
        if name not in value or (value[name] is None and key.endswith("?")):
            if not key.endswith("?"):
                problems.append(_error("missing", ["body", name], "Field required", value))
            continue
        taken, problem = _field(name, expected, value[name])
        if problem is not None:
            problems.append(problem)
        else:
            body[name] = taken
    return (None, problems) if problems else (body, [])


async def answer(
    request: web.BaseRequest, path: str, route: tuple[str, _Route] | None, key: str | None
) -> web.Response:
    """One request to a Hermes instance, after its /health (see the module's docstring for the order)."""
    if route is None:
        return response(404, {"detail": "Not Found"})
    method, handler = route
    if request.method != method:
        return response(405, {"detail": "Method Not Allowed"})
    if key is not None and request.headers.get("Authorization") != f"Bearer {key}":
        return response(401, {"detail": "Unauthorized"})
    if path in MODELS:
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        body, problems = validate(path, raw)
        if problems:
            return response(422, {"detail": problems})
        request[VALIDATED_BODY] = body
    try:
        status, value = await handler(request)
    except PluginError as exc:
        status, value = 500, {"error": str(exc)}
    if path == "/convos/notify" and status == 503:
        status = 400  # unbound: the plugin answers 503, Hermes 400 "No active conversation"
    return response(status, _in_hermes_words(path, status, value))


def _in_hermes_words(path: str, status: int, value: Any) -> Any:
    """The plugin's answer as Hermes words it."""
    if status == 409:
        return {"detail": ALREADY_BOUND}
    if isinstance(value, dict) and status >= 400:
        return {"detail": value.get("error", "Internal Server Error")}
    if path == "/convos/conversation/send":
        return {"ok": True}  # Hermes sends through its adapter: no CLI output to pass on
    if path == "/convos/join" and isinstance(value, dict) and value.get("status") != "joined":
        return {"status": "pending_acceptance"}
    return value
