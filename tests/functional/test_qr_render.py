"""THE test of the QR code: read it back from the screen exactly as the console draws it, with a real decoder.

The cells and colours the compositor produced for the terminal are turned back into an image (each cell
one pixel wide, two tall) and decoded by zxing-cpp without trying inverted codes. The invite URL must come
back for a short and a long invite, in dark and light themes, at normal and zoomed size.
"""

import pytest

from convos_tui.qr import BLACK, QUIET_ZONE, WHITE, make_qr
from convos_tui.ui.widgets.qr import QRCodeView
from tests.invite_samples import LONG, SHORT
from tests.qr_decode import cells, decode, image_of, screen_strips
from tests.ui_fixtures import make_app

RGB = {BLACK: (0, 0, 0), WHITE: (255, 255, 255)}
INVITES = {"short": SHORT, "long": LONG}


def terminal_for(url: str, zoom: int) -> tuple[int, int]:
    columns, rows = make_qr(url).size_needed(zoom)
    return columns + 60, rows + 6  # room for the panel around the code, and nothing to spare


@pytest.mark.parametrize("zoom", [1, 2])
@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("invite", ["short", "long"])
async def test_the_code_as_rendered_decodes_to_the_invite(invite, theme, zoom):
    url = INVITES[invite]
    app = make_app(theme=theme)
    async with app.run_test(size=terminal_for(url, zoom)) as pilot:
        app.show_invite("eu-pool-1", url, "ab" * 16)
        await pilot.pause()
        if zoom == 2:
            await pilot.press("z")
            await pilot.pause()
        view = app.screen.query_one(QRCodeView)
        assert view.display and view.zoom == zoom
        strips, region = screen_strips(app), view.region

    # What the terminal is sent decodes to the invite, with whatever surrounds it on screen.
    assert decode(image_of(strips)) == [url]

    # Every cell of the code is explicit black on white, whatever the theme.
    grid = [row[region.x : region.right] for row in cells(strips)[region.y : region.bottom]]
    assert {(fg, bg) for row in grid for _, fg, bg in row} == {(RGB[BLACK], RGB[WHITE])}
    # The quiet zone is part of the code: 4 modules of white on every side (zoomed with the modules).
    margin_columns, margin_rows = QUIET_ZONE * zoom, QUIET_ZONE * zoom // 2
    for row in grid[:margin_rows] + grid[-margin_rows:]:
        assert {char for char, _, _ in row} == {" "}
    for row in grid:
        assert {char for char, _, _ in row[:margin_columns] + row[-margin_columns:]} == {" "}
