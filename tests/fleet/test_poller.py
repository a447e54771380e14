"""The poller against simulated gateways over real loopback sockets."""

import asyncio
import time

import pytest

from convos_tui.api.endpoint import Timeouts
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.state import State
from convos_tui.sim import GatewaySpec, Mode, SimFleet


def configs(fleet, *, status_timeout=3.0, tokens=None):
    tokens = tokens or {}
    return [
        GatewayConfig(name=g.name, url=g.url, token=tokens.get(g.name), timeouts=Timeouts(status=status_timeout))
        for g in fleet.gateways
    ]


async def wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize(
    ("spec", "state", "words"),
    [
        (GatewaySpec("idle"), State.IDLE, "ready to create or join"),
        (GatewaySpec("live", Mode.BOUND), State.LIVE, "streaming"),
        (GatewaySpec("newer", Mode.NEWER_SHAPE, conversation_id="ab" * 16), State.LIVE, "does not report streaming"),
        (GatewaySpec("keyed", Mode.POOL_KEY), State.UNAUTHORIZED, "pool key"),
        (GatewaySpec("starting", Mode.NO_PLUGIN), State.STARTING, "Plugin runtime is starting"),
        (GatewaySpec("down", Mode.DOWN), State.UNREACHABLE, "connection refused"),
        (GatewaySpec("garbage", Mode.GARBAGE), State.ERROR, "not valid UTF-8"),
        (GatewaySpec("huge", Mode.HUGE), State.ERROR, "cut off"),
        (GatewaySpec("reset", Mode.RESET), State.UNREACHABLE, "connection"),
    ],
)
async def test_each_state_from_its_mode(spec, state, words):
    async with SimFleet([spec], speed=1) as fleet:
        poller = Poller(configs(fleet), start_grace_s=0)
        states = await poller.sweep()
    assert states[spec.name].state == state, states[spec.name].reason
    assert words in states[spec.name].reason


async def test_no_plugin_after_its_start_window():
    async with SimFleet([GatewaySpec("p", Mode.NO_PLUGIN)], speed=40) as fleet:
        await asyncio.sleep(0.3)  # the 8 s window at speed 40
        states = await Poller(configs(fleet)).sweep()
    assert states["p"].state == State.NO_PLUGIN and "web page" in states["p"].reason


async def test_a_drip_answer_is_cut_by_the_status_timeout():
    async with SimFleet([GatewaySpec("d", Mode.DRIP)]) as fleet:
        started = time.monotonic()
        states = await Poller(configs(fleet, status_timeout=0.5), start_grace_s=0).sweep()
    assert states["d"].state == State.UNREACHABLE and "timed out" in states["d"].reason
    assert time.monotonic() - started < 1.5


async def test_the_pool_key_is_sent():
    async with SimFleet([GatewaySpec("k", Mode.POOL_KEY, pool_key="pk")]) as fleet:
        states = await Poller(configs(fleet, tokens={"k": "pk"})).sweep()
    assert states["k"].state == State.IDLE


async def test_pending_from_the_newer_shape():
    async with SimFleet(
        [GatewaySpec("creator", require_approval=True), GatewaySpec("joiner", Mode.NEWER_SHAPE)], speed=500
    ) as fleet:
        from convos_tui.api import Endpoint, GatewayClient, parse_invite

        async with GatewayClient(Endpoint(fleet.gateway("creator").url)) as creator:
            created = await creator.create()
        async with GatewayClient(Endpoint(fleet.gateway("joiner").url)) as joiner:
            await joiner.join(parse_invite(created.invite_url))
        states = await Poller(configs(fleet)).sweep()
    assert states["joiner"].state == State.PENDING


