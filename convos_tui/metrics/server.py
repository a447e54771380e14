"""`/metrics` over aiohttp (already the simulator's and the browser console's server), in the caller's event loop or a thread of its own.

The registry's collectors run at each scrape, in the server's loop; they only read what the poller keeps.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from convos_tui.loop_thread import LoopThread
from convos_tui.metrics.access import Credentials

TOKEN_COOKIE = "convos_tui_token"


def guard(credentials: Credentials, *, browser: bool = False) -> Middleware:
    """An aiohttp middleware that refuses (401) a request without the credentials. With `browser`, a right
    `?token=` also sets a cookie, so that the page's own requests (its scripts, its websocket) get in too."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.query.get("token") or (request.cookies.get(TOKEN_COOKIE) if browser else None)
        if not credentials.allows(request.headers.get("Authorization"), token=given):
            return web.Response(
                status=401,
                text="401: credentials needed (README: Monitoring and the browser console)\n",
                headers={"WWW-Authenticate": credentials.challenge()},
            )
        response = await handler(request)
        if browser and credentials.token is not None and request.query.get("token"):
            response.set_cookie(TOKEN_COOKIE, credentials.token, httponly=True, samesite="Strict")
        return response

    return check


class MetricsServer:
    """`await server.start()` … `await server.stop()`; or `start_thread()` … `stop_thread()` beside a console."""

    def __init__(
        self, registry: CollectorRegistry, host: str, port: int, credentials: Credentials | None = None
    ) -> None:
        self.registry = registry
        self.host = host
        self.port = port  # 0: any free port; the one bound once started
        self.credentials = credentials or Credentials()
        self._runner: web.AppRunner | None = None
        self._thread: LoopThread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    async def _metrics(self, request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        # In a thread: at 5,000 gateways the build and its encoding take a second or more (benchmarks/metrics.py),
        # which `serve`'s polls, in this loop, must not wait for.
        body = await asyncio.to_thread(encoder, self.registry)
        response = web.Response(body=body, headers={"Content-Type": content_type})
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response.enable_compression()  # Prometheus asks for it: 11 MB at 5,000 gateways, 0.4 MB gzipped
        return response

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text="convos-tui: the fleet's metrics are at /metrics\n")

    async def start(self) -> None:
        """Listen (OSError when the address is taken or cannot be bound)."""
        app = web.Application(middlewares=[guard(self.credentials)] if self.credentials.required else [])
        app.add_routes([web.get("/metrics", self._metrics), web.get("/", self._index)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]  # the one the OS chose, for port 0

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def start_thread(self) -> None:
        """Serve from a thread of its own (beside the console, whose loop draws)."""
        self._thread = LoopThread("convos-metrics")
        try:
            self._thread.call(self.start(), timeout=10)
        except BaseException:
            self._thread.close()
            self._thread = None
            raise

    def stop_thread(self, timeout_s: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            thread.call(asyncio.wait_for(self.stop(), timeout_s), timeout=timeout_s + 1)
        finally:
            thread.close(timeout_s)
