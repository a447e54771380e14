"""Headless actions: `create`, `join`, `send`, `rename`, `lock`, `explode`, `provision`.

They go through the same action service as the console (read-only, audit, stored invites, checks).
Exit codes: 0 done; 1 failed; 2 usage or config problem; 3 refused (read-only, a bad invite, an empty
message); 4 outcome unknown (timed out or cut off after sending: check with `convos-tui status`); 5 the
store could not record it (nothing sent if that was before sending; after, the invite is printed anyway); 6 not
supported by the gateway's runtime (it has no such route: nothing was changed).

Each first looks into the actions left with outcome unknown by earlier runs (re-polling their
gateways), and after acting polls the gateway again, so its transitions are recorded in the store as the
console records them; the command says which store that is.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable

import click

from convos_tui.commands.context import Context, pass_context
from convos_tui.commands.invite import echo_qr
from convos_tui.fleet.actions import FAILED, OK, REFUSED, UNKNOWN, UNSUPPORTED, ActionResult, Actions, check_unfinished
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.paths import data_dir
from convos_tui.fleet.state import State

EXIT = {OK: 0, FAILED: 1, REFUSED: 3, UNKNOWN: 4, UNSUPPORTED: 6}
STORE_FAILED = 5

json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def _read_only(ctx: Context, fleet: Fleet) -> bool:
    return ctx.read_only or fleet.inventory.settings.read_only


async def _with_fleet(ctx: Context, work: Callable[[Fleet, Actions], Awaitable[int]]) -> int:
    fleet = await Fleet.load(ctx.fleet_inventory(), data_dir=data_dir(), profile=ctx.profile)
    try:
        if fleet.store.warning:
            click.echo(f"warning: {fleet.store.warning}", err=True)
        for notice in fleet.store.notices:
            click.echo(f"notice: {notice}", err=True)
        assert fleet.poller is not None
        found = await check_unfinished(fleet.store, fleet.poller)
        if found:
            click.echo(f"{len(found)} earlier action(s) with an unknown outcome, re-polled:", err=True)
            for line in found:
                click.echo(f"  {line}", err=True)
        return await work(fleet, Actions(fleet.store, read_only=_read_only(ctx, fleet)))
    finally:
        fleet.close()


async def _record_after(fleet: Fleet, names: list[str]) -> str:
    """Poll the gateways acted on once more, recording their transitions; which store holds them."""
    assert fleet.poller is not None
    await fleet.poller.sweep(names)
    store = fleet.store
    where = str(store.path) if store.path is not None else "memory only (not saved)"
    if store.path is not None and not store.is_recorder():
        pid = store.recorder_pid()
        return (
            f"history: {where}; transitions are recorded there by the console running{f' (pid {pid})' if pid else ''}"
        )
    return f"history: transitions recorded in {where}"


def _store_alarm(result: ActionResult, store_failure: str | None) -> int | None:
    """Say loudly that the store did not keep this action; the exit code for it, or None when it did."""
    problem = result.store_failure or store_failure
    if not problem:
        return None
    click.echo(f"ERROR: {problem}", err=True)
    if result.data.get("invite_url"):
        click.echo(
            "ERROR: this invite is NOT saved in the store, and the gateway will not tell it again: "
            "keep the line printed above",
            err=True,
        )
    elif result.outcome == REFUSED:
        click.echo("ERROR: nothing was sent", err=True)
    else:
        click.echo("ERROR: the audit does not hold this action", err=True)
    return STORE_FAILED


def _find(fleet: Fleet, name: str) -> GatewayConfig:
    for gateway in fleet.gateways:
        if gateway.name == name:
            return gateway
    known = ", ".join(g.name for g in fleet.gateways[:20]) + (" …" if len(fleet.gateways) > 20 else "")
    raise click.UsageError(f"no gateway named {name!r} (gateways: {known or 'none'})")


def _report(result: ActionResult, as_json: bool) -> int:
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        stream_err = result.outcome != OK
        click.echo(f"{result.gateway}: {result.summary}", err=stream_err)
        if result.data.get("invite_url"):
            click.echo(f"invite: {result.data['invite_url']}")
        if result.hint and result.outcome != OK:
            click.echo(f"  {result.hint}", err=True)
        if result.outcome == UNKNOWN:
            click.echo(f"  check with: convos-tui status --filter name:{result.gateway}", err=True)
    return EXIT[result.outcome]


def _single(
    ctx: Context,
    name: str,
    as_json: bool,
    run: Callable[[Actions, GatewayConfig], Awaitable[ActionResult]],
    after: Callable[[ActionResult], None] | None = None,
) -> None:
    async def work(fleet: Fleet, actions: Actions) -> int:
        gateway = _find(fleet, name)
        result = await run(actions, gateway)
        history = await _record_after(fleet, [gateway.name]) if result.outcome != REFUSED else None
        if history and as_json:
            result.data["history"] = history
        code = _report(result, as_json)
        if after is not None:
            after(result)
        if history and not as_json:
            click.echo(history, err=True)
        alarm = _store_alarm(result, fleet.store.failure)
        return code if alarm is None else alarm

    sys.exit(asyncio.run(_with_fleet(ctx, work)))


@click.command()
@click.argument("gateway")
@click.option("--name", help="The conversation's name (default: the plugin's, 'Convos Agent').")
@click.option("--env", type=click.Choice(["dev", "production"]), help="XMTP network (default: the gateway's).")
@click.option("--profile-name", help="The agent's display name in the conversation (default: --name).")
@click.option("--description", help="The conversation's description.")
@click.option("--permissions", type=click.Choice(["all-members", "admin-only"]), help="Who may add members.")
@click.option("--instructions", help="Operator directives the gateway writes to its INSTRUCTIONS.md.")
@click.option("--qr", is_flag=True, help="Then print the invite's QR code, black on white (to stderr with --json).")
@json_option
@pass_context
def create(
    ctx: Context,
    gateway: str,
    name: str | None,
    env: str | None,
    profile_name: str | None,
    description: str | None,
    permissions: str | None,
    instructions: str | None,
    qr: bool,
    as_json: bool,
) -> None:
    """Create a conversation on GATEWAY and print its invite (kept in the store, too)."""

    def print_qr(result: ActionResult) -> None:
        # With --json the code goes to stderr: stdout stays one JSON document, a person still sees it.
        if qr and result.ok and result.data.get("invite_url"):
            echo_qr(result.data["invite_url"], err=as_json)

    _single(
        ctx,
        gateway,
        as_json,
        lambda actions, gw: actions.create(
            gw,
            name=name,
            env=env,
            profile_name=profile_name,
            description=description,
            permissions=permissions,
            instructions=instructions,
        ),
        after=print_qr,
    )


@click.command()
@click.argument("gateway")
@click.argument("invite")
@click.option("--profile-name", help="The agent's display name in the conversation.")
@click.option("--env", type=click.Choice(["dev", "production"]), help="XMTP network (default: the gateway's).")
@json_option
@pass_context
def join(ctx: Context, gateway: str, invite: str, profile_name: str | None, env: str | None, as_json: bool) -> None:
    """Join the conversation of INVITE (a URL or a slug) from GATEWAY; can take about a minute."""
    _single(ctx, gateway, as_json, lambda actions, gw: actions.join(gw, invite, profile_name=profile_name, env=env))


@click.command()
@click.argument("gateway")
@click.argument("message")
@json_option
@pass_context
def send(ctx: Context, gateway: str, message: str, as_json: bool) -> None:
    """Send MESSAGE into GATEWAY's conversation; `-` reads it from standard input."""
    if message == "-":
        message = _read_stdin()
    _single(ctx, gateway, as_json, lambda actions, gw: actions.send(gw, message))


