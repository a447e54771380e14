"""The README's set-up commands are the ones CI runs: `.ci/run` holds exactly the README's test command."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def readme_command(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```(?:sh|bash|console)?\n(.+?)\n```", text, re.S)
    assert match, f"README.md has no <!-- {marker} --> code block"
    return match.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    command = readme_command("test-command")
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line for line in script if line.strip() and not line.startswith("#")]
    assert commands[-1] == command


def test_the_test_command_installs_before_testing():
    command = readme_command("test-command")
    assert "pip install" in command and "pytest" in command
    assert command.index("pip install") < command.index("pytest")


def test_the_full_config_example_is_valid():
    from convos_tui.fleet.inventory import parse_inventory

    text = (ROOT / "README.md").read_text()
    match = re.search(r"A full example, with every key.*?```toml\n(.+?)\n```", text, re.S)
    assert match, "README.md lost its full config example"
    environ = {"GW_EU_1_POOL_KEY": "k1", "POOL_MANAGER_KEY": "k2", "POOL_GATEWAY_KEY": "k3"}
    inventory = parse_inventory(match.group(1), ROOT / "example.toml", environ=environ)
    assert [g.name for g in inventory.gateways] == ["gw-eu-1"]
    assert inventory.gateways[0].timeouts.status == 5 and inventory.gateways[0].timeouts.join == 70
    assert [s.type for s in inventory.sources] == ["file", "pool"]
    assert inventory.select("eu") == list(inventory.gateways)
