"""One gateway's routes over real HTTP: check order, body handling, answers and headers."""

from __future__ import annotations

import asyncio
import base64
import json
import zlib

import httpx
import pytest

from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.sim.gateway import MAX_BODY_BYTES

from .conftest import FAST, wait_for

UNBOUND = {"ready": True, "conversation": None, "streaming": False}
CONFLICT = {"error": "Instance already bound to a conversation. Terminate process and provision a new one."}


async def test_plugin_answers_have_node_headers(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a")], speed=FAST) as fleet:
        resp = await client.get(fleet.gateway("a").url + "/convos/status")
    assert resp.status_code == 200 and resp.json() == UNBOUND
    assert resp.headers["content-type"] == "application/json"  # no charset
    assert resp.headers["connection"] == "keep-alive" and resp.headers["keep-alive"] == "timeout=5"
    assert "server" not in resp.headers
    assert resp.content == b'{"ready":true,"conversation":null,"streaming":false}'


async def test_create_then_everything_a_bound_gateway_does(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a")], speed=FAST, seed=5) as fleet:
        gw = fleet.gateway("a")
        resp = await client.post(
            gw.url + "/convos/conversation",
            json={"name": "Ops room", "profileName": "Helper", "instructions": "Be brief."},
        )
        created = resp.json()
        assert resp.status_code == 200 and list(created) == ["conversationId", "inviteUrl", "inviteSlug"]
        assert len(created["conversationId"]) == 32 and int(created["conversationId"], 16) >= 0
        assert created["inviteUrl"] == f"https://dev.convos.org/v2?i={created['inviteSlug']}"
        assert gw.instructions == "Be brief." and gw.identities_created == 1
        assert gw.config["ownerConversationId"] == created["conversationId"]
        status = (await client.get(gw.url + "/convos/status")).json()
        assert status == {"ready": True, "conversation": {"id": created["conversationId"]}, "streaming": True}

        assert (await client.post(gw.url + "/convos/conversation", json={})).json() == CONFLICT
        sent = (await client.post(gw.url + "/convos/conversation/send", json={"message": "hello\nworld"})).json()
        assert sent["success"] is True and sent["conversationId"] == created["conversationId"]
        assert sent["text"] == "hello\nworld" and len(sent["messageId"]) == 64
        assert gw.sent_messages == ["hello\nworld"]

        assert (await client.post(gw.url + "/convos/rename", json={"name": "Bot"})).json() == {"ok": True}
        assert gw.profile_name == "Bot" and gw.group_name == "Ops room"  # rename never renames the group

        assert (await client.post(gw.url + "/convos/lock")).json() == {"ok": True, "locked": True}
        assert (await client.post(gw.url + "/convos/lock", json={"unlock": "true"})).json()["locked"] is True
        assert (await client.post(gw.url + "/convos/lock", json={"unlock": True})).json() == {
            "ok": True,
            "locked": False,
        }
        assert (await client.post(gw.url + "/convos/explode", content=b"{broken")).json() == {
            "ok": True,
            "exploded": True,
        }
        assert (await client.get(gw.url + "/convos/status")).json() == UNBOUND
        assert (await client.post(gw.url + "/convos/lock")).json() == {"error": "No active conversation"}
        assert gw.config["ownerConversationId"] == created["conversationId"]  # explode leaves the config
        assert [entry[:2] for entry in gw.request_log][:2] == [
            ("POST", "/convos/conversation"),
            ("GET", "/convos/status"),
        ]


@pytest.mark.parametrize(
    ("method", "path", "auth", "body", "status", "answer"),
    [
        # 405 comes before 401
        ("GET", "/convos/conversation", None, None, 405, {"error": "Method Not Allowed"}),
        ("DELETE", "/convos/status", None, None, 405, {"error": "Method Not Allowed"}),
        ("OPTIONS", "/convos/join", None, None, 405, {"error": "Method Not Allowed"}),
        ("GET", "/convos/status", None, None, 401, {"error": "Unauthorized"}),
        ("GET", "/convos/status", "Bearer test-gw-token-123", None, 401, {"error": "Unauthorized"}),
        ("GET", "/convos/status", "bearer k3y", None, 401, {"error": "Unauthorized"}),
        ("GET", "/convos/status", "Bearer k3y", None, 200, UNBOUND),
        # unbound: 400 before the (broken) body is read
        ("POST", "/convos/rename", "Bearer k3y", b"{broken", 400, {"error": "No active conversation"}),
        ("POST", "/convos/join", "Bearer k3y", b"   \n", 400, {"error": "inviteUrl (string) is required"}),
        ("POST", "/convos/join", "Bearer k3y", b'{"inviteUrl":""}', 400, {"error": "inviteUrl (string) is required"}),
        ("POST", "/convos/join", "Bearer k3y", b'{"inviteUrl":7}', 400, {"error": "inviteUrl (string) is required"}),
        ("POST", "/convos/join", "Bearer k3y", b'"text"', 400, {"error": "inviteUrl (string) is required"}),
        (
            "POST",
            "/convos/join",
            "Bearer k3y",
            b"null",
            500,
            {"error": "Cannot read properties of null (reading 'inviteUrl')"},
        ),
        (
            "POST",
            "/convos/conversation",
            "Bearer k3y",
            b"null",
            500,
            {"error": "Cannot read properties of null (reading 'name')"},
        ),
        (
            "POST",
            "/convos/conversation",
            "Bearer k3y",
            b'{"name":"x"',
            500,
            {"error": "Expected ',' or '}' after property value in JSON at position 11 (line 1 column 12)"},
        ),
        ("POST", "/convos/setup", "Bearer k3y", b"[", 500, {"error": "Unexpected end of JSON input"}),
        (
            "POST",
            "/convos/setup/complete",
            "Bearer k3y",
            b"{broken",
            400,
            {"error": "No active setup to complete. Run convos.setup first."},
        ),
        ("POST", "/convos/setup/cancel", "Bearer k3y", None, 200, {"cancelled": False}),
        (
            "GET",
            "/convos/setup/status",
            "Bearer k3y",
            None,
            200,
            {"active": False, "joined": False, "joinerInboxId": None},
        ),
    ],
)
async def test_check_order(
    client: httpx.AsyncClient, method: str, path: str, auth: str | None, body: bytes | None, status: int, answer: object
) -> None:
    async with SimFleet([GatewaySpec("a", pool_key="k3y")], speed=FAST) as fleet:
        headers = {"Authorization": auth} if auth else {}
        resp = await client.request(method, fleet.gateway("a").url + path, content=body, headers=headers)
    assert (resp.status_code, resp.json()) == (status, answer)
    assert resp.headers["content-type"] == "application/json"


async def test_bound_gateway_checks_409_before_reading_the_body(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.BOUND)], speed=FAST) as fleet:
        url = fleet.gateway("a").url
        for path in ("/convos/conversation", "/convos/join"):
            resp = await client.post(url + path, content=b"{broken")
            assert (resp.status_code, resp.json()) == (409, CONFLICT)
        resp = await client.post(url + "/convos/conversation/send", json={"message": 42})
        assert (resp.status_code, resp.json()) == (400, {"error": "message (string) is required"})
        resp = await client.post(url + "/convos/conversation/send", content=b'{"message":')
        assert (resp.status_code, resp.json()) == (500, {"error": "Unexpected end of JSON input"})


