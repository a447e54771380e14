"""`convos-tui launch`: start instances from a launcher's golden, and create or join if asked."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from convos_tui.commands.context import Context, pass_context
from convos_tui.fleet.actions import FAILED, OK, REFUSED, UNKNOWN, ActionResult

if TYPE_CHECKING:  # for the annotation only: with_service imports it when run, as only instance commands need it
    from convos_tui.instances.service import InstanceService

T = TypeVar("T")
EXIT = {OK: 0, FAILED: 1, REFUSED: 3, UNKNOWN: 4}


def with_service(ctx: Context, work: Callable[[InstanceService], Coroutine[Any, Any, T]]) -> T:
    """Run `work(service)` on the instance service of the config's launchers, closing it afterwards."""
    from convos_tui.fleet.paths import data_dir
    from convos_tui.instances.service import InstanceService

    inventory = ctx.inventory()
    service = InstanceService.open(inventory, data_dir(), read_only=ctx.read_only or inventory.settings.read_only)
    if service.store.warning:
        click.echo(f"warning: {service.store.warning}", err=True)
    try:
        return asyncio.run(work(service))
    finally:
        service.close()


def exit_code(results: Sequence[ActionResult]) -> int:
    outcomes = {r.outcome for r in results}
    for outcome in (FAILED, UNKNOWN, REFUSED):
        if outcome in outcomes:
            return EXIT[outcome]
    return 0


def report(results: Sequence[ActionResult], as_json: bool) -> int:
    if as_json:
        click.echo(
            json.dumps(
                [
                    {**r.as_dict(), **({"detail": r.detail} if r.detail and r.detail != r.data.get("log_tail") else {})}
                    for r in results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return exit_code(results)
    for result in results:
        click.echo(f"{result.gateway}: {result.summary}", err=not result.ok)
        if result.data.get("invite_url"):
            click.echo(f"  invite: {result.data['invite_url']}")
        if not result.ok:
            if result.hint:
                click.echo(f"  {result.hint}", err=True)
            for line in result.detail.splitlines():
                click.echo(f"  | {line}", err=True)
    return exit_code(results)


def progress(as_json: bool) -> Callable[[str, str, float | None, str | None], None] | None:
    """One line on stderr per finished phase (a person sees a slow first start move along)."""

    def show(instance: str, phase: str, seconds: float | None, error: str | None) -> None:
        if seconds is not None:
            click.echo(
                f"{instance}: {phase} {'failed after' if error else ''} {seconds:.2f} s".replace("  ", " "), err=True
            )

    return None if as_json else show


def provision_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option("--name", help="With --create: the conversation's name.")(command)
    return click.option("--create", is_flag=True, help="Create a conversation on each instance once it is ready.")(
        command
    )


@click.command()
@click.option("--launcher", "launcher_name", help="The [[launchers]] entry (default: the only one).")
@click.option(
    "--count",
    "-n",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="How many instances, launched at once.",
)
@provision_options
@click.option("--join", "invite", metavar="INVITE", help="Join this invite's conversation from each instance.")
@click.option("--json", "as_json", is_flag=True, help="Print each instance's result and phase times as JSON.")
@pass_context
def launch(
    ctx: Context,
    launcher_name: str | None,
    count: int,
    create: bool,
    name: str | None,
    invite: str | None,
    as_json: bool,
) -> None:
    """Restore instances from a golden, start their gateways on loopback, and create or join if asked.

    Each phase is timed (restore, spawn → port open, port open → plugin ready, create or join). A launch
    that fails at any phase leaves nothing behind and shows the last lines of the instance's log.
    """
    from convos_tui.instances.service import Provision

    if create and invite:
        raise click.UsageError("--create and --join do not go together: an instance holds one conversation.")
    if name and not create:
        raise click.UsageError("--name goes with --create.")

    async def work(service) -> int:
        try:
            launcher = service.launcher(launcher_name)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        results = await service.launch(
            launcher, count, Provision(create=create, name=name, join=invite), on_phase=progress(as_json)
        )
        return report(results, as_json)

    sys.exit(with_service(ctx, work))
