"""`status --watch` runs the config's `[[alerts]]` rules headless: after each sweep, each alert is a line on
stderr (`ALERT rule: gateway state for …`), the bell and the desktop notification go to stderr when it is a
terminal, and the rule's command hook runs with the alert as JSON on its stdin, as in the console."""

from __future__ import annotations

import asyncio
import sys
import time

import click

from convos_tui.fleet.alert_hooks import notification, run_hook
from convos_tui.fleet.alerts import AlertWatch, in_fleet
from convos_tui.fleet.fleet import Fleet


class HeadlessAlerts:
    def __init__(self, fleet: Fleet) -> None:
        self.watch = AlertWatch(fleet.inventory.alerts)

    async def after_sweep(self, fleet: Fleet) -> None:
        if not self.watch:
            return
        now = time.time()
        raised = []
        for config in fleet.gateways:
            state = fleet.states.get(config.name)
            if state is not None:
                raised += self.watch.observe(config, state, now)
        raised += self.watch.due(now, in_fleet(fleet))  # episodes that have lasted long enough
        terminal = sys.stderr.isatty()
        for alert in raised:
            rule = self.watch.rule(alert.rule)
            click.echo(f"ALERT {alert.line()}", err=True)
            if terminal and rule.bell:
                click.echo("\a", err=True, nl=False)
            if terminal and rule.notify != "none":
                click.echo(notification(alert, rule.notify), err=True, nl=False)
            if rule.command:
                problem = await asyncio.to_thread(run_hook, rule.command, alert)
                if problem:
                    click.echo(f"warning: {problem}", err=True)
        self.watch.acknowledge([alert.gateway for alert in raised])  # said once: nobody acknowledges a log line
