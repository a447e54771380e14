"""`convos-tui config …` as a person uses it, through the real command line."""

import json
import os

import pytest
from click.testing import CliRunner

from convos_tui.cli import main


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("CONVOS_TUI_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args, env=None):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    run.path = tmp_path / "cfg" / "convos-tui" / "config.toml"
    return run


def test_path_init_check(cli):
    assert cli("config", "path").output.startswith(str(cli.path))
    assert "does not exist yet" in cli("config", "path").output
    result = cli("config", "init")
    assert result.exit_code == 0 and cli.path.exists()
    assert (cli.path.stat().st_mode & 0o777) == 0o600
    again = cli("config", "init")
    assert again.exit_code == 1 and "already exists" in again.output
    checked = cli("config", "check")
    assert checked.exit_code == 0 and "OK, 0 gateways" in checked.output


def test_add_list_edit_remove(cli):
    assert cli("config", "add", "gw-1", "http://127.0.0.1:18801", "--env", "dev", "--tag", "lab").exit_code == 0
    assert "# convos-tui configuration" in cli.path.read_text()  # started from the commented starter
    assert cli("config", "add", "gw-2", "http://127.0.0.1:18802", "--token-env", "GW2_KEY").exit_code == 0
    listed = cli("config", "list", "--json", env={"GW2_KEY": ""})
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["env"], r["tags"], r["pool_key"]) for r in rows] == [
        ("gw-1", "dev", ["lab"], None),
        ("gw-2", "production", [], "$GW2_KEY"),
    ]
    assert cli("config", "edit", "gw-1", "--rename", "gw-one", "--add-tag", "eu", "--note", "booth").exit_code == 0
    assert cli("config", "remove", "gw-2").exit_code == 0
    rows = json.loads(cli("config", "list", "--json").stdout)
    assert rows == [
        {
            "name": "gw-one",
            "url": "http://127.0.0.1:18801",
            "env": "dev",
            "tags": ["lab", "eu"],
            "note": "booth",
            "pool_key": None,
            "tls_verify": True,
            "origin": "config",
        }
    ]
    assert cli.path.with_name("config.toml.bak").exists()


def test_check_fails_with_every_problem_and_its_line(cli):
    cli.path.parent.mkdir(parents=True)
    cli.path.write_text('refesh = "5s"\n[[gateways]]\nname = "a"\nurl = "htp://x"\n')
    result = cli("config", "check")
    assert result.exit_code == 1
    assert f"{cli.path}:1: unknown key 'refesh'" in result.output
    assert f"{cli.path}:4: gateway 'a': 'htp://x'" in result.output
    assert "2 problems" in result.output


def test_edits_never_touch_a_broken_config(cli):
    cli.path.parent.mkdir(parents=True)
    broken = '[[gateways]]\nname = "a"\nurl = "htp://x"\n'
    cli.path.write_text(broken)
    result = cli("config", "add", "b", "http://127.0.0.1:1")
    assert result.exit_code == 1 and "not changed" in result.output
    assert cli.path.read_text() == broken and not cli.path.with_name("config.toml.bak").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["config", "add", "bad name", "http://127.0.0.1:1"], "Invalid value for NAME"),
        (["config", "add", "ok", "127.0.0.1:1"], "is not an http:// or https:// URL"),
        (["config", "add", "ok", "http://127.0.0.1:1", "--tag", "a b"], "Invalid value for --tag"),
        (["config", "add", "ok", "http://127.0.0.1:1", "--token-env", "1X"], "not an environment variable name"),
        (["config", "add", "ok", "http://127.0.0.1:1", "--env", "moon"], "Invalid value for '--env'"),
    ],
)
def test_bad_arguments_are_explained(cli, args, words):
    result = cli(*args)
    assert result.exit_code == 2 and words in result.output
    assert not cli.path.exists()


def test_explicit_config_flag_and_missing_file(cli, tmp_path):
    other = tmp_path / "fleet.toml"
    result = cli("--config", str(other), "config", "check")
    assert result.exit_code == 1 and "config init" in result.output
    assert cli("--config", str(other), "config", "add", "x", "http://127.0.0.1:1").exit_code == 0
    assert other.exists() and not cli.path.exists()


