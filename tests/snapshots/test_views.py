"""The view command line (`:`) with a name completing, pinned at 120×40 and 80×24, dark and light."""

import dataclasses

from convos_tui.fleet.view_settings import SavedView
from tests.snapshots.grid import SIZES
from tests.snapshots.test_screens import on_grid
from tests.ui_fixtures import build_fleet, make_app


@on_grid
def test_view_command_line(snap_compare, theme, size):
    fleet = build_fleet()
    views = {"faults": SavedView("faults", "state:faults", "-latency"), "lab": SavedView("lab", "tag:lab")}
    fleet.inventory = dataclasses.replace(fleet.inventory, views=views)
    keys = ["colon", "f", "a"]
    assert snap_compare(make_app(fleet=fleet, theme=theme), press=keys, terminal_size=SIZES[size])
