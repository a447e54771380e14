"""`convos-tui pool run|list`, `claim`, `replenish` and `drain`: warm pools from the command line."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from convos_tui.commands.context import Context, pass_context
from convos_tui.commands.instances import confirm_word
from convos_tui.commands.launch import report, with_service

if TYPE_CHECKING:  # annotations only: the pool modules are imported when a command runs
    from convos_tui.instances.service import InstanceService
    from convos_tui.pools.service import PoolService, PoolSummary

T = TypeVar("T")


def with_pools(ctx: Context, work: Callable[[PoolService], Coroutine[Any, Any, T]]) -> T:
    """Run `work(pools)` on the pool service of the config, closing it (and the instance service) afterwards."""
    from convos_tui.pools.service import PoolService

    inventory = ctx.inventory()
    if not inventory.pools:
        raise click.UsageError(
            f"no [pools.NAME] in {inventory.path}: add one (launcher, target_ready, max_total, prepare); "
            "the README's Warm pools section has an example"
        )

    async def pooled(instances: InstanceService) -> T:
        service = PoolService.open(instances, inventory.pools)
        try:
            return await work(service)
        finally:
            service.close()

    return with_service(ctx, pooled)


def _pool(service: PoolService, name: str) -> str:
    try:
        return service.pool(name).name
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.group()
def pool() -> None:
    """Warm pools: `pool run NAME` keeps one at its target, `pool list` shows them all, `pool events NAME` its
    timeline."""


@pool.command("run")
@click.argument("name")
@click.option(
    "--interval", type=click.FloatRange(0.05, 60), default=1.0, show_default=True, help="Seconds between rounds."
)
@pass_context
def run(ctx: Context, name: str, interval: float) -> None:
    """Keep pool NAME at its target_ready until Ctrl-C or SIGTERM (one runner per pool; a second is refused).

    Launches in flight when it stops are stopped and cleaned; ready and claimed instances stay up."""
    from convos_tui.pools.reconciler import Reconciler, RunnerBusy

    async def work(service: PoolService) -> int:
        config = service.pool(_pool(service, name))
        reconciler = Reconciler(service, config.name, interval_s=interval)
        service.on_phase = lambda _pool, instance, phase, seconds, error: (
            click.echo(f"{instance}: {phase} {'failed: ' + error if error else f'{seconds:.2f} s'}", err=True)
            if seconds is not None
            else None
        )
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel if task else lambda: None)
        try:
            reconciler.lock.acquire()
        except RunnerBusy as exc:
            click.echo(f"error: pool {config.name} is already run by {exc}; not starting a second one", err=True)
            return 3
        click.echo(
            f"pool {config.name}: keeping {config.target_ready} ready (max {config.max_total}, "
            f"prepare {config.prepare}) on launcher {config.launcher}; Ctrl-C stops",
            err=True,
        )
        try:
            await reconciler.run()
        except asyncio.CancelledError:
            pass
        counts = service.members.counts(config.name)
        click.echo(
            f"pool {config.name} stopped: {counts['ready']} ready and {counts['claimed']} claimed stay up "
            f"(`convos-tui drain {config.name}` stops the ready ones)",
            err=True,
        )
        return 0

    sys.exit(with_pools(ctx, work))


@pool.command("list")
@click.option("--members", "show_members", is_flag=True, help="Also each member, its state and why.")
@click.option("--json", "as_json", is_flag=True, help="Print the pools (and their members) as JSON.")
@pass_context
def list_pools(ctx: Context, show_members: bool, as_json: bool) -> None:
    """Each pool against its target: ready, launching, claimed, crashed; its breaker; claim and cold start."""

    async def work(service: PoolService) -> list[tuple[PoolSummary, list[Any]]]:
        await asyncio.to_thread(service.instances.refresh)
        return [(s, service.members.all(s.name)) for s in service.summaries()]

    found = with_pools(ctx, work)
    if as_json:
        click.echo(
            json.dumps(
                [{**s.as_dict(), "members": [_member(m) for m in members]} for s, members in found],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for summary, members in found:
        click.echo(_line(summary))
        if summary.breaker_reason:
            reopens = time.strftime("%H:%M:%S", time.localtime(summary.breaker_reopens_at or 0))
            click.echo(f"  breaker open until {reopens}: {summary.breaker_reason}")
        for member in members if show_members else ():
            click.echo(f"  {member.instance:<24} {member.state:<9} {member.reason}")
            for line in (member.log_tail or "").splitlines() if member.state == "crashed" else ():
                click.echo(f"    | {line}")


@pool.command("events")
@click.argument("name")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
@pass_context
def events(ctx: Context, name: str, limit: int, as_json: bool) -> None:
    """Pool NAME's timeline: each member's changes of state, with the reason and time (newest first)."""

    async def work(service: PoolService) -> list[dict[str, Any]]:
        return service.members.events(_pool(service, name), limit)

    found = with_pools(ctx, work)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for event in found:
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event["at"]))
        took = f" ({event['seconds']:.3f} s)" if event["seconds"] is not None else ""
        click.echo(f"{at}  {event['instance']:<24} {event['state']:<9} {event['reason']}{took}")


def _member(member: Any) -> dict[str, Any]:
    """A member as JSON, without what only a claim hands out (the invite) or the runner needs (its pid)."""
    hidden = ("owner_pid", "owner_start", "invite_url", "join_invite")
    return {k: v for k, v in asdict(member).items() if k not in hidden}


def _figure(p50: float | None, p95: float | None, unit: str) -> str:
    return "n/a" if p50 is None or p95 is None else f"{p50:g}/{p95:g} {unit}"


def _line(s: PoolSummary) -> str:
    c = s.counts
    return (
        f"{s.name}: {c['ready']}/{s.target_ready} ready, {c['launching']} launching, {c['claimed']} claimed, "
        f"{c['pending']} pending, {c['tainted']} tainted, {c['crashed']} crashed (max {s.max_total}, "
        f"prepare {s.prepare}); claim p50/p95 {_figure(s.claim_ms_p50, s.claim_ms_p95, 'ms')}, "
        f"cold start {_figure(s.cold_start_s_p50, s.cold_start_s_p95, 's')}"
    )


@click.command()
@click.argument("pool_name", metavar="POOL")
@click.option("--join", "invite", metavar="INVITE", help="Join this invite's conversation (a pool with prepare none).")
@click.option("--name", help="The conversation's name (a pool with prepare none).")
@click.option(
    "--instructions",
    "instructions_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An INSTRUCTIONS.md for this conversation (a pool with prepare none).",
)
@click.option("--qr", is_flag=True, help="Then print the invite's QR code (to stderr with --json).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
def claim(
    ctx: Context,
    pool_name: str,
    invite: str | None,
    name: str | None,
    instructions_file: Path | None,
    qr: bool,
    as_json: bool,
) -> None:
    """Take a ready instance of POOL: its invite at once (prepare create), or create or join on it (none).

    A second claim with the same --join invite gets the first one's instance."""
    from convos_tui.instances.golden import read_instructions

    instructions = None
    if instructions_file is not None:
        try:
            instructions = read_instructions(instructions_file)
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"--instructions {instructions_file}: {exc}") from None

    async def work(service: PoolService) -> int:
        result = await service.claim(_pool(service, pool_name), join=invite, name=name, instructions=instructions)
        code = report([result], as_json)
        if qr and result.ok and result.data.get("invite_url"):
            from convos_tui.commands.invite import echo_qr

            echo_qr(result.data["invite_url"], err=as_json)
        return code

    sys.exit(with_pools(ctx, work))


