"""The columns panel, pinned at 120×40 and 80×24, dark and light."""

from tests.snapshots.grid import SIZES
from tests.snapshots.test_screens import on_grid
from tests.ui_fixtures import make_app


@on_grid
def test_columns_panel(snap_compare, theme, size):
    keys = ["vertical_line", "down", "down", "space", "down"]  # URL hidden, the cursor on READY
    assert snap_compare(make_app(theme=theme), press=keys, terminal_size=SIZES[size])
