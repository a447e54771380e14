"""`golden init` writes a checkpoint `golden check` accepts; every kind of XMTP state or secret put into one is
refused by name, with its path and the fix; a launch refuses a bad golden before starting anything."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.instances.golden import CONFIG_FILE, INSTRUCTIONS_LIMIT, check_golden


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def edit(golden: Path, change) -> None:
    path = golden / CONFIG_FILE
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config, indent=2) + "\n")


@pytest.fixture
def golden(tmp_path):
    plugin = tmp_path / "convos-plugin"
    plugin.mkdir()
    instructions = tmp_path / "mine.md"
    instructions.write_text("# Be kind\n\nAnswer in one line.\n", encoding="utf-8")
    result = run(
        "golden",
        "init",
        str(tmp_path / "g"),
        "--env",
        "production",
        "--instructions",
        str(instructions),
        "--plugin",
        str(plugin),
    )
    assert result.exit_code == 0, result.output
    return tmp_path / "g"


def test_init_writes_what_a_real_gateway_loads_and_check_accepts_it(golden, tmp_path):
    config = json.loads((golden / CONFIG_FILE).read_text())
    assert config["channels"]["convos"] == {"enabled": True, "env": "production"}
    assert config["plugins"]["load"]["paths"] == [str((tmp_path / "convos-plugin").resolve())]
    assert config["plugins"]["entries"]["convos"] == {"enabled": True}
    assert config["auth"]["profiles"]["anthropic:default"] == {"provider": "anthropic", "mode": "token"}
    assert config["gateway"] == {"mode": "local", "bind": "loopback", "auth": {"mode": "token"}}
    assert config["update"] == {"checkOnStart": False}
    assert (golden / CONFIG_FILE).read_text().endswith("}\n")  # as `openclaw config set` leaves it
    assert (golden / "workspace" / "INSTRUCTIONS.md").read_text() == "# Be kind\n\nAnswer in one line.\n"
    text = (golden / CONFIG_FILE).read_text()
    assert 'token": "' not in text and "poolApiKey" not in text and "sk-" not in text
    checked = run("golden", "check", str(golden))
    assert checked.exit_code == 0 and "a good golden" in checked.output


def _put_convos_folder(g: Path) -> None:
    (g / ".convos" / "db" / "dev").mkdir(parents=True)


def _put_file(relative: str, data: bytes):
    def put(g: Path) -> None:
        (g / relative).parent.mkdir(parents=True, exist_ok=True)
        (g / relative).write_bytes(data)

    return put


def _set(*keys: str, value):
    def put(g: Path) -> None:
        def change(config):
            for key in keys[:-1]:
                config = config.setdefault(key, {})
            if value is None:
                config.pop(keys[-1], None)
            else:
                config[keys[-1]] = value

        edit(g, change)

    return put


BAD = {
    "identityId": (
        _set("channels", "convos", "identityId", value="abc123"),
        "channels.convos.identityId",
        "XMTP state",
    ),
    "ownerConversationId": (
        _set("channels", "convos", "ownerConversationId", value="0123abcd"),
        "channels.convos.ownerConversationId",
        "XMTP state",
    ),
    ".convos folder": (_put_convos_folder, ".convos", "XMTP state"),
    "identity file": (_put_file("workspace/identity.json", b"{}"), "identity.json", "XMTP state"),
    "XMTP database": (_put_file("data/xmtp-dev-4f2a.db3", b"SQLite format 3\x00"), "xmtp-dev-4f2a.db3", "XMTP state"),
    "pool key": (
        _set("channels", "convos", "poolApiKey", value="pool-secret-789"),
        "channels.convos.poolApiKey",
        "a secret",
    ),
    "gateway token": (_set("gateway", "auth", "token", value="test-gw-token-123"), "gateway.auth.token", "a secret"),
    "provider key in the config": (
        _set("env", "ANTHROPIC_API_KEY", value="sk-ant-api03-abcdefghijklmnop"),
        "env.ANTHROPIC_API_KEY",
        "a secret",
    ),
    "provider key in a file": (
        _put_file("workspace/notes.md", b"key: sk-ant-api03-abcdefghijklmnopqrstu\n"),
        "notes.md",
        "a secret",
    ),
    "plugin disabled": (
        _set("plugins", "entries", "convos", "enabled", value=False),
        "plugins.entries.convos.enabled",
        "not enabled",
    ),
    "env missing": (_set("channels", "convos", "env", value=None), "channels.convos.env", "env is missing"),
    "env invalid": (
        _set("channels", "convos", "env", value="staging"),
        "channels.convos.env",
        "'staging' is not valid",
    ),
    "invalid JSON": (_put_file(CONFIG_FILE, b'{"gateway": {'), CONFIG_FILE, "not valid JSON"),
    "other JSON invalid": (_put_file("workspace/skills.json", b"[1, 2"), "skills.json", "not valid JSON"),
    "instructions not UTF-8": (_put_file("workspace/INSTRUCTIONS.md", b"caf\xe9\n"), "INSTRUCTIONS.md", "not UTF-8"),
    "instructions too big": (
        _put_file("workspace/INSTRUCTIONS.md", b"x" * (INSTRUCTIONS_LIMIT + 1)),
        "INSTRUCTIONS.md",
        "KiB",
    ),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_check_refuses_each_kind_by_name(golden, kind):
    put, where, what = BAD[kind]
    put(golden)
    result = CliRunner().invoke(main, ["golden", "check", str(golden)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if where in line]
    assert lines and what in lines[0], result.output
    assert lines[0].rstrip().endswith(".") and ". " in lines[0]  # the problem, then the fix
    assert len(check_golden(golden)) == 1, [p.render() for p in check_golden(golden)]


def test_init_refuses_bad_input_and_writes_nothing(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    result = run("golden", "init", str(taken))
    assert result.exit_code == 1 and "not an empty folder" in result.output
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes(b"caf\xe9")
    result = run("golden", "init", str(tmp_path / "new"), "--instructions", str(latin1))
    assert result.exit_code == 1 and "not UTF-8" in result.output and not (tmp_path / "new").exists()
    result = run("golden", "init", str(tmp_path / "new"), "--plugin", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "is not a folder" in result.output and not (tmp_path / "new").exists()


def test_a_launch_refuses_a_bad_golden_and_starts_nothing(env):
    _set("channels", "convos", "identityId", value="abc123")(env.golden)
    done = env.run("launch", "--json")
    assert done.returncode == 3
    [result] = json.loads(done.stdout)
    assert result["outcome"] == "refused" and "golden" in result["summary"]
    assert "channels.convos.identityId" in result["detail"]
    assert not env.instances_dir.exists() or not os.listdir(env.instances_dir)


def test_a_reference_to_the_environment_is_no_secret_but_a_value_is(golden):
    """An image's golden takes its per-container keys from the environment, as OpenClaw substitutes `${NAME}`."""
    edit(golden, lambda c: c["channels"]["convos"].update(poolApiKey="${CONVOS_POOL_API_KEY}"))
    assert check_golden(golden) == []
    edit(golden, lambda c: c["channels"]["convos"].update(poolApiKey="${CONVOS_POOL_API_KEY}x"))
    assert [p.path.endswith("channels.convos.poolApiKey") for p in check_golden(golden)] == [True]
