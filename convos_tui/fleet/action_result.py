"""What one action came to: its outcome, one line for a person, the gateway's full answer, and what the store keeps.

Shared by the action service (actions.py, newer_actions.py), the instance service and every screen and command that
shows a result. A route the gateway does not have is its own outcome, `unsupported`, never a failure of the gateway:
an OpenClaw plugin older than the managed runtime's routes, a Control UI page answering in place of a plugin, a
Hermes or OpenClaw runtime without one route (`route_missing` says which answers mean that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from convos_tui.api import errors
from convos_tui.api.endpoint import Route

OK, REFUSED, FAILED, UNKNOWN, UNSUPPORTED = "ok", "refused", "failed", "unknown", "unsupported"
OUTCOMES = (OK, FAILED, UNKNOWN, UNSUPPORTED, REFUSED)  # the order a tally says them in


@dataclass
class ActionResult:
    gateway: str
    action: str
    outcome: str  # ok | refused | failed | unknown | unsupported
    summary: str  # one line for a person
    elapsed_s: float = 0.0
    hint: str = ""
    detail: str = ""  # the gateway's full text, for the screen one key away
    data: dict[str, Any] = field(default_factory=dict)  # conversation_id, invite_url, …
    store_failure: str = ""  # the store could not keep this action (and, for a create, its invite)
    # what the store keeps of the answer, committed with the audit row: conversation / revoked / exploded
    effects: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "gateway": self.gateway,
            "action": self.action,
            "outcome": self.outcome,
            "summary": self.summary,
            "hint": self.hint,
            "elapsed_s": round(self.elapsed_s, 3),
            **self.data,
            **({"store_failure": self.store_failure} if self.store_failure else {}),
        }


def tally(results: Sequence[ActionResult]) -> str:
    """ "3 ok, 1 failed": the outcomes of a bulk run, always in the same order."""
    counts = {outcome: 0 for outcome in OUTCOMES}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)


def route_missing(exc: errors.GatewayError) -> str | None:
    """How the answer shows the gateway has no such route, or None when it is an answer of the route itself:
    a 404 whatever its body (text from the OpenClaw core, JSON from Hermes's FastAPI), the core's text 405 for an
    unknown POST (2026.2.x), or a web page (the Control UI) where the plugin's JSON should be."""
    if exc.status == 404:
        return "HTTP 404"
    if isinstance(exc, errors.PluginMissing) and exc.status == 405:
        return "HTTP 405 from the gateway's core, not the plugin"
    if isinstance(exc, errors.PluginMissing) and exc.status == 200:
        return "a web page answered in its place"
    return None


def unsupported(gateway: str, action: str, exc: errors.GatewayError) -> ActionResult | None:
    """The result of an action whose route the gateway does not have, or None when the error is another one."""
    how = route_missing(exc)
    if how is None:
        return None
    route = Route.__members__.get(exc.route.upper().replace("-", "_"))
    path = route.path if route is not None else exc.route
    return ActionResult(
        gateway,
        action,
        UNSUPPORTED,
        f"not supported by this gateway's runtime: it has no {path} route ({how})",
        hint=(
            "Nothing was changed. This route belongs to another runtime or plugin version (the managed runtime's "
            "OpenClaw fork and Hermes have notify, update-metadata, re-attest and reset); if the gateway shows "
            "no-plugin, its Convos plugin is not loaded at all."
        ),
        detail=exc.detail,
        data={"error_kind": UNSUPPORTED},
    )
