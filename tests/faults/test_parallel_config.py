"""Ten `convos-tui config add` processes at once, and an edit killed halfway."""

import subprocess
import sys
import tomllib

from tests.faults.conftest import ROOT


def test_ten_parallel_config_adds_keep_all_ten(tmp_path, home):
    config = tmp_path / "fleet.toml"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "convos_tui",
                "--config",
                str(config),
                "config",
                "add",
                f"gw-{i}",
                f"http://127.0.0.1:{18000 + i}",
            ],
            env=home,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(10)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [p.returncode for p in processes] == [0] * 10, outputs
    names = sorted(g["name"] for g in tomllib.loads(config.read_text())["gateways"])
    assert names == sorted(f"gw-{i}" for i in range(10))
    assert not list(tmp_path.glob(".fleet.toml.*.tmp"))


def test_a_temporary_file_left_by_a_killed_edit_is_cleaned_up_by_the_next(tmp_path, cli):
    config = tmp_path / "fleet.toml"
    assert cli("--config", str(config), "config", "add", "gw-1", "http://127.0.0.1:18001").returncode == 0
    stale = tmp_path / ".fleet.toml.k1ll3d.tmp"
    stale.write_text("half a config")
    assert cli("--config", str(config), "config", "add", "gw-2", "http://127.0.0.1:18002").returncode == 0
    assert not stale.exists()
    assert [g["name"] for g in tomllib.loads(config.read_text())["gateways"]] == ["gw-1", "gw-2"]