async def test_one_mebibyte_is_the_body_limit(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.BOUND)], speed=FAST) as fleet:
        url = fleet.gateway("a").url + "/convos/conversation/send"
        prefix, suffix = b'{"message":"', b'"}'
        exact = prefix + b"x" * (MAX_BODY_BYTES - len(prefix) - len(suffix)) + suffix
        assert len(exact) == 1_048_576
        ok = await client.post(url, content=exact)
        assert ok.status_code == 200 and len(ok.json()["text"]) == MAX_BODY_BYTES - 14
        too_large = await client.post(url, content=exact + b" ")
        assert (too_large.status_code, too_large.json()) == (500, {"error": "Request body too large"})


async def test_head_is_405_with_an_empty_body_and_unknown_paths_fall_through(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a")], speed=FAST) as fleet:
        url = fleet.gateway("a").url
        head = await client.head(url + "/convos/status")
        assert head.status_code == 405 and head.content == b""
        assert head.headers["content-type"] == "application/json" and "content-length" not in head.headers
        for path in ("/convos/status/", "/convos/nope", "/", "/health"):
            page = await client.get(url + path)
            assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
            assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-cache"
        resp = await client.post(url + "/convos/nope", json={})
        assert (resp.status_code, resp.headers["content-type"], resp.text) == (
            405,
            "text/plain; charset=utf-8",
            "Method Not Allowed",
        )
        query = await client.get(url + "/convos/status?x=1")
        assert query.json() == UNBOUND
        dotted = await client.get(url + "/convos/x/../status")
        assert dotted.json() == UNBOUND


async def test_core_routes(client: httpx.AsyncClient) -> None:
    async with SimFleet(
        [GatewaySpec("a", gateway_token="gw-tok"), GatewaySpec("b", Mode.NO_PLUGIN)], speed=FAST
    ) as fleet:
        url = fleet.gateway("a").url + "/tools/invoke"
        resp = await client.post(url, json={"tool": "nope"})
        assert (resp.status_code, resp.json()) == (401, {"error": {"message": "Unauthorized", "type": "unauthorized"}})
        assert resp.headers["content-type"] == "application/json; charset=utf-8"
        resp = await client.post(url, json={"tool": "nope"}, headers={"Authorization": "Bearer gw-tok"})
        assert (resp.status_code, resp.json()) == (
            404,
            {"ok": False, "error": {"type": "not_found", "message": "Tool not available: nope"}},
        )
        await wait_for(lambda: not fleet.gateway("b").starting)
        health = await client.get(fleet.gateway("b").url + "/health")
        assert health.json() == {"ok": True, "status": "live"}
        assert health.headers["content-type"] == "application/json; charset=utf-8"


async def test_setup_flow_with_a_real_qr_png(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("owner"), GatewaySpec("phone")], speed=FAST) as fleet:
        owner, phone = fleet.gateway("owner"), fleet.gateway("phone")
        setup = (await client.post(owner.url + "/convos/setup", json={"name": "Home"})).json()
        assert list(setup) == ["inviteUrl", "conversationId", "qrDataUrl"]
        png = base64.b64decode(setup["qrDataUrl"].removeprefix("data:image/png;base64,"))
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in png and b"IEND" in png
        idat = png[png.index(b"IDAT") + 4 :]
        assert zlib.decompressobj().decompress(idat)  # a real zlib stream
        again = (await client.post(owner.url + "/convos/setup", json={"name": "Other"})).json()
        assert again == setup  # a running setup returns its cached answer unless force is true
        status = (await client.get(owner.url + "/convos/setup/status")).json()
        assert status == {"active": True, "joined": False, "joinerInboxId": None}

        joined = (await client.post(phone.url + "/convos/join", json={"inviteUrl": setup["inviteUrl"]})).json()
        assert joined == {"status": "joined", "conversationId": setup["conversationId"]}
        status = (await client.get(owner.url + "/convos/setup/status")).json()
        assert status == {"active": True, "joined": True, "joinerInboxId": phone.inbox_id}

        done = (await client.post(owner.url + "/convos/setup/complete")).json()
        assert done == {"saved": True, "conversationId": setup["conversationId"]}
        assert (await client.get(owner.url + "/convos/setup/status")).json() == {
            "active": False,
            "joined": True,
            "joinerInboxId": phone.inbox_id,
        }
        # The saved env is "production" when the request named none: the plugin's own bug, reproduced.
        assert owner.config["env"] == "production" and owner.config["allowFrom"] == [phone.inbox_id]
        await wait_for(lambda: owner.bound == setup["conversationId"])  # config hot reload


