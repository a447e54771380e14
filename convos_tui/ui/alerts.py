"""The console's side of alerts: the rules watched as polls come in, and what an alert does on screen.

The main screen hands over the names it takes from the poller and, on its tick, the clock; an alert puts a
line in the header (ui/widgets/alert_line.py), a `!` on its row until `a` acknowledges it, and, as its rule
says, rings the bell, writes a desktop notification to the terminal and runs the rule's command hook (in a
thread: a slow pager never holds the console up). Each alert raised and each acknowledged is written to the
store's alerts table, which the events screen (`e`) shows beside transitions and actions: when it fired, and
when, and by whom, it was acked. The writes run in a thread, one batch at a time and in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from convos_tui.fleet.alert_hooks import notification, run_hook
from convos_tui.fleet.alerts import Alert, AlertWatch, in_fleet
from convos_tui.fleet.store import StoreError

if TYPE_CHECKING:
    from convos_tui.ui.screens.main import MainScreen


class ConsoleAlerts:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.watch = AlertWatch(screen.context.fleet.inventory.alerts)
        self.hooks_running = 0
        self.logging = 0  # batches of the timeline not written yet
        self._log_order = asyncio.Lock()  # the batches go to the store in the order they came
        # Where the bell and notifications go: the terminal (tests put a list's append here).
        self.terminal: Callable[[str], None] = self._write

    def _write(self, sequence: str) -> None:
        app = self.screen.app
        driver = app._driver  # Textual writes its bell and OSC 52 this way; it has no public door
        if driver is not None and not app.is_headless:
            driver.write(sequence)

    def observe(self, names: Iterable[str]) -> None:
        """These gateways were polled: their episodes move on."""
        if not self.watch:
            return
        fleet, now = self.screen.context.fleet, self.screen.context.clock()
        raised: list[Alert] = []
        for name in names:
            config, state = fleet.config(name), fleet.states.get(name)
            if config is not None and state is not None:
                raised += self.watch.observe(config, state, now)
        self._raised(raised)

    def tick(self) -> None:
        """The clock moved: episodes that have lasted long enough alert without waiting for a poll."""
        if not self.watch:
            return
        self._raised(self.watch.due(self.screen.context.clock(), in_fleet(self.screen.context.fleet)))

    def _raised(self, alerts: list[Alert]) -> None:
        if not alerts:
            return
        self._show({alert.gateway for alert in alerts})
        self._log([("raised", alert, alert.at) for alert in alerts])
        for alert in alerts:
            rule = self.watch.rule(alert.rule)
            if rule.bell:
                self.terminal("\a")
            if rule.notify != "none":
                self.terminal(notification(alert, rule.notify))
            if rule.command:
                self.hooks_running += 1
                self.screen.run_worker(self._hook(rule.command, alert), group="alert-hooks")

    async def _hook(self, command: tuple[str, ...], alert: Alert) -> None:
        try:
            problem = await asyncio.to_thread(run_hook, command, alert)
        finally:
            self.hooks_running -= 1
        if problem:
            self.screen.notify(problem, title="alert", severity="warning", timeout=10, markup=False)

    def _log(self, rows: list[tuple[str, Alert, float]]) -> None:
        """Into the fleet's timeline, off the event loop (an alert storm is one transaction, not one per row)."""
        if rows:
            self.logging += 1
            self.screen.run_worker(self._write_log(rows), group="alert-log")

    async def _write_log(self, rows: list[tuple[str, Alert, float]]) -> None:
        try:
            async with self._log_order:
                await asyncio.to_thread(self.screen.context.fleet.store.record_alerts, rows)
        except StoreError:
            pass  # the store's banner says it cannot write; the alert itself still shows
        finally:
            self.logging -= 1

    def acknowledge(self, names: list[str]) -> str:
        """`a`: clear the alerts of these gateways (the marked ones, or the one under the cursor)."""
        active = self.watch.active
        if not active:
            return "no alert to acknowledge"
        alerts = dict(active)
        cleared = self.watch.acknowledge(names)
        now = self.screen.context.clock()
        self._log([("acknowledged", alerts[name], now) for name in cleared])
        if not cleared:
            others = ", ".join(sorted(active)[:5]) + (" …" if len(active) > 5 else "")
            return f"no alert on {', '.join(names) or 'this row'}; alerts on {others} (the palette acknowledges all)"
        self._show(set(cleared))
        left = f"; {len(active)} left" if active else ""
        return f"acknowledged {cleared[0] if len(cleared) == 1 else f'{len(cleared)} alerts'}{left}"

    def _show(self, names: set[str]) -> None:
        """The rows' marks and the header line follow the alerts."""
        from convos_tui.ui.widgets.alert_line import AlertLine

        table = self.screen.table
        table.alerted = set(self.watch.active)
        table.invalidate(names)
        self.screen.query_one(AlertLine).show(list(self.watch.active.values()))
