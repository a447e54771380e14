"""`convos-tui status --json` on a fleet of every runtime: each gateway in its state, its runtime named."""

import dataclasses
import json

from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.sim import Mode
from convos_tui.sim.modes import runtime_specs
from tests.fleet.test_runtimes_fleet import EXPECTED
from tests.threaded_fleet import ThreadFleet


def test_status_json_names_every_runtime(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("CONVOS_SIM_POOL_KEY", "pool-secret-789")  # the Railway template's, as simulate prints
    specs = [dataclasses.replace(s, start_window=0) if s.mode is Mode.NO_PLUGIN else s for s in runtime_specs()]
    with ThreadFleet(specs, speed=1000) as fleet:
        path = tmp_path / "fleet.toml"
        path.write_text(fleet.config_toml())
        result = CliRunner().invoke(main, ["--config", str(path), "status", "--json"], catch_exceptions=False)
        table = CliRunner().invoke(main, ["--config", str(path), "status"], catch_exceptions=False)
    gateways = {g["name"]: g for g in json.loads(result.stdout)["gateways"]}
    for name, (state, label, words) in EXPECTED.items():
        assert (gateways[name]["state"], gateways[name]["runtime"]["label"]) == (str(state), label), name
        assert words in gateways[name]["reason"]
    assert gateways["wrapper-openclaw"]["runtime"]["wrapper"] is True
    assert "/readyz: ready" in gateways["plugin-404"]["health"]
    line = next(line for line in table.stdout.splitlines() if line.split()[1:2] == ["wrapper-hermes"])
    assert "hermes 0.3.4" in line
