"""`convos-tui serve --metrics ADDR`: poll the fleet as the console does, and serve its metrics to Prometheus.

Runs until Ctrl-C or SIGTERM. Exit codes: 0 stopped by a signal; 1 the address cannot be listened on; 2 a usage
or config problem.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from convos_tui.commands.context import Context, pass_context

if TYPE_CHECKING:
    from convos_tui.fleet.inventory import Inventory
    from convos_tui.metrics.access import Credentials


@click.command()
@click.option(
    "--metrics",
    "address",
    default="127.0.0.1:9464",
    show_default=True,
    metavar="HOST:PORT",
    help="Where to serve /metrics (loopback unless --metrics-bind-any).",
)
@click.option(
    "--metrics-bind-any",
    "bind_any",
    is_flag=True,
    help="Allow an address that is not loopback (warns; set $CONVOS_TUI_METRICS_TOKEN or _BASIC to require credentials).",
)
@click.option("--no-history", is_flag=True, help="Neither read nor write the history store (no action counts then).")
@pass_context
def serve(ctx: Context, address: str, bind_any: bool, no_history: bool) -> None:
    """Poll every gateway and serve the fleet's metrics for Prometheus at /metrics, until Ctrl-C or SIGTERM.

    Credentials, from the environment: $CONVOS_TUI_METRICS_TOKEN (a bearer token) or $CONVOS_TUI_METRICS_BASIC
    (user:password for basic auth)."""
    from convos_tui.metrics.access import AddressError, Credentials, listen_on
    from convos_tui.metrics.fleet_metrics import CREDENTIALS_ENV, DEFAULT_PORT

    try:
        host, port, warning = listen_on(
            address, default_port=DEFAULT_PORT, bind_any=bind_any, flag="--metrics-bind-any"
        )
        credentials = Credentials.from_env(CREDENTIALS_ENV)
    except (AddressError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    if warning:
        auth = "credentials required" if credentials.required else f"no credentials: set ${CREDENTIALS_ENV}_TOKEN"
        click.echo(f"warning: {warning} ({auth})", err=True)
    inventory = ctx.fleet_inventory()
    try:
        asyncio.run(_serve(ctx, inventory, host, port, credentials, no_history))
    except KeyboardInterrupt:
        pass


async def _serve(
    ctx: Context, inventory: Inventory, host: str, port: int, credentials: Credentials, no_history: bool
) -> None:
    from convos_tui.fleet.fleet import Fleet
    from convos_tui.fleet.paths import data_dir
    from convos_tui.metrics.fleet_metrics import FleetMetrics
    from convos_tui.sim.server import stop_signals

    with stop_signals() as stop:
        fleet = await Fleet.load(inventory, data_dir=None if no_history else data_dir(), profile=ctx.profile)
        metrics = FleetMetrics.of(fleet, host, port, credentials)
        metrics.listen_to_polls()
        try:
            if fleet.store.warning:
                click.echo(f"warning: {fleet.store.warning}", err=True)
            for problem in fleet.problems:
                click.echo(f"discovery: {problem}", err=True)
            try:
                await metrics.server.start()
            except OSError as exc:
                raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
            assert fleet.poller is not None
            try:
                async with fleet.poller:
                    click.echo(
                        f"serving the metrics of {len(fleet.gateways)} gateways at {metrics.server.url} "
                        f"(polling every {inventory.settings.refresh:g} s; Ctrl-C stops)",
                        err=True,
                    )
                    await stop.wait()
            finally:
                await metrics.server.stop()
        finally:
            metrics.close()
            fleet.close()
