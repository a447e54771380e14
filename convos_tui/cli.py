"""The command line: `convos-tui` and its subcommands.

Headless commands must start fast and never import Textual: each command module imports what it
needs inside the command, and the UI is imported only by the command that opens it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from convos_tui import __version__
from convos_tui.commands.actions import COMMANDS as ACTION_COMMANDS
from convos_tui.commands.config import config
from convos_tui.commands.context import Context
from convos_tui.commands.demo import demo
from convos_tui.commands.golden import golden
from convos_tui.commands.instances import instances, recycle, terminate
from convos_tui.commands.invite import invite
from convos_tui.commands.launch import launch
from convos_tui.commands.runtime_actions import COMMANDS as RUNTIME_ACTION_COMMANDS
from convos_tui.commands.serve import serve
from convos_tui.commands.simulate import simulate
from convos_tui.commands.status import status
from convos_tui.commands.web import web


def global_options(**extra: Any) -> list[click.Option]:
    """--config, --profile and --read-only: on the group (before the command), and copies on each command
    (`extra`: expose_value and callback) so that they may come after it too."""
    return [
        click.Option(
            ["--config", "config_file"],
            type=click.Path(dir_okay=False, path_type=Path),
            help="The config file (default: $CONVOS_TUI_CONFIG, else $XDG_CONFIG_HOME/convos-tui/config.toml).",
            **extra,
        ),
        click.Option(
            ["--profile"], help="Only the gateways of this profile (a [profiles.NAME] table of the config).", **extra
        ),
        click.Option(["--read-only"], is_flag=True, help="Refuse every action that changes a gateway.", **extra),
    ]


def _given_after_the_command(ctx: click.Context, param: click.Parameter, value: object) -> None:
    # `convos-tui create X --read-only`, as people type it: the command's copy sets what the group's would have.
    if value is not None and value is not False and param.name:
        setattr(ctx.ensure_object(Context), param.name, value)


def _accept_global_options(command: click.Command) -> None:
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_global_options(sub)
        return
    names = {opt for param in command.params for opt in getattr(param, "opts", ())}
    command.params += [
        option
        for option in global_options(expose_value=False, callback=_given_after_the_command)
        if not names & set(option.opts)
    ]


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    params=global_options(),
)
@click.version_option(__version__, "-V", "--version", prog_name="convos-tui")
@click.option(
    "--metrics",
    metavar="HOST:PORT",
    help="While the console runs, serve the fleet's metrics for Prometheus there (as `convos-tui serve`).",
)
@click.option("--metrics-bind-any", is_flag=True, help="Allow a --metrics address that is not loopback (warns).")
@click.option("--presentation", is_flag=True, help="Open the console in presentation mode (the invite's QR code).")
@click.pass_context
def main(
    ctx: click.Context,
    config_file: Path | None,
    profile: str | None,
    read_only: bool,
    metrics: str | None,
    metrics_bind_any: bool,
    presentation: bool,
) -> None:
    """A terminal fleet console for OpenClaw gateways running the Convos plugin.

    With no command, opens the console on the configured gateways.
    """
    ctx.obj = Context(config_file=config_file, profile=profile, read_only=read_only)
    if ctx.invoked_subcommand is None:
        from convos_tui.commands.console import run_console

        run_console(ctx.obj, read_only=read_only, metrics=metrics, bind_any=metrics_bind_any, present=presentation)


main.add_command(demo)
main.add_command(simulate)
main.add_command(config)
main.add_command(status)
main.add_command(serve)
main.add_command(web)
main.add_command(invite)
for command in (golden, launch, instances, terminate, recycle):
    main.add_command(command)
for command in [*ACTION_COMMANDS, *RUNTIME_ACTION_COMMANDS]:
    main.add_command(command)
_accept_global_options(main)
