"""Alert rules: once per episode, never for a flap inside `after`, the hook's stdin and its failures, the config."""

import json
import sys
from pathlib import Path

import pytest

from convos_tui.fleet.alert_hooks import notification, run_hook
from convos_tui.fleet.alert_rules import AlertRule
from convos_tui.fleet.alerts import AlertWatch
from convos_tui.fleet.inventory import ConfigError, GatewayConfig, parse_inventory
from convos_tui.fleet.state import FAULTS, GatewayState, State

T0 = 1_790_000_000.0
BOOTH = GatewayConfig(name="eu-booth-1", url="http://127.0.0.1:18801", tags=("eu", "booth"))
LAB = GatewayConfig(name="lab-1", url="http://127.0.0.1:18802", tags=("lab",))
RULE = AlertRule("booth-down", frozenset({State.STALLED, State.UNREACHABLE}), ("booth",), after=60.0)


def at(state: State, since: float, reason: str = "stream down") -> GatewayState:
    return GatewayState("x", added_at=T0 - 1000, state=state, since=since, reason=reason)


def test_an_episode_alerts_once_after_its_grace_and_a_short_flap_never():
    watch = AlertWatch([RULE])
    assert watch.observe(BOOTH, at(State.STALLED, T0), T0) == []
    assert watch.observe(BOOTH, at(State.LIVE, T0 + 30), T0 + 30) == []  # back inside 60 s: no alert, ever
    assert watch.due(T0 + 500, lambda name: None) == []
    assert watch.observe(BOOTH, at(State.STALLED, T0 + 40), T0 + 40) == []
    # stalled then unreachable is one episode: it began at T0 + 40
    assert watch.observe(BOOTH, at(State.UNREACHABLE, T0 + 70), T0 + 70) == []
    [alert] = watch.due(T0 + 100, lambda name: (BOOTH, at(State.UNREACHABLE, T0 + 70, "refused")))
    assert (alert.rule, alert.gateway, alert.state, alert.began, alert.at) == (
        "booth-down",
        "eu-booth-1",
        State.UNREACHABLE,
        T0 + 40,
        T0 + 100,
    )
    assert alert.line() == "booth-down: eu-booth-1 unreachable for 1m00s (refused)"
    assert watch.observe(BOOTH, at(State.UNREACHABLE, T0 + 70), T0 + 200) == []  # once per episode
    assert watch.acknowledge(["eu-booth-1", "lab-1"]) == ["eu-booth-1"] and not watch.active
    watch.observe(BOOTH, at(State.LIVE, T0 + 300), T0 + 300)  # the episode ends …
    assert watch.observe(BOOTH, at(State.STALLED, T0 + 400), T0 + 470)  # … and the next one alerts again


def test_the_tags_choose_the_gateways_and_a_state_seen_late_began_when_the_gateway_says():
    watch = AlertWatch([RULE, AlertRule("any-fault", FAULTS, after=0.0)])
    assert [a.rule for a in watch.observe(LAB, at(State.UNREACHABLE, T0 - 900), T0)] == ["any-fault"]
    [alert] = [a for a in watch.observe(BOOTH, at(State.STALLED, T0 - 900), T0) if a.rule == "booth-down"]
    assert alert.began == T0 - 900


def test_the_reason_a_gateway_sent_is_cleaned_before_a_terminal_or_a_hook_sees_it():
    watch = AlertWatch([AlertRule("r", FAULTS, after=0.0)])
    [alert] = watch.observe(BOOTH, at(State.ERROR, T0, "bad\x1b]0;pwned\x07 Bearer abcdefghijklmnop"), T0)
    assert "\x1b" not in alert.reason and "abcdefghijklmnop" not in alert.reason
    for kind in ("osc9", "osc777"):
        sequence = notification(alert, kind)
        assert sequence.startswith("\x1b]") and sequence.endswith("\x07")
        assert "\x1b" not in sequence[2:] and "\x07" not in sequence[:-1]
    assert notification(alert, "osc777").count(";") == 3  # notify;title;body: the body's own ; are replaced
    assert notification(alert, "none") == ""


def test_the_hook_gets_the_alert_as_json_on_stdin_without_a_shell(tmp_path: Path):
    watch = AlertWatch([RULE])
    [alert] = watch.observe(BOOTH, at(State.STALLED, T0 - 61), T0)
    out = tmp_path / "got.json"
    copy = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    assert run_hook((sys.executable, "-c", copy, "; rm -rf /"), alert) == ""
    got = json.loads(out.read_text())
    assert got["schema"] == "convos-tui/alert/1" and got["gateway"] == "eu-booth-1" and got["state"] == "stalled"
    assert got["url"] == "http://127.0.0.1:18801" and got["for_s"] == 61.0 and got["tags"] == ["eu", "booth"]
    failing = (sys.executable, "-c", "import sys; sys.stderr.write('pager down'); sys.exit(3)")
    assert run_hook(failing, alert) == f"alert hook {sys.executable} exited 3: pager down"
    assert "no such program" in run_hook((str(tmp_path / "nope"),), alert)
    slow = (sys.executable, "-c", "import time; time.sleep(30)")
    assert "still running after 0.2 s" in run_hook(slow, alert, timeout=0.2)


def test_the_config_reads_alerts_and_says_what_is_wrong_with_each_line():
    text = """
[[alerts]]
name = "booth-down"
states = ["stalled", "unreachable"]
tags = ["booth"]
after = "90s"
bell = true
notify = "osc777"
command = ["/usr/local/bin/page", "--team", "booth"]
"""
    [rule] = parse_inventory(text, Path("c.toml"), environ={}).alerts
    assert rule == AlertRule(
        "booth-down",
        frozenset({State.STALLED, State.UNREACHABLE}),
        ("booth",),
        90.0,
        True,
        "osc777",
        ("/usr/local/bin/page", "--team", "booth"),
    )
    bad = '[[alerts]]\nstates = ["down"]\nnotify = "popup"\ncommand = "page --now"\nbel = true\n'
    with pytest.raises(ConfigError) as caught:
        parse_inventory(bad, Path("c.toml"), environ={})
    said = str(caught.value)
    assert "c.toml:2: alert 'alert-1': 'down' is not a state" in said and "or faults" in said
    assert "c.toml:3: alert 'alert-1' notify 'popup' is not one of none, osc9, osc777" in said
    assert "c.toml:4: alert 'alert-1' command should be a list of strings (run without a shell)" in said
    assert "c.toml:5: unknown key 'bel' in alert 'alert-1'. Did you mean 'bell'?" in said
