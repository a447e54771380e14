"""`:`: the view command line at the bottom of the main screen, as in k9s.

`:NAME` applies a saved view, `:save NAME` saves the filter, sort and columns shown as one, `:delete NAME`
removes one, `:` alone lists them. It completes view names as they are typed (→ takes the completion).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.suggester import SuggestFromList
from textual.widgets import Input

COMMANDS = ("save", "delete")


class ViewCommandLine(Input):
    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, run: Callable[[str], None], closed: Callable[[], None], names: list[str]) -> None:
        super().__init__(id="view-line", placeholder="view name · save NAME · delete NAME · enter runs, esc closes")
        self.run = run
        self.closed = closed  # the focus goes back where it belongs
        self.names(names)

    def names(self, names: list[str]) -> None:
        words = [*names, *(f"{command} {name}" for command in COMMANDS for name in names)]
        self.suggester = SuggestFromList(words, case_sensitive=False)

    def open(self) -> None:
        self.value = ""
        self.display = True
        self.focus()

    def action_close(self) -> None:
        self.display = False
        self.closed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        command = self.value
        self.action_close()
        self.run(command)
