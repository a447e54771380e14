"""The console's banner: it stays while the store cannot write, and tells what a run that did not finish left."""

import asyncio
import contextlib
import sqlite3

from convos_tui.fleet.actions import NEVER_RECEIVED
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.store import Store
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.ui.app import ConvosApp


@contextlib.asynccontextmanager
async def console(path, *specs, sweep=True):
    async with SimFleet(list(specs), speed=500) as sim:
        gateways = [GatewayConfig(name=g.name, url=g.url, env="dev") for g in sim.gateways]
        poller = Poller(gateways)
        if sweep:
            await poller.sweep()
        store = Store.open(path, wait_s=0.3)
        fleet = Fleet(Inventory(path=None, gateways=tuple(gateways)), store, gateways=gateways, poller=poller)  # type: ignore[arg-type]  # no config file: path None
        app = ConvosApp(fleet, live=False)
        async with app.run_test(size=(120, 40)) as pilot:
            yield sim, app, pilot
        store.close()


def banner(app):
    widget = app.main_screen.query_one("#store-banner")
    return widget.display, str(widget.render())


async def settle(pilot, seconds=1.5):
    await asyncio.sleep(seconds)
    await pilot.pause()


async def test_a_store_that_cannot_write_keeps_a_banner_up(tmp_path):
    path = tmp_path / "store.sqlite3"
    async with console(path, GatewaySpec("a")) as (sim, app, pilot):
        assert banner(app)[0] is False
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            result = await app.actions.create(app.fleet.config("a"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert result.store_failure and sim.gateway("a").bound is None  # refused before sending
        await settle(pilot)
        shown, text = banner(app)
        assert shown and "could not be written" in text and "NOT saved" in text
        await settle(pilot, 1.2)
        assert banner(app)[0]  # still there: not a toast


async def test_a_create_cut_off_by_a_killed_run_is_told_with_its_lost_invite(tmp_path):
    path = tmp_path / "store.sqlite3"
    earlier = Store.open(path)
    earlier.begin_action("create", gateway="a", params={"name": "Ops"})
    earlier._db.execute("UPDATE audit SET pid = 999999999")  # as a killed run left it
    earlier.close()
    async with console(path, GatewaySpec("a", Mode.BOUND)) as (sim, app, pilot):
        await settle(pilot)
        shown, text = banner(app)
        assert shown and "1 earlier action(s) with an unknown outcome" in text and NEVER_RECEIVED in text
    assert Store.open(path).unfinished() == []  # settled: the next start does not list it again
