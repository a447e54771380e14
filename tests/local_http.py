"""A tiny aiohttp server on 127.0.0.1 for transport tests (one handler for every path), and a TLS identity."""

import contextlib
import json
import ssl

import trustme
from aiohttp import web


@contextlib.asynccontextmanager
async def serve(handler, ssl_context=None, keepalive_timeout=75.0):
    """Serve `handler` on a free port (yielded) until the block ends."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, keepalive_timeout=keepalive_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]
    finally:
        await runner.cleanup()


def json_answer(value, status=200):
    return web.Response(status=status, body=json.dumps(value).encode(), headers={"Content-Type": "application/json"})


def tls_server_context():
    """A server context with a certificate for 127.0.0.1 from a CA that no client trusts."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    return server_context
