"""The console driven with Pilot: keys, filter, marks, sort, pause, cursor, read-only, keymap, sizes."""

import threading

from rich.text import Text
from textual.widgets import Static

from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.state import State
from convos_tui.ui.screens.detail import DetailScreen
from convos_tui.ui.screens.events import EventsScreen
from convos_tui.ui.screens.help import HelpScreen
from convos_tui.ui.widgets.fleet_table import FleetTable
from tests.functional.keys import burst
from tests.ui_fixtures import NOW, make_app


def table(app) -> FleetTable:
    return app.main_screen.query_one(FleetTable)


def summary(app) -> str:
    """The header and the status line, where the fleet's counts, marks and polling are shown."""
    screen = app.main_screen
    return (
        screen.query_one("#summary", Static).render().plain
        + " | "
        + screen.query_one("#statusline", Static).render().plain
    )


def status_line(app) -> str:
    return app.main_screen.query_one("#statusline", Static).render().plain


async def test_default_order_puts_faults_first():
    async with make_app().run_test(size=(120, 40)) as pilot:
        names = table(pilot.app).names_in_order()
    assert names[:6] == ["eu-booth-2", "eu-pool-3", "us-pool-3", "lab-old", "lab-down", "lab-garbage"]
    assert names[6:] == ["eu-booth-1", "us-pool-1", "us-slow", "eu-pool-1", "eu-pool-2", "us-pool-2"]


async def test_sort_keys_cycle_and_reverse():
    async with make_app().run_test(size=(120, 40)) as pilot:
        await pilot.press("s")  # state → name
        names = table(pilot.app).names_in_order()
        assert names == sorted(names)
        await pilot.press("S")
        assert table(pilot.app).names_in_order() == sorted(names, reverse=True)
        assert "sorted by name (reversed)" in status_line(pilot.app)


async def test_header_click_sorts_by_that_column():
    async with make_app().run_test(size=(120, 40)) as pilot:
        fleet_table = table(pilot.app)
        x = next(x for x in range(200) if fleet_table.column_at(x) == "latency")
        await pilot.click(FleetTable, offset=(x + 2, 0))
        names = fleet_table.names_in_order()
        assert names[0] == "eu-pool-1" and names[-2:] == ["us-slow", "lab-down"]  # fastest first, no answer last
        await pilot.click(FleetTable, offset=(x + 2, 0))
        assert fleet_table.sort_reverse and fleet_table.names_in_order()[1] == "us-slow"


async def test_filter_by_text_and_field_stays_across_refreshes():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"tag:pool-a", "enter")
        assert sorted(table(app).names_in_order()) == ["eu-pool-1", "eu-pool-2", "eu-pool-3"]
        assert "filter  tag:pool-a" in status_line(app)
        # a poll changes a gateway: the filter still holds, the row updates in place
        state = app.fleet.states["eu-pool-1"]
        state.state, state.reason = State.LIVE, "conversation bound, streaming"
        state.status = GatewayStatus("classic", True, "cd" * 16, True)
        app.main_screen.mark_dirty("eu-pool-1")
        app.main_screen.tick()
        await pilot.pause()
        assert sorted(table(app).names_in_order()) == ["eu-pool-1", "eu-pool-2", "eu-pool-3"]
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"state:stalled,unreachable", "enter")
        assert sorted(table(app).names_in_order()) == ["eu-pool-3", "lab-down"]
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"booth -state:faults", "enter")
        assert table(app).names_in_order() == ["eu-booth-1"]


async def test_a_bad_filter_says_why_and_keeps_the_last_good_one():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"env:dev", "enter")
        shown = table(app).names_in_order()
        await pilot.press("slash")
        app.main_screen.query_one("#filter").value = "colour:red"  # pasted whole
        await pilot.pause()
        assert "unknown field 'colour'" in status_line(app)
        assert table(app).names_in_order() == shown


