"""The fleet table's own promises at scale: the order of a sort, the rows a filter shows, and drawing
again only what changed on screen."""

import random

from textual.app import App

from convos_tui.api import errors
from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.filter import Filter
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import ORDER, GatewayState, State
from convos_tui.ui import rows as view
from convos_tui.ui.screens.main import TICK_STEP
from convos_tui.ui.widgets import fleet_table
from convos_tui.ui.widgets.fleet_table import FleetTable
from tests.ui_fixtures import NOW, build_fleet, make_app

_RANK = {state: index for index, state in enumerate(ORDER)}


def reference_key(column, config, state):
    """The sort key the table used before it sorted by plain values: (value, name), missing values last."""
    status = state.status if state.error is None else None
    name = config.name.lower()
    if column == "state":
        return (0 if state.state.is_fault else 1, _RANK[state.state], name)
    if column == "url":
        return (config.url, name)
    if column in ("ready", "streaming"):
        value = getattr(status, column) if status else None
        return (value is None, value is True, name)
    if column == "conversation":
        cid = status.conversation_id if status else None
        return (cid is None, cid or "", name)
    if column == "latency":
        return (state.latency_ms is None, state.latency_ms or 0.0, name)
    if column == "since":
        return (-state.since, name)
    if column == "tags":
        return (",".join(config.tags), name)
    return (name,)


def random_rows(count, seed=7):
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        # Names that differ only in case, and shared values everywhere, to exercise the ties.
        name = rng.choice(["gw", "GW", "Gw"]) + f"-{rng.randrange(count // 2):03d}-{index}"
        config = GatewayConfig(
            name=name,
            url=f"http://127.0.0.1:{rng.choice([18801, 18802, 18803])}",
            tags=tuple(rng.sample(["eu", "us", "pool-a", "booth"], rng.randrange(3))),
        )
        state = GatewayState(name, added_at=1000.0)
        state.state = rng.choice(list(State))
        state.since = float(rng.choice([1000, 2000, 3000]))
        state.reason = rng.choice(
            [
                "conversation bound, streaming",
                "no conversation: ready to create or join",
                "unreachable: connection refused (nothing listens on that port)",
            ]
        )
        state.latency_ms = rng.choice([None, 1.5, 2.25, 2.25, 880.0, 1500.0])
        if rng.random() < 0.2:
            state.error = errors.Unreachable("unreachable: connection refused")
        elif rng.random() < 0.9:
            conversation = rng.choice([None, "ab" * 16, "cd" * 16, "Ef01" * 8])
            state.status = GatewayStatus("classic", rng.random() < 0.8, conversation, rng.choice([None, True, False]))
        rows.append((config, state))
    return rows


class TableApp(App[None]):
    def compose(self):
        table = FleetTable()
        table.set_columns(compact=False)
        yield table


async def test_sorting_by_plain_values_gives_the_order_of_sorting_by_value_then_name():
    rows = random_rows(400)
    async with TableApp().run_test(size=(160, 30)) as pilot:
        table = pilot.app.query_one(FleetTable)
        table.update(rows, now=5000.0, marked=set())
        for column in view.SORTABLE:
            for reverse in (False, True):
                table.set_sort(column, reverse)
                expected = [
                    config.name
                    for config, state in sorted(
                        rows, key=lambda row, column=column: reference_key(column, *row), reverse=reverse
                    )
                ]
                assert table.names_in_order() == expected, (column, reverse)
        # A row changes its sort value: it moves, the others keep their order.
        table.set_sort("latency", False)
        config, state = rows[0]
        state.latency_ms = 0.01
        table.update([(config, state)], now=5000.0, marked=set())
        assert table.names_in_order()[0] == config.name


