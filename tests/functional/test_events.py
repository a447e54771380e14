"""The events screen follows the store as transitions and actions happen (issue 13 item 6)."""

from textual.widgets import DataTable, Input, Static

from convos_tui.fleet.state import State, Transition
from convos_tui.ui.screens.events import REFRESH_S, EventsScreen
from tests.ui_fixtures import NOW, make_app


def rows(app) -> list[tuple[str, str, str]]:
    table = app.screen.query_one("#events-table", DataTable)
    return [tuple(table.get_row_at(i)[j].plain for j in (1, 2, 3)) for i in range(table.row_count)]


def flap(app, name: str, at: float, new: State = State.FLAPPING) -> None:
    """What the poller's thread does when a gateway's stream drops: a transition in the store."""
    old = State.LIVE if new is State.FLAPPING else State.FLAPPING
    app.fleet.store.record_transitions([Transition(name, old, new, "stream down", at)])


async def test_new_transitions_and_actions_come_in_on_top_without_r():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, EventsScreen)
        before = len(rows(app))
        title = app.screen.query_one("#events-title", Static).render().plain
        assert title.endswith("as of 14:13:20, live")  # the app's clock (fixed in tests), in UTC
        flap(app, "eu-booth-1", NOW + 1)
        app.fleet.store.audit("send", gateway="eu-booth-1", params={}, outcome="ok", detail="sent", at=NOW + 2)
        await pilot.pause(REFRESH_S + 0.3)
        shown = rows(app)
        assert len(shown) == before + 2
        assert shown[0] == ("eu-booth-1", "action", "send ok") and shown[1] == (
            "eu-booth-1",
            "state",
            "live → flapping",
        )
        # Two transitions at one instant, read a second apart, are both shown, each once.
        flap(app, "eu-booth-2", NOW + 3)
        await pilot.pause(REFRESH_S + 0.3)
        flap(app, "eu-pool-1", NOW + 3)
        await pilot.pause(REFRESH_S + 0.3)
        assert len(rows(app)) == before + 4 and {r[0] for r in rows(app)[:2]} == {"eu-booth-2", "eu-pool-1"}


async def test_the_filter_and_the_cursor_stay_as_events_come_in():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "slash", *"us-pool", "enter")
        assert {r[0] for r in rows(app)} == {"us-pool-1", "us-pool-2", "us-pool-3"}
        table = app.screen.query_one("#events-table", DataTable)
        await pilot.press("down")
        held = rows(app)[1]
        flap(app, "eu-booth-1", NOW + 1)  # filtered out
        flap(app, "us-pool-1", NOW + 2, State.LIVE)
        await pilot.pause(REFRESH_S + 0.3)
        assert app.screen.query_one("#events-filter-box", Input).value == "us-pool"
        shown = rows(app)
        assert shown[0] == ("us-pool-1", "state", "flapping → live") and "eu-booth-1" not in {r[0] for r in shown}
        assert shown[table.cursor_row] == held  # the cursor stayed on its event, one row lower now


async def test_enter_on_an_event_opens_its_gateway_and_the_filter_takes_fields():
    from convos_tui.ui.screens.detail import DetailScreen
    from convos_tui.ui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        flap(app, "eu-booth-1", NOW + 1)
        app.fleet.store.audit("send", gateway="us-pool-2", params={}, outcome="error", detail="no", at=NOW + 2)
        await pilot.press("e")
        await pilot.press("slash", *"kind:state gateway:eu-b*", "enter")
        shown = rows(app)
        assert shown and all(r[0].startswith("eu-booth") and r[1] == "state" for r in shown)
        await pilot.press("slash", "ctrl+u", *"outcome:error -gateway:eu-*", "enter")
        assert rows(app)[0] == ("us-pool-2", "action", "send error")
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.gateway_name == "us-pool-2"
        await pilot.press("escape")
        # An unknown field says what the fields are, instead of matching nothing in silence.
        await pilot.press("slash", "ctrl+u", *"colour:red", "enter")
        title = app.screen.query_one("#events-title", Static).render().plain
        assert "colour: is not a field of events" in title and "outcome" in title
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "field:value for gateway, kind, state, action, outcome" in app.screen.query_one(Static).render().plain


async def test_the_pools_changes_are_events_of_their_instances_tagged_with_the_pool(tmp_path):
    from tests.pools_ui import pools_app

    app = pools_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "slash", *"pool:booth", "enter")
        shown = rows(app)
        assert ("sim-b00001", "pool", "booth: claimed") in shown and ("sim-b00005", "pool", "booth: launching") in shown
        assert all(kind == "pool" and what.startswith("booth: ") for _, kind, what in shown)
        await pilot.press("slash", "ctrl+u", *"kind:pool state:crashed", "enter")
        assert rows(app) == [("sim-c00001", "pool", "lab: crashed")]
        # A change made while the screen is open comes in on its next look.
        app.context.pools.service.members.set_state("sim-b00003", "claimed", "claimed", seconds=0.002)
        await pilot.press("slash", "ctrl+u", *"pool:booth state:claimed", "enter")
        app.screen.follow()
        assert rows(app)[0] == ("sim-b00003", "pool", "booth: claimed")
