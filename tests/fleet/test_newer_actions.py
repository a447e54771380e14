"""notify, update-metadata, re-attest and reset through the action service: read-only, the audit, the re-poll, and
`unsupported` for a gateway whose runtime has no such route (one outcome for every action)."""

import time

import pytest

from convos_tui.api import errors
from convos_tui.fleet.action_result import route_missing, tally, unsupported
from convos_tui.fleet.actions import Actions
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.newer_actions import parse_attestations
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.store import Store
from convos_tui.sim import GatewaySpec, Mode, SimFleet

SIGNATURE = "c2lnbmF0dXJl" * 7 + "QUJDRA"
SIGNED_AT = "2026-04-11T18:27:14.000Z"
ATTESTATION = (SIGNATURE, SIGNED_AT, "pool-key-2026")


@pytest.fixture
async def sim():
    specs = [
        GatewaySpec("managed", Mode.NEWER_SHAPE),
        GatewaySpec("idle", Mode.NEWER_SHAPE),
        GatewaySpec("classic", Mode.BOUND, core_version="2026.4.10"),
        GatewaySpec("no-plugin", Mode.NO_PLUGIN, start_window=0),
    ]
    async with SimFleet(specs, speed=500) as fleet:
        yield fleet, {g.name: GatewayConfig(name=g.name, url=g.url, env="dev") for g in fleet.gateways}


async def test_the_four_actions_work_and_are_audited(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store)
    created = await actions.create(gws["managed"], name="Ops")
    cid = created.data["conversation_id"]
    notified = await actions.notify(gws["managed"], "A new email from billing")
    assert notified.ok and "members never see it" in notified.summary
    meta = await actions.update_metadata(gws["managed"], {"team": "ops"})
    assert meta.ok and meta.summary == "profile metadata set: team"
    attested = await actions.reattest(gws["managed"], ATTESTATION)
    assert attested.ok and "pool-key-2026" in attested.summary
    reset = await actions.reset(gws["managed"])
    assert reset.ok and reset.summary.startswith("clean again") and cid[:8] in reset.summary
    gateway = fleet.gateway("managed")
    assert gateway.bound is None and gateway.clean
    assert store.conversation("managed", cid)["invite_revoked_at"] is not None  # its invites no longer work
    audit = {row["action"]: row for row in store.audit_log()}
    assert [audit[a]["outcome"] for a in ("notify", "update-metadata", "re-attest", "reset")] == ["ok"] * 4
    assert audit["notify"]["params"]["text"] == "A new email from billing"
    assert audit["update-metadata"]["params"]["metadata"] == '{"team": "ops"}'
    assert audit["re-attest"]["params"]["attestation_kid"] == "pool-key-2026"


async def test_read_only_refuses_all_four_before_any_request(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store, read_only=True)
    before = len(fleet.gateway("managed").request_log)
    results = [
        await actions.notify(gws["managed"], "hi"),
        await actions.update_metadata(gws["managed"], {"a": "b"}),
        await actions.reattest(gws["managed"], ATTESTATION),
        await actions.reset(gws["managed"]),
    ]
    assert [r.outcome for r in results] == ["refused"] * 4 and all("read-only" in r.summary for r in results)
    assert len(fleet.gateway("managed").request_log) == before
    assert [row["outcome"] for row in store.audit_log()] == ["refused"] * 4


async def test_a_gateway_without_the_routes_is_unsupported_not_failed(sim):
    fleet, gws = sim
    store = Store.open(None)
    actions = Actions(store)
    notified = await actions.notify(gws["classic"], "hi")
    assert notified.outcome == "unsupported"
    assert notified.summary == ("not supported by this gateway's runtime: it has no /convos/notify route (HTTP 404)")
    meta = await actions.update_metadata(gws["classic"], {"a": "b"})
    assert meta.outcome == "unsupported" and "/convos/update-metadata" in meta.summary
    # The same outcome for a classic action on a gateway whose plugin routes answer with the core's text 404.
    created = await actions.create(gws["no-plugin"])
    assert created.outcome == "unsupported" and "/convos/conversation" in created.summary
    assert tally([notified, meta, created]) == "3 unsupported"
    assert {row["outcome"] for row in store.audit_log()} == {"unsupported"}


