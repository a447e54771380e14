"""The flow of an action panel on one gateway: its progress while the request runs, then its result in words.

The panel on several gateways has a `BulkRun` instead (bulk_run.py); both answer the panel the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from convos_tui.fleet.actions import REFUSED, ActionResult, Actions
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.ui.results import result_text
from convos_tui.ui.widgets.bulk_run import Perform


class ResultLine(Static):
    """The flow of a panel on one gateway: its progress, then its result in words (the full answer on `d`)."""

    def __init__(self, gateway: GatewayConfig, progress: str, *, clock: Callable[[], float]) -> None:
        super().__init__(id="panel-result")
        self.gateway = gateway
        self.progress = progress
        self.clock = clock
        self.result: ActionResult | None = None

    def missing(self) -> str | None:
        return None

    def ask(self) -> None:
        pass

    def say(self, text: str | Text, style: str = "") -> None:
        self.update(text if isinstance(text, Text) else Text(text, style=style))

    async def run(self, perform: Perform, actions: Actions, *, form: Widget) -> None:
        started = self.clock()  # the app's clock: fixed in tests and snapshots
        timer = self.set_interval(1.0, lambda: self.say(f"{self.progress} {self.clock() - started:.0f} s", "dim"))
        self.say(f"{self.progress}…", "dim")
        try:
            self.result = await perform(self.gateway)
        finally:
            timer.stop()
        self.update(result_text(self.result))

    def stop(self) -> bool:
        return False  # one request, already sent: closing the panel is all there is to do

    @property
    def done(self) -> bool:
        return self.result is not None and self.result.ok

    @property
    def outcome(self) -> ActionResult | None:
        return self.result

    def after(self) -> str | None:
        """Where the focus goes after the result: Close after a success; after a refusal (nothing was sent:
        a bad invite, an empty message) it stays in the field, to correct it; after a failure, Cancel, out of
        the fields so that `d` shows the gateway's full answer and a stray enter does not send again."""
        if self.result is None or self.result.outcome == REFUSED:
            return None
        return "#go" if self.result.ok else "#cancel"

    def show_detail(self) -> None:
        if self.result is not None and self.result.detail:
            self.say(Text(self.result.detail[:6000]))

    def copy_results(self, copy: Callable[[str], Text]) -> None:
        pass  # one result: it is on screen

    def save_results(self, folder: Path) -> None:
        pass
