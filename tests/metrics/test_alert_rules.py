"""The README's example alerting rules are rules Prometheus accepts, naming metrics the collector exports."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from convos_tui.fleet.state import GatewayState
from convos_tui.metrics.collector import FleetCollector
from convos_tui.metrics.polls import PollTally
from tests.metrics.test_collector import scrape

RULES = Path(__file__).resolve().parents[2] / "docs" / "alerts.rules.yml"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (Debian package prometheus)")
def test_promtool_accepts_the_rules():
    result = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout + result.stderr


def test_the_rules_name_only_exported_metrics():
    text, _ = scrape(FleetCollector({"gw": GatewayState("gw", added_at=0.0)}, lambda name: None, PollTally()))
    exported = set(re.findall(r"^# TYPE (\S+)", text, re.MULTILINE))
    named = set(re.findall(r"\b(convos_[a-z_]+)", RULES.read_text()))
    assert named and named <= exported, named - exported
