"""Under umask 022, what a real `convos-tui create` leaves on disk is readable by its owner only."""

import os
import stat
import subprocess
import sys
import time

from convos_tui.export import write_csv_and_json
from tests.faults.conftest import ROOT


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_is_private_under_umask_022_and_an_open_data_dir_is_tightened(simulator, home, tmp_path):
    sim = simulator(count=1)
    data = tmp_path / "data" / "convos-tui"
    data.mkdir(parents=True, mode=0o755)
    os.chmod(data, 0o755)  # as an older version left it
    created = subprocess.run(
        [sys.executable, "-m", "convos_tui", "--config", str(sim.config), "create", sim.gateways[0]["name"]],
        env=home,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert created.returncode == 0, created.stderr
    assert f"notice: {data} was readable by others (mode 755)" in created.stderr
    assert mode(data) == 0o700
    files = sorted(data.iterdir())
    assert "store.sqlite3" in [f.name for f in files]
    for each in files:
        assert mode(each) == 0o600, each


def test_exports_are_private_under_umask_022(tmp_path):
    old = os.umask(0o022)
    try:
        paths = write_csv_and_json(
            [{"gateway": "a", "invite_url": "https://dev.convos.org/v2?i=x"}],
            ["gateway", "invite_url"],
            tmp_path,
            "invites",
            now=time.time(),
        )
    finally:
        os.umask(old)
    assert [mode(p) for p in paths] == [0o600, 0o600]
