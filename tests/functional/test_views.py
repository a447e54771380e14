"""Saved views (`:`), saved into the config with its comments kept, and the filter box's history (up/down)."""

import dataclasses

from textual.widgets import Input, Static

from convos_tui.fleet.inventory import parse_inventory
from convos_tui.fleet.store import Store
from convos_tui.fleet.view_settings import SavedView
from convos_tui.ui.filter_history import FilterHistory
from tests.ui_fixtures import build_fleet, make_app


def status(app) -> str:
    return app.main_screen.query_one("#statusline", Static).render().plain


def fleet_at(config=None, views=None):
    fleet = build_fleet()
    replace = {"views": views or {}}
    if config is not None:
        replace.update(path=config, exists=True)
    fleet.inventory = dataclasses.replace(fleet.inventory, **replace)
    return fleet


async def test_a_saved_view_applies_its_filter_sort_and_columns():
    views = {"lab": SavedView("lab", "tag:lab", "-latency", ("state", "name", "latency"))}
    app = make_app(fleet=fleet_at(views=views))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        await pilot.press("colon", *"lab", "enter")
        assert table.columns == ("mark", "state", "name", "latency")
        assert table.names_in_order() == ["lab-down", "lab-old", "lab-garbage"]  # reversed: slowest first
        assert table.sort_column == "latency" and table.sort_reverse
        assert "view lab" in status(app)
        # The keys typed on the command line were its own: no panel opened, nothing sorted by `s`.
        await pilot.press("colon", *"nope", "enter")
        assert "no view 'nope' (views: lab); :save nope saves what is shown" in status(app)
        assert app.screen is app.main_screen and table.focus


async def test_save_and_delete_write_the_config_and_keep_its_comments(tmp_path):
    config = tmp_path / "fleet.toml"
    config.write_text('# the booth fleet\nrefresh = "5s"  # fast\n')
    app = make_app(fleet=fleet_at(config))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"tag:eu", "enter", "S")
        await pilot.press("colon", *"save eu-faults", "enter")
        assert "view eu-faults saved to" in status(app)
        text = config.read_text()
        assert text.startswith('# the booth fleet\nrefresh = "5s"  # fast\n')
        saved = parse_inventory(text, config, environ={}).views["eu-faults"]
        assert (saved.filter, saved.sort) == ("tag:eu", "-state")
        await pilot.press("escape")  # the filter cleared
        await pilot.press("colon", *"eu-faults", "enter")
        assert app.main_screen.filter.expression == "tag:eu"
        await pilot.press("colon", *"delete eu-faults", "enter")
        assert "eu-faults" not in parse_inventory(config.read_text(), config, environ={}).views
        assert config.read_text().startswith('# the booth fleet\nrefresh = "5s"  # fast\n')
        await pilot.press("colon", "escape")  # esc closes the command line and clears nothing
        assert app.main_screen.filter.expression == "tag:eu"


async def test_the_filter_history_walks_back_and_is_kept_across_runs(tmp_path):
    store = tmp_path / "data" / "history.sqlite3"
    store.parent.mkdir()
    for run in range(2):
        fleet = build_fleet()
        fleet.store = Store.open(store)
        app = make_app(fleet=fleet)
        async with app.run_test(size=(120, 40)) as pilot:
            if run == 0:
                await pilot.press("slash", *"tag:eu", "enter", "slash", "ctrl+u", *"state:faults", "enter")
                continue
            await pilot.press("slash", "ctrl+u", *"lab", "up")
            box = app.main_screen.query_one("#filter", Input)
            assert box.value == "state:faults"
            await pilot.press("up")
            assert box.value == "tag:eu" and app.main_screen.filter.expression == "tag:eu"
            await pilot.press("down", "down")
            assert box.value == "lab"  # back to what was being typed
        fleet.store.close()
    assert FilterHistory(store.parent / "filter-history").entries == [
        "tag:eu",
        "state:faults",
    ]  # "lab" was never applied
