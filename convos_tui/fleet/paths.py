"""Where the config and the data live (XDG base directories)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP = "convos-tui"
CONFIG_ENV = "CONVOS_TUI_CONFIG"


def _xdg(name: str, fallback: str, environ: Mapping[str, str]) -> Path:
    value = environ.get(name, "")
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path(environ.get("HOME") or Path.home()) / fallback


def config_path(explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """`--config FILE`, else $CONVOS_TUI_CONFIG, else $XDG_CONFIG_HOME/convos-tui/config.toml."""
    environ = os.environ if environ is None else environ
    if explicit:
        return Path(explicit).expanduser()
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    return _xdg("XDG_CONFIG_HOME", ".config", environ) / APP / "config.toml"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME/convos-tui: the store, the audit and saved invites."""
    environ = os.environ if environ is None else environ
    return _xdg("XDG_DATA_HOME", ".local/share", environ) / APP