async def test_reset_and_setup_failures_offline(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.OFFLINE)], speed=FAST) as fleet:
        url = fleet.gateway("a").url
        resp = await client.post(url + "/convos/reset", json={"env": "dev", "name": "ignored"})
        error = resp.json()["error"]
        assert resp.status_code == 500
        # /convos/reset ignores `name`: the default "OpenClaw" is used.
        assert error.startswith(
            "Command failed: <node> <convos-cli>/bin/run.js conversations create --name "
            "OpenClaw --profile-name OpenClaw --json --env dev\n ›   Error: [ApiError::Api]"
        )
        resp = await client.post(url + "/convos/setup", json={"env": "staging"})
        assert "Expected --env=staging to be one of: local, dev, production" in resp.json()["error"]


async def test_newer_shape(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.NEWER_SHAPE)], speed=FAST) as fleet:
        gw = fleet.gateway("a")
        status = (await client.get(gw.url + "/convos/status")).json()
        assert list(status) == ["conversationId", "inboxId", "pending", "clean"]
        assert status["conversationId"] is None and len(status["inboxId"]) == 64 and status["clean"] is True
        created = (await client.post(gw.url + "/convos/conversation", json={})).json()
        status = (await client.get(gw.url + "/convos/status")).json()
        assert status["conversationId"] == created["conversationId"] and status["clean"] is False
        setup = await client.post(gw.url + "/convos/setup", json={})
        # The fork removed the onboarding routes and runs on a newer core: unknown POSTs get a text 404.
        assert (setup.status_code, setup.text) == (404, "Not Found")
        reset = (await client.post(gw.url + "/convos/reset", json={})).json()
        assert reset["ok"] is True and reset["reset"] is True
        assert reset["status"]["conversationId"] is None and reset["status"]["clean"] is True