def test_the_row_filter_shows_exactly_what_the_filter_matches():
    rows = random_rows(300, seed=11)
    table_rows = {config.name: (config, state) for config, state in rows}
    texts = {name: view.search_text(*row) for name, row in table_rows.items()}
    expressions = [
        "gw",
        "GW-01",
        "-gw-1",
        "18802",
        "url:*18802*",
        "pool",
        "unreach",
        "refused",
        "idle",
        "abab",
        "ef01",
        "eu -booth",
        "nothing-matches",
        "state:faults",
        "tag:pool-*",
        "gw-0?",
        "name:gw-1*",
        "-state:live,idle",
        "conv:ab*",
        "live streaming",
    ]
    for expression in expressions:
        for faults_only in (False, True):
            row_filter = view.RowFilter(Filter(expression), faults_only)
            expected = {
                name
                for name, (config, state) in table_rows.items()
                if (not faults_only or state.state.is_fault) and Filter(expression).matches(config, state)
            }
            assert row_filter.names(table_rows, texts) == expected, expression
            assert {n for n, row in table_rows.items() if row_filter.matches(*row, texts[n])} == expected, expression
    assert view.RowFilter(Filter("gw eu"), False).words == [("gw", False), ("eu", False)]  # the quick path
    assert (
        view.RowFilter(Filter("gw-0?"), False).words is None and view.RowFilter(Filter("tag:eu"), False).words is None
    )


async def test_a_row_polled_again_that_looks_the_same_is_not_drawn_again():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        await pilot.pause()
        name = table.names_in_order()[3]
        drawn = table._cells[name]
        state = app.fleet.states[name]
        state.last_poll = (state.last_poll or NOW - 3) + 2  # polled again: nothing the table shows changed
        state.latencies.append(state.latency_ms)
        app.main_screen.mark_dirty(name)
        app.main_screen.tick()
        await pilot.pause()
        assert table._cells[name] is drawn

        state.latency_ms = 41.0  # this the table shows
        app.main_screen.mark_dirty(name)
        app.main_screen.tick()
        await pilot.pause()
        assert table._cells[name] is not drawn and table.get_cell(name, "latency").plain == "41 ms"


async def test_a_changed_row_off_screen_is_not_drawn():
    app = make_app()
    async with app.run_test(size=(120, 12)) as pilot:  # room for a few rows only
        table = app.main_screen.table
        await pilot.pause()
        last = table.names_in_order()[-1]
        assert last not in table._cells  # never on screen, never drawn
        state = app.fleet.states[last]
        state.latency_ms = 77.0
        app.main_screen.mark_dirty(last)
        app.main_screen.tick()
        await pilot.pause()
        assert last not in table._cells and table.names_in_order()[-1] == last
        await pilot.press("end")  # scrolled into view, it shows its new latency
        assert table.get_cell(last, "latency").plain == "77 ms"


async def test_the_drawn_lines_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(fleet_table, "CACHED_ROWS", 5)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        await pilot.pause()
        for _ in range(12):
            await pilot.press("down")
        assert len(table._cells) <= 5 and len(table._strips) <= 5
        assert len(table.names_in_order()) == 12  # drawn again when needed, never missing


def screen_text(app) -> str:
    """What the screen shows, from the lines its widgets last drew (a line not drawn again stays old)."""
    return "\n".join("".join(chop.text for chop in line) for line in app.screen._compositor.render_full_update().strips)


async def test_the_header_shows_the_new_sort_even_when_no_row_moves():
    rows = [
        (GatewayConfig(name=f"gw-{i:02d}", url=f"http://127.0.0.1:{18801 + i}"), GatewayState(f"gw-{i:02d}", 1.0))
        for i in range(30)
    ]
    for _, state in rows:
        state.state = State.IDLE  # by state, then by name: the same order as by name
    async with TableApp().run_test(size=(160, 20)) as pilot:
        table = pilot.app.query_one(FleetTable)
        table.update(rows, now=5000.0, marked=set())
        await pilot.pause()
        order = table.names_in_order()
        assert "STATE ▲" in screen_text(pilot.app)
        table.set_sort("name", False)
        await pilot.pause()
        assert table.names_in_order() == order
        assert "NAME ▲" in screen_text(pilot.app) and "STATE ▲" not in screen_text(pilot.app)


async def test_a_sort_or_a_filter_keystroke_is_painted_in_one_frame():
    """The status line's update lays the screen out again; the table's scroll bars must not ask for a
    frame of their own after it (16 ms more for every such key)."""
    spec = [(f"gw-{i:03d}", State.IDLE, None, False, 2.0 + i, 60, ("eu",), None) for i in range(100)]
    app = make_app(fleet=build_fleet(spec))  # more rows than lines: the table has a scroll bar
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        frames: list[set[str]] = []
        paint = screen._compositor_refresh

        def recorded() -> None:
            frames.append({type(widget).__name__ for widget in screen._dirty_widgets})
            paint()

        screen._compositor_refresh = recorded
        await pilot.press("s", "s", "slash", "e", "u", "enter")
        await pilot.pause(0.1)
        # (an empty set is the layout pass itself, with nothing left dirty when it runs: not a frame of its own)
        assert frames and not any(frame and frame <= {"ScrollBar"} for frame in frames), frames


