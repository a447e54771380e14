"""The gateway core's own routes, which it answers before any plugin route: `POST /tools/invoke`, and on
newer cores the health probes (`/health`, `/healthz`, `/readyz`)."""

from __future__ import annotations

from aiohttp import web

from .plugin_body import PluginError, read_body, str_prop
from .responses import json_response


async def tools_invoke(request: web.BaseRequest, *, gateway_token: str, modern: bool) -> web.StreamResponse:
    extra = {"X-Content-Type-Options": "nosniff"} if modern else {}
    if request.headers.get("Authorization") != f"Bearer {gateway_token}":
        return json_response(
            request, 401, {"error": {"message": "Unauthorized", "type": "unauthorized"}}, core=True, extra=extra
        )
    try:
        tool = str_prop(await read_body(request), "tool")
    except PluginError as exc:
        # Inferred: the core's own body errors; only the 401 and 404 answers were observed.
        return json_response(
            request,
            400,
            {"ok": False, "error": {"type": "invalid_request", "message": str(exc)}},
            core=True,
            extra=extra,
        )
    if not tool:
        return json_response(
            request,
            400,
            {"ok": False, "error": {"type": "invalid_request", "message": "tool is required"}},
            core=True,
            extra=extra,
        )
    return json_response(
        request,
        404,
        {"ok": False, "error": {"type": "not_found", "message": f"Tool not available: {tool}"}},
        core=True,
        extra=extra,
    )


def health(request: web.BaseRequest, path: str, *, starting: bool, uptime_ms: int) -> web.StreamResponse:
    extra = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if path != "/readyz":
        return json_response(request, 200, {"ok": True, "status": "live"}, core=True, extra=extra)
    # Inferred shape beyond the observed keys {ready, failing, uptimeMs, eventLoop}.
    body = {
        "ready": not starting,
        "failing": ["plugins"] if starting else [],
        "uptimeMs": uptime_ms,
        "eventLoop": {"delayMs": 0, "utilization": 0},
    }
    return json_response(request, 503 if starting else 200, body, core=True, extra=extra)
