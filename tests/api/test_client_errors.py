"""Every error kind of the taxonomy, produced by a real (simulated) gateway over loopback."""

import asyncio
import time

import pytest

from convos_tui.api import Endpoint, GatewayClient, Timeouts, errors
from convos_tui.sim import Mode
from tests.api.conftest import client_for, spec

POOL_KEY = "pool-secret-789"


async def test_unreachable_when_nothing_listens(start_fleet):
    async with start_fleet(spec("d", Mode.DOWN)) as fleet:
        async with client_for(fleet, "d") as client:
            with pytest.raises(errors.Unreachable) as caught:
                await client.status()
    assert "connection refused" in caught.value.summary
    assert not caught.value.outcome_unknown


async def test_unreachable_for_an_unresolvable_host():
    async with GatewayClient(Endpoint("http://no-such-gateway.invalid:18789")) as client:
        with pytest.raises(errors.Unreachable) as caught:
            await client.status()
    assert caught.value.kind == "unreachable"


async def test_status_timeout_is_not_an_unknown_outcome(start_fleet):
    async with start_fleet(spec("s", Mode.SLOW, latency=2.0)) as fleet:
        async with client_for(fleet, "s", timeouts=Timeouts(status=0.3)) as client:
            with pytest.raises(errors.GatewayTimeout) as caught:
                await client.status()
    assert caught.value.summary == "status timed out after 0.3 s"
    assert not caught.value.outcome_unknown


async def test_a_timed_out_create_reports_its_outcome_unknown_and_is_not_retried(start_fleet):
    async with start_fleet(spec("s", Mode.SLOW, latency=2.0)) as fleet:
        async with client_for(fleet, "s", timeouts=Timeouts(create=0.3)) as client:
            with pytest.raises(errors.GatewayTimeout) as caught:
                await client.create(name="x")
        await asyncio.sleep(0.1)
        creates = [entry for entry in fleet.gateway("s").request_log if entry[1] == "/convos/conversation"]
    assert caught.value.outcome_unknown and "outcome is unknown" in caught.value.summary
    assert len(creates) <= 1


async def test_unauthorized_without_the_pool_key_and_fine_with_it(start_fleet):
    async with start_fleet(spec("k", Mode.POOL_KEY, pool_key=POOL_KEY)) as fleet:
        async with client_for(fleet, "k") as anonymous, client_for(fleet, "k", token="wrong-key") as wrong:
            for client in (anonymous, wrong):
                with pytest.raises(errors.Unauthorized) as caught:
                    await client.status()
                assert caught.value.status == 401
                assert "wrong-key" not in repr(caught.value.as_dict())
        async with client_for(fleet, "k", token=POOL_KEY) as keyed:
            assert (await keyed.status()).ready


async def test_starting_then_plugin_missing(start_fleet):
    async with start_fleet(spec("p", Mode.NO_PLUGIN), speed=4.0) as fleet:
        async with client_for(fleet, "p") as client:
            with pytest.raises(errors.Starting) as caught:
                await client.status()
            assert caught.value.retry_after == 1.0
            await asyncio.sleep(2.5)  # the 8 s start window at speed 4
            with pytest.raises(errors.PluginMissing) as html:
                await client.status()
            assert "web page" in html.value.summary
            with pytest.raises(errors.PluginMissing) as text:
                await client.create(name="x")
            assert "HTTP 404" in text.value.summary


async def test_gateway_failure_summarises_the_cli_error(start_fleet):
    async with start_fleet(spec("o", Mode.OFFLINE)) as fleet:
        async with client_for(fleet, "o") as client:
            with pytest.raises(errors.GatewayFailure) as caught:
                await client.create(name="X", env="dev")
    assert "dns error" in caught.value.summary
    assert caught.value.detail.startswith("Command failed: ")
    assert len(caught.value.detail) > 1500


@pytest.mark.parametrize(
    ("kind", "words"),
    [("bytes", "not valid UTF-8"), ("json", "not valid JSON"), ("shape", "wrong shape")],
)
async def test_garbage_is_an_unexpected_answer(start_fleet, kind, words):
    async with start_fleet(spec("g", Mode.GARBAGE, garbage_kind=kind)) as fleet:
        async with client_for(fleet, "g") as client:
            with pytest.raises(errors.UnexpectedAnswer) as caught:
                await client.status()
    assert words in caught.value.summary


async def test_markup_in_a_status_is_kept_as_plain_text(start_fleet):
    async with start_fleet(spec("m", Mode.GARBAGE, garbage_kind="markup")) as fleet:
        async with client_for(fleet, "m") as client:
            status = await client.status()
    assert "[" in status.conversation_id


async def test_a_huge_body_is_cut_off_at_one_mebibyte(start_fleet):
    async with start_fleet(spec("h", Mode.HUGE)) as fleet:
        async with client_for(fleet, "h") as client:
            with pytest.raises(errors.UnexpectedAnswer) as caught:
                await client.status()
    assert "cut off" in caught.value.summary


async def test_a_reset_mid_answer_is_unreachable_and_unknown_for_actions(start_fleet):
    async with start_fleet(spec("r", Mode.RESET)) as fleet:
        async with client_for(fleet, "r") as client:
            with pytest.raises(errors.Unreachable) as status_error:
                await client.status()
            with pytest.raises(errors.Unreachable) as create_error:
                await client.create(name="x")
    assert not status_error.value.outcome_unknown
    assert create_error.value.outcome_unknown and "outcome is unknown" in create_error.value.summary


async def test_a_slow_drip_body_is_bounded_by_the_total_timeout(start_fleet):
    async with start_fleet(spec("d", Mode.DRIP)) as fleet:
        async with client_for(fleet, "d", timeouts=Timeouts(status=0.8)) as client:
            started = time.monotonic()
            with pytest.raises(errors.GatewayTimeout):
                await client.status()
            assert time.monotonic() - started < 1.5
