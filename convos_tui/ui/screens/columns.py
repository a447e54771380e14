"""`|`: the columns panel. Which columns the fleet table shows, in which order; applied, or saved to the config.

The panel answers with what was chosen: the columns in order (none: the default set, which drops URL,
READY and TAGS on a narrow terminal) and whether to write them into the config, where the screen saves
them (the active profile's `columns`, else the top level's), comments kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from convos_tui.fleet.console_names import COLUMN_NAMES
from convos_tui.ui import rows as view
from convos_tui.ui.keys import bindings


@dataclass(frozen=True)
class ColumnsChosen:
    columns: tuple[str, ...]  # in order; (): the default
    save: bool


class ColumnsPanel(ModalScreen[ColumnsChosen | None]):
    HELP_NOTES = "The columns panel: the checked columns are shown, in this order; enter applies, w also saves."
    # `?` is the app's help binding: a modal screen hides the app's keys, so it binds it again.
    BINDINGS = [*bindings("columns"), *bindings("app", only=("help",))]  # fleet/console_names.py: KEYS

    def __init__(self, shown: tuple[str, ...], where: str) -> None:
        super().__init__(id="columns-panel")
        # Every column, the shown ones first in their order, the hidden ones after them in the default order.
        self.order = [*shown, *(c for c in COLUMN_NAMES if c not in shown)]
        self.on = set(shown)
        self.cursor = 0
        self.where = where  # where w saves: "the config" or "profile booth"

    def compose(self) -> ComposeResult:
        with Vertical(id="columns-box"):
            yield Static(Text(" Columns ", style="bold reverse"), id="columns-title")
            yield Static(id="columns-list")
            yield Static(id="columns-help")

    def on_mount(self) -> None:
        self.query_one("#columns-help", Static).update(
            Text(
                "space show/hide · shift+↑↓ or K J move · r default\n"
                f"enter apply · w apply and save to {self.where}\nesc cancel",
                style="dim",
            )
        )
        self._draw()

    def _draw(self) -> None:
        text = Text()
        for index, column in enumerate(self.order):
            line = Text(f" {'[x]' if column in self.on else '[ ]'} {view.LABELS[column]:<14} {column}")
            if index == self.cursor:
                line.stylize("reverse")
            elif column not in self.on:
                line.stylize("dim")
            text.append_text(line)
            text.append("\n")
        if not self.on:
            text.append(" nothing shown: at least one column is needed", style="bold yellow")
        self.query_one("#columns-list", Static).update(text)

    def action_help(self) -> None:
        """`?`: this panel's own keys (help.py reads them from its live bindings)."""
        from convos_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def action_cursor(self, step: int) -> None:
        self.cursor = max(0, min(len(self.order) - 1, self.cursor + step))
        self._draw()

    def action_flip(self) -> None:
        self.on ^= {self.order[self.cursor]}
        self._draw()

    def action_move(self, step: int) -> None:
        target = self.cursor + step
        if 0 <= target < len(self.order):
            order = self.order
            order[self.cursor], order[target] = order[target], order[self.cursor]
            self.cursor = target
        self._draw()

    def action_default(self) -> None:
        self.order, self.on = list(COLUMN_NAMES), set(COLUMN_NAMES)
        self.dismiss(ColumnsChosen((), save=False))

    def _chosen(self) -> tuple[str, ...]:
        return tuple(c for c in self.order if c in self.on)

    def action_apply(self, save: bool) -> None:
        if not self.on:
            self.notify("choose at least one column (space)", severity="warning")
            return
        self.dismiss(ColumnsChosen(self._chosen(), save=save))

    def action_cancel(self) -> None:
        self.dismiss(None)
