"""Transport rules that no simulated gateway mode produces: redirects, path prefixes, TLS, headers.

Each test runs its own tiny aiohttp server on 127.0.0.1 and stops it.
"""

import pytest
from aiohttp import web

from convos_tui.api import Endpoint, GatewayClient, errors
from tests.local_http import json_answer, serve

STATUS = {"ready": True, "conversation": None, "streaming": False}


async def test_a_path_prefix_behind_a_proxy_is_kept():
    seen = []

    async def handler(request):
        seen.append(request.path)
        return json_answer(STATUS)

    async with serve(handler) as port:
        async with GatewayClient(Endpoint(f"http://127.0.0.1:{port}/gateways/7")) as client:
            await client.status()
    assert seen == ["/gateways/7/convos/status"]


async def test_redirects_are_not_followed():
    seen = []

    async def handler(request):
        seen.append(request.path)
        raise web.HTTPFound("/login")

    async with serve(handler) as port:
        async with GatewayClient(Endpoint(f"http://127.0.0.1:{port}")) as client:
            with pytest.raises(errors.UnexpectedAnswer) as caught:
                await client.status()
    assert seen == ["/convos/status"]
    assert "redirect" in caught.value.summary and "/login" in caught.value.summary


async def test_the_pool_key_is_sent_as_a_bearer_token_and_json_bodies_are_json():
    seen = []

    async def handler(request):
        seen.append((request.headers.get("Authorization"), request.content_type, await request.text()))
        return json_answer({"ok": True, "locked": True})

    async with serve(handler) as port:
        async with GatewayClient(Endpoint(f"http://127.0.0.1:{port}", token="k-123")) as client:
            await client.lock()
    assert seen == [("Bearer k-123", "application/json", "{}")]


async def test_no_authorization_header_without_a_token():
    seen = []

    async def handler(request):
        seen.append("Authorization" in request.headers)
        return json_answer(STATUS)

    async with serve(handler) as port:
        async with GatewayClient(Endpoint(f"http://127.0.0.1:{port}")) as client:
            await client.status()
    assert seen == [False]


async def test_tls_is_verified_by_default(tls):
    async def handler(request):
        return json_answer(STATUS)

    async with serve(handler, ssl_context=tls) as port:
        async with GatewayClient(Endpoint(f"https://127.0.0.1:{port}")) as client:
            with pytest.raises(errors.Unreachable) as caught:
                await client.status()
        assert "TLS certificate not trusted" in caught.value.summary
        async with GatewayClient(Endpoint(f"https://127.0.0.1:{port}", verify_tls=False)) as client:
            assert (await client.status()).ready


async def test_compressed_answers_are_refused():
    async def handler(request):
        return web.Response(body=b"\x1f\x8b", headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    async with serve(handler) as port:
        async with GatewayClient(Endpoint(f"http://127.0.0.1:{port}")) as client:
            with pytest.raises(errors.UnexpectedAnswer, match="compressed"):
                await client.status()
