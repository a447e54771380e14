"""A fleet of every runtime the field runs, polled over loopback: each in its state, with its runtime named,
and the extra routes probed only when they tell something (a warm plugin gateway costs one request a poll)."""

from __future__ import annotations

import dataclasses

import pytest

from convos_tui.api.endpoint import Timeouts
from convos_tui.fleet.filter import Filter, FilterError
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.poll_loop import PollLoop
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.state import State
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.sim.modes import runtime_specs
from tests.fleet.test_poller import wait_for

# name → (state, runtime label, words of the reason)
EXPECTED = {
    "openclaw-plugin": (State.IDLE, "openclaw <2026.3", "ready to create or join"),
    "openclaw-bound": (State.LIVE, "openclaw <2026.3", "streaming"),
    "hermes": (State.IDLE, "hermes", "ready to create or join"),
    "wrapper-openclaw": (State.IDLE, "openclaw 0.3.4", "ready to create or join"),
    "wrapper-hermes": (State.IDLE, "hermes 0.3.4", "ready to create or join"),
    "railway-template": (State.IDLE, "railway-template", "ready to create or join"),
    "plugin-404": (State.NO_PLUGIN, "openclaw 2026.3+", "core is ready (/readyz) but the plugin routes answer with a text 404"),
    "no-plugin-2026.9": (State.NO_PLUGIN, "openclaw 2026.3+", "answer with a web page"),
}  # fmt: skip


def specs() -> list[GatewaySpec]:
    # The 2026.9 gateway without its 8 s "starting" window: its state after it is what is checked here.
    return [dataclasses.replace(s, start_window=0) if s.mode is Mode.NO_PLUGIN else s for s in runtime_specs()]


def configs(fleet: SimFleet, **extra: object) -> list[GatewayConfig]:
    return [
        GatewayConfig(name=g.name, url=g.url, token=g.pool_key, timeouts=Timeouts(status=3.0), **extra)  # type: ignore[arg-type]
        for g in fleet.gateways
    ]


def requests(fleet: SimFleet, name: str) -> list[str]:
    return [path for _, path, _ in fleet.gateway(name).request_log]


async def test_every_runtime_in_its_state_with_its_runtime_named():
    async with SimFleet(specs(), speed=1000) as fleet:
        states = await PollLoop(configs(fleet), start_grace_s=0).sweep()
    for name, (state, label, words) in EXPECTED.items():
        got = states[name]
        assert (got.state, got.runtime.label) == (state, label), (name, got.reason)
        assert words in got.reason, (name, got.reason)
    assert states["wrapper-hermes"].runtime.wrapper and not states["hermes"].runtime.wrapper
    health = states["plugin-404"].health
    assert health is not None and "/readyz: ready" in health.reasons
    as_json = states["wrapper-hermes"].as_dict()
    assert as_json["runtime"] == {"name": "hermes", "version": "0.3.4", "core": None, "wrapper": True,
                                  "label": "hermes 0.3.4"}  # fmt: skip
    assert "/pool/health: ready (hermes 0.3.4)" in as_json["health"]


async def test_a_warm_sweep_asks_each_answering_gateway_its_status_only():
    async with SimFleet(specs(), speed=1000) as fleet:
        loop = PollLoop(configs(fleet), start_grace_s=0)
        await loop.sweep()
        first = {name: requests(fleet, name) for name in EXPECTED}
        assert {"/readyz", "/pool/health", "/convos/status"} <= set(first["openclaw-plugin"])
        for gateway in fleet.gateways:
            gateway.request_log.clear()
        await loop.sweep()
        second = {name: requests(fleet, name) for name in EXPECTED}
    for name, (state, _, _) in EXPECTED.items():
        if not state.is_fault:
            route = "/pool/status" if name == "railway-template" else "/convos/status"
            assert second[name] == [route], name
        else:  # a failing gateway is asked again what its other routes say (it is backed off meanwhile)
            assert sorted(second[name]) == ["/convos/status", "/pool/health", "/readyz"], name