async def test_the_grace_window_tells_a_flap_from_a_stall():
    """The stalled mode replays the real plugin's restarts (3 tries over ~23 s) then gives up: at speed 20
    that is ~1.2 s; with a 0.5 s grace the poller shows flapping first, and stalled once it has given up."""
    seen = []
    async with SimFleet([GatewaySpec("s", Mode.STALLED)], speed=20) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5, grace_s=0.5, on_transitions=seen.extend)
        poller.interval_s = 0.05  # faster than the public minimum, to sample the schedule finely
        async with poller:
            await wait_for(lambda: poller.states["s"].state == State.STALLED, seconds=8)
    states = [t.new for t in seen]
    assert states[0] == State.LIVE and State.FLAPPING in states and states[-1] == State.STALLED
    assert states.index(State.FLAPPING) < states.index(State.STALLED)


async def test_flapping_comes_back_to_live():
    seen = []
    async with SimFleet([GatewaySpec("f", Mode.FLAPPING)], speed=10) as fleet:
        poller = Poller(configs(fleet), grace_s=30, on_transitions=seen.extend)
        poller.interval_s = 0.05
        async with poller:
            await wait_for(lambda: [t.new for t in seen].count(State.LIVE) >= 2, seconds=8)
    assert State.FLAPPING in [t.new for t in seen] and State.STALLED not in [t.new for t in seen]


async def test_backoff_while_down_and_recovery_at_once():
    async with SimFleet([GatewaySpec("b")], speed=1) as fleet:
        poller = Poller(configs(fleet, status_timeout=0.5), start_grace_s=0)
        poller.interval_s = 0.1
        async with poller:
            await wait_for(lambda: poller.states["b"].state == State.IDLE)
            await fleet.set_down("b", True)
            await wait_for(lambda: poller.states["b"].failures >= 4, seconds=10)
            gaps = []
            last = poller.states["b"].last_poll
            while len(gaps) < 2:
                await asyncio.sleep(0.02)
                if poller.states["b"].last_poll != last:
                    gaps.append(poller.states["b"].last_poll - last)
                    last = poller.states["b"].last_poll
            assert poller.states["b"].state == State.UNREACHABLE
            assert all(gap > 0.6 for gap in gaps)  # backed off from 0.1 s to 0.8 s and more
            await fleet.set_down("b", False)
            poller.poll_now("b")
            await wait_for(lambda: poller.states["b"].state == State.IDLE, seconds=5)
            assert poller.states["b"].failures == 0
            # recovered: back to the normal pace at once
            polls = poller.polls
            await asyncio.sleep(0.6)
            assert poller.polls - polls >= 3


async def test_fifty_hanging_gateways_do_not_delay_a_hundred_and_fifty_others():
    specs = [GatewaySpec(f"ok-{i:03d}") for i in range(150)] + [
        GatewaySpec(f"hang-{i:02d}", Mode.SLOW, latency=30.0) for i in range(50)
    ]
    done_at = {}
    async with SimFleet(specs) as fleet:
        poller = Poller(
            configs(fleet, status_timeout=4.0),
            start_grace_s=0,
            on_poll=lambda s: done_at.setdefault(s.name, time.monotonic()),
        )
        started = time.monotonic()
        states = await poller.sweep()
    healthy = [done_at[f"ok-{i:03d}"] - started for i in range(150)]
    hung = [done_at[f"hang-{i:02d}"] - started for i in range(50)]
    assert all(states[f"ok-{i:03d}"].state == State.IDLE for i in range(150))
    # relative, not wall-clock: every healthy gateway is in before the first hung one times out
    assert max(healthy) < min(hung), (max(healthy), min(hung))
    assert min(hung) >= 4.0 and all(states[f"hang-{i:02d}"].state == State.UNREACHABLE for i in range(50))


async def test_never_two_polls_of_one_gateway_in_flight():
    async with SimFleet([GatewaySpec("slow", Mode.SLOW, latency=0.3)]) as fleet:
        poller = Poller(configs(fleet))
        async with poller:
            for _ in range(20):
                poller.poll_now("slow")
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.8)
        statuses = [entry for entry in fleet.gateway("slow").request_log if entry[1] == "/convos/status"]
    # 20 "poll now" presses within 0.2 s: the first poll, then one more queued behind it, not 20
    assert 2 <= len(statuses) <= 4


