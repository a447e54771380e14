"""The demo console in-process: the seeded mix shows up in the table, actions work on it, and quitting
leaves no thread, no port and no file behind."""

import asyncio
import pathlib
import socket
import tempfile
import threading
import time

from convos_tui.commands.demo import demo_console
from convos_tui.sim.demo import Role
from convos_tui.ui.demo import DemoApp
from convos_tui.ui.widgets.fleet_table import FleetTable

SPEED = 10  # the stream of a stalled gateway dies after 2.3 s, the grace is 1.5 s, the boot takes 4.5 s


def our_threads():
    """The demo's threads: the simulated fleet's, and the poller's (or the one that reads its process)."""
    return {t for t in threading.enumerate() if t.name.startswith("convos-")}


def children():
    """This process's child processes (a poller may run in one)."""
    found = set()
    for task in pathlib.Path("/proc/self/task").glob("*/children"):
        found |= set(task.read_text().split())
    return found


async def until(pilot, check, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert check()


async def launch_in_demo(pilot, count):
    """`I`, the count, ctrl+s (then: create, the default): the records of the instances it launched."""
    await pilot.press("I")
    await pilot.pause()
    panel = pilot.app.screen
    await pilot.press("backspace", str(count), "ctrl+s")
    await until(pilot, lambda: panel.results is not None)
    assert all(r.ok for r in panel.results), [r.summary for r in panel.results]
    await pilot.press("enter")  # Close
    await pilot.pause()
    return [pilot.app.instances.record(r.gateway) for r in panel.results]


async def test_the_demo_console_shows_the_mix_works_and_cleans_up(tmp_path, monkeypatch, demo_states):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert not our_threads()
    before = children()
    async with demo_console(24, seed=0, speed=SPEED) as (demo, app):
        assert isinstance(app, DemoApp) and demo.root.parent == tmp_path
        ports = [gw.port for gw in demo.sim.gateways]
        async with app.run_test(size=(160, 48)) as pilot:
            table = app.main_screen.query_one(FleetTable)
            assert "convos-demo-fleet" in {t.name for t in our_threads()}
            # Someone who has never seen the tool is told what they are looking at and what to try.
            welcome = [n.message for n in app._notifications if n.title == "convos-tui demo"]
            assert welcome and "simulated gateways" in welcome[0] and "? every key" in welcome[0]
            shown: set[str] = set()
            slow = demo.names(Role.SLOW)[0]
            slow_answered = lambda: (app.fleet.states[slow].latency_ms or 0) > 1000  # noqa: E731 - a condition, read where it is waited for
            deadline = time.monotonic() + 30
            while not (demo_states <= shown and slow_answered()) and time.monotonic() < deadline:
                await pilot.pause(0.2)
                shown |= {table.get_cell(name, "state").plain.split()[-1] for name in table.names_in_order()}
            assert demo_states <= shown, shown
            # The 24 of the config, beside the instances the demo's warm pool keeps ready (tests/functional/
            # test_pools_demo.py).
            configured = [name for name in table.names_in_order() if app.fleet.config(name).origin == "config"]
            assert len(configured) == 24
            assert slow_answered()  # its first answer takes 1.2-2.4 s, which the states may not wait for

            # Create on one idle gateway, join it from another, send, lock, explode: the console's own
            # action service, the one its panels use.
            first, second = (app.fleet.config(name) for name in demo.names(Role.IDLE)[:2])
            created = await app.actions.create(first, name="Demo room")
            assert created.ok, created.summary
            joined = await app.actions.join(second, created.data["invite_url"])
            assert joined.ok and joined.data["status"] == "joined", joined.summary
            assert (await app.actions.send(second, "hello from the demo")).ok
            assert (await app.actions.lock(first)).ok
            assert (await app.actions.explode(first)).ok
            assert demo.sim.gateway(second.name).sent_messages[-1] == "hello from the demo"

            # The demo's `sim` launcher, from its own golden: launch two with a conversation each (the panel),
            # terminate one (the word typed), and quit with the other still running: the demo ends it.
            launched = await launch_in_demo(pilot, count=2)
            assert len(launched) == 2 and all(app.fleet.config(r.id).origin == "launcher:sim" for r in launched)
            assert all(r.conversation_id for r in launched)
            app.main_screen.jump_to(launched[0].id)
            await pilot.press("T")
            await pilot.pause()
            app.screen.query_one("#instances-confirm").focus()
            await pilot.press(*"TERMINATE", "enter")
            await until(pilot, lambda: app.screen.results is not None)
            assert [r.outcome for r in app.screen.results] == ["ok"]
            await pilot.press("enter")
            ports += [r.port for r in launched]

            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running
        assert app.return_code == 0
    assert not our_threads() and children() <= before
    assert list(tmp_path.iterdir()) == []
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0


async def test_ctrl_c_quits_the_demo_but_not_while_typing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    async with demo_console(8, seed=1, speed=SPEED) as (_, app):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("slash", "x", "ctrl+c")  # in the filter input: copies, or says how to quit
            await pilot.pause()
            assert app.is_running
            await pilot.press("escape", "ctrl+c")
            await pilot.pause()
            assert not app.is_running
    assert list(tmp_path.iterdir()) == []


async def test_an_app_that_never_ran_still_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    try:
        async with demo_console(4, seed=0, speed=SPEED):
            raise asyncio.CancelledError  # as when the terminal cannot be opened, or Ctrl-C at start-up
    except asyncio.CancelledError:
        pass
    assert not our_threads() and list(tmp_path.iterdir()) == []