def _read_stdin() -> str:
    """Standard input as UTF-8; anything else is refused before a request, with where it goes wrong."""
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.UsageError(
            f"standard input is not UTF-8 text: byte {exc.start} (0x{data[exc.start]:02x}) cannot be decoded; "
            "nothing was sent. Convert it first (e.g. `iconv -f latin1 -t utf-8`)"
        ) from None


@click.command()
@click.argument("gateway")
@click.argument("profile_name", metavar="NAME")
@json_option
@pass_context
def rename(ctx: Context, gateway: str, profile_name: str, as_json: bool) -> None:
    """Set the agent's profile name in GATEWAY's conversation (the conversation's own name does not change)."""
    _single(ctx, gateway, as_json, lambda actions, gw: actions.rename(gw, profile_name))


@click.command()
@click.argument("gateway")
@click.option("--unlock", is_flag=True, help="Unlock instead (a new invite is needed either way).")
@json_option
@pass_context
def lock(ctx: Context, gateway: str, unlock: bool, as_json: bool) -> None:
    """Lock GATEWAY's conversation: no one new can join, and every earlier invite stops working."""
    _single(ctx, gateway, as_json, lambda actions, gw: actions.lock(gw, unlock=unlock))


@click.command()
@click.argument("gateway")
@click.option("--yes", is_flag=True, help="Really explode: required, there is no undo.")
@json_option
@pass_context
def explode(ctx: Context, gateway: str, yes: bool, as_json: bool) -> None:
    """Destroy GATEWAY's conversation for everyone in it and free the gateway. Needs --yes."""
    if not yes:
        raise click.UsageError(f"exploding destroys the conversation on {gateway} for everyone: add --yes to do it")
    _single(ctx, gateway, as_json, lambda actions, gw: actions.explode(gw))


