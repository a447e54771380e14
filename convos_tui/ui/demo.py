"""The console as `convos-tui demo` opens it: a welcome for someone trying it, and SIGTERM and SIGHUP quit.

The demo fleet itself is composed where the command is (`convos_tui.commands.demo.demo_console`): the UI
never imports the simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from convos_tui.ui.app import ConvosApp

# Ending the demo's terminal or killing it politely must not leave its temporary files behind.
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class DemoApp(ConvosApp):
    """The console, plus what someone trying it expects: a word on what they see; SIGTERM and SIGHUP quit."""

    _signals: list[signal.Signals]

    async def on_mount(self) -> None:
        self.notify(
            f"{len(self.fleet.gateways)} simulated gateways on 127.0.0.1, in every state a real fleet shows. "
            "Try: f faults only, enter a gateway's detail, c create on an idle one (its QR code follows), "
            "J join it from another, N provision several, I launch instances (T terminates them), w the warm pool "
            "(C claims an invite from it at once), P present, "
            "? every key, q quit.",
            title="convos-tui demo",
            timeout=20,
            markup=False,
        )
        self._signals = []
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)
                self._signals.append(sig)

    async def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in getattr(self, "_signals", []):
            loop.remove_signal_handler(sig)
        self._signals = []
