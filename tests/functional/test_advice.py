"""Advice that is right where it is given (issue 13 item 11; the invite and clipboard cases are in
tests/fleet/test_invite_advice.py and tests/unit/test_clipboard.py)."""

from textual.widgets import Static

from tests.snapshots.grid import on
from tests.ui_fixtures import make_app


async def test_provision_with_only_live_gateways_marked_says_how_to_clear_the_marks():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await on("eu-booth-1", "space", "N")(pilot)  # live: marked, nothing idle among the marks
        line = app.main_screen.query_one("#statusline", Static).render().plain
        assert "no idle gateway marked" in line and "U clears the marks" in line
        await pilot.press("U", "N")  # without marks, N takes the first idle gateway shown
        assert type(app.screen).__name__ == "ProvisionPanel"