async def test_a_tick_applies_many_polls_a_step_at_a_time():
    spec = [(f"gw-{i:04d}", State.IDLE, None, False, 2.0, 60, ("eu",), None) for i in range(1200)]
    app = make_app(fleet=build_fleet(spec))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen, table = app.main_screen, app.main_screen.table
        for name, state in app.fleet.states.items():
            state.latency_ms = 42.0
            screen.mark_dirty(name)
        steps = []
        tick = screen.tick
        screen.tick = lambda **kwargs: (steps.append(len(screen._dirty)), tick(**kwargs))
        screen._tick()  # what the timer calls
        applied = sum(1 for name in app.fleet.states if table.index.looks[name][-1] == ("42 ms", ""))
        assert applied == TICK_STEP == 200  # one step: the rest waits for the next events
        await pilot.pause()
        # (the refresh timer may tick too on a slow machine: a tick with nothing to apply is no step)
        assert [step for step in steps if step] == [1200, 1000, 800, 600, 400, 200]
        assert all(table.index.looks[name][-1] == ("42 ms", "") for name in app.fleet.states)


async def test_a_row_whose_state_changes_is_drawn_again_even_where_the_order_stays():
    """Issue 13 item 5: one gateway, first polled unreachable after the table was drawn. Its sort value
    (the state) changed, so the order was made again; the order was the same, and the row was never
    drawn again: "· unknown" for ever beside a header saying "1 unreachable", and `r` did not help."""
    app = make_app(fleet=build_fleet([("gw-nine", State.IDLE, None, False, 2.0, 60, (), None)]))
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        assert "idle" in screen_text(app)
        state = app.fleet.states["gw-nine"]
        state.observe_error(errors.Unreachable("unreachable: connection refused"), None, state.since + 61)
        app.main_screen.mark_dirty("gw-nine")
        app.main_screen.tick()
        await pilot.pause()
        row = next(line for line in screen_text(app).splitlines() if "gw-nine" in line)
        assert "unreachable" in row and "idle" not in row


async def test_a_sorted_header_keeps_its_whole_name_at_any_width():
    """Issue 13 item 16: "LATENCY…", "READ…" when sorted, even at 200 columns."""
    for width in (80, 120, 200):
        app = make_app()
        async with app.run_test(size=(width, 24)) as pilot:
            await pilot.pause()
            table = app.main_screen.table
            for column in (c for c in view.SORTABLE if c in table.columns):
                for reverse in (False, True):
                    table.set_sort(column, reverse)
                    await pilot.pause()
                    header = screen_text(app).splitlines()[1]
                    label = next(c.label for c in view.COLUMNS if c.key == column)
                    arrow = "▼" if reverse else "▲"
                    assert f"{label} {arrow}" in header or f"{label}{arrow}" in header, (width, header)
                    assert "…" not in header, (width, header)


async def test_no_scroll_bar_of_the_table_shows_beside_a_panel():
    """Issue 13 item 16: under a panel at 80x24, the table's scroll bar sat right of the panel's border,
    a scroll bar drawn outside the panel."""
    from textual.scrollbar import ScrollBar

    spec = [(f"gw-{i:03d}", State.IDLE, None, False, 2.0, 60, ("eu",), None) for i in range(40)]
    app = make_app(fleet=build_fleet(spec))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def table_bars():
            compositor = app.main_screen._compositor  # the screen under the panel, as drawn beneath it
            return [
                w
                for w, geo in compositor.full_map.items()
                if isinstance(w, ScrollBar) and isinstance(w.parent, FleetTable) and geo.region.area
            ]

        assert table_bars()  # 40 rows on 24 lines: it scrolls
        for key in ("c", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
            assert not table_bars(), key
            await pilot.press("escape")
            await pilot.pause()
            assert table_bars(), key
