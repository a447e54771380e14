"""Action panels, bulk runs and the invite gallery, pinned at 120×40 and 80×24, dark and light.

The data is tests/ui_fixtures.py's fixed fleet and clock. A bulk run's results come from a stand-in
action service that answers at once with fixed results: the snapshot pins what a person sees of them,
while tests/functional/test_bulk_actions.py drives real runs against the simulator.
"""

import pytest

from convos_tui.fleet.actions import ActionResult
from tests.snapshots.grid import SIZES, THEMES, on
from tests.ui_fixtures import make_app

INVITE = "https://dev.convos.org/v2?i=" + "Q" * 240

SINGLE = {
    "create": ("eu-pool-1", "c"),
    "join": ("eu-pool-2", "J"),
    "send": ("eu-booth-1", "m"),
    "rename": ("eu-booth-1", "n"),
    "lock": ("eu-booth-1", "l"),
    "unlock": ("eu-booth-1", "L"),
    "explode": ("eu-booth-1", "X"),
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("action", SINGLE)
def test_single_gateway_panel(snap_compare, action, size, theme):
    name, key = SINGLE[action]
    assert snap_compare(make_app(theme=theme), run_before=on(name, key), terminal_size=SIZES[size])


class AnswersAtOnce:
    """Stands in for the action service in a snapshot: fixed results, in a fixed order, no network."""

    def __init__(self, results):
        self.results = results

    async def bulk(self, gateways, run, *, on_result=None, concurrency=8):
        for result in self.results:
            on_result(result)
        return self.results


EXPLODED = [
    ActionResult("eu-booth-1", "explode", "ok", f"exploded {'01' * 16}; the gateway is free again", 0.8),
    ActionResult("eu-pool-3", "explode", "ok", f"exploded {'03' * 16}; the gateway is free again", 1.1),
    ActionResult("lab-down", "explode", "unknown", "timed out after sending: the outcome is unknown", 20.0),
    ActionResult("us-pool-3", "explode", "failed", "unauthorized (401): the pool key is missing or wrong", 0.1),
]


def marked(*names):
    async def mark(pilot):
        screen = pilot.app.main_screen
        screen.marked |= set(names)
        screen._refresh_rows(set(names))
        await pilot.pause()

    return mark


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_bulk_confirmation(snap_compare, size, theme):
    async def run_before(pilot):
        await marked("eu-booth-1", "eu-pool-3", "lab-down", "us-pool-3")(pilot)
        await pilot.press("X")
        await pilot.press(*"EXPLO")  # the focus is on Cancel: typing does nothing yet
        pilot.app.screen.query_one("#bulk-confirm").value = "EXPLO"
        await pilot.pause()

    assert snap_compare(make_app(theme=theme), run_before=run_before, terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_bulk_results(snap_compare, size, theme):
    app = make_app(theme=theme)
    app.actions = AnswersAtOnce(EXPLODED)

    async def run_before(pilot):
        await marked(*(r.gateway for r in EXPLODED))(pilot)
        await pilot.press("X")
        pilot.app.screen.query_one("#bulk-confirm").value = "EXPLODE"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_provision_panel(snap_compare, size, theme):
    assert snap_compare(make_app(theme=theme), press=["N"], terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_invite_gallery(snap_compare, size, theme):
    created = [
        ActionResult(
            name,
            "create",
            "ok",
            "created",
            3.0,
            data={"conversation_id": f"{n:02x}" * 16, "invite_url": f"{INVITE}{n}", "env": "dev"},
        )
        for n, name in enumerate(("eu-pool-1", "eu-pool-2", "us-pool-2"), start=7)
    ]

    async def run_before(pilot):
        pilot.app.show_gallery(created)
        await pilot.pause()

    assert snap_compare(make_app(theme=theme), run_before=run_before, terminal_size=SIZES[size])
