"""Headless actions on the managed runtime's newer routes: `notify`, `update-metadata`, `re-attest`, `reset`.

Each acts on one gateway or many (names, or `--filter` over the polled fleet), through the same action service
as the console: read-only refusal, the audit written ahead, the re-poll after. Exit codes are the other actions'
(commands/actions.py), and 6: the gateway's runtime does not have the route (nothing was changed). On many
gateways the code is the worst outcome: unknown, then failed, then unsupported, then refused.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from convos_tui.commands.actions import (
    EXIT,
    STORE_FAILED,
    _find,
    _read_stdin,
    _record_after,
    _single,
    _store_alarm,
    _with_fleet,
    json_option,
)
from convos_tui.commands.context import Context, pass_context
from convos_tui.fleet.actions import FAILED, OK, REFUSED, UNKNOWN, UNSUPPORTED, ActionResult, Actions, tally
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.inventory import GatewayConfig

Run = Callable[[Actions, GatewayConfig], Awaitable[ActionResult]]
SEVERITY = (UNKNOWN, FAILED, UNSUPPORTED, REFUSED, OK)  # the worst first: what a bulk run's exit code says

filter_option = click.option(
    "--filter", "expression", default="", help="Act on every gateway this filter shows (e.g. 'tag:eu state:live')."
)
concurrency_option = click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)


async def _chosen(fleet: Fleet, names: tuple[str, ...], expression: str) -> list[GatewayConfig]:
    """The gateways named, then those the filter shows (polled first), each once, in that order."""
    from convos_tui.fleet.filter import Filter, FilterError

    chosen = {name: _find(fleet, name) for name in names}
    if expression:
        try:
            selected = Filter(expression)
        except FilterError as exc:
            raise click.UsageError(str(exc)) from None
        await fleet.sweep()
        for gateway in fleet.gateways:
            if selected.matches(gateway, fleet.states[gateway.name]):
                chosen.setdefault(gateway.name, gateway)
        if not chosen:
            raise click.UsageError(f"no gateway matches the filter {expression!r}: nothing was sent")
    return list(chosen.values())


def _on_gateways(
    ctx: Context, names: tuple[str, ...], expression: str, as_json: bool, run: Run, concurrency: int = 8
) -> None:
    """One gateway named: the single path every action has. Several, or a filter: a bulk run with a line each."""
    if len(names) == 1 and not expression:
        _single(ctx, names[0], as_json, run)
        return
    if not names and not expression:
        raise click.UsageError("name the gateways to act on, or select them with --filter")

    async def work(fleet: Fleet, actions: Actions) -> int:
        gateways = await _chosen(fleet, names, expression)

        def progress(result: ActionResult) -> None:
            if not as_json:
                line = result.summary if result.ok else f"{result.outcome}: {result.summary}"
                click.echo(f"{result.gateway}: {line}", err=result.outcome != OK)

        results = await actions.bulk(gateways, lambda gw: run(actions, gw), concurrency=concurrency, on_result=progress)
        history = await _record_after(fleet, [r.gateway for r in results if r.outcome != REFUSED])
        if as_json:
            click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
        else:
            click.echo(f"{len(results)} gateways: {tally(results)}", err=True)
        click.echo(history, err=True)
        alarms = [code for r in results if (code := _store_alarm(r, None)) is not None]
        if fleet.store.failure and not alarms:
            click.echo(f"ERROR: {fleet.store.failure}", err=True)
            alarms = [STORE_FAILED]
        worst = next((o for o in SEVERITY if any(r.outcome == o for r in results)), OK)
        return STORE_FAILED if alarms else EXIT[worst]

    sys.exit(asyncio.run(_with_fleet(ctx, work)))


def _read_text(source: str, what: str) -> str:
    """A file's text, or standard input for `-`; a problem is a usage error saying which file and why."""
    if source == "-":
        return _read_stdin()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise click.UsageError(f"cannot read the {what} from {source}: {reason}") from None


@click.command()
@click.argument("gateways", nargs=-1, metavar="GATEWAY...")
@click.argument("text")
@filter_option
@concurrency_option
@json_option
@pass_context
def notify(
    ctx: Context, gateways: tuple[str, ...], text: str, expression: str, concurrency: int, as_json: bool
) -> None:
    """Tell the agent of each GATEWAY something as a system message (TEXT; `-` reads standard input). The agent
    answers in its conversation; members never see the notification. The managed runtime's route."""
    if text == "-":
        text = _read_stdin()
    _on_gateways(ctx, gateways, expression, as_json, lambda actions, gw: actions.notify(gw, text), concurrency)


