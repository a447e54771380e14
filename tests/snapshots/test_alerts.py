"""The alert line in the header and the row's `!`, pinned at 120×40 and 80×24, dark and light."""

import dataclasses

from convos_tui.fleet.alert_rules import AlertRule
from convos_tui.fleet.state import FAULTS
from tests.snapshots.grid import SIZES
from tests.snapshots.test_screens import on_grid
from tests.ui_fixtures import build_fleet, make_app


@on_grid
def test_alert_line_and_row_marks(snap_compare, theme, size):
    fleet = build_fleet()
    fleet.inventory = dataclasses.replace(fleet.inventory, alerts=(AlertRule("faults", FAULTS, ("lab",), 60.0),))

    async def run_before(pilot):
        main = pilot.app.main_screen
        main.alerts.terminal = lambda sequence: None
        main.alerts.observe(["lab-old", "lab-down", "lab-garbage", "eu-booth-2"])  # three lab faults for minutes
        await pilot.pause()

    assert snap_compare(make_app(fleet=fleet, theme=theme), run_before=run_before, terminal_size=SIZES[size])