@click.command()
@click.argument("pool_name", metavar="POOL")
@click.argument("count", type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print each launch's result as JSON.")
@pass_context
def replenish(ctx: Context, pool_name: str, count: int, as_json: bool) -> None:
    """Launch COUNT more instances into POOL now (past target_ready if asked, never past max_total)."""

    async def work(service: PoolService) -> int:
        return report(await service.replenish(_pool(service, pool_name), count), as_json)

    sys.exit(with_pools(ctx, work))


@click.command()
@click.argument("pool_name", metavar="POOL")
@click.option(
    "--ready-only/--all",
    default=True,
    show_default=True,
    help="Only the ready instances, or also the claimed, pending, tainted and crashed ones (asks to confirm).",
)
@click.option("--yes", is_flag=True, help="With --all: do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@pass_context
def drain(ctx: Context, pool_name: str, ready_only: bool, yes: bool, as_json: bool) -> None:
    """Terminate POOL's ready instances (with --all, the claimed ones too: their conversations end).

    A running `pool run` refills the pool afterwards: stop it first to empty the pool."""
    if not ready_only and not yes:
        confirm_word(
            "drain",
            f"Drain every instance of {pool_name}, claimed ones too? Their conversations end.",
            f"drain {pool_name} --all ends claimed conversations",
        )

    async def work(service: PoolService) -> int:
        return report(await service.drain(_pool(service, pool_name), ready_only=ready_only), as_json)

    sys.exit(with_pools(ctx, work))
