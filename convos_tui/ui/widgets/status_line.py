"""The main screen's status line: the filter, the sort, the last message, the fleet's part.

It is set on every key and twice a second, and a Static's update lays the whole screen out again,
which repaints every line of it (35 ms at 5,000 gateways, measured with benchmarks/ui.py). Here a
line that did not change is not set again, and the layout is asked for only when the line's height
changes (a long message wraps by words onto more lines)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from convos_tui.ui.widgets.summary import Summary, status_text


class StatusLine(Static):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # the Widget keywords (id, classes…), passed through
        self._shown: tuple[Text, int] | None = None

    def show(self, filters: str, sort: str, message: Text, summary: Summary | None, width: int) -> None:
        """Show these, wrapped to `width` columns."""
        line = status_text(filters, sort, message, summary, width)
        if self._shown is not None and self._shown[0] == line:
            return
        height = len(line.wrap(self.app.console, max(1, width)))
        grew = self._shown is None or self._shown[1] != height
        self._shown = (line, height)
        self.update(line, layout=grew)
