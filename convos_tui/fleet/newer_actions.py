"""The managed runtime's newer routes as actions: notify, update-metadata, re-attest and reset.

They are methods of the action service (Actions in actions.py inherits them), so they go through its one door:
read-only refusal, the audit written ahead, the re-poll after. A gateway without the route (an xmtplabs/openclaw
plugin, a Control UI page) gives the outcome `unsupported`, not a failure (action_result.py).

Reset is the dangerous one: on the managed runtime it stops the instance and deletes its identity and state; on
xmtplabs/openclaw the same path starts a Control-UI onboarding with a new identity. So reset first reads the
status: a gateway answering the classic shape is not sent the reset at all.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from convos_tui.api import errors
from convos_tui.api.client import GatewayClient
from convos_tui.api.interpret import clean_text, redact, remember_secret
from convos_tui.api.newer_bodies import check_attestation
from convos_tui.fleet.action_result import OK, REFUSED, UNSUPPORTED, ActionResult, route_missing
from convos_tui.fleet.state import short_id

if TYPE_CHECKING:
    from convos_tui.fleet.inventory import GatewayConfig

NEWER_ACTIONS = ("notify", "update-metadata", "re-attest", "reset")
Attestation = tuple[str, str, str]  # attestation, attestation_ts, attestation_kid


def _audited(gateway: GatewayConfig, value: str) -> str:
    """What the audit keeps of a text the operator sends: this gateway's token redacted even before any request has
    made it known (the redaction learns a token when its endpoint is made), and anything shaped like one."""
    remember_secret(gateway.token)
    return redact(value)


def _shown_keys(metadata: dict[str, Any]) -> str:
    keys = [clean_text(str(key)) for key in metadata]
    return ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")


def parse_attestations(text: str, where: str) -> dict[str, Attestation]:
    """Attestations for many gateways, one each (the pool signs each agent's inbox id): a JSON object
    `{"gateway": {"attestation": …, "attestation_ts": …, "attestation_kid": …}}`, or a list of such objects each
    with a `gateway` field (what a script exporting the pool's answers writes). Raises ValueError saying where."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    if isinstance(value, list):
        entries = []
        for n, item in enumerate(value, start=1):
            if not isinstance(item, dict) or not isinstance(item.get("gateway"), str):
                raise ValueError(f'{where}: entry {n} is not an object with a "gateway" name')
            entries.append((item["gateway"], item))
    elif isinstance(value, dict):
        entries = list(value.items())
    else:
        raise ValueError(f'{where} must be a JSON object {{"gateway": {{"attestation": …}}}} or a list of them')
    found: dict[str, Attestation] = {}
    for name, item in entries:
        if not isinstance(item, dict):
            raise ValueError(f"{where}: the attestation of {clean_text(name)!r} is not an object")
        try:
            found[name] = check_attestation(
                item.get("attestation"), item.get("attestation_ts"), item.get("attestation_kid")
            )
        except ValueError as exc:
            raise ValueError(f"{where}, gateway {clean_text(name)!r}: {exc}") from None
    if not found:
        raise ValueError(f"{where} holds no attestation")
    return found


class NewerActions:
    """notify, update_metadata, reattest and reset, for the action service (see the module's docstring)."""

    if TYPE_CHECKING:  # the action service's own (actions.py)

        async def _run(
            self,
            action: str,
            gateway: GatewayConfig,
            params: dict[str, Any],
            call: Callable[[GatewayClient], Awaitable[ActionResult]],
        ) -> ActionResult: ...

        def _conversation_id(self, gateway: GatewayConfig) -> str | None: ...

        def _audit(self, result: ActionResult, params: dict[str, Any]) -> None: ...

    async def notify(self, gateway: GatewayConfig, text: str) -> ActionResult:
        async def call(client: GatewayClient) -> ActionResult:
            await client.notify(text)
            return ActionResult(
                gateway.name,
                "notify",
                OK,
                f"notified ({len(text)} characters): the agent answers in the conversation; members never see it",
            )

        return await self._run(
            "notify", gateway, {"text": _audited(gateway, text) if isinstance(text, str) else text}, call
        )

    async def update_metadata(self, gateway: GatewayConfig, metadata: dict[str, str]) -> ActionResult:
        # What the audit keeps: the object as JSON, any token in it redacted (profile metadata is public anyway).
        shown = (
            _audited(gateway, json.dumps(metadata, ensure_ascii=False, default=str))
            if isinstance(metadata, dict)
            else ""
        )

        async def call(client: GatewayClient) -> ActionResult:
            await client.update_metadata(metadata)
            return ActionResult(
                gateway.name,
                "update-metadata",
                OK,
                f"profile metadata set: {_shown_keys(metadata)}",
                data={"metadata_keys": sorted(metadata)},
            )

        return await self._run("update-metadata", gateway, {"metadata": shown}, call)

    async def reattest(self, gateway: GatewayConfig, attestation: Attestation | None) -> ActionResult:
        """Push the pool's attestation of this gateway's agent. None: none was given for it (a bulk run's file
        that lacks this gateway), refused and audited, nothing sent."""
        if attestation is None:
            result = ActionResult(
                gateway.name,
                "re-attest",
                REFUSED,
                "not sent: no attestation given for this gateway",
                hint="An attestation is signed for one agent's inbox id: give one per gateway.",
            )
            self._audit(result, {})
            return result
        signature, signed_at, kid = attestation
        params = {"attestation": _audited(gateway, signature), "attestation_ts": signed_at, "attestation_kid": kid}

        async def call(client: GatewayClient) -> ActionResult:
            await client.reattest(signature, signed_at, kid)
            return ActionResult(
                gateway.name,
                "re-attest",
                OK,
                f"attestation replaced (key {clean_text(kid)}, signed {clean_text(signed_at)})",
                data={"attestation_kid": kid, "attestation_ts": signed_at},
            )

        return await self._run("re-attest", gateway, params, call)

    async def reset(self, gateway: GatewayConfig, *, skip_greeting: bool = False) -> ActionResult:
        conversation = self._conversation_id(gateway)

        async def call(client: GatewayClient) -> ActionResult:
            try:
                before = await client.status()
            except errors.GatewayError as exc:
                if (how := route_missing(exc)) is None:
                    raise
                return ActionResult(
                    gateway.name,
                    "reset",
                    UNSUPPORTED,
                    f"not supported by this gateway's runtime: no Convos plugin answers its status ({how}); not sent",
                    hint="A factory reset needs the managed runtime's plugin (its OpenClaw fork or Hermes).",
                    detail=exc.detail,
                    data={"error_kind": UNSUPPORTED},
                )
            if before.shape == "classic":
                return ActionResult(
                    gateway.name,
                    "reset",
                    UNSUPPORTED,
                    "not supported by this gateway's runtime: its /convos/reset starts a Control-UI onboarding "
                    "with a new identity, not a factory reset; not sent",
                    hint="Only the managed runtime (its OpenClaw fork or Hermes) resets an instance to clean. "
                    "To free this gateway, explode its conversation (X) or recycle its instance.",
                    data={"error_kind": UNSUPPORTED},
                )
            held = before.conversation_id or conversation
            after = await client.reset(skip_greeting=skip_greeting)
            clean = "clean again" if after is None or after.clean is not False else "reset, but it does not say clean"
            left = (
                f"; it left conversation {short_id(held)}, whose invites no longer work" if held else "; it held none"
            )
            return ActionResult(
                gateway.name,
                "reset",
                OK,
                f"{clean}: identity and state deleted{left}",
                data={"conversation_id": held, "clean": None if after is None else after.clean},
                effects={"revoked": (gateway.name, held)} if held else {},
            )

        return await self._run(
            "reset", gateway, {"conversation_id": conversation, "skip_greeting": skip_greeting}, call
        )
