"""Copying text to the operator's clipboard, per the config's `clipboard` mode. Pure: no Textual.

- OSC 52 is an escape sequence the terminal turns into a clipboard write. It is the only way that works
  over SSH (the clipboard that matters is on the operator's machine, not the gateway host's), but the
  terminal never answers, so success cannot be known: the message says what to check.
- The system clipboard (pyperclip: pbcopy, xclip/xsel, wl-copy, Windows) works on a local machine.
- `auto` sends OSC 52 and, when not over SSH, also copies to the system clipboard, which covers the
  terminals without OSC 52 (GNOME Terminal, macOS Terminal).

Nothing here raises: every outcome is a `CopyOutcome` whose message says what happened and what to do.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["MODES", "CopyOutcome", "copy_text", "osc52_sequence"]

MODES = ("auto", "osc52", "system", "off")  # the config's CLIPBOARD_MODES
TMUX_HINT = "inside tmux, OSC 52 needs `set -g set-clipboard on` in ~/.tmux.conf"
SELECT_HINT = "the URL stays on screen: select it with the mouse (shift+drag in most terminals)"


@dataclass(frozen=True)
class CopyOutcome:
    copied: bool  # True when it was handed to something that should hold it
    via: str  # osc52, system, osc52+system, or "" when nothing was copied
    message: str  # what happened and, where it may not have worked, what to do


def osc52_sequence(text: str) -> str:
    """The escape sequence asking the terminal to put `text` on the clipboard."""
    return f"\x1b]52;c;{base64.b64encode(text.encode('utf-8')).decode('ascii')}\a"


def _system_copy(text: str) -> None:
    import pyperclip  # imported late: it probes for clipboard programs

    pyperclip.copy(text)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def copy_text(
    text: str,
    mode: str = "auto",
    *,
    osc52: Callable[[str], None] | None = None,
    system: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> CopyOutcome:
    """Copy `text`. `osc52` sends the sequence to the terminal (the console passes `App.copy_to_clipboard`);
    None means there is no terminal to send it to. `system` defaults to pyperclip."""
    env = os.environ if environ is None else environ
    system = system or _system_copy
    over_ssh = any(env.get(key) for key in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"))
    tmux = bool(env.get("TMUX"))
    if mode == "off":
        return CopyOutcome(False, "", f'copying is off (clipboard = "off" in the config): {SELECT_HINT}')
    if mode not in MODES:
        return CopyOutcome(False, "", f"unknown clipboard mode {mode!r} (use {', '.join(MODES)}): {SELECT_HINT}")

    sent = False
    osc52_error = ""
    if mode in ("auto", "osc52"):
        if osc52 is None:
            osc52_error = "no terminal to send OSC 52 to"
        else:
            try:
                osc52(text)
                sent = True
            except Exception as exc:
                osc52_error = _reason(exc)

    system_error = ""
    copied_system = False
    if mode == "system" or (mode == "auto" and not over_ssh):
        try:
            system(text)
            copied_system = True
        except Exception as exc:
            system_error = _reason(exc)

    if copied_system:
        via = "osc52+system" if sent else "system"
        return CopyOutcome(True, via, "copied to the clipboard")
    if sent:
        hints = [TMUX_HINT] if tmux else []
        if system_error:  # "system" just failed: never suggest it
            hints.append(
                f"if paste gives nothing, this terminal ignores OSC 52, and the system clipboard failed "
                f"({system_error}): install xclip, xsel or wl-clipboard"
            )
        else:
            hints.append(
                "if paste gives nothing, this terminal ignores OSC 52"
                + ("" if over_ssh else ': set clipboard = "system" in the config')
            )
        return CopyOutcome(True, "osc52", "sent to the terminal's clipboard (OSC 52); " + "; ".join(hints))
    if mode == "osc52":
        return CopyOutcome(False, "", f"not copied: {osc52_error}; {SELECT_HINT}")
    if mode == "auto" and over_ssh:
        return CopyOutcome(
            False,
            "",
            f"not copied: {osc52_error}, and over SSH the system clipboard is the remote machine's; {SELECT_HINT}",
        )
    return CopyOutcome(
        False,
        "",
        f"not copied: no system clipboard ({system_error}); install xclip, xsel or wl-clipboard, or set "
        f'clipboard = "osc52" in the config; {SELECT_HINT}',
    )
