"""The action service against simulated gateways: outcomes, audit, stored invites, read-only, bulk."""

import pytest

from convos_tui.fleet.actions import Actions
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.store import Store
from convos_tui.sim import GatewaySpec, Mode, SimFleet


def configs(fleet, env="dev"):
    return {g.name: GatewayConfig(name=g.name, url=g.url, env=env) for g in fleet.gateways}


@pytest.fixture
async def sim():
    specs = [GatewaySpec("a"), GatewaySpec("b"), GatewaySpec("c", Mode.OFFLINE), GatewaySpec("d", Mode.BOUND)]
    async with SimFleet(specs, speed=500) as fleet:
        yield fleet, configs(fleet)


async def test_create_stores_the_invite_and_audits(sim):
    fleet, gws = sim
    store = Store.open(None)
    result = await Actions(store).create(gws["a"], name="Ops room", instructions="Be brief.")
    assert result.ok and result.data["invite_url"].startswith("https://dev.convos.org/v2?i=")
    assert result.data["provisioning_s"] > 0
    record = store.conversation("a", result.data["conversation_id"])
    assert record["invite_url"] == result.data["invite_url"] and record["name"] == "Ops room"
    [audit] = store.audit_log()
    assert (audit["action"], audit["outcome"], audit["gateway"]) == ("create", "ok", "a")
    assert audit["params"]["instructions"] == "Be brief."


async def test_invite_lifecycle_lock_then_explode(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store)
    created = await actions.create(gws["a"], name="x")
    cid = created.data["conversation_id"]
    # no poller here: the conversation id comes from the store
    locked = await actions.lock(gws["a"])
    assert locked.ok and store.conversation("a", cid)["invite_revoked_at"] is not None
    exploded = await actions.explode(gws["a"])
    assert exploded.ok and store.conversation("a", cid)["exploded_at"] is not None
    assert fleet.gateway("a").bound is None


async def test_join_with_a_checked_invite(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store)
    created = await actions.create(gws["a"], name="x")
    joined = await actions.join(gws["b"], created.data["invite_url"], profile_name="Helper")
    assert joined.ok and joined.data["status"] == "joined"
    assert joined.data["conversation_id"] == created.data["conversation_id"]
    assert store.conversation("b", created.data["conversation_id"])["origin"] == "join"


async def test_a_bad_invite_is_refused_before_any_request(sim):
    fleet, gws = sim
    store = Store.open(None)
    before = len(fleet.gateway("b").request_log)
    result = await Actions(store).join(gws["b"], "https://example.invalid/v2?i=" + "A" * 240)
    assert result.outcome == "refused" and "not a Convos host" in result.summary
    assert len(fleet.gateway("b").request_log) == before
    assert store.audit_log()[0]["outcome"] == "refused"


async def test_an_invite_for_the_other_network_is_refused(sim):
    fleet, gws = sim
    prod = GatewayConfig(name="b", url=fleet.gateway("b").url, env="production")
    result = await Actions(Store.open(None)).join(prod, "https://dev.convos.org/v2?i=" + "A" * 240)
    assert result.outcome == "refused" and "dev network" in result.summary


async def test_errors_come_back_as_failed_with_the_summary(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store)
    bound = await actions.create(gws["d"])
    assert bound.outcome == "failed" and bound.summary.startswith("already holds a conversation")
    offline = await actions.create(gws["c"], name="X")
    assert offline.outcome == "failed" and "dns error" in offline.summary and len(offline.detail) > 1000
    unbound = await actions.send(gws["b"], "hello")
    assert unbound.outcome == "failed" and "no active conversation" in unbound.summary
    empty = await actions.send(gws["d"], "")
    assert empty.outcome == "refused" and "empty" in empty.summary
    assert [a["outcome"] for a in store.audit_log()] == ["refused", "failed", "failed", "failed"]


async def test_read_only_refuses_in_the_service_itself(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store, read_only=True)
    before = {name: len(fleet.gateway(name).request_log) for name in gws}
    results = [
        await actions.create(gws["a"]),
        await actions.join(gws["a"], "https://dev.convos.org/v2?i=" + "A" * 240),
        await actions.send(gws["d"], "hi"),
        await actions.rename(gws["d"], "x"),
        await actions.lock(gws["d"]),
        await actions.lock(gws["d"], unlock=True),
        await actions.explode(gws["d"]),
    ]
    assert {r.outcome for r in results} == {"refused"}
    assert all("read-only" in r.summary for r in results)
    assert {name: len(fleet.gateway(name).request_log) for name in gws} == before
    assert len(store.audit_log()) == 7


