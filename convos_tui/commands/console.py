"""Opening the console: `convos-tui` with no command. Textual is imported here and only here."""

from __future__ import annotations

import asyncio

from convos_tui.commands.context import Context
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.paths import data_dir


def run_console(ctx: Context, *, read_only: bool) -> None:
    inventory = ctx.fleet_inventory()
    fleet = asyncio.run(Fleet.load(inventory, data_dir=data_dir(), profile=ctx.profile))
    from convos_tui.ui.app import ConvosApp

    settings = inventory.settings
    app = ConvosApp(
        fleet,
        read_only=read_only or settings.read_only,
        theme=settings.theme,
        keymap=settings.keymap,
    )
    try:
        app.run(mouse=settings.mouse)  # mouse = false: the terminal's own selection works
    finally:
        fleet.close()
