"""The command line: `convos-tui` and its subcommands.

Headless commands must start fast and never import Textual: each command module imports what it
needs inside the command, and the UI is imported only by the command that opens it.
"""

from __future__ import annotations

import click

from convos_tui import __version__
from convos_tui.commands.simulate import simulate


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="convos-tui")
def main() -> None:
    """A terminal fleet console for OpenClaw gateways running the Convos plugin."""


main.add_command(simulate)
