"""The managed runtime's newer routes over real HTTP, in the order of checks of its OpenClaw plugin
(xmtplabs/convos-managed-agent-runtime runtime/openclaw/src/convos/index.ts): where the source and the simulator
disagree, the source wins."""

from __future__ import annotations

import httpx
import pytest

from convos_tui.sim import GatewaySpec, Mode, SimFleet

from .conftest import FAST

UNBOUND = {"error": "No active conversation"}
CID = "ab" * 16


@pytest.mark.parametrize(
    ("path", "body", "status", "answer"),
    [
        # notify reads and checks its body first; only its dispatch finds no conversation, and says so with a 503.
        ("/convos/notify", {}, 400, {"error": "text (string) is required"}),
        ("/convos/notify", {"text": ""}, 400, {"error": "text (string) is required"}),
        ("/convos/notify", {"text": "hi"}, 503, UNBOUND),
        # update-metadata and re-attest refuse an unbound instance before reading the body.
        ("/convos/update-metadata", {"metadata": "no"}, 400, UNBOUND),
        ("/convos/re-attest", {}, 400, UNBOUND),
    ],
)
async def test_unbound_instance(client: httpx.AsyncClient, path, body, status, answer) -> None:
    async with SimFleet([GatewaySpec("n", Mode.NEWER_SHAPE)], speed=FAST) as fleet:
        resp = await client.post(fleet.gateway("n").url + path, json=body)
    assert (resp.status_code, resp.json()) == (status, answer)


@pytest.mark.parametrize(
    ("path", "body", "status", "answer"),
    [
        ("/convos/update-metadata", {"metadata": ["a"]}, 400, {"error": "metadata (object) is required"}),
        ("/convos/update-metadata", {"metadata": None}, 400, {"error": "metadata (object) is required"}),
        ("/convos/update-metadata", {"metadata": {}}, 200, {"ok": True}),  # {} is truthy in JavaScript
        (
            "/convos/re-attest",
            {"attestation": "s", "attestation_ts": "t", "attestation_kid": ""},
            400,
            {"error": "attestation, attestation_ts, and attestation_kid are required"},
        ),
        ("/convos/re-attest", {"attestation": "s", "attestation_ts": "t", "attestation_kid": "k"}, 200, {"ok": True}),
        ("/convos/notify", {"text": " "}, 200, {"ok": True}),  # whitespace is truthy too
    ],
)
async def test_bound_instance_checks_the_body(client: httpx.AsyncClient, path, body, status, answer) -> None:
    async with SimFleet([GatewaySpec("n", Mode.NEWER_SHAPE, conversation_id=CID)], speed=FAST) as fleet:
        resp = await client.post(fleet.gateway("n").url + path, json=body)
    assert (resp.status_code, resp.json()) == (status, answer)


async def test_method_token_and_body_errors_come_first(client: httpx.AsyncClient) -> None:
    specs = [GatewaySpec("n", Mode.NEWER_SHAPE, conversation_id=CID, pool_key="k" * 12)]
    async with SimFleet(specs, speed=FAST) as fleet:
        url = fleet.gateway("n").url
        wrong_method = await client.get(url + "/convos/notify")
        no_token = await client.post(url + "/convos/notify", json={"text": "hi"})
        null_body = await client.post(
            url + "/convos/re-attest", content=b"null", headers={"Authorization": "Bearer " + "k" * 12}
        )
    assert (wrong_method.status_code, wrong_method.json()) == (405, {"error": "Method Not Allowed"})
    assert (no_token.status_code, no_token.json()) == (401, {"error": "Unauthorized"})
    assert null_body.status_code == 500 and "null" in null_body.json()["error"]


async def test_the_classic_plugin_has_none_of_them(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("c", Mode.BOUND, core_version="2026.4.10")], speed=FAST) as fleet:
        for path in ("/convos/notify", "/convos/update-metadata", "/convos/re-attest"):
            resp = await client.post(fleet.gateway("c").url + path, json={})
            assert (resp.status_code, resp.text) == (404, "Not Found")
