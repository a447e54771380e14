"""The command line imports a command only when it runs, and a command imports only what it uses: `--help`, a
config problem and `status` start fast (the README's start-up figures), and a cron job polling the fleet never
loads the console, the simulator, httpx or an HTTP server."""

import importlib
import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from convos_tui.cli import COMMANDS, main
from convos_tui.sim import GatewaySpec, Mode
from tests.threaded_fleet import ThreadFleet

# What a run of the command line loaded, printed by the child as JSON once the command has ended.
PROBE = (
    "import json, sys\n"
    "from convos_tui.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:], prog_name='convos-tui')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
)
# Neither the console, nor the simulator or an aiohttp server, nor httpx (the actions' client) and its
# rich, nor the QR code's libraries, nor tomlkit (config edits).
NEVER_FOR_STATUS = (
    "textual",
    "convos_tui.ui",
    "convos_tui.sim",
    "aiohttp.web",
    "httpx",
    "rich",
    "qrcode",
    "PIL",
    "tomlkit",
    "importlib.metadata",  # the version is a constant (convos_tui/__init__.py): 11 ms with email and zipfile
    "convos_tui.fleet.poll_process",  # multiprocessing: only the console starts a polling process
)


def loaded(*args, env=None):
    """Exit code and the modules loaded by `convos-tui ARGS` in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), result.stdout


def among(modules, prefixes):
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_help_lists_every_command_with_its_summary():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:")[1]
    for name, target in COMMANDS.items():
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        summary = command.get_short_help_str(limit=20).removesuffix("...")
        assert f"  {name} " in listed and summary in listed, f"{name} missing from --help"


def test_every_command_is_reached_by_its_name_with_the_global_options():
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        # A group's own options are its commands': `config add --read-only` is where the option goes.
        path = [name, sorted(command.commands)[0]] if isinstance(command, click.Group) else [name]
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, f"{name}: {result.output}"
        assert "--read-only" in result.output, f"{path}: the group's options are accepted after the command too"


def test_help_imports_no_command_dependencies():
    code, modules, stdout = loaded("--help")
    assert code == 0 and "status" in stdout and "launch" in stdout
    forbidden = (
        "textual",
        "convos_tui.ui",
        "aiohttp",
        "httpx",
        "rich",
        "qrcode",
        "PIL",
        "tomlkit",
        "importlib.metadata",
    )
    assert among(modules, forbidden) == []


def test_status_on_an_empty_fleet_imports_neither_http_stack(tmp_path):
    config = tmp_path / "empty.toml"
    config.write_text('refresh = "5s"\n')
    code, modules, _ = loaded("--config", str(config), "status")
    assert code == 2  # no gateways: a config problem
    assert among(modules, ("aiohttp", "yarl", *NEVER_FOR_STATUS)) == []


@pytest.fixture
def two_gateways(tmp_path):
    with ThreadFleet([GatewaySpec("idle-1"), GatewaySpec("live-1", Mode.BOUND)]) as fleet:
        path = tmp_path / "fleet.toml"
        path.write_text(fleet.config_toml())
        yield path


def test_status_polls_without_the_console_the_simulator_httpx_or_aiohttp(tmp_path, two_gateways):
    env = {"PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    code, modules, stdout = loaded("--config", str(two_gateways), "status", "--json", env=env)
    assert code == 0
    states = {g["name"]: g["state"] for g in json.loads(stdout)["gateways"]}
    assert states == {"idle-1": "idle", "live-1": "live"}
    assert "httptools" in modules  # it did poll (fleet/http1_session.py)
    # aiohttp's import (with the TLS contexts it builds) is most of what a one-shot run cost: a sweep needs none of it.
    assert among(modules, ("aiohttp", "yarl", *NEVER_FOR_STATUS)) == []


def test_version_is_read_when_asked():
    from importlib import metadata

    from convos_tui import __version__

    assert metadata.version("convos-tui") == __version__  # the package's metadata is built from the constant
    code, modules, stdout = loaded("--version")
    assert code == 0 and stdout.strip() == f"convos-tui, version {__version__}"


@pytest.mark.parametrize("package", ["convos_tui.api", "convos_tui.sim"])
def test_a_package_gives_each_of_its_names_on_first_use(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018 (the attribute access is what is tested)
