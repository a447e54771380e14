"""The poller in a process of its own (Poller.start_process, what the console uses), against simulated
gateways over loopback: the same states, updated in place here, and every control reaching it."""

import asyncio
import multiprocessing.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import convos_tui
from convos_tui.api.endpoint import Timeouts
from convos_tui.fleet import poll_process
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
    specs = [
        GatewaySpec("idle"),
        GatewaySpec("live", Mode.BOUND),
        GatewaySpec("down", Mode.DOWN),
        GatewaySpec("keyed", Mode.POOL_KEY),
    ]
    polled, transitions = [], []
    async with SimFleet(specs, speed=1) as fleet:
        poller = Poller(
            configs(fleet, status_timeout=0.5),
            interval_s=0.5,
            start_grace_s=0,
            on_poll=lambda state: polled.append(state.name),
            on_transitions=transitions.extend,
        )
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
            poller.mark_pending("joiner", time.time())  # what the action service does after a join
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
    assert process.exitcode is not None and not poller.in_process


async def test_the_polling_process_ends_when_the_console_goes():
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        remote = poller._remote
        try:
            await wait_for(lambda: poller.polls >= 1)
            # As if the console's process had died: its end of the pipe is gone, and nothing on this side
            # reaps or kills the process (the reading thread would, once it saw the pipe close, and two
            # threads reaping one child race each other). It must end by itself.
            remote.stopping = True
            socket.socket(fileno=os.dup(remote.conn.fileno())).shutdown(socket.SHUT_RDWR)
            await wait_for(lambda: remote.process.exitcode is not None, seconds=10)
        finally:
            poller.stop_process()


async def test_a_process_that_cannot_start_falls_back_to_a_thread(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(multiprocessing.util, "spawnv_passfds", refuse)  # where multiprocessing forks
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        try:
            assert not poller.in_process and poller._thread is not None
            await wait_for(lambda: poller.states["a"].state == State.IDLE)
        finally:
            poller.stop_process()
    assert poller._thread is None


def exit_at_once(*args):
    sys.exit(3)


async def test_a_polling_process_that_dies_is_replaced_by_a_thread(monkeypatch):
    monkeypatch.setattr(poll_process, "serve", exit_at_once)  # the process dies before polling
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


async def test_transitions_come_in_batches_and_a_pending_join_is_one_of_them():
    batches = []
    async with SimFleet([GatewaySpec(f"gw-{i:02d}") for i in range(20)]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5, on_transitions=batches.append)
        poller.start_process()
        try:
            await wait_for(lambda: sum(map(len, batches)) == 20)
            assert len(batches) < 20  # each batch of the polling process is one call (one store transaction)
            poller.mark_pending("gw-00", time.time())
            await wait_for(lambda: len(batches[-1]) == 1 and batches[-1][0].new == State.PENDING)
            polls = poller.polls
            await wait_for(lambda: poller.polls >= polls + 40)
        finally:
            poller.stop_process()
    transitions = [t for batch in batches for t in batch]
    assert [(t.gateway, t.old) for t in transitions if t.new == State.PENDING] == [("gw-00", State.IDLE)]
    assert {t.gateway for t in transitions if t.new == State.IDLE} == {g.name for g in fleet.gateways}


async def test_a_sweep_hands_its_transitions_over_at_once():
    batches = []
    async with SimFleet([GatewaySpec(f"gw-{i:02d}") for i in range(20)] + [GatewaySpec("down", Mode.DOWN)]) as fleet:
        await Poller(configs(fleet), start_grace_s=0, on_transitions=batches.append).sweep()
    assert len(batches) == 1 and len(batches[0]) == 21


async def test_a_name_that_is_not_a_control_is_refused_there():
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        try:
            await wait_for(lambda: poller.polls >= 1)
            poller._remote.call("stop_thread")  # a Poller method, but not one of CONTROLS
            await wait_for(lambda: poller._thread is not None, seconds=5)
            assert "not a control of the poller: 'stop_thread'" in poller.failure
        finally:
            poller.stop_process()


async def test_after_a_killed_process_the_thread_polls_the_gateways_added_meanwhile():
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b", Mode.BOUND)]) as fleet:
        config_a, config_b = configs(fleet)
        poller = Poller([config_a], interval_s=0.5)
        poller.start_process()
        try:
            await wait_for(lambda: poller.states["a"].state == State.IDLE)
            poller.add(config_b)
            await wait_for(lambda: poller.states["b"].state == State.LIVE)
            poller._remote.process.kill()  # SIGKILL: no goodbye
            await wait_for(lambda: poller._thread is not None, seconds=5)
            assert "exit code -9" in poller.failure and not poller.in_process
            polls = status_polls(fleet, "b")
            await wait_for(lambda: status_polls(fleet, "b") >= polls + 2, seconds=5)
        finally:
            poller.stop_process()


def test_no_object_changes_its_class_anywhere():
    package = Path(convos_tui.__file__).parent
    swaps = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "__class__ =" in line
    ]
    assert not swaps


def test_the_process_starts_while_stderr_has_no_file_descriptor_as_under_textual():
    """Textual's capture of stderr answers fileno() with -1; multiprocessing's first start (of its resource
    tracker) passed that on and failed. A fresh interpreter, so that nothing has started the tracker yet."""
    code = (
        "import sys\n"
        "from convos_tui.fleet.poller import Poller\n"
        "class Capture:\n"
        "    def write(self, text): return len(text)\n"
        "    def flush(self): pass\n"
        "    def fileno(self): return -1\n"
        "if __name__ == '__main__':\n"
        "    sys.stderr = Capture()\n"
        "    poller = Poller([])\n"
        "    poller.start_process()\n"
        "    print(poller.in_process, poller.failure)\n"
        "    poller.stop_process()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "None"], result.stdout + result.stderr


async def test_a_failing_callback_does_not_keep_the_rest_of_its_batch_from_the_states():
    def fail(state):
        raise RuntimeError("the console's handler broke")

    async with SimFleet([GatewaySpec(f"gw-{i}") for i in range(10)]) as fleet:
        poller = Poller(configs(fleet), interval_s=600, on_poll=fail)  # one poll each, in a batch or two
        poller.start_process()
        try:
            await wait_for(lambda: poller.polls >= 10)
            await wait_for(lambda: all(state.state == State.IDLE for state in poller.states.values()), seconds=3)
        finally:
            poller.stop_process()


async def test_a_polling_process_that_fails_to_start_polling_says_why(monkeypatch):
    monkeypatch.setattr(Poller, "settings", lambda self: {"interval_s": 0.5, "bogus": 1})  # refused there
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        poller.start_process()
        try:
            await wait_for(lambda: poller._thread is not None, seconds=5)
            assert "TypeError" in poller.failure and "'bogus'" in poller.failure  # its traceback, sent back
            await wait_for(lambda: poller.states["a"].state == State.IDLE)
        finally:
            poller.stop_process()
