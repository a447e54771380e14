"""No snapshot depends on timing (issue 13 item 22): the same screen, taken at any moment, is the same.

The provision panel's snapshot once failed on a busy CI machine because the input's cursor had blinked
off in that frame. A console run headless (snapshots, `demo --screenshots`, Pilot tests) blinks no
cursor; the clock is the app's, fixed in tests.
"""

import ast
import pathlib

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


UI = pathlib.Path(__file__).resolve().parents[2] / "convos_tui" / "ui"
# Reading a clock to wait for something, never to show it: the screenshot driver's deadline.
WAITS_ONLY = {"screenshots.py"}


def test_the_console_shows_only_the_apps_clock():
    """Every time a screen shows comes from the app's clock (fixed in tests and snapshots), never from the
    wall clock or the monotonic clock read directly: no live clock in a snapshot."""
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        if path.name in WAITS_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = f"{owner.id}.{node.func.attr}" if isinstance(owner, ast.Name) else node.func.attr
                if name in CLOCKS and len(node.args) < CLOCKS[name]:
                    offenders.append(f"{path.relative_to(UI)}:{node.lineno} calls {name}()")
    assert not offenders, offenders


# A call that reads a clock, with fewer arguments than this (time.localtime(epoch) only formats a given time).
CLOCKS = {
    "time.time": 1,
    "time.monotonic": 1,
    "time.perf_counter": 1,
    "datetime.now": 1,
    "datetime.utcnow": 1,
    "date.today": 1,
    "time.localtime": 1,
    "time.gmtime": 1,
    "time.strftime": 2,
    "time.ctime": 1,
}