async def test_bulk_runs_bounded_and_keeps_the_order(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store)
    seen = []
    results = await actions.bulk(
        [gws["a"], gws["b"], gws["c"], gws["d"]],
        lambda gw: actions.create(gw, name="bulk"),
        concurrency=2,
        on_result=lambda r: seen.append(r.gateway),
    )
    assert [r.gateway for r in results] == ["a", "b", "c", "d"]
    assert [r.outcome for r in results] == ["ok", "ok", "failed", "failed"]
    assert sorted(seen) == ["a", "b", "c", "d"]


async def test_the_audit_never_holds_the_pool_key():
    async with SimFleet([GatewaySpec("k", Mode.POOL_KEY, pool_key="very-secret-key")], speed=500) as fleet:
        gw = GatewayConfig(name="k", url=fleet.gateway("k").url, env="dev", token="very-secret-key")
        store = Store.open(None)
        result = await Actions(store).create(gw, name="x")
        assert result.ok
        assert "very-secret-key" not in str(store.audit_log()) and "very-secret-key" not in str(result.as_dict())


async def test_a_timed_out_create_is_unknown_re_polled_and_not_retried():
    from convos_tui.api.endpoint import Timeouts
    from convos_tui.fleet.poller import Poller

    async with SimFleet([GatewaySpec("slow", Mode.SLOW, latency=1.5)], speed=500) as fleet:
        gw = GatewayConfig(name="slow", url=fleet.gateway("slow").url, env="dev", timeouts=Timeouts(create=0.3))
        poller = Poller([gw])
        store = Store.open(None)
        result = await Actions(store, poller=poller).create(gw, name="x")
        assert result.outcome == "unknown" and "outcome is unknown" in result.summary
        assert poller._slots["slow"].due <= __import__("time").monotonic()  # re-poll scheduled at once
        creates = [e for e in fleet.gateway("slow").request_log if e[1] == "/convos/conversation"]
        assert len(creates) <= 1
        assert store.audit_log()[0]["outcome"] == "unknown"


async def test_waiting_for_a_busy_store_does_not_block_the_event_loop(sim, tmp_path):
    import asyncio
    import sqlite3
    import time

    fleet, gws = sim
    path = tmp_path / "store.sqlite3"
    store = Store.open(path, wait_s=1.0)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        action = asyncio.create_task(Actions(store).create(gws["a"]))
        ticks, started = 0, time.monotonic()
        while not action.done():
            await asyncio.sleep(0.05)  # the console's keys and timers, meanwhile
            ticks += 1
        result = action.result()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert time.monotonic() - started >= 0.9 and ticks >= 10
    assert result.outcome == "refused" and "could not be written" in result.store_failure
    assert fleet.gateway("a").bound is None


async def test_a_timed_out_create_found_bound_later_says_its_answer_never_came():
    from convos_tui.api.client import GatewayClient
    from convos_tui.api.endpoint import Timeouts
    from convos_tui.fleet.actions import NO_ANSWER, check_unfinished
    from convos_tui.fleet.invites import find_invite
    from convos_tui.fleet.poller import Poller

    async with SimFleet([GatewaySpec("slow", Mode.SLOW, latency=0.6)], speed=500) as fleet:
        gw = GatewayConfig(name="slow", url=fleet.gateway("slow").url, env="dev", timeouts=Timeouts(create=0.3))
        store = Store.open(None)
        assert (await Actions(store).create(gw)).outcome == "unknown"
        # The gateway ends up bound (here by a create made outside this console, with time to answer).
        async with GatewayClient(GatewayConfig(name="slow", url=gw.url, env="dev").endpoint()) as other:
            await other.create()
        [line] = await check_unfinished(store, Poller([gw]))
        assert "its answer never came" in line and NO_ANSWER in line
        told = find_invite(store, "slow", bound_conversation=fleet.gateway("slow").bound)
        assert "a create whose answer never came" in told.problem and "never received" in told.problem
