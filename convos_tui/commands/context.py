"""What every command shares: where the config is, which profile, and loading it with clear errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from convos_tui.api.interpret import remember_secret
from convos_tui.fleet.inventory import ConfigError, Inventory, load_inventory
from convos_tui.fleet.paths import config_path


@dataclass
class Context:
    config_file: Path | None = None
    profile: str | None = None
    read_only: bool = False

    @property
    def path(self) -> Path:
        return config_path(self.config_file)

    def inventory(
        self,
        *,
        required: bool = False,
        refusal: str = "nothing was started",
        error: type[click.ClickException] = click.ClickException,
    ) -> Inventory:
        """The loaded config, or `error` (exit 1 unless told) with every problem listed (file:line: what. fix)."""
        try:
            inventory = load_inventory(self.path, required=required or self.config_file is not None)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(problem.render(exc.path), err=True)
            count = len([p for p in exc.problems if p.severity != "warning"])
            raise error(f"{count} problem{'s' if count != 1 else ''} in {exc.path}: {refusal}") from None
        for warning in inventory.warnings:
            click.echo(warning.render(inventory.path), err=True)
        # Every token this run holds is redacted from whatever a gateway or pool sends back.
        for gateway in inventory.gateways:
            remember_secret(gateway.token)
        for source in inventory.sources:
            remember_secret(source.token)
            remember_secret(source.gateway_token)
        return inventory

    def fleet_inventory(self) -> Inventory:
        """The config for a command that polls the fleet: it must exist, load, know --profile, and hold gateways.

        Each of these is a config problem: exit 2."""
        if not self.path.exists():
            raise ConfigProblem(f"no config at {self.path}: `convos-tui config init` writes one")
        inventory = self.inventory(error=ConfigProblem)
        try:
            inventory.select(self.profile)
        except KeyError as exc:
            raise click.UsageError(str(exc.args[0])) from None
        if not inventory.gateways and not inventory.sources and not inventory.launchers:
            raise ConfigProblem(
                f"no gateways in {inventory.path}: add one with `convos-tui config add NAME URL`, or try "
                "`convos-tui simulate --count 5 --write-config fleet.toml` then `convos-tui --config fleet.toml`"
            )
        return inventory


class ConfigProblem(click.ClickException):
    """The config is missing, does not load, or holds no gateways: exit 2 (click declares exit_code per class)."""

    exit_code = 2


pass_context = click.make_pass_decorator(Context, ensure=True)
