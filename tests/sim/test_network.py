"""Invites created on one simulated gateway and used on another, through the shared XMTP network."""

from __future__ import annotations

import asyncio

import httpx

from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.sim.gateway import SimGateway

from .conftest import FAST, wait_for

WAITING = {"status": "waiting_for_acceptance"}


async def _create(client: httpx.AsyncClient, gw: SimGateway, **body: object) -> dict[str, str]:
    resp = await client.post(gw.url + "/convos/conversation", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _join(client: httpx.AsyncClient, gw: SimGateway, invite: str, **body: object) -> httpx.Response:
    return await client.post(gw.url + "/convos/join", json={"inviteUrl": invite, **body})


def _cli_message(resp: httpx.Response) -> str:
    """The CLI's error message, unwrapped from oclif's ` ›   ` lines (wrapped lines keep their space)."""
    assert resp.status_code == 500
    block = resp.json()["error"].split("\n\nUSAGE\n")[0].split("\n")[1:]
    return "".join(line.removeprefix(" ›   ") for line in block).removeprefix("Error: ")


def _cli_error(resp: httpx.Response) -> str:
    assert resp.status_code == 500
    error = resp.json()["error"]
    assert error.startswith("Command failed: <node> <convos-cli>/bin/run.js conversations join ")
    return error.split("\n")[1]


async def test_create_on_a_join_from_b(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b")], speed=FAST) as fleet:
        a, b = fleet.gateway("a"), fleet.gateway("b")
        created = await _create(client, a, name="Team")
        resp = await _join(client, b, created["inviteUrl"], profileName="Bee")
        assert resp.json() == {"status": "joined", "conversationId": created["conversationId"]}
        status = (await client.get(b.url + "/convos/status")).json()
        assert status["conversation"] == {"id": created["conversationId"]} and status["streaming"] is True
        assert b.profile_name == "Bee" and b.group_name == "Team"
        conversation = fleet.network.conversation(created["conversationId"])
        assert conversation is not None and conversation.creator == "a" and conversation.members == ["b"]


async def test_raw_slug_joins(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b")], speed=FAST) as fleet:
        created = await _create(client, fleet.gateway("a"))
        resp = await _join(client, fleet.gateway("b"), created["inviteSlug"])
        assert resp.json()["status"] == "joined"


async def test_approval_required_waits_for_the_cli_timeout(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", require_approval=True), GatewaySpec("b")], speed=FAST) as fleet:
        a, b = fleet.gateway("a"), fleet.gateway("b")
        created = await _create(client, a)
        started = asyncio.get_running_loop().time()
        resp = await _join(client, b, created["inviteUrl"])
        assert resp.json() == WAITING
        assert asyncio.get_running_loop().time() - started >= 60 / FAST  # blocked for the whole --timeout 60 (scaled)
        assert b.bound is None and b.identities_created == 1  # an identity was still created
        assert (await client.get(b.url + "/convos/status")).json()["conversation"] is None
        assert not fleet.accept_pending("b")  # the XO shape binds nothing, ever


async def test_newer_shape_joiner_stays_pending_until_approved(client: httpx.AsyncClient) -> None:
    async with SimFleet(
        [GatewaySpec("a", require_approval=True), GatewaySpec("b", Mode.NEWER_SHAPE)], speed=FAST
    ) as fleet:
        a, b = fleet.gateway("a"), fleet.gateway("b")
        created = await _create(client, a)
        resp = await _join(client, b, created["inviteUrl"])
        assert resp.json() == {"status": "pending_acceptance"}
        status = (await client.get(b.url + "/convos/status")).json()
        assert status["pending"] is True and status["conversationId"] is None
        assert fleet.accept_pending("b")
        status = (await client.get(b.url + "/convos/status")).json()
        assert status["pending"] is False and status["conversationId"] == created["conversationId"]


async def test_a_join_can_be_left_waiting_without_the_clis_timeout(client: httpx.AsyncClient) -> None:
    async with SimFleet(
        [GatewaySpec("a", Mode.BOUND, require_approval=True), GatewaySpec("b", Mode.NEWER_SHAPE)], speed=1
    ) as fleet:
        a, b = fleet.gateway("a"), fleet.gateway("b")
        b.wait_for_acceptance(a.bound)
        assert fleet.network.conversation(a.bound).pending == ["b"]
        status = (await client.get(b.url + "/convos/status")).json()
        assert status["pending"] is True and status["conversationId"] is None
        assert fleet.accept_pending("b")
        assert (await client.get(b.url + "/convos/status")).json()["conversationId"] == a.bound
        assert fleet.network.conversation(a.bound).members == ["b"]


async def test_unknown_or_malformed_invites_fail_fast(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b")], speed=FAST) as fleet:
        b = fleet.gateway("b")
        assert (
            _cli_error(await _join(client, b, "https://example.invalid/v2?i=bogus"))
            == " ›   Error: invalid wire type 6 at offset 1"
        )
        # A well-formed invite that no gateway of this network issued.
        other = SimFleet([GatewaySpec("x")], speed=FAST, seed=99)
        async with other:
            foreign = await _create(client, other.gateway("x"))
        assert _cli_error(await _join(client, b, foreign["inviteUrl"])) == " ›   Error: Invalid invite signature"
        assert b.bound is None and b.identities_created == 0


async def test_lock_rotates_the_invite_and_joiners_cannot_lock(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b"), GatewaySpec("c")], speed=FAST) as fleet:
        a, b, c = fleet.gateway("a"), fleet.gateway("b"), fleet.gateway("c")
        created = await _create(client, a)
        assert (await _join(client, b, created["inviteUrl"])).json()["status"] == "joined"
        resp = await client.post(b.url + "/convos/lock", json={})
        assert resp.status_code == 500 and "conversation lock" in resp.json()["error"]  # not super admin
        assert (await client.post(a.url + "/convos/lock", json={})).json() == {"ok": True, "locked": True}
        assert (await client.post(a.url + "/convos/lock", json={"unlock": True})).json()["locked"] is False
        # Unlocking does not revive the old invite: its tag was rotated.
        assert (await _join(client, c, created["inviteUrl"])).json() == WAITING


async def test_explode_unbinds_keeps_config_and_restart_comes_back_bound(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b")], speed=FAST) as fleet:
        a, b = fleet.gateway("a"), fleet.gateway("b")
        created = await _create(client, a)
        conversation_id = created["conversationId"]
        assert (await client.post(a.url + "/convos/explode")).json() == {"ok": True, "exploded": True}
        assert (await client.get(a.url + "/convos/status")).json()["conversation"] is None
        assert _cli_error(await _join(client, b, created["inviteUrl"])) == " ›   Error: Conversation has expired"

        await fleet.restart("a")
        status = (await client.get(a.url + "/convos/status")).json()
        assert status["conversation"] == {"id": conversation_id}  # restored from the stale config
        assert (
            (await client.post(a.url + "/convos/conversation", json={}))
            .json()["error"]
            .startswith("Instance already bound")
        )
        await wait_for(lambda: not a.streaming)  # the stream flaps, then gives up for good
        send = await client.post(a.url + "/convos/conversation/send", json={"message": "hi"})
        assert _cli_message(send) == (
            f"No identity found for conversation: {conversation_id}"
            "Use 'convos conversations list' to see available conversations."
        )


async def test_create_is_allowed_again_after_explode(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a")], speed=FAST) as fleet:
        a = fleet.gateway("a")
        first = await _create(client, a)
        await client.post(a.url + "/convos/explode")
        second = await _create(client, a)
        assert second["conversationId"] != first["conversationId"] and a.identities_created == 2


async def test_invites_do_not_cross_xmtp_networks(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", env="dev"), GatewaySpec("b", env="production")], speed=FAST) as fleet:
        created = await _create(client, fleet.gateway("a"))
        assert created["inviteUrl"].startswith("https://dev.convos.org/v2?i=")
        assert (await _join(client, fleet.gateway("b"), created["inviteUrl"])).json() == WAITING
        again = await _join(client, fleet.gateway("b"), created["inviteUrl"], env="dev")
        assert again.json()["status"] == "joined"


async def test_a_stalled_creator_stops_accepting_joins(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a", Mode.STALLED), GatewaySpec("b")], speed=FAST) as fleet:
        a = fleet.gateway("a")
        assert a.invite_url is not None
        await wait_for(lambda: not a._instance_running())
        assert (await _join(client, fleet.gateway("b"), a.invite_url)).json() == WAITING


async def test_offline_joiner_fails_with_the_dns_error(client: httpx.AsyncClient) -> None:
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b", Mode.OFFLINE)], speed=FAST) as fleet:
        created = await _create(client, fleet.gateway("a"))
        line = _cli_error(await _join(client, fleet.gateway("b"), created["inviteUrl"]))
        assert line.startswith(" ›   Error: [ApiError::Api] api client error")
