"""`convos-tui status`: poll the fleet once (or keep watching) and print it, for people, cron and CI.

Exit codes: 0 polled (a fault state alone is 0); 1 a gateway is in a --fail-on state; 2 a usage or config
problem (a missing config among them).
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import json
import sys
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import click

from convos_tui.commands.context import Context, pass_context
from convos_tui.fleet.filter import Filter, FilterError
from convos_tui.fleet.paths import data_dir
from convos_tui.fleet.state import State, describe_duration, iso_time, parse_states, short_id

if TYPE_CHECKING:  # the fleet (its poller, aiohttp) is imported once there are gateways to poll
    from convos_tui.fleet.fleet import Fleet
    from convos_tui.fleet.inventory import Inventory

SCHEMA = "convos-tui/status/1"
CSV_COLUMNS = (
    "name",
    "url",
    "env",
    "tags",
    "state",
    "reason",
    "since",
    "since_s",
    "latency_ms",
    "ready",
    "streaming",
    "conversation_id",
    "pending",
    "shape",
    "error_kind",
    "runtime",
    "runtime_version",
)


@click.command()
@click.option("--json", "fmt", flag_value="json", help="One JSON document (schema in the README).")
@click.option("--jsonl", "fmt", flag_value="jsonl", help="One JSON object per gateway per line.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
@click.option("--filter", "expression", default="", help="e.g. 'state:faults tag:pool-a' (see the README).")
@click.option("--watch", is_flag=True, help="Keep polling every refresh interval until Ctrl-C.")
@click.option(
    "--interval", type=click.FloatRange(0.5, 3600), help="Seconds between polls with --watch (default: refresh)."
)
@click.option(
    "--fail-on",
    "fail_on",
    default="",
    metavar="STATES",
    help="Exit 1 when a gateway is in one of these states (comma-separated, or 'faults').",
)
@click.option("--no-history", is_flag=True, help="Neither read nor write the history store.")
@pass_context
def status(
    ctx: Context,
    fmt: str | None,
    expression: str,
    watch: bool,
    interval: float | None,
    fail_on: str,
    no_history: bool,
) -> None:
    """Poll every gateway's /convos/status and print its state."""
    try:
        selected = Filter(expression)
        failing = parse_states(fail_on)
    except (FilterError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    inventory = ctx.fleet_inventory()
    _spare_the_collector()
    try:
        code = _run_loop(_run(ctx, inventory, fmt, selected, watch, interval, failing, no_history))
    except KeyboardInterrupt:
        code = 0
    gc.freeze()  # what is left is freed by the process's end: no final collection over all of it
    sys.exit(code)


def _spare_the_collector() -> None:
    """Keep the garbage collector from scanning, again and again, what lives as long as the process.

    Measured at 1,000 gateways: collections took 0.4-0.65 s of a 2.3 s run, nearly all of it over the modules
    and the config (which never become garbage) and, at the end, the interpreter's final collection. Frozen,
    they are never scanned; the young generation is collected every 20,000 allocations instead of 700, as a
    sweep makes objects by the ten thousand and frees them itself (a --watch keeps collecting: memory stays
    bounded)."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _run_loop(main: Coroutine[Any, Any, int]) -> int:
    """asyncio.run, on uvloop's event loop where it is installed (the `fast` extra: 5 % less CPU per sweep)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def _run(
    ctx: Context,
    inventory: Inventory,
    fmt: str | None,
    selected: Filter,
    watch: bool,
    interval: float | None,
    failing: set[State],
    no_history: bool,
) -> int:
    from convos_tui.fleet.fleet import Fleet

    fleet = await Fleet.load(inventory, data_dir=None if no_history else data_dir(), profile=ctx.profile)
    try:
        if fleet.store.warning:
            click.echo(f"warning: {fleet.store.warning}", err=True)
        for problem in fleet.problems:
            click.echo(f"discovery: {problem}", err=True)
        pause = interval or inventory.settings.refresh
        alerts = None
        if watch:  # [[alerts]], as the console runs them (imported only then: it brings the fleet's HTTP stack)
            from convos_tui.commands.status_watch import HeadlessAlerts

            alerts = HeadlessAlerts(fleet)
        while True:
            await fleet.sweep()
            if alerts is not None:
                await alerts.after_sweep(fleet)
            rows = _rows(fleet, selected)
            heading = f"as of {time.strftime('%H:%M:%S')}, every {pause:g} s (Ctrl-C stops)" if watch else None
            _print(rows, fmt, fleet, clear=watch and fmt is None and sys.stdout.isatty(), heading=heading)
            bad = [row for row in rows if row["state"] in {str(s) for s in failing}]
            if bad:
                if fmt is None or watch:
                    names = ", ".join(row["name"] for row in bad[:10]) + (" …" if len(bad) > 10 else "")
                    click.echo(f"{len(bad)} gateway(s) in a --fail-on state: {names}", err=True)
                return 1
            if not watch:
                return 0
            await asyncio.sleep(pause)
    finally:
        fleet.close()


