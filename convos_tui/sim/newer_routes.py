"""The managed runtime's newer routes: `/convos/notify`, `/convos/update-metadata`, `/convos/re-attest` (the factory
`/convos/reset` is plugin.py's `_factory_reset`).

Reproduced from xmtplabs/convos-managed-agent-runtime @ 723ba978, runtime/openclaw/src/convos/index.ts: after the
method and token checks (gateway.py), notify reads its body, wants `text` (400), then dispatches a system message
that fails with 503 when no conversation is bound; update-metadata and re-attest refuse an unbound instance first
(400), then read and check the body (400). Each answers `{"ok": true}`. Hermes (hermes.py) runs the same handlers
behind its own body validation (422) and words their answers its way (`{"detail": …}`, 400 for an unbound notify).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .plugin import PluginRoutes
from .plugin_body import VALIDATED_BODY, prop, read_body

Answer = tuple[int, Any]
_UNBOUND: Answer = (400, {"error": "No active conversation"})
_OK: Answer = (200, {"ok": True})


def _validated(request: web.BaseRequest) -> bool:
    """Hermes validated the body already: pydantic takes any string, the empty one too (JavaScript's check does not)."""
    return VALIDATED_BODY in request


class NewerRoutes(PluginRoutes):
    """The handlers, for SimGateway, which holds what they record (set by reset_newer_records, declared here)."""

    notifications: list[str]  # texts the agent was notified of, oldest first
    metadata_updates: list[dict[str, Any]]  # the metadata objects sent, oldest first
    attestation: tuple[str, str, str] | None

    def reset_newer_records(self) -> None:
        self.notifications, self.metadata_updates, self.attestation = [], [], None

    def newer_route_table(self) -> dict[str, tuple[str, Callable[[web.BaseRequest], Awaitable[Answer]]]]:
        return {
            "/convos/notify": ("POST", self._notify),
            "/convos/update-metadata": ("POST", self._update_metadata),
            "/convos/re-attest": ("POST", self._reattest),
        }

    async def _notify(self, request: web.BaseRequest) -> Answer:
        text = prop(await read_body(request), "text")
        if not isinstance(text, str) or not text and not _validated(request):
            return 400, {"error": "text (string) is required"}
        if self.bound is None:
            return 503, {"error": "No active conversation"}  # thrown by the dispatch, answered 503
        await self._run_op(self._sleep(self._rng.uniform(0.5, 2.0)))  # the agent's turn on the system message
        self.notifications.append(text)
        return _OK

    async def _update_metadata(self, request: web.BaseRequest) -> Answer:
        def check(body: Any) -> Answer | None:  # null, an array or a scalar is refused; {} passes, as in JS
            return (
                None if isinstance(prop(body, "metadata"), dict) else (400, {"error": "metadata (object) is required"})
            )

        return await self._bound_op(request, check, lambda body: self.metadata_updates.append(prop(body, "metadata")))

    async def _reattest(self, request: web.BaseRequest) -> Answer:
        keys = ("attestation", "attestation_ts", "attestation_kid")

        def check(body: Any) -> Answer | None:
            if all(isinstance(v := prop(body, key), str) and (v or _validated(request)) for key in keys):
                return None
            return 400, {"error": "attestation, attestation_ts, and attestation_kid are required"}

        def record(body: Any) -> None:
            self.attestation = (prop(body, keys[0]), prop(body, keys[1]), prop(body, keys[2]))

        return await self._bound_op(request, check, record)

    async def _bound_op(
        self, request: web.BaseRequest, check: Callable[[Any], Answer | None], record: Callable[[Any], None]
    ) -> Answer:
        """A route that needs a bound instance: refused unbound before its body is read, then the body checked, a
        moment of work (the profile update reaches the agent's `convos agent serve` child), then `record`."""
        if self.bound is None:
            return _UNBOUND
        body = await read_body(request)
        if (refused := check(body)) is not None:
            return refused
        await self._run_op(self._sleep(self._rng.uniform(0.05, 0.3)))
        record(body)
        return _OK
