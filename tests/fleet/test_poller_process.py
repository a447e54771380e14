"""The poller in a process of its own (Poller.start_process, what the console uses), against simulated
gateways over loopback: the same states, updated in place here, and every control reaching it."""

import asyncio
import os
import socket
import subprocess
import time

from convos_tui.api.endpoint import Timeouts
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.state import State
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from tests.fleet.test_poller import wait_for


def configs(fleet, *, status_timeout=3.0):
    return [GatewayConfig(name=g.name, url=g.url, timeouts=Timeouts(status=status_timeout)) for g in fleet.gateways]


def status_polls(fleet, name):
    return sum(1 for _, path, _ in fleet.gateway(name).request_log if path == "/convos/status")


async def test_the_states_here_are_updated_in_place_as_a_sweep_here_would_set_them():
    specs = [GatewaySpec("idle"), GatewaySpec("live", Mode.BOUND), GatewaySpec("down", Mode.DOWN),
             GatewaySpec("keyed", Mode.POOL_KEY)]
    polled, transitions = [], []
    async with SimFleet(specs, speed=1) as fleet:
        poller = Poller(configs(fleet, status_timeout=0.5), interval_s=0.5, start_grace_s=0,
                        on_poll=lambda state: polled.append(state.name), on_transition=transitions.append)
        objects = dict(poller.states)
        poller.start_process()
        try:
            assert poller.in_process and poller._remote.process.pid != os.getpid()
            await wait_for(lambda: all(s.state != State.UNKNOWN for s in poller.states.values()))
            await wait_for(lambda: all(len(s.latencies) >= 2 for n, s in poller.states.items() if n != "down"))
            reference = await Poller(configs(fleet, status_timeout=0.5), start_grace_s=0).sweep()
        finally:
            poller.stop_process()
    for name, state in poller.states.items():
        assert state is objects[name]  # whoever holds a state sees it change
        assert (state.state, state.reason) == (reference[name].state, reference[name].reason)
        assert state.status == reference[name].status
        assert type(state.error) is type(reference[name].error)
        assert state.last_poll is not None
    assert poller.states["live"].status.raw == reference["live"].status.raw
    assert poller.states["down"].latencies == type(poller.states["down"].latencies)(maxlen=60)  # no answer, no latency
    assert all(latency > 0 for latency in poller.states["idle"].latencies)
    assert poller.states["idle"].latency_ms == poller.states["idle"].latencies[-1]
    assert {t.gateway: t.new for t in transitions} == {name: reference[name].state for name in reference}
    assert set(polled) == set(reference) and poller.polls >= len(polled) - 4


async def test_controls_reach_the_polling_process():
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b")]) as fleet:
        config_a, config_b = configs(fleet)
        poller = Poller([config_a, config_b], interval_s=600)  # after the first polls, nothing is due
        poller.start_process()
        try:
            await wait_for(lambda: status_polls(fleet, "a") == 1 and status_polls(fleet, "b") == 1)
            poller.poll_now("a")
            await wait_for(lambda: status_polls(fleet, "a") == 2)
            assert status_polls(fleet, "b") == 1

            poller.pause()
            assert poller.paused
            poller.poll_now()
            await asyncio.sleep(0.5)
            assert (status_polls(fleet, "a"), status_polls(fleet, "b")) == (2, 1)
            poller.resume()
            await wait_for(lambda: (status_polls(fleet, "a"), status_polls(fleet, "b")) == (3, 2))

            poller.set_interval(0.5)  # applied at once: nothing waits the old 600 s
            assert poller.interval_s == 0.5
            await wait_for(lambda: status_polls(fleet, "b") >= 4, seconds=5)

            poller.remove("b")
            assert "b" not in poller.states
            await asyncio.sleep(0.3)
            stopped_at = status_polls(fleet, "b")
            await asyncio.sleep(1.2)
            assert status_polls(fleet, "b") == stopped_at
            poller.add(config_b)
            await wait_for(lambda: poller.states["b"].state == State.IDLE, seconds=5)
        finally:
            poller.stop_process()


async def test_marking_a_join_pending_here_holds_in_the_polling_process():
    async with SimFleet([GatewaySpec("joiner")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        try:
            await wait_for(lambda: poller.states["joiner"].state == State.IDLE)
            poller.states["joiner"].mark_pending(time.time())  # what the action service does after a join
            assert poller.states["joiner"].state == State.PENDING
            polls = poller.polls
            await wait_for(lambda: poller.polls >= polls + 3)
            assert poller.states["joiner"].state == State.PENDING  # the next polls did not undo it
        finally:
            poller.stop_process()


async def test_stopping_never_hangs_on_a_stuck_poll_and_leaves_no_process():
    async with SimFleet([GatewaySpec("hang", Mode.SLOW, latency=30.0)]) as fleet:
        poller = Poller(configs(fleet, status_timeout=20), interval_s=0.5)
        poller.start_process()
        process = poller._remote.process
        await asyncio.sleep(1.0)  # its first poll is in flight, for 20 s
        started = time.monotonic()
        poller.stop_process()
        assert time.monotonic() - started < 3
    assert process.poll() is not None and not poller.in_process


async def test_the_polling_process_ends_when_the_console_goes():
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        remote = poller._remote
        await wait_for(lambda: poller.polls >= 1)
        remote.sock.shutdown(socket.SHUT_RDWR)  # as if the console's process had died
        remote.process.wait(timeout=5)
        poller.stop_process()


async def test_a_process_that_cannot_start_falls_back_to_a_thread(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        try:
            assert not poller.in_process and poller._thread is not None
            await wait_for(lambda: poller.states["a"].state == State.IDLE)
        finally:
            poller.stop_process()
    assert poller._thread is None


async def test_a_polling_process_that_dies_is_replaced_by_a_thread(monkeypatch):
    import convos_tui.fleet.poller as poller_module

    monkeypatch.setattr(poller_module, "_CHILD_CODE", "import sys; sys.exit(3)")  # dies before polling
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        try:
            await wait_for(lambda: poller._thread is not None, seconds=5)
            assert not poller.in_process and "exit code 3" in poller.failure
            await wait_for(lambda: poller.states["a"].state == State.IDLE)
        finally:
            poller.stop_process()
    assert poller._thread is None


async def test_a_failing_callback_does_not_stop_the_updates():
    def fail(state):
        raise RuntimeError("the console's handler broke")

    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5, on_poll=fail)
        poller.start_process()
        try:
            await wait_for(lambda: poller.polls >= 3, seconds=5)
            assert poller.in_process and "handler broke" in poller._remote.failure
        finally:
            poller.stop_process()
