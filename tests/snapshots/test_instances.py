"""The instances' screens pinned at 120×40 and 80×24, dark and light: the launch panel, the terminate
confirmation and the detail of a launched instance (its phases, pid, port and log), on the fixed data of
tests/instances_ui.py (no process runs: the record, its phases and its log are written by the fixture)."""

import pytest

from tests.instances_ui import INSTANCE, instances_app
from tests.snapshots.grid import SIZES, THEMES, on

SCREENS = {"launch": ["I"], "terminate": ["T"], "detail": ["enter"]}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_instance_screens(snap_compare, tmp_path, screen, size, theme):
    app = instances_app(tmp_path, theme=theme)
    assert snap_compare(app, run_before=on(INSTANCE, *SCREENS[screen]), terminal_size=SIZES[size])


@pytest.mark.parametrize("screen", ["launch", "terminate"])
async def test_the_instance_panels_look_the_same_whenever_taken(tmp_path, screen):
    """As tests/snapshots/test_no_timing.py does for the other panels: a focused field blinks no cursor."""
    from tests.snapshots.test_no_timing import frame

    app = instances_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await on(INSTANCE, *SCREENS[screen])(pilot)
        app.screen.query_one("Input").focus()
        frames = set()
        for _ in range(4):
            await pilot.pause(0.3)
            frames.add(frame(app))
        assert len(frames) == 1