async def test_a_create_outlives_its_client(client: httpx.AsyncClient) -> None:
    """The CLI child keeps going when the HTTP client gives up: the gateway still ends up bound."""
    async with SimFleet([GatewaySpec("a")], speed=10, seed=2) as fleet:  # a create takes 0.2-0.5 s
        gw = fleet.gateway("a")
        with pytest.raises(httpx.ReadTimeout):
            await client.post(gw.url + "/convos/conversation", json={}, timeout=0.05)
        assert gw.bound is None
        await wait_for(lambda: gw.bound is not None, timeout=2)


async def test_two_racing_creates_both_succeed_and_the_last_one_wins(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a")], speed=FAST) as fleet:
        gw = fleet.gateway("a")
        first, second = await asyncio.gather(
            client.post(gw.url + "/convos/conversation", json={}), client.post(gw.url + "/convos/conversation", json={})
        )
        ids = {first.json()["conversationId"], second.json()["conversationId"]}
        assert len(ids) == 2 and gw.bound in ids and gw.identities_created == 2


async def test_markup_garbage_is_a_valid_status_full_of_markup(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.GARBAGE, garbage_kind="markup")], speed=FAST) as fleet:
        status = (await client.get(fleet.gateway("a").url + "/convos/status")).json()
    assert status["ready"] is True and "[bold red]" in status["conversation"]["id"]
    assert "[link=" in status["conversation"]["id"] and "[@click=" in status["conversation"]["id"]


async def test_json_bodies_are_parsed_regardless_of_content_type(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.BOUND)], speed=FAST) as fleet:
        resp = await client.post(
            fleet.gateway("a").url + "/convos/rename",
            content=json.dumps({"name": "z"}),
            headers={"Content-Type": "text/plain"},
        )
    assert resp.json() == {"ok": True}
