"""Every route of the client against simulated gateways, over loopback sockets."""

import re

import pytest

from convos_tui.api import errors, parse_invite
from convos_tui.api.endpoint import Route
from convos_tui.sim import Mode
from tests.api.conftest import client_for, spec

HEX32 = re.compile(r"^[0-9a-f]{32}$")


async def test_status_unbound_and_bound(start_fleet):
    async with start_fleet(spec("a"), spec("b", Mode.BOUND)) as fleet:
        async with client_for(fleet, "a") as a, client_for(fleet, "b") as b:
            idle = await a.status()
            assert (idle.shape, idle.ready, idle.conversation_id, idle.streaming, idle.missing) == (
                "classic",
                True,
                None,
                False,
                (),
            )
            bound = await b.status()
            assert HEX32.match(bound.conversation_id) and bound.streaming is True


async def test_status_newer_shape(start_fleet):
    async with start_fleet(spec("n", Mode.NEWER_SHAPE)) as fleet:
        async with client_for(fleet, "n") as client:
            status = await client.status()
    assert status.shape == "newer" and status.conversation_id is None and status.pending is False
    assert status.inbox_id and len(status.inbox_id) == 64


async def test_create_then_status_then_409(start_fleet):
    async with start_fleet(spec("a")) as fleet:
        async with client_for(fleet, "a") as client:
            created = await client.create(name="Ops room", env="dev", instructions="Be brief.")
            assert HEX32.match(created.conversation_id)
            invite = parse_invite(created.invite_url, gateway_env="dev")
            assert invite.slug == created.invite_slug.replace("*", "")
            assert created.elapsed_s > 0
            status = await client.status()
            assert status.conversation_id == created.conversation_id
            assert fleet.gateway("a").instructions == "Be brief."
            with pytest.raises(errors.AlreadyBound) as caught:
                await client.create(name="again")
    assert caught.value.status == 409
    assert "provision a fresh instance" in caught.value.summary


async def test_join_from_another_gateway_binds_the_same_conversation(start_fleet):
    async with start_fleet(spec("creator"), spec("joiner")) as fleet:
        async with client_for(fleet, "creator") as creator, client_for(fleet, "joiner") as joiner:
            created = await creator.create(name="Shared")
            joined = await joiner.join(parse_invite(created.invite_url), profile_name="Helper")
            assert (joined.outcome, joined.conversation_id) == ("joined", created.conversation_id)
            assert (await joiner.status()).conversation_id == created.conversation_id


async def test_join_waits_for_acceptance_when_the_creator_asks_for_approval(start_fleet):
    async with start_fleet(spec("creator", require_approval=True), spec("joiner")) as fleet:
        async with client_for(fleet, "creator") as creator, client_for(fleet, "joiner") as joiner:
            created = await creator.create()
            result = await joiner.join(parse_invite(created.invite_url))
            assert (result.outcome, result.raw_status, result.conversation_id) == (
                "pending",
                "waiting_for_acceptance",
                None,
            )
            assert (await joiner.status()).conversation_id is None


async def test_join_with_an_invite_no_gateway_made_is_a_gateway_failure(start_fleet):
    async with start_fleet(spec("joiner")) as fleet:
        async with client_for(fleet, "joiner") as joiner:
            stranger = parse_invite("https://dev.convos.org/v2?i=" + "Qk9HVVM" * 40)
            with pytest.raises(errors.GatewayFailure) as caught:
                await joiner.join(stranger)
    assert caught.value.status == 500
    assert caught.value.summary.startswith("failed: invalid wire type")
    assert "USAGE" in caught.value.detail and "USAGE" not in caught.value.summary


async def test_send_rename_lock_unlock_explode(start_fleet):
    async with start_fleet(spec("a")) as fleet:
        async with client_for(fleet, "a") as client:
            with pytest.raises(errors.NoActiveConversation):
                await client.send("hello")
            created = await client.create(name="Group name")
            sent = await client.send("hello\nsecond line")
            assert sent.conversation_id == created.conversation_id and sent.message_id
            gateway = fleet.gateway("a")
            assert gateway.sent_messages[-1] == "hello\nsecond line"
            await client.rename("Agent Smith")
            assert gateway.profile_name == "Agent Smith"
            assert gateway.group_name == "Group name"  # rename is the agent's profile name only
            assert (await client.lock()).locked is True
            assert (await client.unlock()).locked is False
            await client.explode()
            assert (await client.status()).conversation_id is None
            with pytest.raises(errors.NoActiveConversation):
                await client.explode()


async def test_lock_rotates_the_invite(start_fleet):
    async with start_fleet(spec("creator"), spec("late")) as fleet:
        async with client_for(fleet, "creator") as creator, client_for(fleet, "late") as late:
            created = await creator.create()
            await creator.lock()
            result = await late.join(parse_invite(created.invite_url))
    assert result.outcome == "pending"


async def test_setup_status_is_read_only(start_fleet):
    async with start_fleet(spec("a")) as fleet:
        async with client_for(fleet, "a") as client:
            setup = await client.setup_status()
    assert (setup.active, setup.joined, setup.joiner_inbox_id) == (False, False, None)


async def test_invalid_request_carries_the_gateways_words(start_fleet):
    async with start_fleet(spec("a")) as fleet:
        async with client_for(fleet, "a") as client:
            with pytest.raises(errors.InvalidRequest) as caught:
                await client._call(Route.JOIN, {})
    assert caught.value.summary == "refused: inviteUrl (string) is required"


async def test_the_client_refuses_bad_arguments_before_any_request(start_fleet):
    async with start_fleet(spec("a")) as fleet:
        async with client_for(fleet, "a") as client:
            with pytest.raises(ValueError, match="empty"):
                await client.send("")
            with pytest.raises(ValueError, match="env must be"):
                await client.create(env="staging")
            with pytest.raises(ValueError, match="permissions"):
                await client.create(permissions="everyone")
        assert list(fleet.gateway("a").request_log) == []
