"""`convos-tui config …`: find, create, check, list and edit the fleet inventory."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import click

from convos_tui.api.endpoint import url_problem
from convos_tui.commands.context import Context, pass_context
from convos_tui.fleet.inventory import ENV_VAR_RE, ENVS, NAME_RE, TAG_RE, parse_inventory


def starter_text() -> str:
    return (resources.files("convos_tui.fleet") / "starter.toml").read_text(encoding="utf-8")


@click.group()
def config() -> None:
    """Find, create, check, list and edit the config (gateways, profiles, settings)."""


@config.command()
@pass_context
def path(ctx: Context) -> None:
    """Print where the config file is (and say if it does not exist yet)."""
    click.echo(str(ctx.path))
    if not ctx.path.exists():
        click.echo("(it does not exist yet: `convos-tui config init` creates it)", err=True)


@config.command()
@click.option("--force", is_flag=True, help="Replace an existing config (the old one is kept as .bak).")
@pass_context
def init(ctx: Context, force: bool) -> None:
    """Write a commented starter config."""
    from convos_tui.fleet import config_file  # (tomlkit): only to edit

    target = ctx.path
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists: edit it, or use --force to replace it (a backup is kept)")
    backup = config_file.atomic_write(target, starter_text())
    click.echo(f"wrote {target}" + (f" (the old one is {backup})" if backup else ""))
    click.echo(f"add a gateway: convos-tui config add NAME URL   (or edit {target})")


@config.command()
@pass_context
def check(ctx: Context) -> None:
    """Validate the config; exit 1 listing every problem with its line."""
    inventory = ctx.inventory(required=True, refusal="fix them and check again")
    _select(ctx, inventory)  # an unknown --profile is refused here as the console would refuse it
    parts = [f"{len(inventory.gateways)} gateway{'s' if len(inventory.gateways) != 1 else ''}"]
    if inventory.profiles:
        parts.append(f"{len(inventory.profiles)} profile{'s' if len(inventory.profiles) != 1 else ''}")
    if inventory.sources:
        parts.append(f"{len(inventory.sources)} discovery source{'s' if len(inventory.sources) != 1 else ''}")
    click.echo(f"{inventory.path}: OK, " + ", ".join(parts))


@config.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per gateway, in an array.")
@click.option("--discover", is_flag=True, help="Also read the discovery sources (files and pool managers).")
@pass_context
def list_gateways(ctx: Context, as_json: bool, discover: bool) -> None:
    """List the gateways (of --profile, if given). Tokens are never shown."""
    import asyncio

    from convos_tui.fleet.discovery import discover as run_discovery

    inventory = ctx.inventory()
    gateways = _select(ctx, inventory)
    if discover:
        found = asyncio.run(run_discovery(inventory))
        for problem in found.problems:
            click.echo(f"discovery: {problem}", err=True)
        profile = inventory.profile(ctx.profile) if ctx.profile else None
        gateways += [g for g in found.gateways if profile is None or profile.selects(g)]
    rows = [
        {
            "name": g.name,
            "url": g.display_url,
            "env": g.env,
            "tags": list(g.tags),
            "note": g.note,
            "pool_key": f"${g.token_env}" if g.token_env else ("inline" if g.token else None),
            "tls_verify": g.tls_verify,
            "origin": g.origin,
        }
        for g in gateways
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        where = "" if inventory.exists else f" ({inventory.path} does not exist yet)"
        click.echo(f"no gateways{where}: add one with `convos-tui config add NAME URL`", err=True)
        return
    headers = ("NAME", "URL", "ENV", "TAGS", "POOL KEY", "FROM")
    table = [(r["name"], r["url"], r["env"], ",".join(r["tags"]), r["pool_key"] or "-", r["origin"]) for r in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *table, strict=False)]
    for line in (headers, *table):
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip())


def _select(ctx: Context, inventory: Any) -> list[Any]:
    try:
        return inventory.select(ctx.profile)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None


# --- edits ------------------------------------------------------------------------------------


def _name(value: str, option: str = "NAME") -> str:
    if not NAME_RE.match(value):
        raise click.BadParameter(
            "up to 64 letters, digits and . _ : @ / -, starting with a letter or digit", param_hint=option
        )
    return value


def _url(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise click.BadParameter(problem, param_hint="URL")
    return value.strip()


def _tags(values: tuple[str, ...], option: str = "--tag") -> list[str]:
    for tag in values:
        if not TAG_RE.match(tag):
            raise click.BadParameter(f"{tag!r}: letters, digits, '.', '_', '/' and '-', up to 40", param_hint=option)
    return list(dict.fromkeys(values))


def _token_env(value: str) -> str:
    if not ENV_VAR_RE.match(value):
        raise click.BadParameter(f"{value!r} is not an environment variable name", param_hint="--token-env")
    return value


def _apply(ctx: Context, edit: Any, done: str) -> None:
    """Read, edit, re-validate and atomically write the config; never write a broken one."""
    from convos_tui.fleet import config_file  # (tomlkit): only to edit

    target = ctx.path
    try:
        with config_file.locked(target):  # parallel edits: each re-reads the file under the lock
            # A first `add` starts the file from the commented starter, so its settings are documented.
            text = config_file.read_config(target) if target.exists() else starter_text()
            if text:
                config_file.check_editable(text, target)
            result = edit(text)
            config_file.check_editable(result, target)
            backup = config_file.atomic_write(target, result)
    except config_file.EditError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{done} in {target}" + (f" (previous version: {backup})" if backup else ""))
    for warning in parse_inventory(result, target).warnings:  # check_editable let no error through
        click.echo(warning.render(target), err=True)


@config.command()
@click.argument("name")
@click.argument("url")
@click.option("--env", type=click.Choice(ENVS), default="production", show_default=True, help="The XMTP network.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--token-env", help="Environment variable holding the gateway's pool key.")
@click.option("--note", help="Free text shown in the detail view.")
@click.option("--no-tls-verify", is_flag=True, help="Do not verify this gateway's TLS certificate.")
@pass_context
def add(
    ctx: Context,
    name: str,
    url: str,
    env: str,
    tags: tuple[str, ...],
    token_env: str | None,
    note: str | None,
    no_tls_verify: bool,
) -> None:
    """Add a gateway (comments and layout of the file are kept)."""
    gateway: dict[str, Any] = {"name": _name(name), "url": _url(url), "env": env}
    if tags:
        gateway["tags"] = _tags(tags)
    if note:
        gateway["note"] = note
    if token_env:
        gateway["token_env"] = _token_env(token_env)
    if no_tls_verify:
        gateway["tls_verify"] = False
    from convos_tui.fleet import config_file

    _apply(ctx, lambda text: config_file.add_gateway(text, gateway), f"added {name}")


@config.command()
@click.argument("name")
@pass_context
def remove(ctx: Context, name: str) -> None:
    """Remove a gateway (and its name from profiles); everything else stays as it was."""
    if not ctx.path.exists():
        raise click.ClickException(f"no config at {ctx.path}")
    from convos_tui.fleet import config_file

    _apply(ctx, lambda text: config_file.remove_gateway(text, name), f"removed {name}")


@config.command()
@click.argument("name")
@click.option("--rename", help="A new name (profiles that list the gateway follow).")
@click.option("--url", help="A new base URL.")
@click.option("--env", type=click.Choice(ENVS), help="The XMTP network.")
@click.option("--tag", "tags", multiple=True, help="Replace the tags with these; repeat for several.")
@click.option("--add-tag", "add_tags", multiple=True, help="Add a tag.")
@click.option("--remove-tag", "remove_tags", multiple=True, help="Remove a tag.")
@click.option("--note", help="Free text; an empty string removes it.")
@click.option("--token-env", help="Environment variable with the pool key; an empty string removes it.")
@click.option("--tls-verify/--no-tls-verify", default=None, help="Verify the TLS certificate (default) or not.")
@pass_context
def edit(
    ctx: Context,
    name: str,
    rename: str | None,
    url: str | None,
    env: str | None,
    tags: tuple[str, ...],
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    note: str | None,
    token_env: str | None,
    tls_verify: bool | None,
) -> None:
    """Change fields of a gateway; only those given change."""
    from convos_tui.fleet import config_file  # (tomlkit): only to edit

    if not ctx.path.exists():
        raise click.ClickException(f"no config at {ctx.path}")
    changes: dict[str, Any] = {}
    if rename:
        changes["name"] = _name(rename, "--rename")
    if url:
        changes["url"] = _url(url)
    if env:
        changes["env"] = env
    if note is not None:
        changes["note"] = note or None
    if token_env is not None:
        changes["token_env"] = _token_env(token_env) if token_env else None
    if tls_verify is not None:
        changes["tls_verify"] = None if tls_verify else False
    if tags and (add_tags or remove_tags):
        raise click.UsageError("--tag replaces the tags; use it alone, or --add-tag/--remove-tag")
    if not changes and not (tags or add_tags or remove_tags):
        raise click.UsageError("nothing to change: give at least one option (see --help)")

    def change(text: str) -> str:
        if tags or add_tags or remove_tags:
            current = _current_tags(text, name)
            wanted = (
                _tags(tags) if tags else [t for t in current + _tags(add_tags, "--add-tag") if t not in remove_tags]
            )
            changes["tags"] = list(dict.fromkeys(wanted)) or None
        return config_file.edit_gateway(text, name, changes)

    _apply(ctx, change, f"changed {name}")


def _current_tags(text: str, name: str) -> list[str]:
    import tomllib

    for gateway in tomllib.loads(text).get("gateways", []):
        if gateway.get("name") == name:
            return list(gateway.get("tags", []))
    return []