async def test_escape_clears_the_filter():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"lab", "enter")
        assert len(table(app).names_in_order()) == 3
        await pilot.press("escape")
        assert len(table(app).names_in_order()) == 12


async def test_faults_only_toggle():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        assert all(app.fleet.states[n].state.is_fault for n in table(app).names_in_order())
        assert len(table(app).names_in_order()) == 6
        await pilot.press("f")
        assert len(table(app).names_in_order()) == 12


async def test_marks_single_range_all_and_clear():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        order = table(app).names_in_order()
        await pilot.press("space")  # marks the first row and moves down
        assert app.main_screen.marked == {order[0]}
        assert table(app).cursor_name == order[1]
        await pilot.press("down", "down", "M")  # range from the last mark to the cursor
        assert app.main_screen.marked == set(order[0:4])
        assert "4 marked" in summary(app)
        await pilot.press("U")
        assert app.main_screen.marked == set()
        await pilot.press("slash", *"lab", "enter", "asterisk")
        assert app.main_screen.marked == {"lab-old", "lab-down", "lab-garbage"}
        await pilot.press("escape")  # clears the filter; the marks stay
        assert len(app.main_screen.marked) == 3
        assert "3 marked" in summary(app)


async def test_marked_rows_hidden_by_a_filter_are_counted():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        await pilot.press("slash", *"lab", "enter")
        assert "1 marked, 1 hidden by the filter" in summary(app)


async def test_the_cursor_stays_on_its_gateway_across_refreshes_and_sorts():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        while table(app).cursor_name != "us-pool-1":
            await pilot.press("down")
        # us-pool-1 breaks: sorted by state, it moves up among the faults
        state = app.fleet.states["us-pool-1"]
        state.state, state.since = State.STALLED, NOW
        app.main_screen.mark_dirty("us-pool-1")
        app.main_screen.tick()
        await pilot.pause()
        assert table(app).cursor_name == "us-pool-1"
        assert table(app).names_in_order().index("us-pool-1") < 6
        await pilot.press("s", "s", "S")
        assert table(app).cursor_name == "us-pool-1"


async def test_pause_resume_and_interval_keys():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        assert app.fleet.poller.paused and "PAUSED" in summary(app)
        await pilot.press("p")
        assert not app.fleet.poller.paused and "PAUSED" not in summary(app)
        await pilot.press("plus")
        assert app.fleet.poller.interval_s == 10 and "every 10 s" in summary(app)
        await pilot.press("minus", "minus")
        assert app.fleet.poller.interval_s == 2


async def test_poll_now_targets_the_cursor_or_the_marks():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        assert "polling eu-booth-2" in status_line(app)
        await pilot.press("space", "space", "r")
        assert "polling 2 gateways" in status_line(app)


async def test_detail_events_and_help_open_and_close():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.gateway_name == "eu-booth-2"
        await pilot.press("escape", "e")
        assert isinstance(app.screen, EventsScreen)
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.query_one(Static).render().plain
        assert "poll-now" in help_text and "faults-only" in help_text and "[keymap]" in help_text
        # enter is the table's key (select the row), and the detail is the screen's answer: listed all the same
        assert any(line.split()[1:] == ["Detail", "detail"] for line in help_text.splitlines() if line.strip())
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_d_in_the_detail_of_a_gateway_without_an_error_says_so():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")  # eu-booth-2: flapping, but its polls answer
        assert app.fleet.states["eu-booth-2"].error is None
        await pilot.press("d")
        assert [n.message for n in app._notifications] == ["no error to show: the last poll of eu-booth-2 succeeded"]


async def test_ctrl_c_quits_the_console_but_not_while_typing():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", "x", "ctrl+c")  # in the filter box: copies, or says how to quit
        assert app.is_running
        await pilot.press("escape", "ctrl+c")
        await pilot.pause()
        assert not app.is_running


async def test_read_only_badge():
    app = make_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "READ-ONLY" in summary(app)


