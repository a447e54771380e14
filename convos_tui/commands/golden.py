"""`convos-tui golden init` and `golden check`: the checkpoint every instance is restored from."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def golden() -> None:
    """Golden checkpoints: an OpenClaw state folder configured once, with no identity and no secret in it."""


@golden.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--env",
    type=click.Choice(["dev", "production"]),
    default="dev",
    show_default=True,
    help="The XMTP network of the Convos channel.",
)
@click.option(
    "--instructions",
    "instructions_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The operator's INSTRUCTIONS.md (UTF-8 text, at most 64 KiB); default: a short starter.",
)
@click.option(
    "--provider",
    type=click.Choice(["anthropic"]),
    default="anthropic",
    show_default=True,
    help="The AI provider: an auth profile `anthropic:default` (mode token); its key comes from "
    "ANTHROPIC_API_KEY at launch.",
)
@click.option(
    "--plugin",
    type=click.Path(file_okay=False, path_type=Path),
    help="The Convos plugin's folder (extensions/convos): it does not ship with OpenClaw.",
)
def init(directory: Path, env: str, instructions_file: Path | None, provider: str, plugin: Path | None) -> None:
    """Write a golden checkpoint into DIRECTORY (a new or empty folder)."""
    from convos_tui.instances.golden import check_golden, init_golden, read_instructions

    text = None
    if instructions_file is not None:
        try:
            text = read_instructions(instructions_file)
        except ValueError as exc:
            raise click.ClickException(f"--instructions {instructions_file}: {exc}; nothing was written") from None
    try:
        written = init_golden(directory, env=env, instructions=text, provider=provider, plugin=plugin)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")
    problems = check_golden(directory)
    for problem in problems:
        click.echo(problem.render(), err=True)
    if problems:
        sys.exit(1)
    if plugin is None:
        click.echo(
            "note: no --plugin: a real `openclaw` launcher needs the Convos plugin's folder "
            "(a `sim` launcher does not)",
            err=True,
        )
    click.echo(f'golden ready: add a [[launchers]] table with golden = "{directory.resolve()}" to the config')


@golden.command("check")
@click.argument("directory", type=click.Path(path_type=Path))
def check(directory: Path) -> None:
    """Refuse a golden that holds XMTP state or a secret, or whose plugin, env, JSON or instructions are wrong."""
    from convos_tui.instances.golden import check_golden

    problems = check_golden(directory)
    for problem in problems:
        click.echo(problem.render(), err=True)
    if problems:
        click.echo(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: {directory} cannot be a golden", err=True
        )
        sys.exit(1)
    click.echo(f"{directory}: a good golden (no XMTP state, no secret, the Convos plugin enabled)")


@golden.command("commit")
@click.argument("container")
@click.argument("image", metavar="IMAGE:TAG")
@click.option("--engine", help="The Docker engine (default: DOCKER_HOST, or the local socket).")
@click.option("--state-dir", default="/root/.openclaw", show_default=True, help="The OpenClaw state in the container.")
def commit(container: str, image: str, engine: str | None, state_dir: str) -> None:
    """Commit CONTAINER as the golden image IMAGE:TAG, only if its state passes `golden check` (no XMTP
    state, no secret): the seed's "snapshot this as your golden checkpoint"."""
    from convos_tui.instances.docker_backend import commit_golden, engine_error

    try:
        problems, image_id = commit_golden(container, image, base_url=engine, state_dir=state_dir)
    except Exception as exc:  # the engine's errors (unreachable, no such container), each one line
        raise click.ClickException(
            f"golden commit {container}: {engine_error(exc, engine or 'the local engine')}"
        ) from None
    for problem in problems:
        click.echo(problem.render(), err=True)
    if problems:
        click.echo(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: {container} cannot be a golden; "
            "nothing was committed (commit a container that never created or joined a conversation)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"committed {container} as {image} ({image_id})")
    click.echo(f'pin it by digest in [[launchers]]: image = "{image_id}" (a tag can move; an id cannot)')
