"""The README's screenshots, taken from the seeded demo: `convos-tui demo --screenshots screenshots/`.

The console runs headless on the demo fleet (seed 0) at 120×40, waits for the fleet's states to show,
then goes where a person would and saves what the screen shows as SVG: the main screen, a filtered view,
a gateway's detail, an action panel, an invite's QR panel (after a real create on an idle gateway),
presentation mode and the pools view (once the demo's pool is full). It drives the console with Pilot, so it
lives beside the command that uses it, not in the UI package. Run it again after a change to the UI; the figures
(latencies, ages, ids) are live ones, so the files differ a little from run to run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from convos_tui.commands.demo import demo_console
from convos_tui.fleet.state import State
from convos_tui.sim.demo import Role
from convos_tui.ui.demo import DemoApp
from convos_tui.ui.screens.pools import PoolsScreen
from convos_tui.ui.screens.presentation import PresentationScreen
from convos_tui.ui.screens.qr import QRPanel

SIZE = (120, 40)
SHOTS = ("main", "filtered", "detail", "action-panel", "qr-panel", "presentation", "pools")
POOL_FILL_S = 180.0  # longer than 3 failed boots of 30 s each, which would open the breaker and say so


async def take_screenshots(
    folder: Path, *, seed: int = 0, speed: float = 4.0, settle_s: float = 12.0, size: tuple[int, int] = SIZE
) -> list[Path]:
    """Save one SVG per entry of SHOTS in `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    async with demo_console(seed=seed, speed=speed) as (demo, app):
        async with app.run_test(size=size) as pilot:

            async def shot(name: str) -> None:
                await pilot.pause()
                await asyncio.sleep(0.3)  # one more refresh tick, so what is drawn is current
                saved.append(Path(app.save_screenshot(f"{name}.svg", str(folder))))

            await asyncio.sleep(settle_s)  # every gateway answers; flapping and starting have time to show
            app.clear_notifications()  # the demo's welcome is for a person, not for the README
            idle = [n for n in demo.names(Role.IDLE) if app.fleet.states[n].state is State.IDLE]
            live = demo.names(Role.LIVE)
            await shot("main")

            await pilot.press("slash", *"tag:eu", "enter")
            await shot("filtered")
            await pilot.press("escape")

            await _move(pilot, app, live[0])
            await pilot.press("enter")
            await shot("detail")
            await pilot.press("escape")

            await _move(pilot, app, idle[0])
            await pilot.press("c")
            await pilot.press(*"Booth demo")
            await shot("action-panel")
            await pilot.press("escape")

            # A real create on an idle gateway: its invite is the one the QR panel and presentation show.
            config = app.fleet.config(idle[1])
            result = await app.actions.create(config, name="Booth demo") if config is not None else None
            if result is None or not result.ok:
                raise RuntimeError(f"the demo create failed: {result.summary if result else 'no such gateway'}")
            app.show_invite(idle[1], result.data["invite_url"], result.data["conversation_id"])
            await _until(lambda: isinstance(app.screen, QRPanel))
            await shot("qr-panel")
            await pilot.press("escape")

            await _move(pilot, app, idle[1])
            app.present()
            await _until(lambda: isinstance(app.screen, PresentationScreen))
            await shot("presentation")
            await pilot.press("q")

            # The demo's warm pool, once its reconciler has filled it.
            pools = app.context.pools
            # Up to 3 rounds of launches (a boot may take its whole 30 s boot_timeout on a loaded machine and fail).
            await _until(
                lambda: all(s.counts.get("ready", 0) >= s.target_ready for s in pools.summaries()),
                POOL_FILL_S,
                what=lambda: (
                    "the demo's warm pool did not fill in time: "
                    + "; ".join(f"{s.name} {s.counts} {s.breaker_reason or ''}".strip() for s in pools.summaries())
                ),
            )
            await pilot.press("w")
            await _until(lambda: isinstance(app.screen, PoolsScreen))
            await shot("pools")
            await pilot.press("escape")
    return saved


async def _move(pilot: Pilot, app: DemoApp, name: str) -> None:
    app.main_screen.jump_to(name)
    await pilot.pause()


async def _until(
    condition: Callable[[], object],
    timeout: float = 10.0,
    what: Callable[[], str] = lambda: "the screen did not open in time",
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(what())
        await asyncio.sleep(0.05)
