"""The collector and the poll tally on known states: what a scrape reads, without a server."""

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from convos_tui.api import errors
from convos_tui.api.interpret import remember_secret
from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import GatewayState
from convos_tui.fleet.store import Store
from convos_tui.instances.records import InstanceRecord
from convos_tui.metrics.access import AddressError, Credentials, listen_on
from convos_tui.metrics.collector import FleetCollector, tag_value
from convos_tui.metrics.polls import PollTally


def scrape(collector):
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    text = generate_latest(registry).decode()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return text, found


def key(name, **labels):
    return (name, frozenset(labels.items()))


def status(conversation=None):
    return GatewayStatus(shape="classic", ready=True, conversation_id=conversation, streaming=True)


def test_a_tally_counts_each_failed_poll_even_when_a_process_reports_two_at_once():
    tally = PollTally()
    state = GatewayState("gw", added_at=0.0)
    down = errors.Unreachable(summary="connection refused")
    for at in (1.0, 2.0):
        state.observe_error(down, None, at)
        tally(state)
    tally(state)  # the same poll reported again (a join marked pending): not a new failure
    state.observe_error(down, None, 3.0)
    state.observe_error(down, None, 4.0)  # two polls, one report
    tally(state)
    assert tally.snapshot()[0] == {"gw": 4}
    state.observe_status(status(), 0.02, 5.0)
    state.observe_error(down, None, 6.0)  # answered, then failed again, reported once
    tally(state)
    failures, durations = tally.snapshot()
    assert failures == {"gw": 5}
    assert durations == {}  # refused connections are not timed; the answer in between was not reported


def test_audit_outcomes_cold_starts_and_no_secret_in_a_label():
    remember_secret("sekrit-token-123456")
    store = Store.open(None)
    for outcome in ("ok", "ok", "failed"):
        row = store.begin_action("create", gateway="gw-a", params={})
        store.finish_action(row, outcome=outcome, detail="", elapsed_s=1.0)
    store.begin_action("explode", gateway="gw-a", params={})  # never finished: unknown
    configs = {
        "gw-a": GatewayConfig("gw-a", "http://127.0.0.1:1", tags=("region/eu", "pool-a")),
        "gw-sekrit-token-123456": GatewayConfig("gw-sekrit-token-123456", "http://127.0.0.1:2"),
    }
    states = {name: GatewayState(name, added_at=0.0) for name in configs}
    states["gw-a"].observe_status(status("c0ffee" * 5), 0.01, 10.0)
    records = [
        InstanceRecord("i1", "sim", "sim", "g", "/d1", phases={"restore": 0.3, "spawn": 1.2, "ready": 4.0}),
        InstanceRecord("i2", "sim", "sim", "g", "/d2", phases={"restore": 0.2, "spawn": 0.9}, failed_phase="ready"),
    ]
    collector = FleetCollector(
        states, configs.get, PollTally(), store=store, instances=lambda: records, labels=["region"], clock=lambda: 70.0
    )
    text, found = scrape(collector)
    assert found[key("convos_action_total", action="create", outcome="ok")] == 2
    assert found[key("convos_action_total", action="create", outcome="failed")] == 1
    assert found[key("convos_action_total", action="explode", outcome="unknown")] == 1
    assert found[key("convos_instance_cold_start_seconds_count", launcher="sim", phase="spawn")] == 2
    assert found[key("convos_instance_cold_start_seconds_bucket", launcher="sim", phase="spawn", le="1.0")] == 1
    assert found[key("convos_instance_cold_start_seconds_sum", launcher="sim", phase="ready")] == 4.0
    assert found[key("convos_gateway_state_since_seconds", gateway="gw-a", region="eu")] == 60.0
    assert found[key("convos_gateway_up", gateway="gw-[redacted]", region="")] == 0
    assert "sekrit-token-123456" not in text and "c0ffee" not in text
    store.close()


def test_tag_values_and_listen_addresses():
    assert tag_value(("pool-a", "region/eu-west"), "region") == "eu-west"
    assert tag_value(("regional",), "region") == ""
    assert listen_on("9464", default_port=1, bind_any=False, flag="--x") == ("127.0.0.1", 9464, None)
    assert listen_on("[::1]:80", default_port=1, bind_any=False, flag="--x") == ("::1", 80, None)
    with pytest.raises(AddressError, match="--x"):
        listen_on("0.0.0.0:9464", default_port=1, bind_any=False, flag="--x")
    host, port, warning = listen_on("0.0.0.0:9464", default_port=1, bind_any=True, flag="--x")
    assert (host, port) == ("0.0.0.0", 9464) and "beyond this machine" in warning
    with pytest.raises(AddressError, match="no valid port"):
        listen_on("127.0.0.1:99999", default_port=1, bind_any=False, flag="--x")


def test_credentials_check_bearer_basic_and_a_browser_token():
    both = Credentials(token="t0ken-abc", basic="prom:pw")
    assert both.allows("Bearer t0ken-abc") and both.allows(None, token="t0ken-abc")
    assert both.allows("Basic cHJvbTpwdw==")  # prom:pw
    assert not both.allows("Basic cHJvbTp3cm9uZw==") and not both.allows("Basic !!") and not both.allows(None)
    assert Credentials().allows(None)


def test_a_fleet_with_launchers_exports_the_cold_starts_its_records_hold(tmp_path):
    from pathlib import Path

    from convos_tui.fleet.fleet import Fleet
    from convos_tui.fleet.inventory import Inventory
    from convos_tui.fleet.launchers import LauncherConfig
    from convos_tui.fleet.poller import Poller
    from convos_tui.instances.records import Records
    from convos_tui.metrics.fleet_metrics import FleetMetrics

    store_path = tmp_path / "store.sqlite3"
    records = Records.open(store_path)
    records.save(InstanceRecord("i1", "booth", "sim", "g", "/d", state="terminated", phases={"spawn": 0.7}))
    records.close()
    inventory = Inventory(path=None, launchers=(LauncherConfig("booth", "sim", Path("/g")),))
    fleet = Fleet(inventory, Store.open(store_path), poller=Poller([]))
    metrics = FleetMetrics.of(fleet, "127.0.0.1", 0, Credentials())
    try:
        text = generate_latest(metrics.server.registry).decode()
    finally:
        metrics.close()
        fleet.close()
    assert 'convos_instance_cold_start_seconds_count{launcher="booth",phase="spawn"} 1.0' in text
