"""An input with a history: up and down walk it, as in a shell, back to what was being typed."""

from __future__ import annotations

from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import Reactive

from convos_tui.ui.filter_history import FilterHistory
from convos_tui.ui.widgets.fields import FieldInput


class HistoryInput(FieldInput):
    # Input sets its virtual size (the text's width, for its own scrolling) on every keystroke, and
    # Widget's declaration lays the whole screen out again for it, a repaint of every line: 16 ms a
    # keystroke at 5,000 gateways (benchmarks/ui.py). The box's own size never follows its text here
    # (one line, as wide as the screen), so no layout is needed; it is still drawn again.
    virtual_size = Reactive(Size(0, 0), layout=False)

    BINDINGS = [
        Binding("up", "history(-1)", "Earlier", show=False),
        Binding("down", "history(1)", "Later", show=False),
    ]

    def __init__(self, history: FilterHistory, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # the Input keywords (id, placeholder…), passed through
        self.history = history
        self._at: int | None = None  # where in the history the box is; None: at what is being typed
        self._draft = ""

    def action_history(self, step: int) -> None:
        entries = self.history.entries
        at = len(entries) if self._at is None else self._at
        target = max(0, min(len(entries), at + step))
        if target == at:
            return
        if self._at is None:
            self._draft = self.value
        self._at = None if target == len(entries) else target
        self.value = self._draft if self._at is None else entries[target]
        self.cursor_position = len(self.value)

    def remember(self) -> None:
        """The value was applied: it goes into the history, and the walk starts again from the end."""
        self.history.add(self.value)
        self._at = None
