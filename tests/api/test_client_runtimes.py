"""The client against every runtime: an action's error reads the same whichever runtime answered it."""

from __future__ import annotations

import pytest

from convos_tui.api import errors
from convos_tui.sim import Mode
from tests.api.conftest import client_for, spec

SAME_CONTRACT = [Mode.NEWER_SHAPE, Mode.HERMES, Mode.POOL_WRAPPER, Mode.POOL_WRAPPER_HERMES]


async def refusal(call) -> errors.GatewayError:
    with pytest.raises(errors.GatewayError) as caught:
        await call
    return caught.value


async def test_every_runtime_refuses_and_succeeds_alike(start_fleet):
    seen: dict[Mode, dict[str, tuple[object, ...]]] = {}
    async with start_fleet(*(spec(str(mode), mode) for mode in SAME_CONTRACT)) as fleet:
        for mode in SAME_CONTRACT:
            async with client_for(fleet, str(mode)) as client:
                unbound = await refusal(client.send("hello"))
                status = await client.status()
                created = await client.create(name="Ops")
                twice = await refusal(client.create(name="Ops"))
                sent = await client.send("hello")
                bound = await client.status()
            seen[mode] = {
                "unbound": (type(unbound), unbound.kind, unbound.summary, unbound.hint),
                "twice": (type(twice), twice.kind, twice.summary, twice.hint),
            }
            assert status.shape == "newer" and not status.bound, mode
            assert bound.conversation_id == created.conversation_id, mode
            assert sent.conversation_id in (None, created.conversation_id), mode
    first = seen[SAME_CONTRACT[0]]
    assert first["unbound"][0] is errors.NoActiveConversation and first["twice"][0] is errors.AlreadyBound
    for mode in SAME_CONTRACT[1:]:
        assert seen[mode] == first, mode


async def test_a_lost_plugin_route_is_a_missing_plugin_for_an_action_too(start_fleet):
    async with start_fleet(spec("p", Mode.PLUGIN_404)) as fleet:
        async with client_for(fleet, "p") as client:
            error = await refusal(client.lock())
    assert isinstance(error, errors.PluginMissing) and error.status == 404
