"""The command line: `convos-tui` and its subcommands.

Headless commands must start fast and never import Textual: each command module imports what it
needs inside the command, and the UI is imported only by the command that opens it.
"""

from __future__ import annotations

from pathlib import Path

import click

from convos_tui import __version__
from convos_tui.commands.actions import COMMANDS as ACTION_COMMANDS
from convos_tui.commands.config import config
from convos_tui.commands.context import Context
from convos_tui.commands.demo import demo
from convos_tui.commands.invite import invite
from convos_tui.commands.simulate import simulate
from convos_tui.commands.status import status


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="convos-tui")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The config file (default: $CONVOS_TUI_CONFIG, else $XDG_CONFIG_HOME/convos-tui/config.toml).",
)
@click.option("--profile", help="Only the gateways of this profile (a [profiles.NAME] table of the config).")
@click.option("--read-only", is_flag=True, help="Refuse every action that changes a gateway.")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None, profile: str | None, read_only: bool) -> None:
    """A terminal fleet console for OpenClaw gateways running the Convos plugin.

    With no command, opens the console on the configured gateways.
    """
    ctx.obj = Context(config_file=config_file, profile=profile, read_only=read_only)
    if ctx.invoked_subcommand is None:
        from convos_tui.commands.console import run_console

        run_console(ctx.obj, read_only=read_only)


main.add_command(demo)
main.add_command(simulate)
main.add_command(config)
main.add_command(status)
main.add_command(invite)
for command in ACTION_COMMANDS:
    main.add_command(command)
