"""The status line says all it has to say: a long message wraps by words, nothing is cut (issue 13 item 16)."""

import pytest
from textual.widgets import Static

from tests.ui_fixtures import make_app


def status_rows(app) -> list[str]:
    """The status line's rows as drawn on screen."""
    box = app.main_screen.query_one("#statusline", Static)
    lines = app.screen._compositor.render_full_update().strips
    return ["".join(chop.text for chop in lines[y]) for y in range(box.region.y, box.region.bottom)]


@pytest.mark.parametrize("width", [60, 80, 120, 200])
async def test_a_filter_error_and_the_fleet_part_are_shown_whole(width):
    app = make_app()
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.press("slash", *"state:stalld")
        await pilot.pause()
        words = " ".join(" ".join(status_rows(app)).split())
        message = app.main_screen._message.plain
        assert message.startswith("unknown state 'stalld': use ") and message in words, (width, words)
        assert "polled 1 s ago, every 5 s" in words and "12 gateways" in words, (width, words)
        await pilot.press("escape")  # the message goes: one line again
        await pilot.pause()
        assert len(status_rows(app)) == 1 or width < 80
