"""The names a config may give the console: its themes, and its key bindings, each declared here once.

They belong to the UI (Textual's themes, the screens' bindings), but `config check`, and every command
that reads the config, must know them without importing Textual (the layer rule). So the bindings are
plain data here: the UI makes its Bindings, `?` help, footer and palette entries from KEYS (ui/keys.py),
and the config's [keymap] is checked against BINDING_IDS. tests/functional/test_console_names.py checks
that every binding of every screen comes from this list, and that the themes are Textual's.
"""

from __future__ import annotations

from dataclasses import dataclass

THEMES = (
    "ansi-dark",
    "ansi-light",
    "atom-one-dark",
    "atom-one-light",
    "catppuccin-frappe",
    "catppuccin-latte",
    "catppuccin-macchiato",
    "catppuccin-mocha",
    "dracula",
    "flexoki",
    "gruvbox",
    "monokai",
    "nord",
    "rose-pine",
    "rose-pine-dawn",
    "rose-pine-moon",
    "solarized-dark",
    "solarized-light",
    "textual-dark",
    "textual-light",
    "tokyo-night",
)


# The fleet table's columns, as the config's `columns` names them, in their default order (ui/rows.py: COLUMNS
# draws them; tests/functional/test_columns.py holds the two equal). A new column is one entry in each.
COLUMN_NAMES = ("state", "name", "url", "ready", "streaming", "conversation", "latency", "since", "tags")


@dataclass(frozen=True)
class Key:
    screen: str  # whose binding: app, main, detail, events, panel, gallery, qr, present, help
    id: str  # the [keymap] id
    keys: str  # the default keys, as Textual names them, comma separated
    action: str
    description: str  # in the footer and `?`; empty: listed nowhere
    show: bool = True  # in the footer
    priority: bool = False
    palette: str = ""  # the command palette's title for it, if the palette offers it
    hint: str = ""  # the palette's words after the key


