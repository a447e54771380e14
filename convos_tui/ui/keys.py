"""The console's key bindings, made from the one list of them (fleet/console_names.py: KEYS).

The screens take their BINDINGS from here; the footer and `?` read the live bindings (remapped by the
config's [keymap]); the palette shows a binding's keys with `shown`, so a remapped key reads the same in all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType

from convos_tui.fleet.console_names import KEYS, Key

BY_ID = {key.id: key for key in KEYS}


def bindings(screen: str, only: tuple[str, ...] | None = None) -> list[BindingType]:
    """The Bindings of a screen (`main`, `qr`, …; `app` for the app's own); `only` those ids, if given."""
    return [
        Binding(key.keys, key.action, key.description, show=key.show, priority=key.priority, id=key.id)
        for key in KEYS
        if key.screen == screen and (only is None or key.id in only)
    ]


def shown(app: App[Any], key: Key, keymap: Mapping[str, str]) -> str:
    """A binding's keys as the footer and `?` show them: the keymap's if it remaps them, else the default."""
    keys = keymap.get(key.id) or key.keys
    return ",".join(app.get_key_display(Binding(one.strip(), "")) for one in keys.split(","))


def key_of(app: App[Any], binding_id: str) -> str:
    """The first key of a binding as the config remaps it ("z", "esc"): what a line of help names."""
    return shown(app, BY_ID[binding_id], getattr(app, "keymap", {})).split(",")[0]


def hint(app: App[Any], *what: tuple[str, str], sep: str = " · ") -> str:
    """A screen's line of keys ("z zoom · c copy the URL"): each binding's first key as the config remaps it, then
    what it does, so that the line never names a key that no longer does it."""
    return sep.join(f"{key_of(app, binding_id)} {does}" for binding_id, does in what)
