"""`convos-tui instances`, `terminate` and `recycle`: the instances this console launched."""

from __future__ import annotations

import json
import sys
import time

import click

from convos_tui.commands.context import Context, pass_context
from convos_tui.commands.launch import progress, provision_options, report, with_service


@click.command()
@click.option("--all", "include_ended", is_flag=True, help="Also the terminated instances and failed launches.")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
@click.option("--remove-orphans", is_flag=True, help="Remove the orphan containers listed (asks first, or --yes).")
@click.option("--yes", is_flag=True, help="With --remove-orphans: do not ask.")
@pass_context
def instances(ctx: Context, include_ended: bool, as_json: bool, remove_orphans: bool, yes: bool) -> None:
    """The instances this console launched, each checked where it runs (a dead one shows as crashed), and the
    orphans: containers labelled for a launcher of the config that the store does not know."""

    async def work(service) -> tuple:
        service.refresh()
        return service.records.all(include_ended=include_ended), service.phase_stats(), service.orphans()

    records, stats, orphans = with_service(ctx, work)
    if remove_orphans:
        sys.exit(_remove_orphans(ctx, orphans, yes, as_json))
    if as_json:
        rows = [r.as_dict() for r in records] + [{"id": o["name"], **o, "state": "orphan"} for o in orphans]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for o in orphans:
        click.echo(
            f"orphan container {o['container']} ({o['name']}, {o['status']}) of launcher {o['launcher']}: "
            "not in this console's store; remove it with `convos-tui instances --remove-orphans`"
        )
    if not records:
        click.echo("no instances (start some with `convos-tui launch`)")
        return
    click.echo(f"{'INSTANCE':<24} {'STATE':<10} {'ORIGIN':<20} {'PORT':>5} {'PID/ID':>7}  {'AGE':>6}  PHASES")
    for r in records:
        phases = " ".join(f"{k} {v:.2f}s" for k, v in r.phases.items())
        age = _age(time.time() - r.created_at)
        click.echo(
            f"{r.id:<24} {r.state:<10} {r.origin:<20} {r.port or '':>5} {r.pid or (r.container or '')[:12]:>7}  {age:>6}  {phases}"
        )
        if r.conversation_id:
            click.echo(f"  conversation {r.conversation_id}")
        if r.failed_phase:
            click.echo(f"  {r.failed_phase} failed: {r.error}")
        if r.state in ("crashed", "failed") and r.log_tail:
            click.echo(f"  last lines of {r.log}:")
            for line in r.log_tail.splitlines():
                click.echo(f"  | {line}")
    for launcher, phases in stats.items():
        figures = ", ".join(f"{phase} {f['p50']:.2f}/{f['p95']:.2f} s" for phase, f in phases.items())
        click.echo(
            f"launcher {launcher}, phases p50/p95 over {max(f['n'] for f in phases.values())} launches: {figures}"
        )


def _remove_orphans(ctx: Context, orphans: list[dict], yes: bool, as_json: bool) -> int:
    if not orphans:
        click.echo("no orphan containers")
        return 0
    names = [o["container"] for o in orphans]
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("--remove-orphans: add --yes to confirm (stdin is not a terminal)")
        word = click.prompt(
            f"Remove orphan containers {', '.join(names)} and their volumes? Type 'remove'",
            default="",
            show_default=False,
        )
        if word.strip() != "remove":
            click.echo("nothing removed")
            return 3

    async def work(service) -> int:
        return report(await service.remove_orphans(names), as_json)

    return with_service(ctx, work)


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def confirm_word(word: str, question: str, what: str) -> None:
    """Go on only once `word` is typed at a terminal (exit 3 otherwise); without one, --yes is needed."""
    if not sys.stdin.isatty():
        raise click.UsageError(f"{what}: add --yes to confirm (stdin is not a terminal)")
    if click.prompt(f"{question} Type '{word}'", default="", show_default=False).strip() != word:
        click.echo(f"not {word}ed" if not word.endswith("e") else f"not {word}d")
        sys.exit(3)


@click.command()
@click.argument("gateways", nargs=-1, required=True, metavar="GW...")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@pass_context
def terminate(ctx: Context, gateways: tuple[str, ...], yes: bool, as_json: bool) -> None:
    """Stop launched instances (SIGTERM, SIGKILL after the grace) and remove their directories and identities."""
    if not yes:
        confirm_word(
            "terminate",
            f"Terminate {', '.join(gateways)}? Their identities go with them.",
            f"terminate {' '.join(gateways)}",
        )

    async def work(service) -> int:
        return report(await service.terminate(list(gateways)), as_json)

    sys.exit(with_service(ctx, work))


@click.command()
@click.argument("gateway", metavar="GW")
@provision_options
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@pass_context
def recycle(ctx: Context, gateway: str, create: bool, name: str | None, as_json: bool) -> None:
    """Terminate GW, then launch a fresh instance from the same launcher and golden."""
    from convos_tui.instances.service import Provision

    if name and not create:
        raise click.UsageError("--name goes with --create.")

    async def work(service) -> int:
        results = await service.recycle(gateway, Provision(create=create, name=name), on_phase=progress(as_json))
        return report(results, as_json)

    sys.exit(with_service(ctx, work))
