"""The managed runtime's newer routes (notify, update-metadata, re-attest, reset) through the client, over loopback:
the answers of its OpenClaw plugin as the simulator reproduces them, and the client's checks before any request."""

import pytest

from convos_tui.api import errors
from convos_tui.api.endpoint import Route
from convos_tui.sim import Mode
from tests.api.conftest import client_for, spec

SIGNATURE = "c2lnbmF0dXJl" * 7 + "QUJDRA"  # base64url, 90 characters
SIGNED_AT = "2026-04-11T18:27:14.000Z"


async def test_notify_update_metadata_re_attest_on_a_bound_instance(start_fleet):
    async with start_fleet(spec("n", Mode.NEWER_SHAPE)) as fleet:
        async with client_for(fleet, "n") as client:
            await client.create(name="Ops")
            await client.notify("You have mail: invoice #12 is due")
            await client.update_metadata({"team": "ops", "tier": "gold"})
            await client.reattest(SIGNATURE, SIGNED_AT, "pool-key-2026")
    gateway = fleet.gateway("n")
    assert gateway.notifications == ["You have mail: invoice #12 is due"]
    assert gateway.metadata_updates == [{"team": "ops", "tier": "gold"}]
    assert gateway.attestation == (SIGNATURE, SIGNED_AT, "pool-key-2026")


async def test_unbound_answers_read_as_no_active_conversation(start_fleet):
    """OpenClaw's notify says it with a 503 (its dispatch throws), the other two with a 400: the same error."""
    async with start_fleet(spec("n", Mode.NEWER_SHAPE)) as fleet:
        async with client_for(fleet, "n") as client:
            with pytest.raises(errors.NoActiveConversation) as notify:
                await client.notify("hello")
            with pytest.raises(errors.NoActiveConversation):
                await client.update_metadata({"a": "b"})
            with pytest.raises(errors.NoActiveConversation):
                await client.reattest(SIGNATURE, SIGNED_AT, "kid")
    assert notify.value.status == 503 and notify.value.summary == "no active conversation on this gateway"
    assert fleet.gateway("n").notifications == []


async def test_reset_returns_the_instance_to_clean(start_fleet):
    async with start_fleet(spec("n", Mode.NEWER_SHAPE)) as fleet:
        async with client_for(fleet, "n") as client:
            created = await client.create()
            assert (await client.status()).conversation_id == created.conversation_id
            after = await client.reset()
            assert after is not None and after.clean is True and after.conversation_id is None
            assert (await client.status()).conversation_id is None


async def test_routes_the_classic_plugin_lacks_answer_like_a_missing_plugin(start_fleet):
    """xmtplabs/openclaw has none of the three: the core answers a POST to an unknown path with text (404 on
    2026.3 and later, 405 on 2026.2.x). The action service reads both as `unsupported` (tests/fleet)."""
    async with start_fleet(spec("new", core_version="2026.4.10"), spec("old", core_version="2026.2.17")) as fleet:
        async with client_for(fleet, "new") as new, client_for(fleet, "old") as old:
            with pytest.raises(errors.PluginMissing) as modern:
                await new.notify("hello")
            with pytest.raises(errors.PluginMissing) as legacy:
                await old.update_metadata({"a": "b"})
    assert (modern.value.status, modern.value.route) == (404, "notify")
    assert (legacy.value.status, legacy.value.route) == (405, "update-metadata")


@pytest.mark.parametrize(
    ("route", "body", "words"),
    [
        (Route.NOTIFY, {}, "text (string) is required"),
        (Route.UPDATE_METADATA, {"metadata": ["a"]}, "metadata (object) is required"),
        (Route.RE_ATTEST, {"attestation": "x"}, "attestation, attestation_ts, and attestation_kid are required"),
    ],
)
async def test_the_runtimes_own_refusals_carry_its_words(start_fleet, route, body, words):
    async with start_fleet(spec("n", Mode.NEWER_SHAPE, conversation_id="ab" * 16)) as fleet:
        async with client_for(fleet, "n") as client:
            with pytest.raises(errors.InvalidRequest) as caught:
                await client._call(route, body)
    assert caught.value.summary == f"refused: {words}"


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda c: c.notify("   "), "notification is empty"),
        (lambda c: c.notify("x" * 300_000), "at most 262,144"),
        (lambda c: c.update_metadata(["team", "ops"]), "must be a JSON object"),
        (lambda c: c.update_metadata({}), "metadata is empty"),
        (lambda c: c.update_metadata({"n": 3}), "every value must be a string"),
        (lambda c: c.update_metadata({"k\x1b[2J": "v"}), "not a usable name"),
        (lambda c: c.update_metadata({f"k{n}": "v" for n in range(65)}), "at most 64"),
        (lambda c: c.update_metadata({"k": "v" * 9000}), "at most 8,192"),
        (lambda c: c.reattest("", SIGNED_AT, "kid"), "attestation is empty"),
        (lambda c: c.reattest("not base64!", SIGNED_AT, "kid"), "not a base64url signature"),
        (lambda c: c.reattest(SIGNATURE, "yesterday", "kid"), "not an ISO 8601 time"),
        (lambda c: c.reattest(SIGNATURE, "2026-04-11T18:27:14", "kid"), "no time zone"),
        (lambda c: c.reattest(SIGNATURE, SIGNED_AT, "two words"), "key id"),
    ],
)
async def test_the_client_refuses_bad_bodies_before_any_request(start_fleet, call, words):
    async with start_fleet(spec("n", Mode.NEWER_SHAPE)) as fleet:
        async with client_for(fleet, "n") as client:
            with pytest.raises(ValueError, match=words):
                await call(client)
        assert list(fleet.gateway("n").request_log) == []
