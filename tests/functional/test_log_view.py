"""The detail's log of a launched instance: followed live, `/` search (new lines too), `w` save; for other
gateways the detail says where their logs are."""

import dataclasses

from textual.widgets import Log, Static

from convos_tui.instances.records import InstanceRecord
from convos_tui.ui.screens.detail import LOGS_ELSEWHERE, DetailScreen
from convos_tui.ui.widgets.log_view import LogView
from tests.ui_fixtures import build_fleet, make_app


async def wait_for(pilot, check, tries=200):
    for _ in range(tries):  # the detail reads the file once a second: wait for what it shows, not a time
        if check():
            return
        await pilot.pause(0.05)
    assert check()


async def test_the_log_follows_and_search_and_save_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    log_file = tmp_path / "instance.log"
    log_file.write_text("boot: plugin loaded\nxmtp: stream up\nboot: ready\n")
    fleet = build_fleet()
    slot = fleet.poller._slots["eu-booth-1"]  # an instance this console launched: its origin says so
    slot.config = dataclasses.replace(slot.config, origin="launcher:sim")
    record = InstanceRecord(
        "eu-booth-1", "sim", "sim", "golden", str(tmp_path), "running", 4242, None, 19000, str(log_file)
    )
    app = make_app(fleet=fleet)
    async with app.run_test(size=(120, 40)) as pilot:
        monkeypatch.setattr(app.instances, "record", lambda name: record if name == "eu-booth-1" else None)
        app.main_screen.table.move_to("eu-booth-1")
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        log = detail.query_one("#detail-log", Log)
        await wait_for(pilot, lambda: log.lines == ["boot: plugin loaded", "xmtp: stream up", "boot: ready"])
        await pilot.press("slash", *"boot", "enter")
        assert log.lines == ["boot: plugin loaded", "boot: ready"]
        with log_file.open("a") as out:
            out.write("xmtp: stream down\nboot: \x1b[31mrestart\x1b[0m\n")
        await wait_for(pilot, lambda: len(detail.query_one(LogView).lines) == 5)
        await wait_for(pilot, lambda: log.lines == ["boot: plugin loaded", "boot: ready", "boot: restart"])  # clean
        found = detail.query_one("#detail-log-found", Static).render().plain
        assert found.startswith("3 of 5 lines have 'boot'")
        await pilot.press("w")
        [saved] = tmp_path.glob("convos-log-eu-booth-1-*.log")
        assert saved.read_text() == "boot: plugin loaded\nboot: ready\nboot: restart\n"
        assert saved.stat().st_mode & 0o077 == 0
        await pilot.press("slash", "escape")  # esc in the search clears it: every line again, and the detail stays
        assert len(log.lines) == 5 and isinstance(app.screen, DetailScreen)


async def test_a_gateway_this_console_did_not_launch_says_where_its_logs_are():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        detail = app.screen
        assert detail.query_one("#detail-log-caption", Static).render().plain == LOGS_ELSEWHERE
        assert not detail.query_one(LogView).display
        await pilot.press("w", "slash")
        assert isinstance(app.screen, DetailScreen)
