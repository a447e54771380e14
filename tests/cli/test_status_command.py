"""`convos-tui status` as cron, CI and a person at a terminal use it."""

import csv
import io
import json
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.sim import GatewaySpec, Mode
from tests.threaded_fleet import ThreadFleet

SPECS = [
    GatewaySpec("idle-1"),
    GatewaySpec("live-1", Mode.BOUND),
    GatewaySpec("down-1", Mode.DOWN),
    GatewaySpec("keyed-1", Mode.POOL_KEY, pool_key="pk"),
]


@pytest.fixture
def fleet_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("CONVOS_SIM_POOL_KEY", "pk")
    threaded = ThreadFleet(SPECS)
    with threaded as fleet:
        path = tmp_path / "fleet.toml"
        path.write_text(fleet.config_toml())
        yield threaded, path


def run(path, *args):
    return CliRunner().invoke(main, ["--config", str(path), "status", *args], catch_exceptions=False)


def test_table_for_a_person(fleet_config):
    _, path = fleet_config
    result = run(path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["STATE", "NAME", "RUNTIME", "URL"]
    by_name = {line.split()[1]: line for line in lines[1:5]}
    assert by_name["idle-1"].startswith("idle ")
    assert by_name["live-1"].startswith("live ") and " yes " in by_name["live-1"]
    assert by_name["down-1"].startswith("UNREACHABLE") and "connection refused" in by_name["down-1"]
    assert by_name["keyed-1"].startswith("idle ")  # the pool key came from $CONVOS_SIM_POOL_KEY
    assert "4 gateways:" in result.stdout


def test_json_schema(fleet_config):
    threaded, path = fleet_config
    fleet = threaded.fleet
    document = json.loads(run(path, "--json").stdout)
    assert document["schema"] == "convos-tui/status/1"
    assert document["counts"]["idle"] == 2 and document["counts"]["unreachable"] == 1
    live = next(g for g in document["gateways"] if g["name"] == "live-1")
    assert set(live) >= {"name", "url", "state", "reason", "since", "since_s", "latency_ms", "status", "error"}
    assert live["url"] == fleet.gateway("live-1").url and live["state"] == "live"
    assert live["status"]["conversation_id"] == fleet.gateway("live-1").bound
    assert live["status"]["streaming"] is True and live["since"].endswith("Z")


def test_jsonl_and_csv(fleet_config):
    _, path = fleet_config
    lines = run(path, "--jsonl").stdout.splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["idle-1", "live-1", "down-1", "keyed-1"]
    rows = list(csv.DictReader(io.StringIO(run(path, "--csv").stdout)))
    assert [(r["name"], r["state"]) for r in rows] == [
        ("idle-1", "idle"),
        ("live-1", "live"),
        ("down-1", "unreachable"),
        ("keyed-1", "idle"),
    ]
    assert rows[2]["error_kind"] == "unreachable"
    assert (rows[1]["ready"], rows[1]["streaming"], rows[1]["pending"]) == ("true", "true", "false")
    assert (rows[0]["streaming"], rows[2]["ready"]) == ("false", "")


def test_filter_and_fail_on(fleet_config):
    _, path = fleet_config
    faults = run(path, "--filter", "state:faults", "--jsonl")
    assert [json.loads(line)["name"] for line in faults.stdout.splitlines()] == ["down-1"]
    assert run(path, "--fail-on", "faults").exit_code == 1
    assert run(path, "--fail-on", "stalled,no-plugin").exit_code == 0
    assert run(path, "--filter", "-name:down-*", "--fail-on", "faults").exit_code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--fail-on", "broken"], "unknown state 'broken'"), (["--filter", "colour:red"], "unknown field 'colour'")],
)
def test_usage_problems_exit_2(fleet_config, args, words):
    _, path = fleet_config
    result = run(path, *args)
    assert result.exit_code == 2 and words in result.output


def test_a_broken_config_exits_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[gateways]]\nname = "a"\nurl = "htp://x"\n')
    result = run(path)
    assert result.exit_code == 2 and f"{path}:3:" in result.output


def test_since_survives_between_runs(fleet_config):
    _, path = fleet_config
    run(path, "--json")
    time.sleep(1.2)
    second = json.loads(run(path, "--json").stdout)
    assert all(g["since_s"] >= 1.0 for g in second["gateways"])
    fresh = json.loads(run(path, "--json", "--no-history").stdout)
    assert all(g["since_s"] < 1.0 for g in fresh["gateways"])


