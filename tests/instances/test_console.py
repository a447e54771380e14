"""The console drives instances over real processes and sockets (the `sim` launcher): the launch panel shows
progress per instance and per phase, the instances become rows with their origin, the detail follows the
log, and terminate (the word typed) leaves no process, port or directory; read-only refuses in the action
service."""

import socket
import time
from pathlib import Path

from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import load_inventory
from convos_tui.instances.launcher import alive
from convos_tui.ui.app import ConvosApp
from convos_tui.ui.screens.detail import DetailScreen
from convos_tui.ui.screens.launch import ConfirmInstancesPanel, LaunchPanel


async def console(env, **options) -> ConvosApp:
    inventory = load_inventory(env.config, required=True)
    fleet = await Fleet.load(inventory, data_dir=env.data / "convos-tui")
    return ConvosApp(fleet, live=False, **options)


async def until(pilot, check, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert check()


async def launch_panel(pilot) -> LaunchPanel:
    await pilot.press("I")
    await pilot.pause()
    assert isinstance(pilot.app.screen, LaunchPanel)
    return pilot.app.screen


def port_open(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_launch_two_from_the_panel_see_them_then_terminate_them(env):
    app = await console(env)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await launch_panel(pilot)
        await pilot.press("backspace", "2")  # the count has the focus; then: create (the default)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: panel.results is not None)
        results = panel.results
        assert [r.outcome for r in results] == ["ok", "ok"], [r.summary for r in results]
        progress = panel.query_one("#instance-progress")
        for result in results:  # each phase of each instance has its time
            row = progress.get_row(result.gateway)
            assert all(cell.plain.endswith(" s") for cell in row[1:4] + row[4:5]), row
        names = sorted(r.gateway for r in results)
        records = [app.instances.record(name) for name in names]
        await pilot.press("ctrl+s")  # Close
        await pilot.pause()

        table = app.main_screen.table
        assert set(names) <= set(table.names_in_order())
        assert all(table.get_cell(name, "name").plain.endswith("◆") for name in names)
        assert {app.fleet.config(name).origin for name in names} == {"launcher:sim"}

        app.main_screen.jump_to(names[0])
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        instance = str(detail.query_one("#detail-instance").render())
        assert f"pid           {records[0].pid}" in instance and f"port          {records[0].port}" in instance
        log = detail.query_one("#detail-log")
        await until(pilot, lambda: log.line_count > 0)
        before = log.line_count
        with open(records[0].log, "a") as out:  # the view follows the file
            out.write("a line written after the detail opened\n")
        await until(pilot, lambda: log.line_count > before, seconds=5)
        assert log.lines[-1] == "a line written after the detail opened"
        await pilot.press("escape")
        await pilot.pause()

        # Terminate both: Cancel has the focus, so a stray enter cancels and nothing is terminated.
        app.main_screen.marked |= set(names)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmInstancesPanel) and app.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.main_screen
        assert all(alive(r.pid, r.pid_start) for r in records)

        await pilot.press("T")
        await pilot.pause()
        confirm = app.screen
        named = str(confirm.query_one("#instances-named").render())
        assert all(name in named for name in names)
        confirm.query_one("#instances-confirm").focus()
        await pilot.press(*"TERMINAT", "enter")  # not the word: nothing happens
        await pilot.pause()
        assert confirm.results is None and not confirm.busy
        await pilot.press("E", "enter")
        await until(pilot, lambda: confirm.results is not None)
        assert [r.outcome for r in confirm.results] == ["ok", "ok"]
        await pilot.press("enter")  # Close has the focus
        await pilot.pause()
        assert not set(names) & set(app.main_screen.table.names_in_order())
    app.fleet.close()
    for record in records:
        assert not alive(record.pid, record.pid_start)
        assert not Path(record.dir).exists()
        assert not port_open(record.port)


async def test_read_only_refuses_in_the_action_service_and_starts_nothing(env):
    app = await console(env, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("I")
        await until(pilot, lambda: "read-only" in app.main_screen._message.plain, seconds=10)
        assert app.screen is app.main_screen  # no panel
        assert "refused" in app.main_screen._message.plain
    assert not env.instances_dir.exists() or not any(env.instances_dir.iterdir())
    store = app.fleet.store
    rows = store.audit_log("sim", limit=5)
    assert rows and rows[0]["action"] == "launch" and rows[0]["outcome"] == "refused"
    store.close()


async def test_the_instructions_typed_in_the_panel_are_the_instances_own(env):
    app = await console(env)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await launch_panel(pilot)
        panel.query_one("#launch-then").value = "ready"
        panel.query_one("#launch-instructions").text = "# Instructions\n\nAnswer in French.\n"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: panel.results is not None)
        [result] = panel.results
        assert result.ok, result.summary
        record = app.instances.record(result.gateway)
        written = Path(record.dir) / "home" / ".openclaw" / "workspace" / "INSTRUCTIONS.md"
        assert written.read_text() == "# Instructions\n\nAnswer in French.\n"
        assert "Answer in French" not in (env.golden / "workspace" / "INSTRUCTIONS.md").read_text()
        # An instructions text over the limit is refused in the panel, the form kept as it was.
        await pilot.press("ctrl+s")
        await pilot.pause()
        panel = await launch_panel(pilot)
        panel.query_one("#launch-instructions").text = "x" * (64 * 1024 + 1)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "over the 64 KiB" in str(panel.query_one("#panel-result").render())
        assert panel.results is None and not panel.busy
        assert len(panel.query_one("#launch-instructions").text) == 64 * 1024 + 1
        assert [r.outcome for r in await app.instances.terminate([result.gateway])] == ["ok"]
    app.fleet.close()


async def test_recycle_from_the_console_replaces_the_instance(env):
    from convos_tui.instances.service import Provision

    app = await console(env)
    async with app.run_test(size=(120, 40)) as pilot:
        [first] = await app.instances.launch("sim", 1, Provision())
        assert first.ok, first.summary
        old = app.instances.record(first.gateway)
        await pilot.pause()
        app.main_screen.jump_to(old.id)
        await pilot.press("Y")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmInstancesPanel) and app.focused.id == "cancel"
        confirm.query_one("#instances-confirm").focus()
        await pilot.press(*"RECYCLE", "enter")
        await until(pilot, lambda: confirm.results is not None)
        assert [(r.action, r.outcome) for r in confirm.results] == [("terminate", "ok"), ("launch", "ok")]
        fresh = confirm.results[1].gateway
        progress = confirm.query_one("#instance-progress")
        assert progress.get_row(fresh)[3].plain.endswith(" s")  # the fresh one's phases, as it launched
        await pilot.press("enter")
        await pilot.pause()
        names = app.main_screen.table.names_in_order()
        assert fresh in names and old.id not in names
        assert not alive(old.pid, old.pid_start) and not Path(old.dir).exists()
        assert [r.outcome for r in await app.instances.terminate([fresh])] == ["ok"]
    app.fleet.close()