async def test_a_greyed_action_key_in_read_only_says_why_and_is_audited():
    # Before: nothing happened at all, and nothing was written to the audit.
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        before = len(app.fleet.store.audit_log())
        audit, threads = app.fleet.store.audit, []
        app.fleet.store.audit = lambda *a, **kw: (threads.append(threading.current_thread()), audit(*a, **kw))[1]
        await pilot.press("X")
        await pilot.pause()
        assert app.screen is app.main_screen
        assert "read-only mode: explode refused (recorded in the audit)" in status_line(app)
        assert threads and threading.main_thread() not in threads  # a busy store waits there, not on the event loop
        await pilot.press("space", "space", "m")  # two marked: one row each
        rows = app.fleet.store.audit_log()[: len(app.fleet.store.audit_log()) - before]
        assert sorted((row["action"], row["gateway"], row["outcome"]) for row in rows) == [
            ("explode", "eu-booth-2", "refused"),
            ("send", "eu-booth-2", "refused"),
            ("send", "eu-pool-3", "refused"),
        ]
        assert all(row["detail"] == "refused: read-only mode" for row in rows)


async def test_a_read_only_refusal_the_store_cannot_record_says_so_and_the_console_goes_on():
    from convos_tui.fleet.store import StoreError

    def unwritable(*args, **kwargs):
        raise StoreError("history store could not be written (database is locked)")

    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.fleet.store.audit = unwritable
        await pilot.press("X")
        await pilot.pause()
        assert app.is_running and app.screen is app.main_screen
        assert "explode refused (not recorded: the store cannot be written)" in status_line(app)


