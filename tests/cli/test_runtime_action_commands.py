"""notify, update-metadata, re-attest and reset as scripts use them: one gateway or many, JSON, exit codes (6 for a
gateway whose runtime has no such route), --yes, read-only, and operator input refused with what is wrong."""

import json

import pytest
from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.fleet.store import Store
from convos_tui.sim import GatewaySpec, Mode
from tests.threaded_fleet import ThreadFleet

SIGNATURE = "c2lnbmF0dXJl" * 7 + "QUJDRA"
SIGNED_AT = "2026-04-11T18:27:14.000Z"
SPECS = [
    GatewaySpec("m1", Mode.NEWER_SHAPE, conversation_id="a1" * 16),
    GatewaySpec("m2", Mode.NEWER_SHAPE, conversation_id="a2" * 16),
    GatewaySpec("m3", Mode.NEWER_SHAPE),
    GatewaySpec("classic", Mode.BOUND, core_version="2026.4.10"),
]


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with ThreadFleet(SPECS, speed=500) as sim:
        path = tmp_path / "fleet.toml"
        path.write_text(sim.config_toml())

        def run(*args, input=None):
            return CliRunner().invoke(main, ["--config", str(path), *args], input=input, catch_exceptions=False)

        run.sim = sim
        run.tmp = tmp_path
        run.store_path = tmp_path / "data" / "convos-tui" / "store.sqlite3"
        yield run


def test_notify_one_gateway_then_many_from_stdin(fleet):
    one = fleet("notify", "m1", "An email arrived", "--json")
    assert one.exit_code == 0 and json.loads(one.stdout)["outcome"] == "ok"
    many = fleet("notify", "m1", "m2", "-", input="SMS from +1 555 0100\n")
    assert many.exit_code == 0, many.output
    assert fleet.sim.gateway("m2").notifications == ["SMS from +1 555 0100\n"]
    assert fleet.sim.gateway("m1").notifications == ["An email arrived", "SMS from +1 555 0100\n"]
    assert "2 gateways: 2 ok" in many.stderr


def test_notify_by_filter_says_each_outcome_and_exits_with_the_worst(fleet):
    result = fleet("notify", "--filter", "tag:sim", "hello", "--json")
    rows = {r["gateway"]: r for r in json.loads(result.stdout)}
    assert [rows[n]["outcome"] for n in ("m1", "m2", "m3", "classic")] == ["ok", "ok", "failed", "unsupported"]
    assert rows["classic"]["summary"].startswith("not supported by this gateway's runtime")
    assert result.exit_code == 1  # failed is worse than unsupported


def test_a_gateway_without_the_route_exits_6(fleet):
    result = fleet("notify", "classic", "hello")
    assert result.exit_code == 6
    assert "not supported by this gateway's runtime: it has no /convos/notify route (HTTP 404)" in result.stderr


def test_update_metadata_from_pairs_and_from_a_file(fleet):
    assert fleet("update-metadata", "m1", "--set", "team=ops", "--set", "tier=gold").exit_code == 0
    assert fleet.sim.gateway("m1").metadata_updates == [{"team": "ops", "tier": "gold"}]
    path = fleet.tmp / "meta.json"
    path.write_text('{"service": "email", "address": "agent@example.com"}')
    result = fleet("update-metadata", "m1", "m2", "--from", str(path), "--json")
    assert result.exit_code == 0 and [r["outcome"] for r in json.loads(result.stdout)] == ["ok", "ok"]
    assert fleet.sim.gateway("m2").metadata_updates == [{"service": "email", "address": "agent@example.com"}]


@pytest.mark.parametrize(
    ("args", "input", "words"),
    [
        (["--from", "-"], "[1, 2]", "metadata must be a JSON object"),
        (["--from", "-"], '{"n": 1}', "every value must be a string"),
        (["--from", "-"], "{oops", "stdin is not valid JSON (line 1 column 2"),
        (["--set", "novalue"], None, "has no '='"),
        ([], None, "one of them"),
        (["--from", "/nonexistent/meta.json"], None, "cannot read the metadata from /nonexistent/meta.json"),
    ],
)
def test_bad_metadata_is_a_usage_error_and_nothing_is_sent(fleet, args, input, words):
    result = fleet("update-metadata", "m1", *args, input=input)
    assert result.exit_code == 2 and words in result.output
    assert fleet.sim.gateway("m1").metadata_updates == []


def test_re_attest_one_gateway_needs_yes(fleet):
    args = ["re-attest", "m1", "--attestation", SIGNATURE, "--ts", SIGNED_AT, "--kid", "k1"]
    refused = fleet(*args)
    assert refused.exit_code == 2 and "--yes" in refused.output and fleet.sim.gateway("m1").attestation is None
    assert fleet(*args, "--yes").exit_code == 0
    assert fleet.sim.gateway("m1").attestation == (SIGNATURE, SIGNED_AT, "k1")


def test_re_attest_many_takes_one_attestation_each(fleet):
    given = [
        {"gateway": n, "attestation": SIGNATURE, "attestation_ts": SIGNED_AT, "attestation_kid": n}
        for n in ("m1", "m2")
    ]
    result = fleet("re-attest", "m1", "m2", "m3", "--from", "-", "--yes", "--json", input=json.dumps(given))
    rows = {r["gateway"]: r for r in json.loads(result.stdout)}
    assert (rows["m1"]["outcome"], rows["m2"]["outcome"]) == ("ok", "ok")
    assert rows["m3"]["outcome"] == "refused" and "no attestation given" in rows["m3"]["summary"]
    assert fleet.sim.gateway("m2").attestation == (SIGNATURE, SIGNED_AT, "m2")
    # The same signature for several gateways cannot be right: it is refused before anything.
    many = fleet("re-attest", "m1", "m2", "--attestation", SIGNATURE, "--ts", SIGNED_AT, "--kid", "k", "--yes")
    assert many.exit_code == 2 and "signed for one agent" in many.output


def test_reset_needs_yes_and_frees_the_instance(fleet):
    refused = fleet("reset", "m1")
    assert refused.exit_code == 2 and "--yes" in refused.output and fleet.sim.gateway("m1").bound
    result = fleet("reset", "m1", "--yes", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "ok" and data["conversation_id"] == "a1" * 16 and data["clean"] is True
    assert fleet.sim.gateway("m1").bound is None
    classic = fleet("reset", "classic", "--yes")
    assert classic.exit_code == 6 and "not a factory reset" in classic.stderr
    assert fleet.sim.gateway("classic").bound is not None


def test_read_only_refuses_and_audits(fleet):
    result = fleet("--read-only", "reset", "m1", "m2", "--yes")
    assert result.exit_code == 3 and "read-only" in result.stderr
    assert fleet.sim.gateway("m1").bound and fleet.sim.gateway("m2").bound
    assert {row["outcome"] for row in Store.open(fleet.store_path).audit_log()} == {"refused"}


def test_naming_nothing_or_an_unknown_gateway_is_a_usage_error(fleet):
    assert "select them with --filter" in fleet("notify", "hello").output
    unknown = fleet("notify", "m1", "nope", "hello")
    assert unknown.exit_code == 2 and "no gateway named 'nope'" in unknown.output
    nothing = fleet("notify", "--filter", "tag:absent", "hello")
    assert nothing.exit_code == 2 and "no gateway matches the filter" in nothing.output