async def test_a_failure_is_explained_in_the_same_poll_and_probed_again_until_it_recovers():
    async with SimFleet([GatewaySpec("g", Mode.NEWER_SHAPE)], speed=1000) as fleet:
        loop = PollLoop(configs(fleet), start_grace_s=0)
        await loop.sweep()
        await loop.sweep()
        gateway = fleet.gateway("g")
        gateway.request_log.clear()
        gateway.set_mode(Mode.PLUGIN_404)  # the 2026.3.13 regression, on an upgrade
        states = await loop.sweep()
        assert states["g"].state is State.NO_PLUGIN and "core is ready (/readyz)" in states["g"].reason
        # Probed after the failure, and asked once whether it is the Railway template.
        assert requests(fleet, "g")[:2] == ["/convos/status", "/pool/status"]
        assert sorted(requests(fleet, "g")[2:]) == ["/pool/health", "/readyz"]
        gateway.set_mode(Mode.NEWER_SHAPE)
        gateway.request_log.clear()
        assert (await loop.sweep())["g"].state is State.IDLE
        assert sorted(requests(fleet, "g")) == ["/convos/status", "/pool/health", "/readyz"]  # the recovery probes
        gateway.request_log.clear()
        await loop.sweep()
        assert requests(fleet, "g") == ["/convos/status"]


async def test_runtime_still_starting_behind_the_pool_wrapper():
    spec = GatewaySpec("w", Mode.POOL_WRAPPER_HERMES, start_window=10**9)
    async with SimFleet([spec], speed=1) as fleet:
        states = await PollLoop(configs(fleet), start_grace_s=0).sweep()
    assert states["w"].state is State.STARTING
    assert "the runtime behind the pool wrapper is not up yet" in states["w"].reason
    assert states["w"].runtime.label == "pool-wrapper"


async def test_a_gateway_configured_as_the_railway_template_polls_pool_status_only():
    async with SimFleet([GatewaySpec("r", Mode.RAILWAY, conversation_id="cd" * 16)], speed=1000) as fleet:
        loop = PollLoop(configs(fleet, runtime="railway-template"), start_grace_s=0)
        states = await loop.sweep()
        assert "/convos/status" not in requests(fleet, "r")
    assert states["r"].state is State.LIVE and states["r"].status.shape == "railway"
    assert states["r"].conversation_id == "cd" * 16


async def test_the_railway_template_warming_up_is_starting():
    async with SimFleet([GatewaySpec("r", Mode.RAILWAY, start_window=10**9)], speed=1) as fleet:
        states = await PollLoop(configs(fleet, runtime="railway-template"), start_grace_s=0).sweep()
    assert states["r"].state is State.STARTING and "Railway template" in states["r"].reason


async def test_the_runtime_reaches_the_console_from_the_polling_process():
    async with SimFleet(specs(), speed=1000) as fleet:
        poller = Poller(configs(fleet), interval_s=600, start_grace_s=0)
        poller.start_process()
        try:
            await wait_for(lambda: all(s.health is not None for s in poller.states.values()))
        finally:
            poller.stop_process()
    for name, (state, label, _) in EXPECTED.items():
        assert (poller.states[name].state, poller.states[name].runtime.label) == (state, label), name


async def test_the_runtime_filter_field_and_bare_words():
    async with SimFleet(specs(), speed=1000) as fleet:
        gateways = configs(fleet)
        states = await PollLoop(gateways, start_grace_s=0).sweep()
    by_name = {config.name: config for config in gateways}

    def chosen(expression: str) -> set[str]:
        selected = Filter(expression)
        return {name for name, state in states.items() if selected.matches(by_name[name], state)}

    assert chosen("runtime:hermes") == {"hermes", "wrapper-hermes"}
    assert chosen("runtime:pool-wrapper") == {"wrapper-openclaw", "wrapper-hermes"}
    assert chosen("runtime:railway-template") == {"railway-template"}
    assert chosen("runtime:openclaw*2026.3+") == {"plugin-404", "no-plugin-2026.9"}
    assert chosen("-runtime:openclaw") == {"hermes", "wrapper-hermes", "railway-template"}
    assert chosen("0.3.4") == {"wrapper-openclaw", "wrapper-hermes"}  # a bare word finds the version too
    with pytest.raises(FilterError):
        Filter("runtimes:hermes")