async def test_reset_is_not_sent_to_a_classic_plugin(sim):
    """On xmtplabs/openclaw /convos/reset starts an onboarding with a new identity: it is never sent there."""
    fleet, gws = sim
    result = await Actions(Store.open(None)).reset(gws["classic"])
    assert result.outcome == "unsupported" and "not a factory reset" in result.summary
    paths = [path for _, path, _ in fleet.gateway("classic").request_log]
    assert "/convos/status" in paths and "/convos/reset" not in paths
    assert fleet.gateway("classic").bound is not None and not fleet.gateway("classic").setup_active


async def test_unbound_answers_fail_with_the_same_words(sim):
    fleet, gws = sim
    actions = Actions(Store.open(None))
    for result in (
        await actions.notify(gws["idle"], "hi"),
        await actions.update_metadata(gws["idle"], {"a": "b"}),
        await actions.reattest(gws["idle"], ATTESTATION),
    ):
        assert (result.outcome, result.summary) == ("failed", "no active conversation on this gateway")


async def test_bad_input_is_refused_and_nothing_sent(sim):
    fleet, gws = sim
    actions = Actions(Store.open(None))
    before = len(fleet.gateway("managed").request_log)
    meta = await actions.update_metadata(gws["managed"], {"count": 3})  # type: ignore[dict-item]
    assert meta.outcome == "refused" and "every value must be a string" in meta.summary
    empty = await actions.notify(gws["managed"], "")
    assert empty.outcome == "refused" and "empty" in empty.summary
    missing = await actions.reattest(gws["managed"], None)
    assert missing.outcome == "refused" and "no attestation given" in missing.summary
    assert len(fleet.gateway("managed").request_log) == before


async def test_the_gateway_is_re_polled_after_each(sim):
    fleet, gws = sim
    poller = Poller([gws["idle"]])
    result = await Actions(Store.open(None), poller=poller).notify(gws["idle"], "hi")
    assert result.outcome == "failed"
    assert poller._slots["idle"].due <= time.monotonic()


async def test_bulk_reset_runs_on_each_and_says_each(sim):
    fleet, gws = sim
    actions = Actions(Store.open(None))
    await actions.create(gws["managed"])
    results = await actions.bulk([gws["managed"], gws["idle"], gws["classic"]], actions.reset)
    assert [r.outcome for r in results] == ["ok", "ok", "unsupported"]
    assert "it held none" in results[1].summary


@pytest.mark.parametrize(
    ("exc", "missing"),
    [
        (errors.PluginMissing("no plugin", status=404), True),
        (errors.PluginMissing("Control UI", status=200), True),
        (errors.PluginMissing("core 405", status=405), True),
        (errors.UnexpectedAnswer('{"detail": "Not Found"}', status=404), True),  # Hermes's FastAPI
        (errors.UnexpectedAnswer("the route refused the method (405)", status=405), False),  # the plugin's JSON
        (errors.PluginMissing("HTTP 500 with text/plain", status=500), False),  # a handler that threw
        (errors.NoActiveConversation("no active conversation", status=400), False),
    ],
)
def test_which_answers_mean_the_route_is_missing(exc, missing):
    exc.route = "notify"
    assert (route_missing(exc) is not None) is missing
    result = unsupported("gw", "notify", exc)
    assert (result is not None) is missing


