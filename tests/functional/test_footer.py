"""The footer never cuts a key: one that does not fit whole is left out, and `?` stays (issue 13 item 16)."""

import pytest

from tests.snapshots.grid import on
from tests.ui_fixtures import make_app

SCREENS = {"main": [], "detail": ["enter"], "events": ["e"]}


def footer_line(app) -> str:
    lines = app.screen._compositor.render_full_update().strips
    return "".join(chop.text for chop in lines[-1])


@pytest.mark.parametrize("width", [60, 80, 120, 200])
@pytest.mark.parametrize("screen", SCREENS)
async def test_every_key_in_the_footer_is_whole(screen, width):
    app = make_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await on("eu-booth-1", *SCREENS[screen])(pilot)
        await pilot.pause()
        line = footer_line(app)
        shown = [b for _, b, _, _ in app.screen.active_bindings.values() if b.show]
        words = {b.description for b in shown} | {"Palette"}
        keys = {app.get_key_display(b) for b in shown} | {"▏^p"}
        assert "? Help" in line and "^p Palette" in line, line
        # Whole descriptions and their keys, nothing else: no "e Even".
        rest = line
        for word in sorted(words, key=len, reverse=True):
            rest = rest.replace(f" {word} ", "  ")
        assert set(rest.split()) <= keys, (width, line)