def test_profiles_select_gateways(cli):
    cli("config", "add", "a", "http://127.0.0.1:1", "--tag", "eu")
    cli("config", "add", "b", "http://127.0.0.1:2")
    with open(cli.path, "a") as handle:
        handle.write('\n[profiles.eu]\ntags = ["eu"]\n')
    rows = json.loads(cli("--profile", "eu", "config", "list", "--json").stdout)
    assert [r["name"] for r in rows] == ["a"]
    result = cli("--profile", "us", "config", "list")
    assert result.exit_code == 1 and "no profile 'us'" in result.output and "eu" in result.output


def test_tokens_never_printed(cli):
    cli("config", "add", "a", "http://127.0.0.1:1", "--token-env", "A_KEY")
    result = cli("config", "list", "--json", env={"A_KEY": "super-secret-key"})
    assert "super-secret-key" not in result.output
    assert os.environ.get("A_KEY") is None


def test_list_discovers_a_simulated_pool_end_to_end(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    config = tmp_path / "fleet.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "convos_tui", "simulate", "--count", "3", "--pool", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (config.exists() and config.stat().st_size):
            time.sleep(0.05)
        result = subprocess.run(
            [sys.executable, "-m", "convos_tui", "--config", str(config), "config", "list", "--discover", "--json"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        rows = json.loads(result.stdout)
        assert [(r["name"], r["tags"]) for r in rows] == [(f"sim-0{i}", ["pool", "pool-idle"]) for i in (1, 2, 3)]
        assert all(r["origin"].startswith("pool http://127.0.0.1:") for r in rows)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_the_console_refuses_a_missing_config_or_an_empty_fleet_with_what_to_do(cli):
    result = cli()
    assert result.exit_code == 2
    assert f"no config at {cli.path}: `convos-tui config init`" in result.output
    cli("config", "init")
    result = cli()
    assert result.exit_code == 2
    assert "no gateways" in result.output and "convos-tui config add NAME URL" in result.output


def test_a_name_with_a_final_newline_is_refused(cli):
    result = cli("config", "add", "gw-1\n", "http://127.0.0.1:1")
    assert result.exit_code == 2 and "Invalid value for NAME" in result.output
    assert not cli.path.exists()


def test_check_catches_what_the_console_would_refuse(cli):
    cli.path.parent.mkdir(parents=True)
    cli.path.write_text('theme = "textual-drak"\n[keymap]\npol-now = "r"\n')
    result = cli("config", "check")
    assert result.exit_code == 1 and "2 problems" in result.output
    assert (
        f"{cli.path}:1: theme 'textual-drak' is not a theme of the console. Did you mean 'textual-dark'?"
        in result.output
    )
    assert (
        f"{cli.path}:3: keymap 'pol-now' is not a binding id of the console. Did you mean 'poll-now'?" in result.output
    )


def test_an_unset_token_variable_is_the_same_warning_in_every_command(cli):
    cli("config", "add", "a", "http://127.0.0.1:9", "--token-env", "A_KEY")
    warning = f"{cli.path}:"
    outputs = []
    for args in (("config", "check"), ("config", "list"), ("config", "list", "--json")):
        result = cli(*args, env={"A_KEY": ""})
        assert result.exit_code == 0, result.output
        [line] = [line for line in result.stderr.splitlines() if "$A_KEY" in line]
        outputs.append(line)
    assert len(set(outputs)) == 1 and outputs[0].startswith(warning)
    assert "warning: gateway 'a' reads its key from $A_KEY, which is not set" in outputs[0]


def test_check_refuses_an_unknown_profile_as_the_console_would(cli):
    cli("config", "add", "a", "http://127.0.0.1:1")
    result = cli("--profile", "us", "config", "check")
    assert result.exit_code == 1 and "no profile 'us'" in result.output
    assert cli("config", "check").exit_code == 0
