"""The names a config may give the console: its themes and the ids of its key bindings.

They belong to the UI (Textual's themes, the screens' bindings), but `config check`, and every command
that reads the config, must know them without importing Textual (the layer rule). So they are written
out here, and tests/functional/test_console_names.py fails as soon as the console's own differ.
"""

from __future__ import annotations

THEMES = (
    "ansi-dark", "ansi-light", "atom-one-dark", "atom-one-light", "catppuccin-frappe", "catppuccin-latte",
    "catppuccin-macchiato", "catppuccin-mocha", "dracula", "flexoki", "gruvbox", "monokai", "nord", "rose-pine",
    "rose-pine-dawn", "rose-pine-moon", "solarized-dark", "solarized-light", "textual-dark", "textual-light",
    "tokyo-night",
)

BINDING_IDS = (
    "back", "clear", "clear-marks", "create", "detail", "detail-poll-now", "events", "events-back",
    "events-filter", "events-reload", "explode", "faults-only", "filter", "gallery-close", "gallery-copy",
    "gallery-export", "gallery-open", "help", "interval-down", "interval-up", "invite", "join", "launch", "lock", "mark",
    "mark-all", "mark-range", "palette", "panel-cancel", "panel-copy", "panel-detail", "panel-save",
    "panel-submit", "pause", "poll-all", "poll-now", "present", "present-copy", "present-leave", "present-next",
    "present-save", "present-zoom", "provision", "qr-close", "qr-copy", "qr-save", "qr-zoom", "quit",
    "raw-detail", "recycle", "rename", "send", "sort", "sort-reverse", "terminate", "unlock",
)
