"""The demo's warm pool with real `sim` instances: the console's reconciler fills it, `c` claims one (its invite's
QR code, its row in the fleet, its detail), `+` launches more, an explode recycles a claimed one, `D` drains every
instance once DRAIN is typed, and quitting leaves no process, port or file behind."""

import socket
import tempfile

from textual.widgets import Input, Select, Static

from convos_tui.commands.demo import DEMO_POOL, DEMO_POOL_CONFIG, demo_console
from convos_tui.instances.records import TERMINATED
from convos_tui.pools.members import CLAIMED, READY
from convos_tui.ui.screens.detail import DetailScreen
from convos_tui.ui.screens.pool_panels import DrainPanel, ReplenishPanel
from convos_tui.ui.screens.pools import PoolsScreen
from convos_tui.ui.screens.qr import QRPanel
from tests.functional.test_demo import SPEED, children, our_threads, until

TARGET = DEMO_POOL_CONFIG["target_ready"]


def counts(app):
    return app.context.pools.service.members.counts(DEMO_POOL)


async def test_the_demo_pool_fills_claims_replenishes_and_drains(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = children()
    async with demo_console(4, seed=0, speed=SPEED) as (_, app):
        async with app.run_test(size=(120, 40)) as pilot:
            pools = app.context.pools
            await until(pilot, lambda: counts(app)[READY] == TARGET, seconds=60)
            await pilot.press("w")
            await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
            view = app.screen
            await until(pilot, lambda: view.table.get_cell(DEMO_POOL, "ready").plain == f"{TARGET}/{TARGET}")

            # A claim hands out the invite the instance was given when it was made ready, and opens its code.
            ready = {m.instance: m.invite_url for m in pools.service.members.all(DEMO_POOL) if m.state == READY}
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, QRPanel))
            claimed = app.screen.invite.gateway
            assert app.screen.invite.url == ready[claimed]
            assert app.fleet.config(claimed).origin == "launcher:warm"  # a row of the fleet, polled
            assert "pool" in app.fleet.config(claimed).tags
            await pilot.press("escape", "escape")  # the QR code, the view
            # Its detail says which pool it is in, in which state and why.
            app.jump_to(claimed)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailScreen))
            instance = app.screen.query_one("#detail-instance", Static).render().plain
            assert f"{DEMO_POOL}: claimed since" in instance, instance
            await pilot.press("escape", "w")
            await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
            view = app.screen
            # The reconciler puts a fresh one in its place; the claimed one is never touched.
            await until(pilot, lambda: counts(app)[READY] == TARGET, seconds=60)
            assert pools.service.members.get(claimed).state == CLAIMED

            await pilot.press("plus")
            await until(pilot, lambda: isinstance(app.screen, ReplenishPanel))
            panel = app.screen
            panel.query_one("#replenish-count", Input).value = "1"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: panel.results is not None, seconds=60)
            assert [(r.action, r.outcome) for r in panel.results] == [("launch", "ok")], panel.results
            progress = panel.query_one("#instance-progress")  # its phases, as the launch panel shows them
            assert progress.get_cell(panel.results[0].gateway, "create").plain.endswith(" s")
            await pilot.press("enter")  # Close
            await until(pilot, lambda: app.screen is view)

            # An explode from the console recycles a claimed instance at once: terminated, its row gone, and
            # the pool refills without it.
            second = (await pools.claim(DEMO_POOL)).data["gateway"]
            await until(pilot, lambda: app.fleet.config(second) is not None)
            exploded = await app.actions.explode(app.fleet.config(second))
            assert exploded.ok, exploded.summary
            await until(pilot, lambda: app.fleet.config(second) is None)
            assert app.instances.record(second).state == TERMINATED
            assert pools.service.members.get(second) is None

            await pilot.press("D")
            await until(pilot, lambda: isinstance(app.screen, DrainPanel))
            panel = app.screen
            panel.query_one("#drain-which", Select).value = "all"
            await pilot.pause()
            panel.query_one("#drain-confirm", Input).focus()
            await pilot.press(*"DRAIN", "enter")
            await until(pilot, lambda: panel.results is not None, seconds=60)
            drained = {r.gateway for r in panel.results}
            assert claimed in drained and len(drained) >= TARGET + 1, (
                panel.results
            )  # the ready ones and the claimed one
            assert all(r.ok for r in panel.results), panel.results
            assert app.instances.record(claimed).state == TERMINATED
            await until(pilot, lambda: app.fleet.config(claimed) is None)  # its row left the fleet
            ports = [app.instances.record(name).port for name in drained]

            await pilot.press("escape")  # the panel
            await until(pilot, lambda: app.screen is view)
            await pilot.press("q")  # the view
            await until(pilot, lambda: app.screen is app.main_screen)
            await pilot.press("q")
            await until(pilot, lambda: not app.is_running)
    assert not our_threads() and children() <= before
    assert list(tmp_path.iterdir()) == []
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0
