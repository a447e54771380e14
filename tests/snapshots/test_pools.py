"""The pools view and its panels pinned at 120×40 and 80×24, dark and light, on the fixed pools of
tests/pools_ui.py (members written as a reconciler leaves them; no process runs, no reconciler runs)."""

import pytest

from tests.instances_ui import INSTANCE
from tests.pools_ui import pools_app
from tests.snapshots.grid import SIZES, THEMES, on

SCREENS = {"view": ["w"], "replenish": ["w", "plus"], "drain": ["w", "D"]}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_pool_screens(snap_compare, tmp_path, screen, size, theme):
    app = pools_app(tmp_path, theme=theme)
    assert snap_compare(app, run_before=on(INSTANCE, *SCREENS[screen]), terminal_size=SIZES[size])