def _rows(fleet: Fleet, selected: Filter) -> list[dict[str, Any]]:
    now = time.time()
    rows = []
    for config in fleet.gateways:
        state = fleet.states[config.name]
        if selected and not selected.matches(config, state):
            continue
        rows.append(
            {
                "name": config.name,
                "url": config.display_url,
                "env": config.env,
                "tags": list(config.tags),
                "origin": config.origin,
                **state.as_dict(now),
            }
        )
    return rows


def _print(rows: list[dict[str, Any]], fmt: str | None, fleet: Fleet, *, clear: bool, heading: str | None) -> None:
    """Print one poll's rows. The table is headed by `heading` (the time of the poll, with --watch); the
    JSON forms carry their own time (generated_at, at)."""
    if fmt == "json":
        counts = dict.fromkeys(fleet.counts(), 0)
        for row in rows:
            counts[row["state"]] += 1
        document = {"schema": SCHEMA, "generated_at": iso_time(time.time()), "counts": counts, "gateways": rows}
        click.echo(_json_document(document))
    elif fmt == "jsonl":
        stamp = iso_time(time.time())
        for row in rows:
            click.echo(json.dumps({"at": stamp, **row}, ensure_ascii=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            status = row["status"] or {}
            writer.writerow(
                _csv_cell(cell)
                for cell in (
                    row["name"],
                    row["url"],
                    row["env"],
                    ";".join(row["tags"]),
                    row["state"],
                    row["reason"],
                    row["since"],
                    row["since_s"],
                    row["latency_ms"],
                    status.get("ready"),
                    status.get("streaming"),
                    status.get("conversation_id"),
                    status.get("pending"),
                    status.get("shape"),
                    (row["error"] or {}).get("kind"),
                    row["runtime"]["name"],
                    row["runtime"]["version"],
                )
            )
        click.echo(buffer.getvalue(), nl=False)
    else:
        if clear:
            click.clear()
        if heading:
            click.echo(heading)
        click.echo(_table(rows))


def _json_document(document: dict[str, Any]) -> str:
    """The document indented by 2, by orjson where it is installed (the `fast` extra): Python's encoder writes
    indented JSON in pure Python, 58 ms at 1,000 gateways against orjson's 1 ms, the same text."""
    try:
        import orjson
    except ImportError:
        return json.dumps(document, ensure_ascii=False, indent=2)
    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
    except (TypeError, orjson.JSONEncodeError):  # a value orjson refuses (an int past 64 bits): Python's way
        return json.dumps(document, ensure_ascii=False, indent=2)


def _csv_cell(value: Any) -> Any:
    """Booleans as `true`/`false`, as in the JSON (Python's `True` surprises every other reader)."""
    return ("true" if value else "false") if isinstance(value, bool) else value


def _yes_no(value: Any) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _table(rows: list[dict[str, Any]]) -> str:
    headers = ("STATE", "NAME", "RUNTIME", "URL", "READY", "STREAM", "CONVERSATION", "LATENCY", "SINCE", "REASON")
    lines = []
    for row in rows:
        status = row["status"] or {}
        latency = "-" if row["latency_ms"] is None else f"{row['latency_ms']:.0f} ms"
        lines.append(
            (
                row["state"].upper() if State(row["state"]).is_fault else row["state"],
                row["name"],
                row["runtime"]["label"],
                row["url"],
                _yes_no(status.get("ready")),
                _yes_no(status.get("streaming")),
                short_id(status.get("conversation_id")),
                latency,
                describe_duration(row["since_s"]),
                row["reason"],
            )
        )
    widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(headers[:-1])]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=True)) + "  " + headers[-1]]
    for line in lines:
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in counts.items()) or "no gateway matches"
    return "\n".join(out) + f"\n\n{len(rows)} gateway{'s' if len(rows) != 1 else ''}: {summary}"
