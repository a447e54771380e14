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


async def test_the_status_line_is_as_tall_as_its_words_after_a_resize_and_a_new_message():
    """Its height is asked for only when it changes: measured against what is shown now, so a resize that wrapped
    the old message again does not leave the new one in a box of the old one's height."""
    from convos_tui.ui.widgets.status_line import StatusLine

    app = make_app()
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.pause()
        line = app.main_screen.query_one(StatusLine)

        def rows_needed() -> int:
            return min(6, len(line._shown.wrap(app.console, line.content_region.width)))  # max-height: 6 (app.tcss)

        for width, words in [(200, 40), (80, 40), (80, 30), (120, 30), (200, 3), (60, 20), (200, 20)]:
            if width != app.size.width:
                await pilot.resize_terminal(width, 30)
                await pilot.pause()
            app.main_screen.say(" ".join(f"word{i}" for i in range(words)))
            await pilot.pause()
            assert line.region.height == rows_needed(), (width, words)
