"""The console's side of #21: `--presentation` opens presentation mode, and `--metrics` serves /metrics while
the console runs, its tally hearing every poll the console hears."""

import os
import subprocess
import sys

from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.store import Store
from convos_tui.metrics.polls import PollTally
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.ui.app import ConvosApp
from convos_tui.ui.screens.presentation import PresentationScreen
from tests.ui_fixtures import make_app


async def test_present_opens_presentation_mode_at_start():
    app = make_app(present=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PresentationScreen)
    plain = make_app()
    async with plain.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not isinstance(plain.screen, PresentationScreen)


async def test_the_tally_hears_the_polls_of_a_live_console():
    async with SimFleet([GatewaySpec("up-1"), GatewaySpec("down-1", Mode.DOWN)], speed=500) as sim:
        gateways = [GatewayConfig(name=g.name, url=g.url, env="dev") for g in sim.gateways]
        fleet = Fleet(
            Inventory(path=None, gateways=tuple(gateways)),
            Store.open(None),
            gateways=gateways,
            poller=Poller(gateways, interval_s=0.5),
        )
        app = ConvosApp(fleet, live=True)
        tally = PollTally()
        app.poll_listeners.append(tally)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(1000):  # polls come from the polling process: wait for two failures
                if tally.snapshot()[0].get("down-1", 0) >= 2 and "up-1" in tally.snapshot()[1]:
                    break
                await pilot.pause(0.02)
            failures, durations = tally.snapshot()
            assert failures.get("down-1", 0) >= 2 and "up-1" not in failures
            assert sum(durations["up-1"].counts) >= 1
        fleet.close()


def test_a_console_metrics_address_beyond_loopback_is_refused_before_anything_starts(tmp_path):
    config = tmp_path / "fleet.toml"
    config.write_text('[[gateways]]\nname = "a"\nurl = "http://127.0.0.1:9"\n')
    result = subprocess.run(
        [sys.executable, "-m", "convos_tui", "--config", str(config), "--metrics", "0.0.0.0:9464"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr and "--metrics-bind-any" in result.stderr