@click.command()
@click.option("--count", "-n", type=click.IntRange(1, 10_000), required=True, help="How many conversations.")
@click.option("--tag", "tags", multiple=True, help="Only idle gateways with this tag (repeat: any of them).")
@click.option("--name", help="The conversations' name.")
@click.option("--env", type=click.Choice(["dev", "production"]), help="XMTP network (default: each gateway's).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@json_option
@pass_context
def provision(
    ctx: Context, count: int, tags: tuple[str, ...], name: str | None, env: str | None, concurrency: int, as_json: bool
) -> None:
    """Create conversations on COUNT idle gateways (polled first) and print their invites."""

    async def work(fleet: Fleet, actions: Actions) -> int:
        await fleet.sweep()
        idle = [
            g
            for g in fleet.gateways
            if fleet.states[g.name].state == State.IDLE and (not tags or set(tags) & set(g.tags))
        ]
        if len(idle) < count:
            click.echo(f"only {len(idle)} idle gateway(s) match; provisioning those", err=True)
        chosen = idle[:count]
        if not chosen:
            click.echo("no idle gateway to provision", err=True)
            return EXIT[REFUSED]

        def progress(result: ActionResult) -> None:
            if not as_json:
                click.echo(f"{result.gateway}: {result.summary}", err=result.outcome != OK)

        results = await actions.bulk(
            chosen, lambda gw: actions.create(gw, name=name, env=env), concurrency=concurrency, on_result=progress
        )
        history = await _record_after(fleet, [g.name for g in chosen])
        if as_json:
            click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
        else:
            click.echo("")
            for result in results:
                if result.ok:
                    click.echo(f"{result.gateway}\t{result.data['invite_url']}")
        click.echo(history, err=True)
        worst = max((EXIT[r.outcome] for r in results), default=0)
        alarms = [code for r in results if (code := _store_alarm(r, None)) is not None]
        if fleet.store.failure and not alarms:
            click.echo(f"ERROR: {fleet.store.failure}", err=True)
            alarms = [STORE_FAILED]
        return STORE_FAILED if alarms else worst

    sys.exit(asyncio.run(_with_fleet(ctx, work)))


COMMANDS: list[click.Command] = [create, join, send, rename, lock, explode, provision]
__all__ = ["COMMANDS"]
