"""Opening the console: `convos-tui` with no command. Textual is imported here and only here."""

from __future__ import annotations

import asyncio

import click

from convos_tui.commands.context import Context
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.paths import data_dir


def run_console(
    ctx: Context, *, read_only: bool, metrics: str | None = None, bind_any: bool = False, present: bool = False
) -> None:
    """The console; with `metrics` (HOST:PORT), the fleet's /metrics served beside it while it runs."""
    from convos_tui.metrics.access import AddressError, Credentials, listen_on
    from convos_tui.metrics.fleet_metrics import CREDENTIALS_ENV, DEFAULT_PORT, FleetMetrics

    where = None
    if metrics is not None:
        try:
            where = listen_on(metrics, default_port=DEFAULT_PORT, bind_any=bind_any, flag="--metrics-bind-any")
            credentials = Credentials.from_env(CREDENTIALS_ENV)
        except (AddressError, ValueError) as exc:
            raise click.UsageError(str(exc)) from None
    inventory = ctx.fleet_inventory()
    fleet = asyncio.run(Fleet.load(inventory, data_dir=data_dir(), profile=ctx.profile))
    served = None
    try:
        if where is not None:
            host, port, warning = where
            served = FleetMetrics.of(fleet, host, port, credentials)
            try:
                served.server.start_thread()
            except OSError as exc:
                raise click.ClickException(f"cannot serve --metrics on {host}:{port}: {exc.strerror or exc}") from None
            if warning:
                click.echo(f"warning: {warning}", err=True)
        from convos_tui.ui.app import ConvosApp

        settings = inventory.settings
        app = ConvosApp(
            fleet,
            read_only=read_only or settings.read_only,
            theme=settings.theme,
            keymap=settings.keymap,
            present=present,
        )
        if served is not None:
            app.poll_listeners.append(served.tally)
        app.run(mouse=settings.mouse)  # mouse = false: the terminal's own selection works
    finally:
        if served is not None:
            served.server.stop_thread()
            served.close()
        fleet.close()
