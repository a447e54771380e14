"""The one door for every call that changes a gateway: create, join, send, rename, lock, unlock, explode.

Every action, from the console or the command line, single or bulk, passes here, so the rules hold
everywhere: read-only mode refuses it (before any request), the audit records it with its outcome (never
a token), the store keeps what the gateway will not tell again (the invite) and what became of it, and
the gateway is re-polled right after. Nothing is retried: a create, join, lock or explode that timed
out has an unknown outcome, and the re-poll is how the console finds out.

The audit is written ahead: its row (outcome `unknown`) is committed before the request goes out, and
completed in the same transaction as what the answer brought (the invite). A store that cannot be
written before sending means nothing is sent; one that cannot be written after keeps the answer in the
result (`store_failure` says so) so the invite can still be printed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from convos_tui.api import crashpoints, errors
from convos_tui.api.client import GatewayClient
from convos_tui.api.endpoint import Endpoint
from convos_tui.api.invites import InviteError, parse_invite
from convos_tui.api.models import CreatedConversation, JoinResult
from convos_tui.fleet.action_result import FAILED, OK, REFUSED, UNKNOWN, UNSUPPORTED, ActionResult, tally, unsupported
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.newer_actions import NEWER_ACTIONS, NewerActions
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.state import GatewayState, State, short_id
from convos_tui.fleet.store import Store, StoreError

ACTIONS = ("create", "join", "send", "rename", "lock", "unlock", "explode", *NEWER_ACTIONS)
BULK_CONCURRENCY = 8
ClientFactory = Callable[[Endpoint], GatewayClient]


NEVER_RECEIVED = "created by a run that did not finish; its invite was never received"
NO_ANSWER = "created, but the answer never came; its invite was never received"


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def unfinished_finding(row: dict[str, Any], state: GatewayState | None) -> tuple[str, bool]:
    """What a re-poll tells of an action a run left with outcome unknown, and whether that settles it."""
    gateway, action = row["gateway"], row["action"]
    how = "cut off before its answer was stored" if row.get("cut_off", True) else "its answer never came"
    head = f"{action} on {gateway} at {_when(row['at'])} ({row['who']}, {how})"
    if state is None:
        return f"{head}: outcome unknown; {gateway} is not in this fleet (config or profile) now", True
    bound = state.conversation_id
    if state.state in (State.UNKNOWN, State.UNREACHABLE, State.STARTING, State.ERROR) or state.status is None:
        return f"{head}: outcome unknown; {gateway} is {state.state} now, so it is checked again next time", False
    if action == "create" and bound:
        lost = NEVER_RECEIVED if row.get("cut_off", True) else NO_ANSWER
        return (
            f"{head}: {gateway} holds conversation {short_id(bound)}, {lost}. A gateway never "
            "tells an invite again: explode it and create anew, or ask a member to share one from the "
            "Convos app"
        ), True
    if action == "create":
        return f"{head}: did not take effect ({gateway} holds no conversation)", True
    held = f"holds conversation {short_id(bound)}" if bound else "holds no conversation"
    return f"{head}: outcome unknown; {gateway} is {state.state} now and {held}", True


async def check_unfinished(store: Store, poller: Poller) -> list[str]:
    """The actions left with outcome unknown (a run cut off, an answer that never came): their gateways re-polled (a sweep),
    what each holds now recorded in the audit, and one line each for a person."""
    rows = store.unfinished()
    if not rows:
        return []
    await poller.sweep(sorted({row["gateway"] for row in rows}))
    lines = []
    for row in rows:
        finding, settled = unfinished_finding(row, poller.states.get(row["gateway"]))
        if settled:
            try:
                store.mark_checked(row["id"], finding)
            except StoreError:
                pass  # listed again next time
        lines.append(finding)
    return lines


class Actions(NewerActions):
    def __init__(
        self,
        store: Store,
        *,
        read_only: bool = False,
        poller: Poller | None = None,
        client_factory: ClientFactory = GatewayClient,
    ) -> None:
        self.store = store
        self.read_only = read_only
        self.poller = poller
        self.client_factory = client_factory

    # -- single actions --------------------------------------------------------------------------
    async def create(
        self,
        gateway: GatewayConfig,
        *,
        name: str | None = None,
        env: str | None = None,
        profile_name: str | None = None,
        description: str | None = None,
        permissions: str | None = None,
        instructions: str | None = None,
        account_id: str | None = None,
    ) -> ActionResult:
        env = env or gateway.env
        params = {
            "name": name,
            "env": env,
            "profile_name": profile_name,
            "description": description,
            "permissions": permissions,
            "instructions": instructions,
            "account_id": account_id,
        }

        async def call(client: GatewayClient) -> ActionResult:
            created: CreatedConversation = await client.create(
                name=name,
                env=env,
                profile_name=profile_name,
                description=description,
                permissions=permissions,
                instructions=instructions,
                account_id=account_id,
            )
            return ActionResult(
                gateway.name,
                "create",
                OK,
                f"created conversation {created.conversation_id} in {created.elapsed_s:.1f} s",
                data={
                    "conversation_id": created.conversation_id,
                    "invite_url": created.invite_url,
                    "invite_slug": created.invite_slug,
                    "env": env,
                    "provisioning_s": round(created.elapsed_s, 3),
                },
                effects={
                    "conversation": dict(
                        gateway=gateway.name,
                        gateway_url=gateway.url,
                        conversation_id=created.conversation_id,
                        origin="create",
                        name=name,
                        env=env,
                        invite_url=created.invite_url,
                        invite_slug=created.invite_slug,
                        elapsed_s=created.elapsed_s,
                    )
                },
            )

        return await self._run("create", gateway, params, call)

    async def join(
        self,
        gateway: GatewayConfig,
        invite_text: str,
        *,
        profile_name: str | None = None,
        env: str | None = None,
        instructions: str | None = None,
        account_id: str | None = None,
    ) -> ActionResult:
        env = env or gateway.env
        params = {"invite": invite_text, "profile_name": profile_name, "env": env}
        try:
            invite = parse_invite(invite_text, gateway_env=env, gateway_name=gateway.name)
        except InviteError as exc:
            result = ActionResult(gateway.name, "join", REFUSED, f"not sent: {exc}")
            self._audit(result, params)
            return result

        async def call(client: GatewayClient) -> ActionResult:
            joined: JoinResult = await client.join(
                invite, profile_name=profile_name, env=env, instructions=instructions, account_id=account_id
            )
            data = {
                "status": joined.raw_status,
                "conversation_id": joined.conversation_id,
                "provisioning_s": round(joined.elapsed_s, 3),
            }
            effects = {}
            if joined.outcome == "joined":
                effects["conversation"] = dict(
                    gateway=gateway.name,
                    gateway_url=gateway.url,
                    conversation_id=joined.conversation_id or "",
                    origin="join",
                    env=env,
                    elapsed_s=joined.elapsed_s,
                )
                summary = f"joined conversation {joined.conversation_id} in {joined.elapsed_s:.1f} s"
            else:
                if self.poller is not None:
                    self.poller.mark_pending(gateway.name, time.time())
                summary = (
                    f"waiting for the creator to accept (after {joined.elapsed_s:.0f} s): "
                    "nothing is bound until they do"
                )
            return ActionResult(gateway.name, "join", OK, summary, data=data, effects=effects)

        return await self._run("join", gateway, params, call)

    async def send(self, gateway: GatewayConfig, message: str) -> ActionResult:
        async def call(client: GatewayClient) -> ActionResult:
            sent = await client.send(message)
            return ActionResult(
                gateway.name,
                "send",
                OK,
                f"sent ({len(message)} characters)",
                data={"message_id": sent.message_id, "conversation_id": sent.conversation_id},
            )

        return await self._run("send", gateway, {"message": message}, call)

    async def rename(self, gateway: GatewayConfig, profile_name: str) -> ActionResult:
        async def call(client: GatewayClient) -> ActionResult:
            await client.rename(profile_name)
            return ActionResult(
                gateway.name, "rename", OK, f"the agent's profile name in the conversation is now {profile_name!r}"
            )

        return await self._run("rename", gateway, {"profile_name": profile_name}, call)

    async def lock(self, gateway: GatewayConfig, *, unlock: bool = False) -> ActionResult:
        action = "unlock" if unlock else "lock"
        conversation = self._conversation_id(gateway)

        async def call(client: GatewayClient) -> ActionResult:
            result = await (client.unlock() if unlock else client.lock())
            # Locking and unlocking both rotate the invite: every earlier one stops working.
            revoked = {"revoked": (gateway.name, conversation)} if conversation is not None else {}
            state = "locked" if result.locked else "unlocked"
            return ActionResult(
                gateway.name,
                action,
                OK,
                f"{state}; earlier invites no longer work",
                data={"locked": result.locked},
                effects=revoked,
            )

        return await self._run(action, gateway, {}, call)

    async def explode(self, gateway: GatewayConfig) -> ActionResult:
        conversation = self._conversation_id(gateway)

        async def call(client: GatewayClient) -> ActionResult:
            await client.explode()
            exploded = {"exploded": (gateway.name, conversation)} if conversation is not None else {}
            return ActionResult(
                gateway.name,
                "explode",
                OK,
                f"exploded {conversation or 'the conversation'}; the gateway is free again",
                data={"conversation_id": conversation},
                effects=exploded,
            )

        return await self._run("explode", gateway, {"conversation_id": conversation}, call)

    # -- many gateways ---------------------------------------------------------------------------
    async def bulk(
        self,
        gateways: Sequence[GatewayConfig],
        run: Callable[[GatewayConfig], Awaitable[ActionResult]],
        *,
        concurrency: int = BULK_CONCURRENCY,
        on_result: Callable[[ActionResult], None] | None = None,
    ) -> list[ActionResult]:
        """Run one action on many gateways, at most `concurrency` at once; results in the given order."""
        limit = asyncio.Semaphore(concurrency)

        async def one(gateway: GatewayConfig) -> ActionResult:
            async with limit:
                result = await run(gateway)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(g) for g in gateways)))

    async def guarded(
        self, action: str, target: str, params: dict[str, Any], run: Callable[[], Awaitable[ActionResult]]
    ) -> ActionResult:
        """An action of another service (launch, terminate, recycle: convos_tui/instances): refused in read-only
        mode, else written ahead in the audit and completed with its outcome, like the gateway actions."""
        if self.read_only:
            return self._refused_read_only(target, action, params)
        try:
            audit_id = await self._begin(target, action, params)
        except StoreError as exc:
            return ActionResult(
                target,
                action,
                REFUSED,
                "not started: the store cannot record it",
                hint=f"{exc}. Nothing was started.",
                store_failure=str(exc),
            )
        result = await run()
        await self._finish(audit_id, result)
        return result

    # -- the common path -------------------------------------------------------------------------
    def _refused_read_only(self, target: str, action: str, params: dict[str, Any]) -> ActionResult:
        result = ActionResult(
            target,
            action,
            REFUSED,
            "refused: read-only mode",
            hint="Start without --read-only (and read_only = false in the config) to act.",
        )
        self._audit(result, params)
        return result

    async def _begin(self, target: str, action: str, params: dict[str, Any]) -> int:
        """Write the action ahead in the audit (outcome unknown) before anything is sent or started. In a thread:
        a store busy in another process is waited for without freezing the console. Raises StoreError."""
        return await asyncio.to_thread(
            self.store.begin_action,
            action,
            gateway=target,
            params={k: v for k, v in params.items() if v is not None},
        )

    async def _finish(self, audit_id: int, result: ActionResult) -> None:
        """Complete the written-ahead audit row with what the answer brought, in one transaction; a store that
        cannot write then is kept on the result (the invite is still shown, and the command exits non-zero)."""
        try:
            await asyncio.to_thread(
                self.store.finish_action,
                audit_id,
                outcome=result.outcome,
                detail=result.summary,
                elapsed_s=result.elapsed_s,
                **result.effects,
            )
        except StoreError as exc:
            result.store_failure = str(exc)

    def _conversation_id(self, gateway: GatewayConfig) -> str | None:
        if self.poller is not None and gateway.name in self.poller.states:
            bound = self.poller.states[gateway.name].conversation_id
            if bound:
                return bound
        records = self.store.conversations(gateway.name, limit=1)
        return records[0]["conversation_id"] if records and not records[0]["exploded_at"] else None

    async def _run(
        self,
        action: str,
        gateway: GatewayConfig,
        params: dict[str, Any],
        call: Callable[[GatewayClient], Awaitable[ActionResult]],
    ) -> ActionResult:
        if self.read_only:
            return self._refused_read_only(gateway.name, action, params)
        crashpoints.reached("start")
        try:
            audit_id = await self._begin(gateway.name, action, params)
        except StoreError as exc:
            return ActionResult(
                gateway.name,
                action,
                REFUSED,
                "not sent: the store cannot record it",
                hint=f"{exc}. Nothing was sent; try again once the store can be written.",
                store_failure=str(exc),
            )
        crashpoints.reached("audit-written")
        started = time.monotonic()
        try:
            async with self.client_factory(gateway.endpoint()) as client:
                result = await call(client)
        except errors.GatewayError as exc:
            outcome = UNKNOWN if exc.outcome_unknown else FAILED
            result = unsupported(gateway.name, action, exc) or ActionResult(
                gateway.name,
                action,
                outcome,
                exc.summary,
                hint=exc.hint,
                detail=exc.detail,
                data={"error_kind": str(exc.kind)},
            )
        except ValueError as exc:  # refused by the client before any request (empty message, bad env…)
            result = ActionResult(gateway.name, action, REFUSED, f"not sent: {exc}")
        result.elapsed_s = time.monotonic() - started
        crashpoints.reached("answer-received")
        await self._finish(audit_id, result)
        crashpoints.reached("stored")
        if self.poller is not None and result.outcome != REFUSED:
            self.poller.poll_now(gateway.name)
        return result

    def _audit(self, result: ActionResult, params: dict[str, Any]) -> None:
        """One finished audit row for an action refused before anything was sent."""
        try:
            self._write_audit(result, params)
        except StoreError as exc:
            result.store_failure = str(exc)

    def _write_audit(self, result: ActionResult, params: dict[str, Any]) -> None:
        self.store.audit(
            result.action,
            gateway=result.gateway,
            params={k: v for k, v in params.items() if v is not None},
            outcome=result.outcome,
            detail=result.summary,
            elapsed_s=result.elapsed_s,
        )


# The outcomes and the result are action_result.py's; screens and commands take them from here with the service.
__all__ = [
    "ACTIONS",
    "BULK_CONCURRENCY",
    "FAILED",
    "NEVER_RECEIVED",
    "NO_ANSWER",
    "OK",
    "REFUSED",
    "UNKNOWN",
    "UNSUPPORTED",
    "ActionResult",
    "Actions",
    "ClientFactory",
    "check_unfinished",
    "tally",
    "unfinished_finding",
]
