"""What a key costs to paint at fleet scale: no layout of the whole screen where nothing's size
changed, and rows drawn straight in their final styles, redrawn when those styles change."""

from rich.style import Style
from textual.screen import Screen

from convos_tui.fleet.state import State
from convos_tui.ui.rows import fit
from convos_tui.ui.widgets.status_line import StatusLine
from tests.ui_fixtures import build_fleet, make_app

SPEC = [(f"gw-{i:03d}", State.IDLE, None, False, 2.0 + i, 60, ("eu",), None) for i in range(100)]


def count_layouts(monkeypatch) -> list[int]:
    layouts = [0]
    original = Screen._refresh_layout

    def counted(self, *args, **kwargs):
        layouts[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return layouts


def layouts_asked(line: StatusLine, monkeypatch) -> list[bool]:
    """Whether each update of the status line asked for a layout (the update itself goes on as asked)."""
    asked: list[bool] = []
    update = line.update
    monkeypatch.setattr(
        line, "update", lambda content, *, layout=True: (asked.append(layout), update(content, layout=layout))
    )
    return asked


async def test_typing_a_filter_that_keeps_every_row_lays_nothing_out(monkeypatch):
    """Each keystroke used to lay the whole screen out (the input's text width), which repaints every line."""
    app = make_app(fleet=build_fleet(SPEC))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        layouts = count_layouts(monkeypatch)
        await pilot.press(*"http")  # every URL has it: the rows shown stay the same
        await pilot.pause()
        assert app.main_screen.filter_box.value == "http" and app.main_screen.table.row_count == 100
        assert layouts[0] == 0
        await pilot.press(*["backspace"] * 4, *"gw-00")  # fewer rows: the table's scroll bar changes, a layout is due
        await pilot.pause()
        assert app.main_screen.table.row_count == 10 and layouts[0] >= 1


async def test_the_status_line_asks_for_a_layout_only_when_its_height_changes(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        asked = layouts_asked(app.main_screen.query_one(StatusLine), monkeypatch)
        await pilot.press("s")  # the sort's words change, not the height
        await pilot.pause()
        app.main_screen._show_status()  # the same line again: not set at all
        app.main_screen.say("a message long enough to wrap: " + "word " * 40)  # now it wraps
        await pilot.pause()
        assert asked == [False, True]
        assert app.main_screen.query_one(StatusLine).region.height > 1


async def test_a_cached_row_is_drawn_again_in_a_new_theme_a_mark_and_the_cursor():
    app = make_app(fleet=build_fleet(SPEC))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.main_screen.table

        def background(y: int) -> Style:
            return next(segment.style for segment in table.render_line(y) if segment.text.strip()).bgcolor

        plain, cursor = background(2), background(1)  # row 0 has the cursor
        assert plain != cursor
        await pilot.press("down", "space")  # moves to row 1 and marks it
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        marked = background(2)
        assert marked not in (plain, cursor) and background(1) == plain
        app.theme = "textual-light" if "dark" in app.theme else "textual-dark"
        await pilot.pause()
        themed = background(4)
        assert themed != plain  # the same cached row, in the new theme's colours
        table._strips.clear()
        table._cells.clear()
        assert background(4) == themed  # as a row drawn from nothing in that theme


def test_fit_cuts_wide_characters_to_the_cell():
    assert fit("日本語の名前", 5) == "日本…"
    assert fit("日本語の名前", 4) == "日 …"  # a wide character is never halved: a space takes its place
    assert fit("gw", 5) == "gw   " and fit("gateway", 4) == "gat…" and fit("x", 0) == ""


async def test_a_filter_that_changes_the_rows_shown_updates_the_scroll_bar_without_a_layout(monkeypatch):
    """While the scroll bar stays (more rows than lines before and after), its thumb follows the rows
    and the scroll position comes back within them, with no layout; once it goes, one comes."""
    spec = [(f"gw-{i:03d}", State.IDLE, None, False, 2.0, 60, ("eu",), None) for i in range(200)]
    app = make_app(fleet=build_fleet(spec))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.main_screen.table
        await pilot.press("end", "slash")  # scrolled to the last of the 200 rows
        await pilot.pause()
        layouts = count_layouts(monkeypatch)
        await pilot.press(*"gw-1")  # 200, 200, 200, then gw-100 … gw-199
        await pilot.pause()
        assert table.row_count == 100 and layouts[0] == 0
        assert table.vertical_scrollbar.window_virtual_size == table.virtual_size.height == 101
        assert 0 < table.scroll_y <= table.max_scroll_y and table.cursor_name == "gw-199"
        await pilot.press("0")  # gw-100 … gw-109: they fit, the scroll bar goes
        await pilot.pause()
        assert table.row_count == 10 and layouts[0] >= 1 and not table.show_vertical_scrollbar
        assert table.scroll_y == 0


async def test_a_message_taller_than_the_status_line_may_grow_lays_it_out_once(monkeypatch):
    """Cut at its max-height (6 lines), a long message stays while the fleet's part changes every tick: one
    layout when it comes, none for each tick after."""
    app = make_app()
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        asked = layouts_asked(app.main_screen.query_one(StatusLine), monkeypatch)
        app.main_screen.say("word " * 120)  # about 10 lines at 60 columns
        await pilot.pause()
        assert app.main_screen.query_one(StatusLine).region.height == 6 and asked == [True]
        for seconds in (2, 3, 4):
            app.main_screen.context.fleet.poller.last_poll_at -= seconds  # "polled N s ago" changes
            app.main_screen.show_summary()
            await pilot.pause()
        assert len(asked) == 4 and asked[1:] == [False, False, False]


async def test_a_filter_or_sort_key_changes_the_rows_shown_and_leaves_what_was_polled_to_the_tick(monkeypatch):
    """A keystroke used to apply every poll waiting since the last tick and count every gateway's state: at
    5,000 gateways, hundreds of rows and 5,000 states on a key (benchmarks/ui.py). The next tick still applies
    them, through the filter typed meanwhile."""
    import convos_tui.ui.screens.main as main_screen

    counted = [0]
    count_states = main_screen.count_states
    monkeypatch.setattr(
        main_screen, "count_states", lambda states: (counted.__setitem__(0, counted[0] + 1), count_states(states))[1]
    )
    app = make_app(fleet=build_fleet(SPEC))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await pilot.pause()
        screen.ticker.pause()  # the ticks are this test's own: typing may take longer than one
        state = app.fleet.states["gw-042"]
        state.state = State.STALLED  # polled: now stalled, not applied yet
        screen.mark_dirty("gw-042")
        counted[0] = 0
        await pilot.press("slash", *"stalled")
        await pilot.pause()
        assert screen.filter.expression == "stalled"
        assert counted[0] == 0 and list(screen._dirty) == ["gw-042"]
        screen.tick()
        await pilot.pause()
        assert screen.table.names_in_order() == ["gw-042"] and counted[0] == 1
        assert screen._summary is not None and screen._summary.counts[State.STALLED] == 1
        screen.mark_dirty("gw-007")  # polled again; a sort key waits for the tick as well
        await pilot.press("enter", "s")
        await pilot.pause()
        assert screen.table.sort_column != "state" and counted[0] == 1 and list(screen._dirty) == ["gw-007"]
