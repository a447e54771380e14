"""The console on the demo fleet: `convos-tui demo`, and the app a test builds the same way.

    async with demo_console(count=24, seed=0) as (demo, app):
        await app.run_async()            # or app.run_test() in a test

The simulated gateways run on a loop of their own (as the poller does), so the console's loop only draws.
Config and store are the demo's temporary ones; when the block ends, whatever ends it, the store is closed,
the gateways are stopped and the temporary directory is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from typing import Any

from textual.widgets import Input, TextArea

from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import load_inventory
from convos_tui.sim.demo import DEFAULT_COUNT, DEMO_SPEED, DemoFleet
from convos_tui.ui.app import ConvosApp

# Ending the demo's terminal or killing it politely must not leave its temporary files behind.
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class DemoApp(ConvosApp):
    """The console, plus what someone trying it expects: ctrl+c quits too, and so do SIGTERM and SIGHUP."""

    def __init__(self, fleet: Fleet, demo: DemoFleet, **kwargs: Any) -> None:
        super().__init__(fleet, **kwargs)
        self.demo = demo
        self._signals: list[signal.Signals] = []

    async def on_mount(self) -> None:
        self.notify(
            f"{len(self.fleet.gateways)} simulated gateways on 127.0.0.1, in every state a real fleet shows. "
            "Try: f faults only, enter a gateway's detail, c create on an idle one (its QR code follows), "
            "J join it from another, N provision several, P present, ? every key, q quit.",
            title="convos-tui demo",
            timeout=20,
            markup=False,
        )
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)
                self._signals.append(sig)

    async def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self._signals.clear()

    def action_help_quit(self) -> None:
        # Textual's ctrl+c only says which key quits. Someone trying the demo expects it to quit, except
        # while typing in a field, where it copies (or says how to quit) as everywhere else.
        if isinstance(self.focused, (Input, TextArea)):
            super().action_help_quit()
        else:
            self.exit()


@contextlib.asynccontextmanager
async def demo_console(
    count: int = DEFAULT_COUNT, seed: int = 0, *, speed: float = DEMO_SPEED, **app_options: Any
) -> AsyncIterator[tuple[DemoFleet, DemoApp]]:
    """The running demo fleet and a console on it, not yet started; everything goes when the block ends."""
    demo = DemoFleet(count, seed, speed=speed)
    with demo.threaded():
        inventory = load_inventory(demo.config_path, required=True)
        fleet = await Fleet.load(inventory, data_dir=demo.data_dir)
        try:
            settings = inventory.settings
            app_options.setdefault("theme", settings.theme)
            yield demo, DemoApp(fleet, demo, **app_options)
        finally:
            poller = fleet.poller
            if poller is not None:
                poller.stop_thread()  # the app stops it when it ran; this covers an app that failed to
            fleet.close()
