"""`convos-tui invite GW`: the invite this machine's store holds for a gateway, as a URL, a QR code, an SVG.

It reads the store only, never the gateway (which never tells an invite again) and never the network.
The URL goes alone to stdout, for scripts; what it is goes to stderr. With --json the QR code goes to
stderr, so stdout stays one JSON document.

Exit codes: 0 a working invite was printed; 1 no working invite is stored for the gateway (none was
created from this machine, it was revoked by a lock, the conversation was exploded, or the gateway
joined someone else's): the message says why and where one can be found; 2 a usage problem.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from convos_tui.commands.context import Context, pass_context
from convos_tui.fleet.invites import StoredInvite, find_invite
from convos_tui.fleet.paths import data_dir
from convos_tui.fleet.state import short_id
from convos_tui.fleet.store import Store

__all__ = ["echo_qr", "invite"]


def echo_qr(url: str, *, err: bool = False) -> None:
    """Print the code in ANSI black on white, warning first when the terminal is too narrow to show it whole."""
    from convos_tui.qr import make_qr  # qrcode: only when a code is drawn

    code = make_qr(url)
    columns, _ = code.size_needed()
    stream = sys.stderr if err else sys.stdout
    if stream.isatty():
        width = shutil.get_terminal_size().columns
        if width < columns:
            click.echo(
                f"warning: the code is {columns} columns wide and this terminal has {width}: "
                "widen it, or it will wrap and not scan (or use --svg FILE)",
                err=True,
            )
    # color=True: click strips escape codes when the output is not a terminal; without them the code would
    # come out in the viewer's theme colours (`less -R`, a file shown later), which scanners may not read.
    click.echo(code.ansi(), nl=False, err=err, color=True)


def _lookup(gateway: str) -> StoredInvite:
    from convos_tui.fleet.fleet import STORE_FILE  # (with the poller and aiohttp)

    path = data_dir() / STORE_FILE
    if not path.exists():
        return StoredInvite(
            gateway,
            problem=(
                f"no store at {path}: no conversation was created from this machine. Run `convos-tui invite "
                f"{gateway}` on the machine whose console created it, or create one (`convos-tui create {gateway}`)."
            ),
        )
    store = Store.open(path)
    try:
        if store.warning:
            click.echo(f"warning: {store.warning}", err=True)
        for notice in store.notices:
            click.echo(f"notice: {notice}", err=True)
        found = find_invite(store, gateway)
        if not found.usable and found.conversation_id is None:
            others = sorted(
                {
                    r["gateway"]
                    for r in store.conversations(limit=500)
                    if r["invite_url"] and not r["exploded_at"] and not r["invite_revoked_at"]
                }
            )
            if others:
                shown = ", ".join(others[:20]) + (" …" if len(others) > 20 else "")
                found = StoredInvite(gateway, problem=f"{found.problem} Stored invites here: {shown}.")
        return found
    finally:
        store.close()


@click.command()
@click.argument("gateway")
@click.option("--qr", is_flag=True, help="Also print the QR code, black on white (to stderr with --json).")
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the QR code as SVG.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored record as JSON.")
@pass_context
def invite(ctx: Context, gateway: str, qr: bool, svg_file: Path | None, as_json: bool) -> None:
    """Print the stored invite of GATEWAY's newest conversation (kept when it was created from here)."""
    found = _lookup(gateway)
    if as_json:
        click.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))
    if not found.usable or not found.url:
        click.echo(f"{gateway}: {found.problem}", err=True)
        sys.exit(1)
    if not as_json:
        name = f" ({found.name})" if found.name else ""
        click.echo(
            f"{gateway}: conversation {short_id(found.conversation_id)}{name}, {found.env or 'env unknown'}", err=True
        )
        click.echo(found.url)
    if qr:
        echo_qr(found.url, err=as_json)
    if svg_file is not None:
        try:
            from convos_tui.qr import make_qr

            svg_file.write_text(make_qr(found.url).svg(), encoding="utf-8")
        except OSError as exc:
            click.echo(f"could not write {svg_file}: {exc.strerror or exc}", err=True)
            sys.exit(1)
        click.echo(f"wrote {svg_file}", err=True)
    sys.exit(0)
