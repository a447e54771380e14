"""The command line: `convos-tui` and its subcommands.

Headless commands must start fast and never import Textual: each command module imports what it
needs inside the command, and the UI is imported only by the command that opens it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from convos_tui.commands.context import Context

# Every command, by name: "module:attribute", imported only when it runs (or for `--help`, which shows them
# all). To add one, write it in a module of convos_tui/commands/ and add its line here.
COMMANDS = {
    "claim": "convos_tui.commands.pools:claim",
    "config": "convos_tui.commands.config:config",
    "create": "convos_tui.commands.actions:create",
    "demo": "convos_tui.commands.demo:demo",
    "drain": "convos_tui.commands.pools:drain",
    "explode": "convos_tui.commands.actions:explode",
    "golden": "convos_tui.commands.golden:golden",
    "instances": "convos_tui.commands.instances:instances",
    "invite": "convos_tui.commands.invite:invite",
    "join": "convos_tui.commands.actions:join",
    "launch": "convos_tui.commands.launch:launch",
    "lock": "convos_tui.commands.actions:lock",
    "notify": "convos_tui.commands.runtime_actions:notify",
    "pool": "convos_tui.commands.pools:pool",
    "provision": "convos_tui.commands.actions:provision",
    "re-attest": "convos_tui.commands.runtime_actions:re_attest",
    "recycle": "convos_tui.commands.instances:recycle",
    "rename": "convos_tui.commands.actions:rename",
    "replenish": "convos_tui.commands.pools:replenish",
    "reset": "convos_tui.commands.runtime_actions:reset",
    "send": "convos_tui.commands.actions:send",
    "serve": "convos_tui.commands.serve:serve",
    "simulate": "convos_tui.commands.simulate:simulate",
    "status": "convos_tui.commands.status:status",
    "terminate": "convos_tui.commands.instances:terminate",
    "update-metadata": "convos_tui.commands.runtime_actions:update_metadata",
    "web": "convos_tui.commands.web:web",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when first asked for: click's lazy group
    (https://click.palletsprojects.com/en/stable/complex/#lazily-loading-subcommands), so that `status`
    imports what status uses and nothing of the console, the simulator or the actions."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, _, attribute = self.lazy_commands[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy_commands[cmd_name]} is not a click command")
            _accept_global_options(command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


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


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from convos_tui import __version__

    click.echo(f"convos-tui, version {__version__}")
    ctx.exit()


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    params=global_options(),
)
@click.option(
    "-V",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
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