def test_watch_exits_when_a_gateway_enters_a_fail_on_state(fleet_config):
    threaded, path = fleet_config
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "convos_tui",
            "--config",
            str(path),
            "status",
            "--watch",
            "--interval",
            "0.5",
            "--fail-on",
            "unreachable",
            "--filter",
            "-name:down-1",
            "--jsonl",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        assert process.poll() is None  # still watching: nothing in a fail-on state yet
        threaded.call(threaded.fleet.set_down("idle-1", True))
        assert process.wait(timeout=15) == 1
        assert "idle-1" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_status_never_imports_textual(fleet_config):
    _, path = fleet_config
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from convos_tui.cli import main\n"
        f"result = CliRunner().invoke(main, ['--config', {str(path)!r}, 'status', '--no-history'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'textual']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_no_raw_escape_from_the_config_reaches_the_terminal(tmp_path, monkeypatch):
    from tests.fleet.test_config_errors import ESCAPED, raw_controls

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = tmp_path / "fleet.toml"
    path.write_text(f'[[gateways]]\nname = "a"\nurl = "http://127.0.0.1:9/{ESCAPED}"\nnote = "{ESCAPED}"\n')
    result = run(path, "--no-history")
    assert result.exit_code == 2 and f"{path}:3: url holds control characters" in result.output
    assert "warning: note holds control characters" in result.output
    assert not raw_controls(result.output)
    path.write_text(f'[[gateways]]\nname = "a"\nurl = "http://127.0.0.1:9"\nnote = "{ESCAPED}"\n')
    for args in ((), ("--csv",), ("--json",)):
        result = run(path, "--no-history", *args)
        assert result.exit_code == 0 and not raw_controls(result.output), result.output


def test_an_unset_token_variable_warns_and_the_gateway_shows_unauthorized(fleet_config, monkeypatch):
    _, path = fleet_config
    monkeypatch.delenv("CONVOS_SIM_POOL_KEY")
    result = run(path, "--jsonl", "--no-history")
    assert result.exit_code == 0, result.output
    assert "warning: gateway 'keyed-1' reads its key from $CONVOS_SIM_POOL_KEY, which is not set" in result.stderr
    states = {json.loads(line)["name"]: json.loads(line)["state"] for line in result.stdout.splitlines()}
    assert states["keyed-1"] == "unauthorized" and states["idle-1"] == "idle"


@pytest.mark.parametrize("explicit", [True, False])
def test_a_missing_config_is_exit_2_with_what_to_do(tmp_path, monkeypatch, explicit):
    path = tmp_path / "cfg" / "convos-tui" / "config.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("CONVOS_TUI_CONFIG", raising=False)
    args = ["--config", str(path), "status"] if explicit else ["status"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output == f"Error: no config at {path}: `convos-tui config init` writes one\n"


def test_a_fault_state_is_exit_0_without_fail_on(fleet_config):
    # The table is for reading; `--fail-on` is what makes a state an exit code (for cron, CI, monitoring).
    _, path = fleet_config
    result = run(path, "--no-history")
    assert "UNREACHABLE" in result.stdout and result.exit_code == 0


def test_watch_heads_each_table_with_the_time_of_its_poll(fleet_config):
    import re
    import threading

    _, path = fleet_config
    started = time.time()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "convos_tui",
            "--config",
            str(path),
            "status",
            "--watch",
            "--interval",
            "0.5",
            "--no-history",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    headings = []
    two = threading.Event()

    def read():
        for line in process.stdout:
            if line.startswith("as of "):
                headings.append(line)
            if len(headings) >= 2:
                two.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert two.wait(timeout=20), headings
    finally:
        process.kill()
        process.wait()
        reader.join(timeout=5)
    for heading in headings[:2]:
        match = re.fullmatch(r"as of (\d\d):(\d\d):(\d\d), every 0\.5 s \(Ctrl-C stops\)\n", heading)
        assert match, heading
        hours, minutes, seconds = map(int, match.groups())
        local = time.localtime(started)
        after_start = (
            hours * 3600 + minutes * 60 + seconds - (local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec)
        ) % 86400
        assert after_start <= time.time() - started + 1, (heading, local)


def test_watch_runs_the_alert_rules_headless(fleet_config, tmp_path):
    _, path = fleet_config
    out = tmp_path / "alerts.jsonl"
    hook = [sys.executable, "-c", f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"]
    rules = f'\n[[alerts]]\nname = "down"\nstates = ["unreachable"]\nafter = "1s"\ncommand = {json.dumps(hook)}\n'
    path.write_text(path.read_text() + rules)
    process = subprocess.Popen(
        [sys.executable, "-m", "convos_tui", "--config", str(path), "status", "--watch", "--interval", "0.5", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (out.exists() and out.read_text().endswith("\n")) and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for a condition (the hook wrote), not for a time
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
        alert = json.loads(out.read_text().splitlines()[0])
        assert alert["rule"] == "down" and alert["gateway"] == "down-1" and alert["state"] == "unreachable"
        said = process.stderr.read()
        assert "ALERT down: down-1 unreachable for " in said and said.count("ALERT") == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
