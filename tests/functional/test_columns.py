"""Columns: chosen in the config and per profile, the `|` panel (order, hide, apply, save), the stale mark."""

import dataclasses

from textual.widgets import Static

from convos_tui.fleet.config_model import Profile, Settings
from convos_tui.fleet.console_names import COLUMN_NAMES
from convos_tui.fleet.inventory import parse_inventory
from convos_tui.ui import rows as view
from convos_tui.ui.screens.columns import ColumnsPanel
from convos_tui.ui.widgets.fleet_table import FleetTable
from tests.ui_fixtures import NOW, build_fleet, make_app


def test_the_config_names_every_column_the_table_draws():
    assert COLUMN_NAMES == tuple(c.key for c in view.COLUMNS if c.key != "mark")


def fleet_with(columns=(), profile_columns=(), path=None):
    fleet = build_fleet(profile="booth" if profile_columns else None)
    inventory = dataclasses.replace(
        fleet.inventory,
        settings=Settings(columns=tuple(columns)),
        profiles={"booth": Profile("booth", tags=("booth",), columns=tuple(profile_columns))},
    )
    if path is not None:
        inventory = dataclasses.replace(inventory, path=path, exists=True)
    fleet.inventory = inventory
    return fleet


async def test_the_config_and_the_profile_choose_the_columns_at_every_width():
    app = make_app(fleet=fleet_with(["latency", "name", "tags", "url"]))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.main_screen.query_one(FleetTable).columns == ("mark", "latency", "name", "tags", "url")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.main_screen.query_one(FleetTable).columns == ("mark", "latency", "name", "tags", "url")
    app = make_app(fleet=fleet_with(["latency", "name"], profile_columns=["name", "conversation"]))
    async with app.run_test(size=(120, 40)):
        assert app.main_screen.query_one(FleetTable).columns == ("mark", "name", "conversation")


async def test_the_panel_hides_orders_and_applies(tmp_path):
    config = tmp_path / "fleet.toml"
    config.write_text('# my fleet\nrefresh = "5s"  # every five\n')
    app = make_app(fleet=fleet_with(path=config))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.query_one(FleetTable)
        default = table.columns
        await pilot.press("vertical_line")
        panel = app.screen
        assert isinstance(panel, ColumnsPanel)
        order = list(panel.order)  # the shown columns first, in their order, then the hidden ones
        # Hide NAME, then move LATENCY up to second place.
        await pilot.press(*["down"] * order.index("name"), "space")
        steps = order.index("latency") - order.index("name")
        await pilot.press(*["down"] * steps, *["shift+up"] * (order.index("latency") - 1))
        await pilot.press("enter")
        shown = [c for c in order if c in default and c not in ("name", "latency")]
        want = ("state", "latency", *shown[1:])
        assert table.columns == ("mark", *want)
        assert config.read_text() == '# my fleet\nrefresh = "5s"  # every five\n'  # enter applies, w saves
        await pilot.press("vertical_line", "down", "space", "w")  # hide latency too, and save
        await pilot.pause()
        want = ("state", *shown[1:])
        assert table.columns == ("mark", *want)
        assert config.read_text().startswith('# my fleet\nrefresh = "5s"  # every five\n')
        assert parse_inventory(config.read_text(), config, environ={}).settings.columns == want
        assert "saved to" in app.main_screen.query_one("#statusline", Static).render().plain
        await pilot.press("vertical_line", "space", "escape")  # esc: nothing changes
        assert table.columns == ("mark", *want)
        await pilot.press("vertical_line", "r")  # the default again
        assert table.chosen == () and table.columns == default


async def test_a_row_whose_data_is_three_intervals_old_says_how_old():
    fleet = build_fleet()
    app = make_app(fleet=fleet)
    async with app.run_test(size=(120, 40)):
        main = app.main_screen
        fleet.poller.interval_s = 5.0
        for state in fleet.states.values():
            state.last_poll = NOW - 1
        fleet.states["eu-booth-1"].last_poll = NOW - 16  # more than 3 × 5 s
        main.tick()
        assert main.table.get_cell("eu-booth-1", "latency").plain == "⌛ 16 s"
        assert main.table.get_cell("us-pool-1", "latency").plain == "88 ms"


async def test_with_a_profile_w_saves_into_that_profile(tmp_path):
    config = tmp_path / "fleet.toml"
    config.write_text('[profiles.booth]  # the booth team\ntags = ["booth"]\n')
    app = make_app(fleet=fleet_with(profile_columns=["name", "state"], path=config))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("vertical_line", "space", "w")  # hide name
        await pilot.pause()
        assert app.main_screen.table.columns == ("mark", "state")
    text = config.read_text()
    assert text.startswith("[profiles.booth]  # the booth team\n")
    assert parse_inventory(text, config, environ={}).profiles["booth"].columns == ("state",)


async def test_question_mark_in_the_panel_names_its_own_keys():
    from convos_tui.ui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("vertical_line", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one(Static).render().plain
        assert "columns-toggle" in text and "columns-save" in text and "The columns panel" in text
        assert "poll-now" not in text.replace('poll-now = "r,f5"', "")  # not the main screen's keys
        await pilot.press("escape")
        assert isinstance(app.screen, ColumnsPanel)


async def test_the_palette_sorts_only_by_the_columns_shown():
    app = make_app()
    async with app.run_test(size=(120, 40)):
        table = app.main_screen.table
        assert "latency" in table.columns
        table.chosen = tuple(c for c in COLUMN_NAMES if c != "latency")  # the panel's or the config's choice
        table.set_columns(compact=False)
        titles = {command.title for command in app.get_system_commands(app.main_screen)}
        assert "Sort by state" in titles and "Sort by name" in titles and "Sort by latency" not in titles
