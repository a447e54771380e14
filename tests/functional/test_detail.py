"""The detail screen of one gateway."""

from textual.widgets import Sparkline

from tests.snapshots.grid import on
from tests.ui_fixtures import make_app

BARS = set("▁▂▃▄▅▆▇█")


def screen_text(app) -> str:
    return "\n".join("".join(chop.text for chop in line) for line in app.screen._compositor.render_full_update().strips)


async def test_a_gateway_that_never_answered_has_no_latency_graph():
    """Issue 13 item 9: its graph drew full-height bars, which read as the highest latency."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await on("lab-down", "enter")(pilot)
        assert app.screen.gateway_name == "lab-down" and not app.fleet.states["lab-down"].latencies
        text = screen_text(app)
        assert "latency: no answer yet, so no graph" in text
        assert not BARS & set(text)
        await pilot.press("escape")
        await on("us-slow", "enter")(pilot)  # one that answers has its graph
        assert app.screen.query_one(Sparkline).display and BARS & set(screen_text(app))
