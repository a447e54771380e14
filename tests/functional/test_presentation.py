"""Presentation mode against simulated gateways on loopback: `n` creates on the next idle gateway, shows its code."""

import asyncio
import contextlib

from textual.widgets import Static

from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.store import Store
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.ui.app import ConvosApp
from convos_tui.ui.screens.presentation import PresentationScreen
from convos_tui.ui.widgets.qr import QRCodeView
from tests.qr_decode import decode, image_of, screen_strips


@contextlib.asynccontextmanager
async def console(*specs, read_only=False, size=(130, 50), polled=True):
    async with SimFleet(list(specs), speed=500) as sim:
        gateways = [GatewayConfig(name=g.name, url=g.url, env="dev") for g in sim.gateways]
        poller = Poller(gateways)
        if polled:
            await poller.sweep()
        fleet = Fleet(
            Inventory(path=None, gateways=tuple(gateways)), Store.open(None), gateways=gateways, poller=poller
        )
        app = ConvosApp(fleet, live=False, read_only=read_only)
        async with app.run_test(size=size) as pilot:
            yield sim, app, pilot


def message(screen) -> str:
    return screen.query_one("#present-message", Static).render().plain


async def until(pilot, predicate, timeout=10.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            await pilot.pause()
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not reached in time")


async def test_n_creates_on_the_next_idle_gateway_and_shows_a_code_that_scans():
    async with console(GatewaySpec("bound", Mode.BOUND), GatewaySpec("a"), GatewaySpec("b")) as (sim, app, pilot):
        await pilot.press("P")
        screen = app.screen
        assert isinstance(screen, PresentationScreen)
        assert "press n" in screen.query_one("#present-notice", Static).render().plain
        said = []
        say = screen.say
        screen.say = lambda text, style="": (said.append(text), say(text, style))
        await pilot.press("n")
        await until(pilot, lambda: not screen.busy)
        assert said[0].startswith("creating a conversation on a…")  # progress; "bound" holds one: skipped
        assert "created on a" in message(screen)
        stored = app.fleet.store.conversations("a")[0]
        assert sim.gateway("a").bound == stored["conversation_id"]
        assert screen.query_one(QRCodeView).display
        assert decode(image_of(screen_strips(app))) == [stored["invite_url"]]
        assert app.fleet.store.audit_log()[0]["action"] == "create"

        await pilot.press("n")  # the next one: b, even before a poll says a is bound
        await until(pilot, lambda: not screen.busy)
        assert sim.gateway("b").bound == app.fleet.store.conversations("b")[0]["conversation_id"]
        assert decode(image_of(screen_strips(app))) == [app.fleet.store.conversations("b")[0]["invite_url"]]

        await pilot.press("n")
        assert "no idle gateway left" in message(screen)
        await pilot.press("q")
        assert app.screen is app.main_screen


async def test_the_code_is_zoomed_when_the_screen_allows_it():
    async with console(GatewaySpec("a"), size=(200, 80)) as (_sim, app, pilot):
        await pilot.press("P", "n")
        screen = app.screen
        await until(pilot, lambda: not screen.busy)
        view = screen.query_one(QRCodeView)
        assert view.zoom == 2
        assert decode(image_of(screen_strips(app))) == [app.fleet.store.conversations("a")[0]["invite_url"]]
        await pilot.press("z")
        assert view.zoom == 1


async def test_read_only_refuses_and_says_so_once():
    async with console(GatewaySpec("a"), read_only=True) as (sim, app, pilot):
        await pilot.press("P")
        screen = app.screen
        notice = screen.query_one("#present-notice", Static).render().plain
        assert "press n" not in notice and "read-only mode creates none" in notice  # before: "press n to create"
        assert "n next" not in screen.query_one("#present-keys", Static).render().plain
        await pilot.press("n")
        await until(pilot, lambda: not screen.busy)
        assert "a: refused: read-only mode." in message(screen)
        assert "refused: refused" not in message(screen)  # before: "refused: refused: read-only mode"
        assert sim.gateway("a").bound is None and not screen.query_one(QRCodeView).display
        assert [(r["action"], r["outcome"]) for r in app.fleet.store.audit_log()] == [("create", "refused")]


async def test_a_failed_create_is_shown_and_never_retried():
    async with console(GatewaySpec("offline", Mode.OFFLINE), GatewaySpec("a")) as (sim, app, pilot):
        await pilot.press("P", "n")
        screen = app.screen
        await until(pilot, lambda: not screen.busy)
        assert "offline: failed:" in message(screen)
        assert [r["action"] for r in app.fleet.store.audit_log()] == ["create"]
        await pilot.press("n")  # the next press tries the next idle gateway
        await until(pilot, lambda: not screen.busy)
        assert sim.gateway("a").bound is not None


async def test_n_before_the_first_poll_answers_says_to_wait_not_that_no_gateway_is_left():
    async with console(GatewaySpec("a"), polled=False) as (sim, app, pilot):
        await pilot.press("P")
        screen = app.screen
        await pilot.press("n")
        assert message(screen) == "the fleet is not polled yet: wait for the first poll to answer, then press n again"
        assert not screen.busy and app.fleet.store.audit_log() == []  # nothing was tried: a stays untried
        await app.fleet.poller.sweep()  # the first poll answers: a is idle
        await pilot.press("n")
        await until(pilot, lambda: not screen.busy)
        assert "created on a" in message(screen) and sim.gateway("a").bound is not None
