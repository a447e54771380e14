"""A launched instance's log in the detail, followed live: `/` searches it (only the lines with every word
typed are shown, new ones too, as k9s's log filter does), `w` saves what is shown to a file.

The lines come neutralised (ui/instances.py: LogFollower): a log line never drives the terminal."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Log, Static

from convos_tui.export import write_text_lines

MAX_LINES = 2000


class LogSearch(Input):
    BINDINGS = [Binding("escape", "clear", "Clear", show=False)]

    def action_clear(self) -> None:
        self.value = ""
        self.display = False
        self.screen.set_focus(self.parent.query_one(Log) if self.parent else None)


class LogView(Vertical):
    DEFAULT_CSS = """
    LogView { height: auto; }
    LogView > #detail-log-search { display: none; }
    LogView > #detail-log-found { height: auto; color: $text-muted; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # the Widget keywords, passed through
        self.lines: deque[str] = deque(maxlen=MAX_LINES)  # every line read, shown or not
        self.words: list[str] = []

    def compose(self) -> ComposeResult:
        yield LogSearch(id="detail-log-search", placeholder="search the log: words (enter keeps it, esc clears)")
        yield Static(id="detail-log-found")
        yield Log(id="detail-log", max_lines=MAX_LINES)

    @property
    def log_widget(self) -> Log:
        return self.query_one("#detail-log", Log)

    def _matches(self, line: str) -> bool:
        lowered = line.lower()
        return all(word in lowered for word in self.words)

    @property
    def shown(self) -> list[str]:
        return [line for line in self.lines if self._matches(line)]

    def add(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        self.lines.extend(lines)
        found = [line for line in lines if self._matches(line)]
        if found:
            self.log_widget.write_lines(found)
        if self.words:
            self._say_found()

    def search(self) -> None:
        box = self.query_one(LogSearch)
        box.display = True
        box.focus()

    @on(Input.Changed, "#detail-log-search")
    def _typed(self, event: Input.Changed) -> None:
        self.words = event.value.lower().split()
        log = self.log_widget
        log.clear()
        log.write_lines(self.shown)
        self._say_found()

    @on(Input.Submitted, "#detail-log-search")
    def _kept(self) -> None:
        self.screen.set_focus(self.log_widget)

    def _say_found(self) -> None:
        found = self.query_one("#detail-log-found", Static)
        if not self.words:
            found.update("")
            return
        count = len(self.shown)
        found.update(
            Text(f"{count} of {len(self.lines)} lines have {' '.join(self.words)!r}; / changes it, esc in it clears")
        )

    def save(self, folder: Path, name: str, now: float) -> str:
        """`w`: the lines shown (all, or those the search finds) to a new file; what to tell the operator."""
        lines = self.shown
        try:
            path = write_text_lines(lines, folder, f"convos-log-{name}", now=now)
        except OSError as exc:
            return f"the log was not saved: {exc.strerror or exc}"
        which = f"the {len(lines)} lines found" if self.words else f"the last {len(lines)} lines"
        return f"{which} saved to {path}"
