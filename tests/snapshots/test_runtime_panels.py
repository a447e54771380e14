"""The newer routes' panels (notify, metadata, re-attest, reset), pinned at 120×40 and 80×24, dark and light, on
tests/ui_fixtures.py's fixed fleet and clock: on one gateway, and reset's confirmation on the marked ones."""

import pytest

from tests.snapshots.grid import SIZES, THEMES, on
from tests.snapshots.test_panels import marked
from tests.ui_fixtures import make_app

SINGLE = {"notify": "t", "update-metadata": "E", "re-attest": "A", "reset": "Z"}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("action", SINGLE)
def test_newer_route_panel(snap_compare, action, size, theme):
    assert snap_compare(make_app(theme=theme), run_before=on("eu-booth-1", SINGLE[action]), terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_bulk_reset_confirmation(snap_compare, size, theme):
    async def run_before(pilot):
        await marked("eu-booth-1", "us-pool-1", "us-slow")(pilot)
        await pilot.press("Z")
        await pilot.pause()

    assert snap_compare(make_app(theme=theme), run_before=run_before, terminal_size=SIZES[size])
