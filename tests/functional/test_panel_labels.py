"""A panel's labels are read whole: a long one wraps by words, never cut at the border (issue 13 item 16)."""

import pytest
from textual.widgets import Label

from tests.snapshots.grid import on
from tests.ui_fixtures import make_app

PANELS = {
    "create": ("eu-pool-1", "c"),
    "join": ("eu-pool-2", "J"),
    "send": ("eu-booth-1", "m"),
    "rename": ("eu-booth-1", "n"),
    "provision": ("eu-pool-1", "N"),
}  # lock and explode have no Label


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
@pytest.mark.parametrize("panel", PANELS)
async def test_every_label_shown_is_shown_whole(panel, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await on(*PANELS[panel])(pilot)
        lines = ["".join(chop.text for chop in line) for line in app.screen._compositor.render_full_update().strips]
        form = app.screen.query_one(".panel-form").region
        checked = 0
        for label in app.screen.query(Label):
            region = label.region
            if not region.area or not form.contains_region(region):
                continue  # scrolled out of the form's view at 80x24: it is shown whole when scrolled to
            seen = " ".join(lines[y][region.x : region.right] for y in range(region.y, region.bottom))
            assert " ".join(seen.split()) == " ".join(label.render().plain.split()), (panel, size, seen)
            checked += 1
        assert checked