# Main screen: priority for the keys that move the focus (into the filter, into a panel's field), so that they
# are handled in the app's own task as they come, before the next key is handed out (see MainScreen._open).
_ACTS = ", on the marked gateways or the one under the cursor"
KEYS = (
    Key("app", "quit", "q", "quit", "Quit"),
    Key("app", "help", "question_mark", "help", "Help", palette="Keys and binding ids"),
    Key("app", "palette", "ctrl+p", "command_palette", "Palette", show=False),
    Key(
        "main",
        "filter",
        "slash",
        "filter",
        "Filter",
        priority=True,
        palette="Filter the fleet",
        hint="  e.g. state:faults tag:eu",
    ),
    Key("main", "faults-only", "f", "faults_only", "Faults", palette="Faults only (toggle)"),
    Key("main", "mark", "space", "mark", "Mark"),
    Key("main", "mark-range", "M", "mark_range", "Mark range", show=False),
    Key("main", "mark-all", "asterisk", "mark_all", "Mark all shown", show=False, palette="Mark every gateway shown"),
    Key("main", "clear-marks", "U", "clear_marks", "Clear marks", show=False, palette="Clear marks"),
    Key("main", "sort", "s", "sort_next", "Sort"),
    Key("main", "sort-reverse", "S", "sort_reverse", "Reverse sort", show=False),
    Key("main", "pause", "p", "pause", "Pause", palette="Pause or resume polling"),
    Key("main", "poll-now", "r", "poll_now", "Poll now", palette="Poll the marked (or selected) gateways now"),
    Key("main", "poll-all", "R", "poll_all", "Poll all", show=False, palette="Poll all gateways now"),
    Key("main", "interval-up", "plus", "slower", "Interval +", show=False),
    Key("main", "interval-down", "minus", "faster", "Interval -", show=False),
    Key("main", "detail", "enter", "detail", "Detail", palette="Detail of the gateway under the cursor"),
    Key("main", "events", "e", "events", "Events", palette="Events: the fleet's timeline"),
    Key("main", "invite", "i", "invite", "Invite QR", palette="Invite QR code of the gateway under the cursor"),
    Key(
        "main",
        "present",
        "P",
        "present",
        "Present",
        show=False,
        palette="Presentation mode: big invite code, n for the next conversation",
    ),
    Key("main", "clear", "escape", "escape", "Clear", show=False, priority=True),
    Key("main", "create", "c", "act('create')", "Create", priority=True, palette="Create a conversation", hint=_ACTS),
    Key("main", "join", "J", "act('join')", "Join", priority=True, palette="Join a conversation", hint=_ACTS),
    Key("main", "send", "m", "act('send')", "Message", priority=True, palette="Send a message", hint=_ACTS),
    Key(
        "main",
        "rename",
        "n",
        "act('rename')",
        "Rename",
        show=False,
        priority=True,
        palette="Rename the agent",
        hint=_ACTS,
    ),
    Key(
        "main",
        "lock",
        "l",
        "act('lock')",
        "Lock",
        show=False,
        priority=True,
        palette="Lock the conversation",
        hint=_ACTS,
    ),
    Key(
        "main",
        "unlock",
        "L",
        "act('unlock')",
        "Unlock",
        show=False,
        priority=True,
        palette="Unlock the conversation",
        hint=_ACTS,
    ),
    Key(
        "main",
        "explode",
        "X",
        "act('explode')",
        "Explode",
        priority=True,
        palette="Explode the conversation",
        hint=_ACTS,
    ),
    Key(
        "main",
        "provision",
        "N",
        "provision",
        "Provision",
        show=False,
        priority=True,
        palette="Provision: create conversations on idle gateways",
        hint=", on the marked idle gateways or the first idle ones shown",
    ),
    Key(
        "main",
        "ack-alert",
        "a",
        "ack_alert",
        "Ack alert",
        show=False,
        palette="Acknowledge the alert of the marked gateways or the one under the cursor",
    ),
    Key(
        "main",
        "views",
        "colon",
        "view('command_line')",
        "Views",
        show=False,
        palette="Views: apply, save or delete a saved view",
        hint="  :NAME, :save NAME, :delete NAME",
    ),
    Key(
        "main",
        "copy",
        "y",
        "view('copy_menu')",
        "Copy",
        show=False,
        palette="Copy the row's name, URL, conversation id or invite, or the table as TSV",
    ),
    Key(
        "main",
        "columns",
        "vertical_line",
        "view('open_columns')",
        "Columns",
        show=False,
        palette="Columns: choose, order, hide",
    ),
    Key(
        "main",
        "launch",
        "I",
        "instances('launch')",
        "Launch",
        show=False,
        priority=True,
        palette="Launch instances of a launcher",
        hint=": launcher, count, create or join, instructions",
    ),
    Key(
        "main",
        "terminate",
        "T",
        "instances('terminate')",
        "Terminate",
        show=False,
        priority=True,
        palette="Terminate instances",
        hint=", the marked instances or the one under the cursor",
    ),
    Key(
        "main",
        "recycle",
        "Y",
        "instances('recycle')",
        "Recycle",
        show=False,
        priority=True,
        palette="Recycle instances",
        hint=", the marked instances or the one under the cursor",
    ),
    Key("main", "filter-done", "enter", "filter_done(True)", "", show=False, priority=True),  # only while typing in it
    Key("detail", "back", "escape,q", "app.pop_screen", "Back"),
    Key("detail", "detail-poll-now", "r", "poll_now", "Poll now"),
    Key("detail", "raw-detail", "d", "toggle_raw", "Raw error"),
    Key("detail", "detail-log-search", "slash", "log_search", "Search log", show=False),
    Key("detail", "detail-log-save", "w", "log_save", "Save log", show=False),
    Key("events", "events-back", "escape,q", "app.pop_screen", "Back"),
    Key("events", "events-filter", "slash", "focus_filter", "Filter"),
    Key("events", "events-reload", "r", "reload", "Reload"),
    Key("copy", "copy-close", "escape,q", "close", "Close"),
    Key("copy", "copy-cursor-up", "up,k", "cursor(-1)", "Up", show=False),
    Key("copy", "copy-cursor-down", "down,j", "cursor(1)", "Down", show=False),
    Key("copy", "copy-take", "enter", "take", "Copy"),
    Key("copy", "copy-name", "n", "take('n')", "Name", show=False),
    Key("copy", "copy-url", "u", "take('u')", "URL", show=False),
    Key("copy", "copy-conversation", "c", "take('c')", "Conversation id", show=False),
    Key("copy", "copy-invite", "i", "take('i')", "Invite", show=False),
    Key("copy", "copy-table", "t", "take('t')", "Table as TSV", show=False),
    Key("columns", "columns-cancel", "escape,q", "cancel", "Cancel"),
    Key("columns", "columns-cursor-up", "up,k", "cursor(-1)", "Up", show=False),
    Key("columns", "columns-cursor-down", "down,j", "cursor(1)", "Down", show=False),
    Key("columns", "columns-toggle", "space", "flip", "Show/hide"),
    Key("columns", "columns-move-up", "shift+up,K", "move(-1)", "Move up"),
    Key("columns", "columns-move-down", "shift+down,J", "move(1)", "Move down"),
    Key("columns", "columns-default", "r", "default", "Default"),
    Key("columns", "columns-apply", "enter", "apply(False)", "Apply"),
    Key("columns", "columns-save", "w", "apply(True)", "Apply+save"),
    Key("panel", "panel-cancel", "escape", "cancel", "Cancel"),
    Key("panel", "panel-detail", "d", "show_detail", "Full error", show=False),
    Key("panel", "panel-submit", "ctrl+s", "submit", "Go"),
    Key("panel", "panel-copy", "y", "copy_results", "Copy results", show=False),
    Key("panel", "panel-save", "w", "save_results", "Save results", show=False),
    Key("gallery", "gallery-close", "escape,q", "close", "Close"),
    Key("gallery", "gallery-open", "enter", "open", "Open"),
    Key("gallery", "gallery-copy", "c", "copy", "Copy URL"),
    Key("gallery", "gallery-export", "x", "export", "Export CSV+JSON"),
    Key("qr", "qr-close", "escape,q", "close", "Close"),
    Key("qr", "qr-zoom", "z", "zoom", "Zoom"),
    Key("qr", "qr-copy", "c", "copy", "Copy URL"),
    Key("qr", "qr-save", "s", "save", "Save SVG/PNG"),
    Key("present", "present-leave", "escape,q", "leave", "Leave"),
    Key("present", "present-next", "n", "next", "Next conversation"),
    Key("present", "present-zoom", "z", "zoom", "Zoom"),
    Key("present", "present-copy", "c", "copy", "Copy URL"),
    Key("present", "present-save", "s", "save", "Save SVG/PNG"),
    Key("help", "help-close", "escape,q,question_mark", "dismiss", "Close"),
)

BINDING_IDS = tuple(sorted(key.id for key in KEYS))
