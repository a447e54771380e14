"""`[[alerts]]` in the config: which gateways, in which states, for how long, and how to say so.

[[alerts]]
name = "booth-down"                  # said in the alert and given to the hook
states = ["stalled", "unreachable"]  # or "faults"; the default
tags = ["booth"]                     # gateways with any of these tags; none: every gateway
after = "60s"                        # in those states this long before it alerts (the grace: shorter flaps never do)
bell = true                          # the terminal's bell
notify = "osc9"                      # a desktop notification through the terminal: "osc9", "osc777" or "none"
command = ["/usr/local/bin/page", "--team", "booth"]  # run without a shell, the alert as JSON on its stdin
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convos_tui.fleet.config_values import NAME_RE, ValueReader
from convos_tui.fleet.state import FAULTS, ORDER, State

ALERT_KEYS = ("name", "states", "tags", "after", "bell", "notify", "command")
NOTIFY_KINDS = ("none", "osc9", "osc777")
DEFAULT_AFTER_S = 60.0


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    states: frozenset[State] = FAULTS
    tags: tuple[str, ...] = ()  # any of them; none: every gateway
    after: float = DEFAULT_AFTER_S
    bell: bool = False
    notify: str = "none"
    command: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    def covers(self, tags: tuple[str, ...]) -> bool:
        """Whether a gateway with these tags is watched by this rule."""
        return not self.tags or any(tag in tags for tag in self.tags)


def read_alerts(checker: ValueReader, value: Any) -> list[AlertRule]:
    if not isinstance(value, list):
        checker.add(
            ("alerts",), "alerts should be an array of tables", "Write each rule under its own [[alerts]] header"
        )
        return []
    rules: list[AlertRule] = []
    for index, entry in enumerate(value):
        where = ("alerts", index)
        entry = checker.table(entry, where, f"alert #{index + 1}")
        name = entry.get("name", f"alert-{index + 1}")
        label = f"alert {name!r}"
        before = len(checker.problems)
        checker.unknown_keys(entry, where, ALERT_KEYS, label)
        if not isinstance(name, str) or not NAME_RE.match(name):
            checker.add(where + ("name",), f"{label} needs a valid name", 'Write e.g. name = "booth-down"')
        elif any(rule.name == name for rule in rules):
            checker.add(where + ("name",), f"duplicate alert name {name!r}", "Give each alert its own name")
        rule = AlertRule(
            name=str(name),
            states=_states(checker, entry, where, label),
            tags=checker.tags(entry, where, label),
            after=checker.duration(entry, "after", where, label, DEFAULT_AFTER_S)
            if "after" in entry
            else DEFAULT_AFTER_S,
            bell=checker.boolean(entry, "bell", where, label, False),
            notify=checker.choice(entry, "notify", where, label, NOTIFY_KINDS, "none"),
            command=_command(checker, entry, where, label),
            line=checker.map.line_of(where),
        )
        if not [p for p in checker.problems[before:] if p.severity == "error"]:
            rules.append(rule)
    return rules


def _states(checker: ValueReader, entry: dict[str, Any], where: tuple[Any, ...], label: str) -> frozenset[State]:
    value = entry.get("states", ["faults"])
    words = [value] if isinstance(value, str) else value
    states: set[State] = set()
    known = ", ".join(str(s) for s in ORDER)
    if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
        checker.add(where + ("states",), f"{label} states should be a list of states", 'Write states = ["stalled"]')
        return FAULTS
    for word in words:
        if word.lower() in ("faults", "fault"):
            states |= FAULTS
            continue
        try:
            states.add(State(word.lower()))
        except ValueError:
            checker.add(where + ("states",), f"{label}: {word!r} is not a state", f"Use {known}, or faults")
    return frozenset(states) or FAULTS


def _command(checker: ValueReader, entry: dict[str, Any], where: tuple[Any, ...], label: str) -> tuple[str, ...]:
    value = entry.get("command", [])
    if isinstance(value, list) and all(isinstance(a, str) and a for a in value):
        return tuple(value)
    checker.add(
        where + ("command",),
        f"{label} command should be a list of strings (run without a shell)",
        'Write command = ["/usr/local/bin/page", "--team", "booth"]',
    )
    return ()