def test_attestations_for_many_gateways_one_each():
    by_object = parse_attestations(
        f'{{"a": {{"attestation": "{SIGNATURE}", "attestation_ts": "{SIGNED_AT}", "attestation_kid": "k"}}}}', "file"
    )
    by_list = parse_attestations(
        f'[{{"gateway": "a", "attestation": "{SIGNATURE}", "attestation_ts": "{SIGNED_AT}", "attestation_kid": "k"}}]',
        "file",
    )
    assert by_object == by_list == {"a": (SIGNATURE, SIGNED_AT, "k")}
    with pytest.raises(ValueError, match="file, gateway 'b': the attestation time"):
        parse_attestations(f'{{"b": {{"attestation": "{SIGNATURE}", "attestation_ts": "now"}}}}', "file")
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_attestations("{", "file")
    with pytest.raises(ValueError, match='entry 1 is not an object with a "gateway"'):
        parse_attestations("[1]", "file")


async def test_the_audit_never_holds_the_pool_key():
    """A token pasted into what the operator sends is redacted in the audit (the gateway still gets what was sent)."""
    key = "very-secret-pool-key"
    async with SimFleet(
        [GatewaySpec("k", Mode.NEWER_SHAPE, pool_key=key, conversation_id="ab" * 16)], speed=500
    ) as fleet:
        gw = GatewayConfig(name="k", url=fleet.gateway("k").url, env="dev", token=key)
        store = Store.open(None)
        actions = Actions(store)
        assert (await actions.notify(gw, f"the key is {key}")).ok
        assert (await actions.update_metadata(gw, {"note": key})).ok
        assert (await actions.reset(gw)).ok
        assert key not in str(store.audit_log())
        assert fleet.gateway("k").metadata_updates == [{"note": key}]


@pytest.mark.parametrize("mode", [Mode.NEWER_SHAPE, Mode.HERMES, Mode.POOL_WRAPPER, Mode.POOL_WRAPPER_HERMES])
async def test_every_managed_runtime_answers_the_same(mode):
    """OpenClaw's plugin and Hermes, bare or behind the pool wrapper: the same outcomes and the same words."""
    specs = [GatewaySpec("bound", mode, conversation_id="cd" * 16), GatewaySpec("unbound", mode)]
    async with SimFleet(specs, speed=500) as fleet:
        gws = {g.name: GatewayConfig(name=g.name, url=g.url, env="dev") for g in fleet.gateways}
        actions = Actions(Store.open(None))
        done = [
            await actions.notify(gws["bound"], "hello"),
            await actions.update_metadata(gws["bound"], {"team": "ops"}),
            await actions.reattest(gws["bound"], ATTESTATION),
            await actions.reset(gws["bound"]),
        ]
        assert [r.outcome for r in done] == ["ok"] * 4, [r.summary for r in done]
        refused = [
            await actions.notify(gws["unbound"], "hello"),  # 503 on OpenClaw, 400 {"detail"} on Hermes
            await actions.update_metadata(gws["unbound"], {"team": "ops"}),
            await actions.reattest(gws["unbound"], ATTESTATION),
        ]
        assert {(r.outcome, r.summary) for r in refused} == {("failed", "no active conversation on this gateway")}
        assert fleet.gateway("bound").notifications == ["hello"] and fleet.gateway("bound").bound is None


@pytest.mark.parametrize("mode", [Mode.PLUGIN_404, Mode.RAILWAY])
async def test_runtimes_without_the_routes_are_unsupported(mode):
    async with SimFleet([GatewaySpec("g", mode, conversation_id="cd" * 16)], speed=500) as fleet:
        gw = GatewayConfig(name="g", url=fleet.gateway("g").url, env="dev")
        actions = Actions(Store.open(None))
        results = [
            await actions.notify(gw, "hello"),
            await actions.update_metadata(gw, {"a": "b"}),
            await actions.reattest(gw, ATTESTATION),
            await actions.reset(gw),
        ]
        assert [r.outcome for r in results] == ["unsupported"] * 4, [r.summary for r in results]
        assert all(r.summary.startswith("not supported by this gateway's runtime") for r in results)
        assert "no Convos plugin answers its status" in results[3].summary  # read first: reset is never sent
        assert "/convos/reset" not in [path for _, path, _ in fleet.gateway("g").request_log]
