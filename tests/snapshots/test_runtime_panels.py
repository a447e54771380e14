"""The newer routes' panels (notify, metadata, re-attest, reset), pinned at 120×40 and 80×24, dark and light, on
tests/ui_fixtures.py's fixed fleet and clock: on one managed-runtime gateway, the warning a classic plugin gets, and
reset's confirmation on the marked ones."""

import pytest

from convos_tui.api.models import GatewayStatus
from tests.snapshots.grid import SIZES, THEMES, on
from tests.snapshots.test_panels import marked
from tests.ui_fixtures import make_app

SINGLE = {"notify": "t", "update-metadata": "E", "re-attest": "A", "reset": "Z"}


def managed(name, *keys):
    """`on(name, *keys)` once the gateway answers as the managed runtime does (the newer status shape)."""

    async def run_before(pilot):
        state = pilot.app.fleet.states[name]
        state.status = GatewayStatus("newer", True, state.conversation_id, None, inbox_id="f0" * 32, clean=False)
        await on(name, *keys)(pilot)

    return run_before


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("action", SINGLE)
def test_newer_route_panel(snap_compare, action, size, theme):
    app = make_app(theme=theme)
    assert snap_compare(app, run_before=managed("eu-booth-1", SINGLE[action]), terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_a_classic_plugin_is_warned_before_sending(snap_compare, size, theme):
    # eu-booth-1 holds a conversation and answers the classic status shape, as every gateway of the fixture does
    assert snap_compare(make_app(theme=theme), run_before=on("eu-booth-1", "t"), terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_bulk_reset_confirmation(snap_compare, size, theme):
    async def run_before(pilot):
        await marked("eu-booth-1", "us-pool-1", "us-slow")(pilot)
        await pilot.press("Z")
        await pilot.pause()

    assert snap_compare(make_app(theme=theme), run_before=run_before, terminal_size=SIZES[size])
