"""Alerts on transitions: the `[[alerts]]` rules (alert_rules.py) applied to the gateways as they are polled.

An episode of a rule on a gateway begins when the gateway enters one of the rule's states and ends when it
leaves them all (stalled then unreachable is one episode). An episode alerts once, when it has lasted the
rule's `after`: a flap shorter than that never alerts, and a gateway that stays down does not alert again
until it has come back and gone down anew. An alert stays until acknowledged, even after the gateway is back,
so that whoever looks later sees what happened. No Textual here: `status --watch` runs the same rules.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from convos_tui.api.interpret import one_line
from convos_tui.fleet.alert_rules import AlertRule
from convos_tui.fleet.config_model import GatewayConfig
from convos_tui.fleet.state import GatewayState, State, describe_duration, iso_time

if TYPE_CHECKING:
    from convos_tui.fleet.fleet import Fleet

SCHEMA = "convos-tui/alert/1"
Lookup = Callable[[str], "tuple[GatewayConfig, GatewayState] | None"]


def in_fleet(fleet: Fleet) -> Lookup:
    """A gateway's config and state by name, for `AlertWatch.due` (None once it left the fleet)."""

    def lookup(name: str) -> tuple[GatewayConfig, GatewayState] | None:
        config, state = fleet.config(name), fleet.states.get(name)
        return None if config is None or state is None else (config, state)

    return lookup


@dataclass(frozen=True, slots=True)
class Alert:
    rule: str
    gateway: str
    url: str  # as shown: never with a token
    tags: tuple[str, ...]
    state: State
    reason: str  # cleaned and redacted
    began: float  # when the episode began
    at: float  # when it alerted

    def line(self) -> str:
        """One line for a header or a terminal: which rule, which gateway, what state, for how long."""
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.rule}: {self.gateway} {self.state} for {describe_duration(self.at - self.began)}{why}"

    def as_json(self) -> dict[str, Any]:
        """What a command hook reads on its stdin."""
        return {
            "schema": SCHEMA,
            "rule": self.rule,
            "gateway": self.gateway,
            "url": self.url,
            "tags": list(self.tags),
            "state": str(self.state),
            "reason": self.reason,
            "began": iso_time(self.began),
            "at": iso_time(self.at),
            "for_s": round(self.at - self.began, 3),
        }


class AlertWatch:
    """The episodes of every rule on every gateway, and the alerts not acknowledged yet."""

    def __init__(self, rules: Iterable[AlertRule]) -> None:
        self.rules = tuple(rules)
        self._began: dict[tuple[str, str], float] = {}  # (rule, gateway) → when its episode began
        self._alerted: set[tuple[str, str]] = set()  # episodes that have alerted
        # When each episode under way comes due, soonest first: the clock checks only those due, not every
        # gateway's (5,000 gateways with a rule each are 5,000 episodes; a tick must not scan them all).
        self._due: list[tuple[float, str, str]] = []
        self._by_name = {rule.name: rule for rule in self.rules}
        # The state each gateway was last seen in: a poll that finds it unchanged changes no episode (the clock
        # alerts those that come due), so most polls cost one lookup, not one per rule.
        self._seen: dict[str, State] = {}
        self.active: dict[str, Alert] = {}  # gateway → its newest alert not acknowledged

    def __bool__(self) -> bool:
        return bool(self.rules)

    def observe(self, config: GatewayConfig, state: GatewayState, now: float) -> list[Alert]:
        """A gateway was polled: begin or end its episodes; the alerts whose time has come."""
        if self._seen.get(config.name) is state.state:
            return []
        self._seen[config.name] = state.state
        return self._episodes(config, state, now)

    def _episodes(self, config: GatewayConfig, state: GatewayState, now: float) -> list[Alert]:
        raised: list[Alert] = []
        for rule in self.rules:
            key = (rule.name, config.name)
            if state.state not in rule.states or not rule.covers(config.tags):
                self._began.pop(key, None)
                self._alerted.discard(key)
                continue
            began = self._began.get(key)
            if began is None:  # a state already under way when first seen began when the gateway says it did
                began = self._began[key] = min(state.since, now)
                heapq.heappush(self._due, (began + rule.after, rule.name, config.name))
            if key not in self._alerted and now - began >= rule.after:
                raised.append(self._raise(rule, config, state, began, now))
        return raised

    def due(self, now: float, lookup: Lookup) -> list[Alert]:
        """Episodes under way whose `after` has passed since, without a poll: the clock alone alerts them."""
        raised: list[Alert] = []
        while self._due and self._due[0][0] <= now:
            _, rule_name, gateway = heapq.heappop(self._due)
            key, rule = (rule_name, gateway), self._by_name[rule_name]
            began = self._began.get(key)
            if began is None or key in self._alerted or now - began < rule.after:
                continue  # ended, alerted already, or a later episode (its own entry is still waiting)
            found = lookup(gateway)
            if found is None:  # gone from the fleet
                del self._began[key]
                continue
            raised.extend(alert for alert in self._episodes(*found, now) if alert.rule == rule.name)
        return raised

    def _raise(self, rule: AlertRule, config: GatewayConfig, state: GatewayState, began: float, now: float) -> Alert:
        self._alerted.add((rule.name, config.name))
        alert = Alert(
            rule=rule.name,
            gateway=config.name,
            url=config.display_url,
            tags=config.tags,
            state=state.state,
            reason=one_line(state.reason),
            began=began,
            at=now,
        )
        self.active[config.name] = alert
        return alert

    def rule(self, name: str) -> AlertRule:
        return self._by_name[name]

    def acknowledge(self, names: Iterable[str]) -> list[str]:
        """Clear the alerts of these gateways; the names that had one."""
        return [name for name in names if self.active.pop(name, None) is not None]
