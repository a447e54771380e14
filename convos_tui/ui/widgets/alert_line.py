"""The header's alert line: the newest alert not acknowledged, how many more, and the key that clears them.

Hidden while there is none, so a quiet fleet's screen is what it always was."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from convos_tui.fleet.alerts import Alert
from convos_tui.ui import keys


class AlertLine(Static):
    DEFAULT_CSS = """
    AlertLine { height: 1; background: $error 30%; display: none; }
    """

    def show(self, alerts: list[Alert]) -> None:
        self.display = bool(alerts)
        if not alerts:
            return
        newest = max(alerts, key=lambda alert: alert.at)
        # The count and the key first: a long reason is what gives way on a narrow terminal.
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f" {len(alerts)} ALERT{'S' if len(alerts) > 1 else ''} ", style="bold white on red")
        key = keys.shown(self.app, keys.BY_ID["ack-alert"], getattr(self.app, "keymap", {}))
        line.append(f" {key} acknowledges ", style="dim")
        line.append(" " + newest.line())
        self.update(line)
