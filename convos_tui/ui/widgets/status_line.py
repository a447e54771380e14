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
        self._shown: Text | None = None

    def show(self, filters: str, sort: str, message: Text, summary: Summary | None, width: int) -> None:
        """Show these, wrapped to `width` columns."""
        line = status_text(filters, sort, message, summary, width)
        if line == self._shown:
            return
        self._shown = line
        # Against the height it has now, not the one the last line had (a resize may have wrapped it
        # again), and as tall as it may grow (max-height): a message longer than that would otherwise
        # lay the screen out on every tick while it shows.
        height = len(line.wrap(self.app.console, max(1, width)))
        cap = self.styles.max_height
        if cap is not None and cap.is_cells:
            height = min(height, int(cap.value))
        self.update(line, layout=height != self.size.height)