@click.command("update-metadata")
@click.argument("gateways", nargs=-1, metavar="GATEWAY...")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="One metadata entry (repeat for more).")
@click.option("--from", "source", metavar="FILE", help="The metadata as a JSON object of strings; `-` reads stdin.")
@filter_option
@concurrency_option
@json_option
@pass_context
def update_metadata(
    ctx: Context,
    gateways: tuple[str, ...],
    pairs: tuple[str, ...],
    source: str | None,
    expression: str,
    concurrency: int,
    as_json: bool,
) -> None:
    """Set the agent's profile metadata in each GATEWAY's conversation, from --set KEY=VALUE or --from FILE."""
    from convos_tui.api.newer_bodies import check_metadata, parse_metadata_json

    if bool(pairs) == bool(source):
        raise click.UsageError("give the metadata with --set KEY=VALUE (repeatable) or with --from FILE, one of them")
    try:
        if source:
            metadata = parse_metadata_json(_read_text(source, "metadata"), "stdin" if source == "-" else source)
        else:
            entries: dict[str, str] = {}
            for pair in pairs:
                key, sep, value = pair.partition("=")
                if not sep:
                    raise ValueError(f"--set {pair!r} has no '=': write --set KEY=VALUE")
                entries[key] = value
            metadata = check_metadata(entries)
    except ValueError as exc:
        raise click.UsageError(f"{exc}; nothing was sent") from None
    _on_gateways(
        ctx, gateways, expression, as_json, lambda actions, gw: actions.update_metadata(gw, metadata), concurrency
    )


@click.command("re-attest")
@click.argument("gateways", nargs=-1, metavar="GATEWAY...")
@click.option("--attestation", help="The pool's signature (base64url) for this gateway's agent.")
@click.option("--ts", "attestation_ts", metavar="TIME", help="When the pool signed it (ISO 8601, UTC).")
@click.option("--kid", "attestation_kid", metavar="KEY_ID", help="The id of the pool's signing key.")
@click.option(
    "--from", "source", metavar="FILE", help="One attestation per gateway, as JSON (see the README); `-`: stdin."
)
@click.option("--yes", is_flag=True, help="Really replace the attestations: required.")
@filter_option
@concurrency_option
@json_option
@pass_context
def re_attest(
    ctx: Context,
    gateways: tuple[str, ...],
    attestation: str | None,
    attestation_ts: str | None,
    attestation_kid: str | None,
    source: str | None,
    yes: bool,
    expression: str,
    concurrency: int,
    as_json: bool,
) -> None:
    """Replace the attestation of each GATEWAY's agent (the pool's signature of its inbox id). One gateway takes
    --attestation, --ts and --kid; many take --from FILE, one attestation each. Needs --yes."""
    from convos_tui.api.newer_bodies import check_attestation
    from convos_tui.fleet.newer_actions import parse_attestations

    given = (attestation, attestation_ts, attestation_kid)
    if source and any(given):
        raise click.UsageError("give --from FILE, or --attestation, --ts and --kid, not both")
    try:
        if source:
            found = parse_attestations(_read_text(source, "attestations"), "stdin" if source == "-" else source)
            names = gateways or (() if expression else tuple(found))
        elif len(gateways) == 1 and not expression:
            found = {gateways[0]: check_attestation(*given)}
            names = gateways
        else:
            raise ValueError(
                "an attestation is signed for one agent: give --attestation, --ts and --kid for one gateway, "
                "or --from FILE with one per gateway"
            )
    except ValueError as exc:
        raise click.UsageError(f"{exc}; nothing was sent") from None
    if not yes:
        raise click.UsageError("re-attesting replaces what the agent shows as its attestation: add --yes to do it")
    _on_gateways(
        ctx, names, expression, as_json, lambda actions, gw: actions.reattest(gw, found.get(gw.name)), concurrency
    )


@click.command()
@click.argument("gateways", nargs=-1, metavar="GATEWAY...")
@click.option("--skip-greeting", is_flag=True, help="The next conversation starts without the agent's greeting.")
@click.option("--yes", is_flag=True, help="Really reset: required, there is no undo.")
@filter_option
@concurrency_option
@json_option
@pass_context
def reset(
    ctx: Context,
    gateways: tuple[str, ...],
    skip_greeting: bool,
    yes: bool,
    expression: str,
    concurrency: int,
    as_json: bool,
) -> None:
    """Factory-reset each GATEWAY (the managed runtime): the agent leaves its conversation silently, its identity
    and state are deleted, and the instance is clean for a new one. Needs --yes."""
    if not yes:
        what = ", ".join(gateways) or f"the gateways of {expression!r}"
        raise click.UsageError(f"resetting deletes the identity and state of {what}: add --yes to do it")
    _on_gateways(
        ctx,
        gateways,
        expression,
        as_json,
        lambda actions, gw: actions.reset(gw, skip_greeting=skip_greeting),
        concurrency,
    )


COMMANDS: list[click.Command] = [notify, update_metadata, re_attest, reset]
__all__ = ["COMMANDS"]
