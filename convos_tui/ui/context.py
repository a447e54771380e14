"""What a screen may use, handed down in its constructor: data down (messages.py carries requests up)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text

from convos_tui.fleet.actions import REFUSED, Actions
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.store import StoreError
from convos_tui.ui.instances import ConsoleInstances
from convos_tui.ui.pools import ConsolePools


@dataclass
class Context:
    """One for the console, shared by its screens (so an action service set on the app is theirs too)."""

    fleet: Fleet
    actions: Actions
    clock: Callable[[], float]  # the app's clock: fixed in tests and snapshots
    read_only: bool
    copy_text: Callable[..., Text]  # (text, *, what=…) → a line saying what happened (OSC 52, the config's mode)
    instances: ConsoleInstances  # launch, terminate, recycle (ui/instances.py), through `actions`
    pools: ConsolePools  # the warm pools: claim, replenish, drain (ui/pools.py), through `actions`

    async def refuse_read_only(self, action: str, names: Sequence[str], say: Callable[[str, str], None]) -> None:
        """An action's key pressed in read-only mode: a refused row in the audit for each gateway it would have
        touched, as the action service writes for a refused action, written from a thread (a busy store waits
        there, not on the event loop); then `say` tells the operator."""
        touched: list[str | None] = [*names] or [None]

        def write() -> None:
            for name in touched:
                self.fleet.store.audit(
                    action,
                    gateway=name,
                    params={"from": "console"},
                    outcome=REFUSED,
                    detail="refused: read-only mode",
                    elapsed_s=0.0,
                )

        recorded = "recorded in the audit"
        try:
            await asyncio.to_thread(write)
        except StoreError:  # the store's banner says why; a key press never ends the console
            recorded = "not recorded: the store cannot be written"
        say(
            f"read-only mode: {action} refused ({recorded}). Start without --read-only "
            "(and read_only = false in the config) to act.",
            "bold yellow",
        )
