"""A simulated pool manager: `GET /api/pool/status` listing a SimFleet's gateways as pool instances.

Shaped like xmtplabs' pool manager (`{counts, instances}`, Bearer key, 401 `Invalid or missing API
key`), so the console's pool discovery is developed and tested against it.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from typing import Any

from aiohttp import web

from .gateway import SimGateway
from .server import SimFleet

STATUSES = ("starting", "idle", "claimed", "crashed", "claiming", "dead", "sleeping")


def instance_status(gateway: SimGateway) -> str:
    if not gateway.listening:
        return "dead"
    if gateway.starting:
        return "starting"
    return "claimed" if gateway.bound else "idle"


class SimPoolManager:
    """`async with SimPoolManager(fleet, key="k") as pool:` then read `pool.url`."""

    def __init__(self, fleet: SimFleet, *, key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fleet = fleet
        self.key = key
        self.host = host
        self.port = port
        self.created_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def status(self) -> dict[str, Any]:
        counts = dict.fromkeys(STATUSES, 0)
        instances = []
        for index, gateway in enumerate(self.fleet.gateways):
            status = instance_status(gateway)
            counts[status] += 1
            instances.append(
                {
                    "id": f"inst-{index + 1:04d}",
                    "name": gateway.name,
                    "url": gateway.url,
                    "status": status,
                    "agentName": gateway.profile_name if gateway.bound else None,
                    "conversationId": gateway.bound,
                    "inviteUrl": gateway.invite_url if gateway.bound else None,
                    "instructions": gateway.instructions,
                    "createdAt": self.created_at.isoformat().replace("+00:00", "Z"),
                    "claimedAt": None,
                }
            )
        return {"counts": counts, "instances": instances}

    async def _handle(self, request: web.Request) -> web.Response:
        if request.path == "/healthz":
            return _json({"ok": True})
        if request.path != "/api/pool/status" or request.method != "GET":
            return _json({"error": "Not found"}, 404)
        if self.key is not None and request.headers.get("Authorization", "") != f"Bearer {self.key}":
            return _json({"error": "Invalid or missing API key"}, 401)
        return _json(self.status())

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimPoolManager:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _json(value: Any, status: int = 200) -> web.Response:
    # Express's res.json(): application/json with a charset.
    return web.Response(
        status=status, body=json.dumps(value).encode(), headers={"Content-Type": "application/json; charset=utf-8"}
    )
