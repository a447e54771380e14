"""No snapshot depends on timing (issue 13 item 22): the same screen, taken at any moment, is the same.

The provision panel's snapshot once failed on a busy CI machine because the input's cursor had blinked
off in that frame. A console run headless (snapshots, `demo --screenshots`, Pilot tests) blinks no
cursor; the clock is the app's, fixed in tests.
"""

import pytest

from tests.snapshots.grid import on
from tests.ui_fixtures import make_app

# Every screen that opens with a text field focused: Input or TextArea.
OPENS_A_TEXT_FIELD = {
    "filter": ("eu-pool-1", ["slash"]),
    "bulk confirmation": ("eu-pool-1", ["asterisk", "m", "ctrl+s"]),
    "create": ("eu-pool-1", ["c"]),
    "join": ("eu-pool-2", ["J"]),
    "send": ("eu-booth-1", ["m"]),
    "rename": ("eu-booth-1", ["n"]),
    "provision": ("eu-pool-1", ["N"]),
    "explode, its name box": ("eu-booth-1", ["X"], "#confirm"),  # it opens on Cancel
    "events filter": ("eu-pool-1", ["e", "slash"]),
}


def frame(app) -> tuple:
    """Every cell the screen shows, with its style."""
    return tuple(
        (segment.text, str(segment.style))
        for line in app.screen._compositor.render_full_update().strips
        for chop in line
        for segment in chop
    )


@pytest.mark.parametrize("where", OPENS_A_TEXT_FIELD)
async def test_a_focused_text_field_looks_the_same_whenever_it_is_taken(where):
    name, keys, *box = OPENS_A_TEXT_FIELD[where]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await on(name, *keys)(pilot)
        if box:
            app.screen.query_one(box[0]).focus()
            await pilot.pause()
        focused = app.focused
        assert focused is not None and hasattr(focused, "cursor_blink"), (where, focused)
        frames = set()
        for _ in range(4):  # a blinking cursor turns every 0.5 s
            await pilot.pause(0.3)
            frames.add(frame(app))
        assert len(frames) == 1, where
        assert not focused.cursor_blink
