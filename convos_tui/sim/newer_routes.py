"""The managed runtime's newer routes: `/convos/notify`, `/convos/update-metadata`, `/convos/re-attest` (the factory
`/convos/reset` is plugin.py's `_factory_reset`).

Reproduced from xmtplabs/convos-managed-agent-runtime @ 723ba978, runtime/openclaw/src/convos/index.ts: after the
method and token checks (gateway.py), notify reads its body, wants `text` (400), then dispatches a system message
that fails with 503 when no conversation is bound; update-metadata and re-attest refuse an unbound instance first
(400), then read and check the body (400). Each answers `{"ok": true}`.

How a runtime words its refusals is a `NewerAnswers`: OPENCLAW here. Hermes (runtime/hermes/src/server/server.py)
answers the same routes with FastAPI's `{"detail": …}`, validates the body first (422) and refuses an unbound
notify with 400: its mode gives its own NewerAnswers and the handlers stay the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .plugin import PluginRoutes
from .plugin_body import prop, read_body

Answer = tuple[int, Any]


@dataclass(frozen=True)
class NewerAnswers:
    """A runtime's refusals on the newer routes, and whether it checks the body before the binding."""

    unbound: Answer  # update-metadata and re-attest on an instance with no conversation
    notify_unbound: Answer
    text_required: Answer
    metadata_required: Answer
    attestation_required: Answer
    body_first: bool = False  # Hermes: the request model is validated before the handler runs


OPENCLAW = NewerAnswers(
    unbound=(400, {"error": "No active conversation"}),
    notify_unbound=(503, {"error": "No active conversation"}),
    text_required=(400, {"error": "text (string) is required"}),
    metadata_required=(400, {"error": "metadata (object) is required"}),
    attestation_required=(400, {"error": "attestation, attestation_ts, and attestation_kid are required"}),
)
_OK: Answer = (200, {"ok": True})


class NewerRoutes(PluginRoutes):
    """The handlers, for SimGateway, which holds what they record (set in its __init__, declared here)."""

    notifications: list[str]  # texts the agent was notified of, oldest first
    metadata_updates: list[dict[str, Any]]  # the metadata objects sent, oldest first
    attestation: tuple[str, str, str] | None

    def newer_answers(self) -> NewerAnswers:
        return OPENCLAW

    async def _notify(self, request: web.BaseRequest) -> Answer:
        answers = self.newer_answers()
        text = prop(await read_body(request), "text")
        if not isinstance(text, str) or not text:
            return answers.text_required
        if self.bound is None:
            return answers.notify_unbound
        await self._run_op(self._sleep(self._rng.uniform(0.5, 2.0)))  # the agent's turn on the system message
        self.notifications.append(text)
        return _OK

    async def _update_metadata(self, request: web.BaseRequest) -> Answer:
        answers = self.newer_answers()

        def check(body: Any) -> Answer | None:  # null, an array or a scalar is refused; {} passes, as in JS
            return None if isinstance(prop(body, "metadata"), dict) else answers.metadata_required

        return await self._bound_op(request, check, lambda body: self.metadata_updates.append(prop(body, "metadata")))

    async def _reattest(self, request: web.BaseRequest) -> Answer:
        answers = self.newer_answers()
        keys = ("attestation", "attestation_ts", "attestation_kid")

        def check(body: Any) -> Answer | None:
            values = [prop(body, key) for key in keys]
            return None if all(isinstance(v, str) and v for v in values) else answers.attestation_required

        def record(body: Any) -> None:
            self.attestation = (prop(body, keys[0]), prop(body, keys[1]), prop(body, keys[2]))

        return await self._bound_op(request, check, record)

    async def _bound_op(
        self, request: web.BaseRequest, check: Callable[[Any], Answer | None], record: Callable[[Any], None]
    ) -> Answer:
        """A route that needs a bound instance: the binding and the body checked in the runtime's order, then a
        moment of work (the profile update reaches the agent's `convos agent serve` child), then `record`."""
        answers = self.newer_answers()
        body: Any = None
        if answers.body_first:
            body = await read_body(request)
            if (refused := check(body)) is not None:
                return refused
        if self.bound is None:
            return answers.unbound
        if not answers.body_first:
            body = await read_body(request)
            if (refused := check(body)) is not None:
                return refused
        await self._run_op(self._sleep(self._rng.uniform(0.05, 0.3)))
        record(body)
        return _OK
