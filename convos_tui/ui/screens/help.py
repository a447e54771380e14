"""`?`: the keys of the screen underneath, read from its live bindings, with their ids for [keymap]."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from convos_tui.ui.keys import bindings

FILTER_HELP = (
    "Filter (/): words are ANDed; field:value for state, tag, env, name, url, shape, conv; "
    "commas OR (state:stalled,flapping); - negates (-state:idle); state:faults; * and ? wildcards."
)


def bindings_text(screen: Screen[Any]) -> Text:
    text = Text()
    text.append("Keys\n\n", style="bold")
    rows = []
    seen: set[str] = set()
    # Every binding of the screen and the app, not only the one that wins its key: the table takes `enter`
    # itself (select the row), and the screen's answer to that is the detail, which must be listed too.
    for namespace, chain in screen._modal_binding_chain:
        for _, binding in chain:
            if binding.system or not binding.description or not binding.id or binding.id in seen:
                continue  # the widgets' own keys (arrows, copy…) are summed up below
            state = screen.app._check_action_state(binding.action, namespace)
            if state is False:
                continue  # not offered here (a field has the keys)
            seen.add(binding.id)
            rows.append((screen.app.get_key_display(binding), binding.description, binding.id, bool(state)))
    width = max((len(row[0]) for row in rows), default=4)
    for label, description, binding_id, enabled in sorted(rows, key=lambda row: row[1].lower()):
        text.append(f" {label:>{width}}  ", style="bold" if enabled else "dim")
        text.append(f"{description:<22}", style="" if enabled else "dim strike")
        text.append(f" {binding_id}\n", style="dim")
    notes = getattr(screen, "HELP_NOTES", None)  # a panel (columns, copy) says what it is, not the table's notes
    if notes is None:
        text.append("\n arrows, pgup/pgdn, home/end move; a click on a column header sorts by it.\n", style="dim")
    text.append(
        '\nRemap any key in the config\'s [keymap] table: binding id = "keys", e.g. poll-now = "r,f5".\n', style="dim"
    )
    if notes is not None:
        text.append(notes + "\n", style="dim")
        return text
    # A screen with a filter of its own (events) names its own fields.
    text.append(getattr(screen, "FILTER_HELP", FILTER_HELP) + "\n", style="dim")
    text.append("ctrl+p opens the command palette: jump to a gateway, every action, theme, interval.\n", style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("help")  # fleet/console_names.py: KEYS

    def __init__(self, underneath: Screen[Any]) -> None:
        super().__init__(id="help")
        self.underneath = underneath

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(bindings_text(self.underneath))

    def action_dismiss(self) -> None:  # type: ignore[override]  # help-close takes no result, Screen's takes one
        self.dismiss(None)
