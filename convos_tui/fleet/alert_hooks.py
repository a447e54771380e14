"""How an alert reaches a person beyond the console's header: a desktop notification written to the terminal
(OSC 9 or OSC 777, which terminals pass over SSH and tmux passes on), and the rule's command hook.

The hook runs without a shell (the rule's list is the argv), the alert as JSON on its stdin: a pager or a chat
webhook is wired there, and the console itself sends no traffic anywhere.
"""

from __future__ import annotations

import json
import subprocess

from convos_tui.api.interpret import one_line
from convos_tui.fleet.alerts import Alert

HOOK_TIMEOUT_S = 30.0
TITLE = "convos-tui alert"


def _plain(text: str) -> str:
    """Text safe inside an escape sequence: one line, control characters made visible, no `;` (OSC 777's
    separator)."""
    return one_line(text, 200).replace(";", ",")


def notification(alert: Alert, kind: str) -> str:
    """The escape sequence of a desktop notification (`osc9`, `osc777`), or "" for none."""
    if kind == "osc9":
        return f"\x1b]9;{_plain(TITLE + ': ' + alert.line())}\x07"
    if kind == "osc777":
        return f"\x1b]777;notify;{_plain(TITLE)};{_plain(alert.line())}\x07"
    return ""


def run_hook(command: tuple[str, ...], alert: Alert, timeout: float = HOOK_TIMEOUT_S) -> str:
    """Run a rule's command with the alert on stdin; "" if it succeeded, else what went wrong, in a line."""
    payload = json.dumps(alert.as_json(), ensure_ascii=False) + "\n"
    name = command[0]
    try:
        done = subprocess.run(
            list(command),
            input=payload.encode(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return f"alert hook {name}: no such program; give its full path in the rule's command"
    except PermissionError:
        return f"alert hook {name}: not executable (chmod +x it)"
    except subprocess.TimeoutExpired:
        return f"alert hook {name}: still running after {timeout:g} s, stopped"
    except OSError as exc:
        return f"alert hook {name}: cannot run ({exc.strerror})"
    if done.returncode != 0:
        said = one_line(done.stderr.decode(errors="replace"), 160)
        return f"alert hook {name} exited {done.returncode}" + (f": {said}" if said else "")
    return ""
