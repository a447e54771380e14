"""The instances' screens pinned at 120×40 and 80×24, dark and light: the launch panel, the terminate
confirmation and the detail of a launched instance (its phases, pid, port and log), on the fixed data of
tests/instances_ui.py (no process runs: the record, its phases and its log are written by the fixture)."""

import pytest

from tests.instances_ui import INSTANCE, instances_app
from tests.snapshots.grid import SIZES, THEMES, on

SCREENS = {"launch": ["a"], "terminate": ["T"], "detail": ["enter"]}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_instance_screens(snap_compare, tmp_path, screen, size, theme):
    app = instances_app(tmp_path, theme=theme)
    assert snap_compare(app, run_before=on(INSTANCE, *SCREENS[screen]), terminal_size=SIZES[size])
