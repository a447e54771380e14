"""The copy menu (y), pinned at 120×40 and 80×24, dark and light."""

from tests.snapshots.grid import SIZES, on
from tests.snapshots.test_screens import on_grid
from tests.ui_fixtures import make_app


@on_grid
def test_copy_menu(snap_compare, theme, size):
    assert snap_compare(make_app(theme=theme), run_before=on("eu-booth-1", "y"), terminal_size=SIZES[size])