async def test_keymap_overrides_and_unknown_ids_are_reported():
    app = make_app(keymap={"pause": "z", "no-such-binding": "x"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        assert not app.fleet.poller.paused
        await pilot.press("z")
        assert app.fleet.poller.paused
        assert any("no-such-binding" in str(n.message) for n in app._notifications)


async def test_unknown_theme_falls_back_with_a_notice():
    app = make_app(theme="no-such-theme")
    async with app.run_test(size=(120, 40)):
        assert app.theme == "textual-dark"
        assert any("no-such-theme" in str(n.message) for n in app._notifications)


async def test_markup_from_a_gateway_is_shown_as_plain_text():
    app = make_app()
    markup = "[bold red]x[/][link=https://example.invalid]y[/link][@click=app.quit]q[/]"
    state = app.fleet.states["eu-booth-1"]
    state.status = GatewayStatus("classic", True, markup, True, raw={"conversation": {"id": markup}})
    state.reason = "[red]not a style[/red]"
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.mark_dirty("eu-booth-1")
        app.main_screen.tick()
        await pilot.pause()
        cell = table(app).get_cell("eu-booth-1", "conversation")
        assert isinstance(cell, Text) and cell.plain == "[bold red]x[…" and not cell.spans
        table(app).move_to("eu-booth-1")
        await pilot.press("enter")
        await pilot.pause()
        shown = app.screen.query_one("#detail-status", Static).render().plain
        assert markup in shown
        state_panel = app.screen.query_one("#detail-state", Static).render().plain
        assert "[red]not a style[/red]" in state_panel
        assert app.is_running  # the [@click=app.quit] did nothing


async def test_narrow_terminal_shows_fewer_columns_and_tiny_says_so():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert table(app).columns == ("mark", "state", "name", "streaming", "conversation", "latency", "since")
        await pilot.resize_terminal(50, 10)
        await pilot.pause()
        notice = app.main_screen.query_one("#too-small", Static)
        assert notice.display and "at least 60×12" in notice.render().plain
        await pilot.resize_terminal(140, 40)
        await pilot.pause()
        assert not notice.display and "url" in table(app).columns
        assert len(table(app).names_in_order()) == 12


async def test_palette_jumps_to_a_gateway():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"lab", "enter")
        app.jump_to("us-slow")
        await pilot.pause()
        assert table(app).cursor_name == "us-slow"
        assert len(table(app).names_in_order()) == 12  # the filter that hid it was cleared


async def test_the_palette_offers_every_action():
    app = make_app()
    async with app.run_test(size=(120, 40)):
        titles = [command.title for command in app.get_system_commands(app.main_screen)]
    for wanted in (
        "Filter the fleet",
        "Faults only",
        "Detail of",
        "Poll the marked",
        "Poll all",
        "Pause",
        "Mark every",
        "Clear marks",
        "Events",
        "Keys and binding ids",
        "Sort by latency",
        "Poll every 2 s",
        "Light theme",
    ):
        assert any(title.startswith(wanted) for title in titles), wanted


async def test_long_tags_end_in_an_ellipsis_instead_of_making_the_table_scroll_sideways():
    from tests.ui_fixtures import SPEC, build_fleet

    tagged = [(*row[:6], ("eu", "pool-a", "booth", "hall-3", "golden", "canary"), row[7]) for row in SPEC]
    app = make_app(fleet=build_fleet(tagged))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.main_screen.table
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.get_cell("eu-pool-1", "tags").plain == "eu,pool-a,booth,hall-3,golden,canary"
        narrow = "".join(segment.text for segment in table.render_line(2)).rstrip()
        assert narrow.endswith("…")
        await pilot.resize_terminal(180, 40)
        await pilot.pause()
        wide = "".join(segment.text for segment in table.render_line(2)).rstrip()
        # With room, the column takes its natural width again (at most 30 cells).
        assert wide.endswith("eu,pool-a,booth,hall-3,golden…") and len(wide) > len(narrow)


async def test_the_console_says_when_polling_could_not_get_a_process_of_its_own(monkeypatch):
    import multiprocessing.util

    from convos_tui.fleet.fleet import Fleet
    from convos_tui.fleet.inventory import GatewayConfig, Inventory
    from convos_tui.fleet.poller import Poller
    from convos_tui.fleet.store import Store
    from convos_tui.sim import GatewaySpec, SimFleet
    from convos_tui.ui.app import ConvosApp

    def refuse(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(multiprocessing.util, "spawnv_passfds", refuse)  # where multiprocessing forks
    async with SimFleet([GatewaySpec("a")], speed=500) as sim:
        gateways = [GatewayConfig(name="a", url=sim.gateways[0].url, env="dev")]
        fleet = Fleet(
            Inventory(path=None, gateways=tuple(gateways)),
            Store.open(None),
            gateways=gateways,
            poller=Poller(gateways, interval_s=0.5),
        )
        app = ConvosApp(fleet)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            warnings = [n.message for n in app._notifications if n.title == "poller"]
            assert warnings and "no more processes" in warnings[0]
            for _ in range(50):  # and it polls all the same
                if fleet.states["a"].state is State.IDLE:
                    break
                await pilot.pause(0.1)
            assert fleet.states["a"].state is State.IDLE


async def test_keys_typed_right_after_slash_all_go_to_the_filter():
    # `/tag:eu` in one burst (a fast typist, a paste): before, `e` opened the events screen or the filter
    # got `:eu` or `ag:eu`; every key after `/` belongs to the filter box, however fast it comes.
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await burst(pilot, "slash", *"tag:eu", "enter")
        assert app.screen is app.main_screen
        assert app.main_screen.filter.expression == "tag:eu"
        assert sorted(table(app).names_in_order()) == [
            "eu-booth-1",
            "eu-booth-2",
            "eu-pool-1",
            "eu-pool-2",
            "eu-pool-3",
        ]
        # enter gave the keys back to the table, at once: `f` right after it is the faults key, not a letter
        await burst(pilot, "slash", "ctrl+a", "ctrl+k", *"lab", "enter", "f")
        assert app.main_screen.filter.expression == "lab" and app.main_screen.faults_only
        # and escape in the box clears it and gives the keys back as fast
        await burst(pilot, "slash", *"xyz", "escape", "f")
        assert app.main_screen.filter.expression == "" and not app.main_screen.faults_only