async def test_choosing_another_launcher_keeps_edited_instructions(env, tmp_path):
    from convos_tui.instances.golden import init_golden

    other = tmp_path / "other-golden"
    init_golden(other, env="dev", instructions="# Other\n")
    env.write_config(f'\n[[launchers]]\nname = "other"\ntype = "sim"\ngolden = "{other}"\nports = "21000-21099"\n')
    app = await console(env)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await launch_panel(pilot)
        box, chooser = panel.query_one("#launch-instructions"), panel.query_one("#launch-launcher")
        chooser.value = "other"
        await pilot.pause()
        assert box.text == "# Other\n"  # not edited: the chosen golden's
        box.text = "# Mine\n"
        chooser.value = "sim"
        await pilot.pause()
        assert box.text == "# Mine\n"  # edited: kept
    app.fleet.close()


async def test_a_history_in_memory_refuses_launches_and_says_why(env):
    from convos_tui.fleet.actions import Actions
    from convos_tui.instances.service import Provision
    from convos_tui.ui.instances import ConsoleInstances

    fleet = await Fleet.load(load_inventory(env.config, required=True), data_dir=None)
    instances = ConsoleInstances.open(fleet, Actions(fleet.store))
    [result] = await instances.launch("sim", 1, Provision(create=True))
    assert result.outcome == "refused" and "in memory" in result.summary and "data dir" in result.hint
    assert [launcher.name for launcher in instances.launchers] == ["sim"]  # the panel still lists them
    assert not env.instances_dir.exists()
    fleet.close()
