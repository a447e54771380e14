"""Alerts in the console: the header line, the row's `!`, the bell, OSC 9 and the hook, once per episode; `a`."""

import dataclasses
import json
import sys

from textual.widgets import Static

from convos_tui.fleet.alert_rules import AlertRule
from convos_tui.fleet.state import State
from convos_tui.ui.widgets.alert_line import AlertLine
from convos_tui.ui.widgets.fleet_table import FleetTable
from tests.ui_fixtures import NOW, build_fleet, make_app


def watched_by(*rules):
    """The fixture's fleet under these alert rules, and a console on it whose clock the test moves (clock[0])."""
    fleet = build_fleet()
    fleet.inventory = dataclasses.replace(fleet.inventory, alerts=rules)
    clock = [NOW]
    return fleet, clock, make_app(fleet=fleet, clock=lambda: clock[0])


async def wait_for(pilot, check, tries=400):
    for _ in range(tries):  # a condition, not a time: the hook runs in a thread
        if check():
            return
        await pilot.pause(0.05)
    assert check()


async def test_a_rule_alerts_once_per_episode_and_a_acknowledges(tmp_path):
    out = tmp_path / "hook.jsonl"
    hook = (sys.executable, "-c", f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())")
    rule = AlertRule("booth-down", frozenset({State.STALLED}), ("booth",), 60.0, True, "osc9", hook)
    fleet, clock, app = watched_by(rule)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main_screen
        written: list[str] = []
        main.alerts.terminal = written.append
        line = main.query_one(AlertLine)

        def poll(name, state, since):
            gw = fleet.states[name]
            gw.state, gw.since = state, since
            main.mark_dirty(name)
            main.tick()

        poll("eu-booth-1", State.STALLED, NOW)
        clock[0] = NOW + 30
        poll("eu-booth-1", State.LIVE, NOW + 30)  # a flap inside the minute: never an alert
        poll("lab-down", State.STALLED, NOW + 30)  # not a booth
        clock[0] = NOW + 200
        main.tick()
        assert not line.display and written == []
        poll("eu-booth-1", State.STALLED, NOW + 200)
        clock[0] = NOW + 261
        main.tick()  # no poll came: the clock alone raises it
        await pilot.pause()
        assert line.display
        assert line.render().plain.startswith(" 1 ALERT  a acknowledges  booth-down: eu-booth-1 stalled for 1m01s")
        assert main.table.get_cell("eu-booth-1", "mark").plain == "!"
        assert written[0] == "\a" and written[1].startswith("\x1b]9;convos-tui alert: booth-down: eu-booth-1")
        await wait_for(pilot, lambda: out.exists() and out.read_text().endswith("\n"))
        assert json.loads(out.read_text())["gateway"] == "eu-booth-1"
        clock[0] = NOW + 400
        poll("eu-booth-1", State.STALLED, NOW + 200)
        main.tick()
        assert len(written) == 2  # still the same episode: once
        # `a` on a row without an alert says where the alerts are.
        main.table.move_to("eu-pool-1")
        await pilot.press("a")
        status = main.query_one("#statusline", Static).render().plain
        assert "no alert on eu-pool-1; alerts on eu-booth-1" in status
        main.table.move_to("eu-booth-1")
        await pilot.press("a")
        await pilot.pause()
        assert not line.display and main.table.get_cell("eu-booth-1", "mark").plain == " "
        assert "acknowledged eu-booth-1" in main.query_one("#statusline", Static).render().plain
        await wait_for(pilot, lambda: main.alerts.hooks_running == 0)
    assert len(out.read_text().splitlines()) == 1


async def test_the_table_marks_nothing_and_the_header_shows_no_line_without_rules():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        assert not app.main_screen.query_one(AlertLine).display
        assert app.main_screen.query_one(FleetTable).alerted == set()
        assert "no alert to acknowledge" in app.main_screen.query_one("#statusline", Static).render().plain


async def test_an_alert_raised_and_acknowledged_is_in_the_events_screen():
    from convos_tui.ui.screens.events import EventsScreen

    rule = AlertRule("booth-down", frozenset({State.STALLED}), ("booth",), 60.0)
    fleet, clock, app = watched_by(rule)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main_screen
        gw = fleet.states["eu-booth-1"]
        gw.state, gw.since = State.STALLED, NOW
        main.mark_dirty("eu-booth-1")
        main.tick()
        clock[0] = NOW + 61
        main.tick()
        main.table.move_to("eu-booth-1")
        clock[0] = NOW + 90
        await pilot.press("a")
        await wait_for(pilot, lambda: main.alerts.logging == 0)
        await pilot.press("e")
        assert isinstance(app.screen, EventsScreen)
        await pilot.press("slash", *"kind:alert rule:booth-down", "enter")
        table = app.screen.table
        shown = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[1:4] for row in shown] == [
            ["eu-booth-1", "alert", "alert acknowledged"],
            ["eu-booth-1", "alert", "alert raised"],
        ]
        assert shown[1][4].startswith("booth-down: stalled for 1m01s")
        assert shown[0][4].startswith("booth-down: stalled since") and " by " in shown[0][4]
