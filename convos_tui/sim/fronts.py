"""What stands in front of a managed instance's runtime: the managed runtime's pool wrapper, and the older
Railway template. Each answers its own `/pool/*` routes and hands the rest to the runtime behind it.

The pool wrapper (xmtplabs/convos-managed-agent-runtime runtime/convos-platform/pool-server/index.ts):
`GET /pool/health` without auth: 503 `{ready: false}` until the runtime answers its readiness path, then
`{ready, version, runtime}` (200 once `/convos/status` has answered); `POST /pool/provision` and
`POST /pool/restart` with the gateway token; everything else proxied, 502 `{"error":"Runtime unavailable"}`
while the runtime is down. The Railway template (xmtplabs/convos-agent-railway-template src/server.js, Express):
`GET /pool/status` with the pool key → `{ready, provisioned, conversationId, inviteUrl}`, `/setup/healthz`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from .modes import GatewaySpec
from .plugin_body import VALIDATED_BODY, PluginError, read_body
from .responses import json_response


class SimGateway(Protocol):
    """What a front reads of the simulated gateway it stands in front of (gateway.py's SimGateway)."""

    spec: GatewaySpec
    bound: str | None
    invite_url: str | None

    @property
    def starting(self) -> bool: ...
    @property
    def hermes(self) -> bool: ...
    @property
    def pool_key(self) -> str | None: ...
    async def restart(self, down_for: float, *, wait: bool = True) -> None: ...
    def plugin_route(self, path: str) -> Callable[[web.BaseRequest], Awaitable[tuple[int, Any]]]: ...


POOL_PATHS = frozenset({"/pool/health", "/pool/provision", "/pool/restart"})
RESTART_DOWN_S = 2.0  # the wrapper waits 2 s between SIGTERM and the respawn


async def pool_wrapper(gateway: SimGateway, request: web.BaseRequest, path: str) -> web.StreamResponse | None:
    """The wrapper's answer, or None when the request goes through to the runtime behind it."""
    runtime_up = not gateway.starting
    if path == "/pool/health" and request.method == "GET":
        if not runtime_up:
            return json_response(request, 503, {"ready": False})
        runtime = "hermes" if gateway.hermes else "openclaw"
        return json_response(request, 200, {"ready": True, "version": gateway.spec.runtime_version, "runtime": runtime})
    if path in ("/pool/provision", "/pool/restart") and request.method == "POST":
        key = gateway.pool_key
        if key is not None and request.headers.get("Authorization") != f"Bearer {key}":
            return json_response(request, 401, {"error": "Unauthorized"})
        if path == "/pool/restart":
            await gateway.restart(RESTART_DOWN_S)
            return json_response(request, 200, {"ok": True})
        if not runtime_up:
            return json_response(request, 503, {"error": "Runtime not ready yet"})
        return await _provision(gateway, request)
    if not runtime_up:
        return json_response(request, 502, {"error": "Runtime unavailable"})
    return None


async def _provision(gateway: SimGateway, request: web.BaseRequest) -> web.StreamResponse:
    try:
        body = await read_body(request)
    except PluginError:
        return json_response(request, 400, {"error": "Invalid JSON body"})
    body = body if isinstance(body, dict) else {}
    name, instructions, join_url = body.get("agentName"), body.get("instructions"), body.get("joinUrl")
    if not name or not isinstance(name, str):
        return json_response(request, 400, {"error": "agentName (string) is required"})
    if not instructions or not isinstance(instructions, str):
        return json_response(request, 400, {"error": "instructions (string) is required"})
    # The wrapper calls the runtime's own create or join; it retries a failure 30 times, 1 s apart
    # (simulated: once, then the same final message).
    if join_url:
        route = "/convos/join"
        request[VALIDATED_BODY] = {"inviteUrl": join_url, "profileName": name, "instructions": instructions}
        status, value = await gateway.plugin_route(route)(request)
    else:
        route = "/convos/conversation"
        request[VALIDATED_BODY] = {"name": name, "profileName": name, "instructions": instructions}
        status, value = await gateway.plugin_route(route)(request)
    if status != 200 or not isinstance(value, dict):
        what = "join" if join_url else "invite"
        text = value.get("error", "") if isinstance(value, dict) else ""
        return json_response(
            request, 500, {"error": f"Convos {what} failed after 30 attempts: {route} returned {status}: {text}"}
        )
    answer: dict[str, Any]
    if join_url and value.get("status") != "joined":
        answer = {"ok": True, "inviteUrl": join_url, "conversationId": None, "joined": False,
                  "status": "pending_acceptance"}  # fmt: skip
    elif join_url:
        answer = {"ok": True, "inviteUrl": join_url, "conversationId": value.get("conversationId"), "joined": True,
                  "status": "joined"}  # fmt: skip
    else:
        answer = {"ok": True, "inviteUrl": value.get("inviteUrl"), "conversationId": value.get("conversationId"),
                  "joined": False, "status": "created"}  # fmt: skip
    return json_response(request, 200, answer)


def railway_template(gateway: SimGateway, request: web.BaseRequest, path: str) -> web.StreamResponse | None:
    """The template's own routes (Express: `application/json; charset=utf-8`), or None to go through."""
    if path == "/setup/healthz" and request.method == "GET":
        return _express(request, 200, {"ok": True})
    if path != "/pool/status" or request.method != "GET":
        return None
    key = gateway.pool_key
    if key is None:
        return _express(request, 500, {"error": "POOL_API_KEY is not set"})
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or header[7:].strip() != key:
        return _express(request, 401, {"error": "Invalid or missing pool API key"})
    return _express(
        request,
        200,
        {
            "ready": not gateway.starting,
            "provisioned": gateway.bound is not None,
            "conversationId": gateway.bound,
            "inviteUrl": gateway.invite_url if gateway.bound is not None else None,
        },
    )


def _express(request: web.BaseRequest, status: int, value: Any) -> web.StreamResponse:
    return json_response(request, status, value, core=True)  # Express's res.json: with a charset
