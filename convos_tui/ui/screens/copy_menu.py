"""`y`: the copy menu. The row's gateway name, URL, conversation id or invite, or the whole table as shown (TSV).

Each choice has a letter; `enter` takes the one under the cursor. What is not there (no conversation, no
invite) is listed greyed with why, so the menu is the same every time. The copy itself goes through the
console's clipboard service (OSC 52, then the system clipboard, as the config's `clipboard` says).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from convos_tui.ui.keys import bindings


@dataclass(frozen=True)
class Copyable:
    key: str  # the letter that takes it
    what: str  # "gateway name", …: the menu's words and the status line's
    text: str  # what is copied; "" when there is nothing
    missing: str = ""  # why there is nothing
    preview: str = ""  # what the menu shows of it, if not the text itself


class CopyMenu(ModalScreen[Copyable | None]):
    HELP_NOTES = "The copy menu: a letter copies its line; a greyed line says why there is nothing to copy."
    # `?` is the app's help binding: a modal screen hides the app's keys, so it binds it again.
    BINDINGS = [*bindings("copy"), *bindings("app", only=("help",))]  # fleet/console_names.py: KEYS

    def __init__(self, title: str, choices: list[Copyable]) -> None:
        super().__init__(id="copy-menu")
        self.title_text = title
        self.choices = choices
        self.cursor = next((i for i, c in enumerate(choices) if c.text), 0)

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-box"):
            yield Static(Text(f" Copy: {self.title_text} ", style="bold reverse"), id="copy-title")
            yield Static(id="copy-list")
            yield Static(Text("a letter or enter copies · esc closes", style="dim"), id="copy-help")

    def on_mount(self) -> None:
        self._draw()

    def _draw(self) -> None:
        text = Text()
        for index, choice in enumerate(self.choices):
            line = Text(f" {choice.key}  {choice.what:<16} ")
            shown = (choice.preview or choice.text) if choice.text else choice.missing
            line.append(shown, style="" if choice.text else "dim")
            if index == self.cursor:
                line.stylize("reverse")
            elif not choice.text:
                line.stylize("dim")
            text.append_text(line)
            text.append("\n")
        self.query_one("#copy-list", Static).update(text)

    def action_help(self) -> None:
        """`?`: this panel's own keys (help.py reads them from its live bindings)."""
        from convos_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def action_cursor(self, step: int) -> None:
        self.cursor = max(0, min(len(self.choices) - 1, self.cursor + step))
        self._draw()

    def action_take(self, key: str = "") -> None:
        choice = next((c for c in self.choices if c.key == key), None) if key else self.choices[self.cursor]
        if choice is None:
            return
        if not choice.text:
            self.notify(f"nothing to copy: {choice.missing}", severity="warning", markup=False)
            return
        self.dismiss(choice)

    def action_close(self) -> None:
        self.dismiss(None)
