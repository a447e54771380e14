"""The fleet table finishes its lines itself (ui/widgets/plain_lines.py): the same lines as Textual's styles
cache gives, without filtering a line it drew before again on every paint."""

from textual.filter import ANSIToTruecolor
from textual.geometry import Region
from textual.widget import Widget

from convos_tui.fleet.state import State
from convos_tui.ui.widgets.plain_lines import plain_box
from tests.ui_fixtures import build_fleet, make_app

SPEC = [
    (f"gw-{i:03d}", State.IDLE if i % 3 else State.STALLED, None, False, 2.0 + i, 60, ("eu",), None) for i in range(100)
]


def segments(strips) -> list[list[tuple[str, object]]]:
    return [[(segment.text, segment.style) for segment in strip] for strip in strips]


async def test_the_table_draws_the_lines_textual_would_draw_marked_under_the_cursor_and_cropped():
    app = make_app(fleet=build_fleet(SPEC))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "down", "down")  # a marked row, the cursor below it
        await pilot.pause()
        table = app.main_screen.table
        assert plain_box(table)
        for region in (Region(0, 0, table.region.width, table.region.height), Region(5, 3, 40, 10)):
            ours = table.render_lines(region)
            table._styles_cache.clear()
            assert segments(ours) == segments(Widget.render_lines(table, region))


async def test_a_line_drawn_before_is_not_filtered_again(monkeypatch):
    app = make_app(fleet=build_fleet(SPEC))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.main_screen.table
        region = Region(0, 0, table.region.width, table.region.height)
        table.render_lines(region)
        filtered = [0]
        apply = ANSIToTruecolor.apply
        monkeypatch.setattr(
            ANSIToTruecolor, "apply", lambda self, *a: (filtered.__setitem__(0, filtered[0] + 1), apply(self, *a))[1]
        )
        table.refresh()  # every line again, as a scroll back or a theme check would ask
        table.render_lines(region)
        assert filtered[0] == 0  # Textual's styles cache filters all 40 lines again
        await pilot.press("s")  # a new order: new lines, filtered once each
        await pilot.pause()
        assert 0 < filtered[0] <= table.region.height


async def test_a_table_with_padding_goes_through_textual_styles_cache():
    app = make_app(fleet=build_fleet(SPEC))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        table.styles.padding = (0, 2)
        await pilot.pause()
        assert not plain_box(table)
        region = Region(0, 0, table.region.width, table.region.height)
        ours = table.render_lines(region)
        assert [strip.text[:2] for strip in ours[1:4]] == ["  "] * 3  # the padding is there
        table._styles_cache.clear()
        assert segments(ours) == segments(Widget.render_lines(table, region))
