"""The simulated CLI's usage texts: a data file read at start, shipped with the package."""

import fnmatch
import tomllib
from pathlib import Path

from convos_tui.sim import convos_cli

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_the_plugin_runs_has_its_usage_text():
    argvs = [
        convos_cli.create_argv(name="n", profile_name="p"),
        convos_cli.join_argv("i", profile_name="p", timeout=60),
        convos_cli.send_argv("c", "m"),
        convos_cli.update_profile_argv("c", "n"),
        convos_cli.lock_argv("c", unlock=False),
        convos_cli.explode_argv("c"),
    ]
    for argv in argvs:
        usage = convos_cli.USAGE[" ".join(argv[:2])]
        assert usage.startswith("USAGE\n  $ convos " + " ".join(argv[:2])) and usage.endswith("information\n\n")
        assert "\n## " not in usage and not usage.endswith("\n\n\n")


def test_the_usage_file_is_package_data_so_a_wheel_carries_it():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = [f"{package.replace('.', '/')}/{glob}" for package, globs in data.items() for glob in globs]
    assert any(fnmatch.fnmatch("convos_tui/sim/cli_usage.txt", pattern) for pattern in shipped), shipped