async def test_pause_resume_and_interval():
    async with SimFleet([GatewaySpec("a"), GatewaySpec("b")]) as fleet:
        poller = Poller(configs(fleet), interval_s=0.5)
        async with poller:
            await wait_for(lambda: poller.polls >= 2)
            poller.pause()
            await asyncio.sleep(0.1)
            paused_at = poller.polls
            await asyncio.sleep(1.0)
            assert poller.polls == paused_at
            poller.resume()
            poller.set_interval(0.5)
            await wait_for(lambda: poller.polls >= paused_at + 2, seconds=2)


async def test_memory_does_not_grow_with_polls():
    async with SimFleet([GatewaySpec("a")]) as fleet:
        poller = Poller(configs(fleet))
        poller.interval_s = 0.01
        async with poller:
            await wait_for(lambda: poller.polls >= 200, seconds=20)
    state = poller.states["a"]
    assert len(state.latencies) == 60 and len(poller._heap) <= 3 and not poller._tasks


async def test_only_a_gateway_added_while_running_gets_the_start_grace():
    async with SimFleet([GatewaySpec("known", Mode.DOWN), GatewaySpec("fresh", Mode.DOWN)]) as fleet:
        known, fresh = configs(fleet, status_timeout=0.5)
        poller = Poller([known])
        poller.add(fresh)
        states = await poller.sweep()
    assert states["known"].state == State.UNREACHABLE
    assert states["fresh"].state == State.STARTING and "not answering yet" in states["fresh"].reason


async def test_the_poller_runs_in_its_own_thread_and_takes_controls_from_any():
    import threading

    async with SimFleet([GatewaySpec("a"), GatewaySpec("b")]) as fleet:
        threads = set()
        poller = Poller(configs(fleet), interval_s=0.5, on_poll=lambda s: threads.add(threading.current_thread().name))
        poller.start_thread()
        try:
            await wait_for(lambda: poller.polls >= 2)
            assert threads == {"convos-poller"}
            poller.pause()
            await asyncio.sleep(0.3)
            paused_at = poller.polls
            await asyncio.sleep(0.8)
            assert poller.polls == paused_at
            poller.resume()
            poller.poll_now("a")
            await wait_for(lambda: poller.polls > paused_at)
            poller.set_interval(1.0)
            assert poller.interval_s == 1.0
        finally:
            await asyncio.to_thread(poller.stop_thread)
    assert not any(thread.name == "convos-poller" for thread in threading.enumerate())


async def test_stop_never_hangs_when_a_wake_up_races_the_cancel():
    """On Python 3.11 asyncio.wait_for swallowed a cancel arriving as the wake-up event was set,
    and stop() waited for ever: resume() (or any finished poll) right before stop() did it."""
    async with SimFleet([GatewaySpec("a")]) as fleet:
        for _ in range(20):
            poller = Poller(configs(fleet), interval_s=60)
            await poller.start()
            await wait_for(lambda poller=poller: poller.polls >= 1)  # the next poll is a minute away: the loop waits
            await asyncio.sleep(0.01)
            poller.resume()
            await asyncio.wait_for(poller.stop(), timeout=3)


async def test_the_refresh_stays_inside_the_gateways_keep_alive():
    from convos_tui.fleet.state import GatewayState

    poller = Poller([], interval_s=5.0)
    delays = [poller._next_delay(GatewayState("x", added_at=0)) for _ in range(200)]
    assert max(delays) <= 4.5 and min(delays) >= 4.5 * 0.9 - 0.01
    poller.interval_s = 10.0
    assert max(poller._next_delay(GatewayState("x", added_at=0)) for _ in range(50)) > 5
