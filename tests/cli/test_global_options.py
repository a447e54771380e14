"""--config, --profile and --read-only work after the command too, as people type them."""

import json

import pytest
from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.sim import GatewaySpec
from tests.threaded_fleet import ThreadFleet


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))  # no default config: --config must be taken
    monkeypatch.delenv("CONVOS_TUI_CONFIG", raising=False)
    with ThreadFleet([GatewaySpec("a"), GatewaySpec("b")], speed=500) as sim:
        path = tmp_path / "fleet.toml"
        path.write_text(sim.config_toml() + '\n[profiles.one]\ngateways = ["a"]\n')
        yield sim, path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_read_only_after_the_command_refuses_before_any_request(fleet):
    sim, path = fleet
    for args in (["--read-only", "create", "a"], ["create", "a", "--read-only"], ["create", "--read-only", "a"]):
        result = run("--config", str(path), *args)
        assert result.exit_code == 3 and "read-only" in result.output, (args, result.output)
    assert sim.gateway("a").bound is None


def test_config_and_profile_after_the_command(fleet):
    _, path = fleet
    result = run("status", "--jsonl", "--no-history", "--config", str(path), "--profile", "one")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["name"] for line in result.stdout.splitlines()] == ["a"]
    listed = run("config", "list", "--json", "--config", str(path), "--profile", "one")
    assert [row["name"] for row in json.loads(listed.stdout)] == ["a"]


def test_every_command_lists_them_in_its_help():
    for args in (["create"], ["status"], ["config", "check"], ["demo"]):
        text = run(*args, "--help").output
        assert "--config FILE" in text and "--profile" in text and "--read-only" in text, args
