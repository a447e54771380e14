"""The banner that stays while the store cannot keep what the console does, or a run left actions unfinished.

A toast goes away; an unsaved invite does not stop mattering. The banner shows, until it is no longer
true: that the history store cannot be written (invites created now are not saved), and the actions
earlier runs left with outcome unknown (cut off by a kill, or no answer came), each with what the gateway's latest poll says of it
("created by a run that did not finish; its invite was never received"). A finding the poll settles is
recorded in the audit, so the next start does not list it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.widgets import Static

from convos_tui.api.interpret import clean_text
from convos_tui.fleet.actions import unfinished_finding
from convos_tui.fleet.state import GatewayState
from convos_tui.fleet.store import Store, StoreError

CHECK_EVERY_S = 1.0


class StoreBanner(Static):
    def __init__(self, store: Store, states: Mapping[str, GatewayState]) -> None:
        super().__init__(id="store-banner")
        self.store = store
        self.states = states
        self.unfinished: list[dict[str, Any]] = store.unfinished()
        self._settled: set[int] = set()
        self._shown: Text | None = None

    def on_mount(self) -> None:
        self.check()
        self.set_interval(CHECK_EVERY_S, self.check)

    def lines(self) -> list[Text]:
        lines = []
        if self.store.failure:
            lines.append(
                Text(
                    f"✖ {clean_text(self.store.failure)}. Invites created now are NOT saved: copy each "
                    "one from its result.",
                    style="bold",
                )
            )
        if self.unfinished:
            lines.append(Text(f"{len(self.unfinished)} earlier action(s) with an unknown outcome:", style="bold"))
        for row in self.unfinished:
            finding, settled = unfinished_finding(row, self.states.get(row["gateway"]))
            lines.append(Text(f"  {clean_text(finding)}"))
            if settled and row["id"] not in self._settled:
                self._settled.add(row["id"])
                try:
                    self.store.mark_checked(row["id"], finding)
                except StoreError:
                    pass  # the failure line above says why
        return lines

    def check(self) -> None:
        text = Text("\n").join(self.lines())
        if self._shown is not None and text.plain == self._shown.plain:
            return
        self._shown = text
        self.update(text)
        self.display = bool(text.plain)
