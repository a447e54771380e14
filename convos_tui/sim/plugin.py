"""The Convos plugin's routes, as a simulated gateway answers them, and the `convos` CLI they run.

Reproduced check by check from the plugin (xmtplabs/openclaw extensions/convos/index.ts, 2026-02 "CLI 1:1"
shape): already bound (409, create/join) or unbound (400, the other conversation routes) → body read (500
on a body over 1 MiB or bad JSON, V8 messages) → field checks (400) → the `convos` CLI (500 with execFile's
"Command failed" text). The method and pool-key checks come before, in the dispatch (gateway.py).

Simulated durations (CLI calls, the 60 s join timeout) are divided by the fleet's `speed`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from . import convos_cli as cli
from .invites import InviteError, parse_invite
from .jsjson import js_trim
from .modes import NEWER_SHAPE_MODES, GatewaySpec, Mode
from .network import Conversation, JoinVerdict, SimNetwork
from .plugin_body import CliFailure, prop, read_body, str_prop
from .streams import GIVE_UP_AFTER, StreamProfile, streaming_at

JOIN_TIMEOUT = 60  # the plugin always runs `conversations join … --timeout 60`

_ERR_409 = {"error": "Instance already bound to a conversation. Terminate process and provision a new one."}
_ERR_UNBOUND = {"error": "No active conversation"}
_CLI_ENVS = ("local", "dev", "production")


class PluginRoutes:
    """The plugin's routes and its wired instance (the conversation it is bound to, its stream), for
    SimGateway, which holds the state they read and change (set in its __init__, declared here)."""

    spec: GatewaySpec
    name: str
    mode: Mode
    config: dict[str, Any]
    bound: str | None
    locked: bool
    profile_name: str | None
    group_name: str | None
    pending: bool
    clean: bool
    inbox_id: str
    instructions: str | None
    sent_messages: list[str]
    identities_created: int
    invite_url: str | None
    invite_slug: str | None
    _pending_conversation: str | None
    _stream_profile: StreamProfile
    _stream_anchor: float
    _flap_phase: float
    _deleted_identities: set[str]
    _network: SimNetwork
    _rng: random.Random
    _speed: float
    _ops: set[asyncio.Task[Any]]
    _timers: set[asyncio.TimerHandle]

    # ---- the instance -------------------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        if self.bound is None:
            return False
        elapsed = (time.monotonic() - self._stream_anchor) * self._speed
        return streaming_at(self._stream_profile, elapsed, phase=self._flap_phase)

    def _hex(self, digits: int) -> str:
        return f"{self._rng.getrandbits(digits * 4):0{digits}x}"

    async def _sleep(self, simulated_seconds: float) -> None:
        await asyncio.sleep(simulated_seconds / self._speed)

    def _instance_running(self) -> bool:
        """False once the stream child has given up: the plugin then marks the whole instance stopped."""
        if self._stream_profile is not StreamProfile.DYING:
            return True
        return (time.monotonic() - self._stream_anchor) * self._speed < GIVE_UP_AFTER

    def _profile_for(self, conversation_id: str) -> StreamProfile:
        conv = self._network.conversation(conversation_id)
        if conversation_id in self._deleted_identities or (conv is not None and conv.exploded):
            return StreamProfile.DYING  # the stream child fails for a conversation whose identity is gone
        if self.mode in (Mode.OFFLINE, Mode.STALLED):
            return StreamProfile.DYING
        if self.mode is Mode.FLAPPING:
            return StreamProfile.FLAPPING
        return StreamProfile.HEALTHY

    def _bind(
        self, conversation_id: str, *, env: str, identity_id: str | None = None, write_config: bool = True
    ) -> None:
        """Start the wired instance (stream + join-request children) and, like the plugin, save the config."""
        self.bound = conversation_id
        self.pending = False
        self._pending_conversation = None
        self.clean = False
        conv = self._network.conversation(conversation_id)
        self.locked = bool(conv and conv.locked)
        self.group_name = conv.name if conv else None
        self._stream_profile = self._profile_for(conversation_id)
        self._stream_anchor = time.monotonic()
        if write_config:
            self.config.update(
                identityId=identity_id or self._hex(32), ownerConversationId=conversation_id, env=env, enabled=True
            )

    def _create_conversation(
        self,
        *,
        env: str,
        name: str | None,
        description: str | None = None,
        image_url: str | None = None,
        conversation_id: str | None = None,
        setup: bool = False,
    ) -> Conversation:
        return self._network.create(
            creator=self.name,
            creator_inbox_id=self._hex(64),
            env=env,
            rng=self._rng,
            conversation_id=conversation_id,
            name=name,
            description=description,
            image_url=image_url,
            setup=setup,
            require_approval=self.spec.require_approval and not setup,
        )

    def _complete_join(self, conv: Conversation) -> None:
        self._network.complete_join(conv, self.name, self.inbox_id)
        self._bind(conv.conversation_id, env=conv.env)

    def wait_for_acceptance(self, conversation_id: str, *, profile_name: str | None = "Convos Agent") -> None:
        """Where a join to the conversation that nobody accepted leaves this gateway, without the CLI's 60 s
        wait: the creator lists it as waiting, and the newer shape reports `pending: true` until
        `accept_pending()`. (The classic shape has no way to say so: it stays unbound.)"""
        conv = self._network.conversation(conversation_id)
        if conv is None:
            raise KeyError(f"no conversation {conversation_id!r} in this simulated network")
        if self.name not in conv.pending:
            conv.pending.append(self.name)
        if self.mode in NEWER_SHAPE_MODES:
            self.pending = True
            self._pending_conversation = conversation_id
            self.profile_name = profile_name

    def accept_pending(self) -> bool:
        """The creator approves this gateway's waiting join (newer shape): it becomes bound."""
        conv = self._network.conversation(self._pending_conversation or "")
        if conv is None or conv.exploded:
            return False
        self._complete_join(conv)
        return True

    def _spawn_op(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._ops.add(task)
        task.add_done_callback(self._ops.discard)
        # Nobody may await an op whose client went away; retrieving the outcome keeps asyncio quiet.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    async def _run_op(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a simulated CLI call that goes on even if the HTTP client disconnects, as a child process does."""
        return await asyncio.shield(self._spawn_op(coro))

    def _later(self, delay: float, callback: Callable[[], None]) -> None:
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            callback()

        handle = asyncio.get_running_loop().call_later(delay / self._speed, fire)
        self._timers.add(handle)

    # ---- the simulated CLI --------------------------------------------------------------------------------

    async def _cli_start(self) -> None:
        """Node + oclif start-up and local work before any network access (a bogus join took 0.34-0.39 s)."""
        await self._sleep(self._rng.uniform(0.34, 0.39))

    async def _network_or_fail(self) -> None:
        """The first XMTP call: fails with the DNS error when the network is unreachable (~2.5 s in all)."""
        if self.mode is Mode.OFFLINE:
            await self._sleep(self._rng.uniform(2.08, 2.18))
            raise CliFailure(cli.DNS_ERROR)

    def _require_identity(self, conversation_id: str, *, send: bool = False) -> Conversation | None:
        """`store.getByConversationId`: an explode deleted the identity of its conversation."""
        if conversation_id in self._deleted_identities:
            hint = "\nUse 'convos conversations list' to see available conversations." if send else ""
            raise CliFailure(f"No identity found for conversation: {conversation_id}{hint}")
        return self._network.conversation(conversation_id)

    def _require_group(self, conv: Conversation | None, conversation_id: str) -> Conversation:
        if conv is None:
            raise CliFailure(f"Conversation not found: {conversation_id}")
        if conv.exploded and conv.creator != self.name:
            # Inferred wording: the creator removed every member, so the group is inactive for this identity.
            raise CliFailure("[GroupError::GroupInactive] Group is inactive")
        return conv

    async def _cli_call(
        self, argv: list[str], env: str, work: Callable[[], Coroutine[Any, Any, Any]]
    ) -> tuple[int, Any]:
        """Run `work` as the CLI command `argv`; a CliFailure becomes the plugin's 500 envelope."""
        try:
            return 200, await self._run_op(work())
        except CliFailure as failure:
            return 500, {"error": cli.command_failed(argv, env, str(failure))}

    def _cli_env_check(self, env: str) -> None:
        if env not in _CLI_ENVS:
            # oclif rejects the flag before running anything (inferred wording of oclif's option error).
            raise CliFailure(f"Expected --env={env} to be one of: {', '.join(_CLI_ENVS)}\nSee more help with --help")

    async def _cli_create(
        self,
        env: str,
        *,
        name: str | None,
        description: str | None = None,
        image_url: str | None = None,
        setup: bool = False,
    ) -> tuple[Conversation, str, str]:
        """`convos conversations create`: the --env value checked, an identity made, the network reached, then
        the conversation, and its invite (slug, URL)."""
        self._cli_env_check(env)
        self.identities_created += 1
        await self._cli_start()
        await self._network_or_fail()
        await self._sleep(self._rng.uniform(1.7, 4.6))
        conv = self._create_conversation(env=env, name=name, description=description, image_url=image_url, setup=setup)
        slug, url = self._network.invite(conv, self._rng)
        return conv, slug, url

    async def _conversation_op(
        self,
        conversation_id: str,
        argv: list[str],
        effect: Callable[[Conversation], dict[str, Any]],
        *,
        send: bool = False,
        creator_only: str | None = None,
    ) -> tuple[int, Any]:
        """What send, rename, lock and explode do once their body is checked: run `argv`, in which the CLI
        starts, finds the conversation's identity, reaches the network and the group (refused with the
        `creator_only` policy error to a member that did not create it), works a moment, then `effect`."""

        async def work() -> dict[str, Any]:
            await self._cli_start()
            conv = self._require_identity(conversation_id, send=send)
            await self._network_or_fail()
            conv = self._require_group(conv, conversation_id)
            if creator_only is not None and conv.creator != self.name:
                raise CliFailure(
                    f"[GroupError::Intent] intent error: Policy error: Insufficient permissions to {creator_only}"
                )
            await self._sleep(self._rng.uniform(0.2, 1.1))
            return effect(conv)

        return await self._cli_call(argv, self.config.get("env", self.spec.env), work)

    # ---- the routes ---------------------------------------------------------------------------------------

    async def _status(self, request: web.BaseRequest) -> tuple[int, Any]:
        if self.mode in NEWER_SHAPE_MODES:
            return 200, {
                "conversationId": self.bound,
                "inboxId": self.inbox_id,
                "pending": self.pending,
                "clean": self.clean,
            }
        if self.bound is None:
            return 200, {"ready": True, "conversation": None, "streaming": False}
        return 200, {"ready": True, "conversation": {"id": self.bound}, "streaming": self.streaming}

    def _write_instructions(self, body: Any) -> None:
        instructions = str_prop(body, "instructions")
        if instructions and js_trim(instructions):
            self.instructions = instructions  # written before the CLI runs, kept even if it fails

    def _request_env(self, body: Any) -> str:
        env = prop(body, "env")
        return env if env in ("dev", "production") else self.config.get("env", "production")

    async def _create(self, request: web.BaseRequest) -> tuple[int, Any]:
        if self.bound is not None:
            return 409, _ERR_409
        body = await read_body(request)
        name = str_prop(body, "name")
        name = "Convos Agent" if name is None else name
        profile_name = str_prop(body, "profileName")
        profile_name = name if profile_name is None else profile_name
        prop(body, "profileImage")  # parsed and ignored since a47367d935
        description = str_prop(body, "description")
        image_url = str_prop(body, "imageUrl")
        permissions = prop(body, "permissions")
        permissions = permissions if permissions in ("all-members", "admin-only") else None
        self._write_instructions(body)
        env = self._request_env(body)
        argv = cli.create_argv(
            name=name, profile_name=profile_name, description=description, image_url=image_url, permissions=permissions
        )

        async def work() -> dict[str, str]:
            conv, slug, url = await self._cli_create(
                env, name=name or None, description=description or None, image_url=image_url or None
            )
            # A second create that raced past the 409 guard replaces the first binding, like the plugin's
            # singleton: the earlier conversation is orphaned.
            self._bind(conv.conversation_id, env=env)
            self.profile_name = profile_name or None
            self.invite_slug, self.invite_url = slug, url
            return {"conversationId": conv.conversation_id, "inviteUrl": url, "inviteSlug": slug}

        return await self._cli_call(argv, env, work)

    async def _join(self, request: web.BaseRequest) -> tuple[int, Any]:
        if self.bound is not None:
            return 409, _ERR_409
        body = await read_body(request)
        invite = str_prop(body, "inviteUrl")
        if not invite:
            return 400, {"error": "inviteUrl (string) is required"}
        profile_name = str_prop(body, "profileName")
        profile_name = "Convos Agent" if profile_name is None else profile_name
        self._write_instructions(body)
        env = self._request_env(body)
        argv = cli.join_argv(invite, profile_name=profile_name, timeout=JOIN_TIMEOUT)
        waiting = {"status": "pending_acceptance" if self.mode in NEWER_SHAPE_MODES else "waiting_for_acceptance"}

        async def work() -> dict[str, str]:
            self._cli_env_check(env)
            await self._cli_start()
            try:
                parsed = parse_invite(invite)
            except InviteError as exc:
                raise CliFailure(str(exc)) from None
            now = time.time()
            if not parsed.structurally_valid:
                raise CliFailure("Invalid invite signature")
            if parsed.expires_at and parsed.expires_at < now:
                raise CliFailure("Invite has expired")
            if parsed.conversation_expires_at and parsed.conversation_expires_at < now:
                raise CliFailure("Conversation has expired")
            conv = self._network.by_tag(parsed.tag)
            if conv is None:
                # Not an invite of this simulated network: its signer cannot be matched to any creator.
                raise CliFailure("Invalid invite signature")
            if conv.exploded:
                raise CliFailure("Conversation has expired")
            self.identities_created += 1  # the CLI creates the per-conversation identity before the network
            await self._network_or_fail()
            if self._network.decide_join(conv, parsed.tag, env) == JoinVerdict.JOINED:
                await self._sleep(self._rng.uniform(2.6, 7.6))
                if not conv.exploded:
                    self.profile_name = profile_name or None
                    self._complete_join(conv)
                    return {"status": "joined", "conversationId": conv.conversation_id}
            # Nobody adds us: the CLI polls until its --timeout, then reports a timeout.
            if self.name not in conv.pending:
                conv.pending.append(self.name)
            await self._sleep(JOIN_TIMEOUT)
            self.wait_for_acceptance(conv.conversation_id, profile_name=profile_name or None)
            return waiting

        return await self._cli_call(argv, env, work)

    async def _send(self, request: web.BaseRequest) -> tuple[int, Any]:
        if (conversation_id := self.bound) is None:
            return 400, _ERR_UNBOUND
        message = str_prop(await read_body(request), "message")
        if not message:
            return 400, {"error": "message (string) is required"}

        def sent(conv: Conversation) -> dict[str, Any]:
            message_id = self._hex(64)
            self.sent_messages.append(message)
            return {"success": True, "messageId": message_id, "conversationId": conversation_id, "text": message}

        return await self._conversation_op(conversation_id, cli.send_argv(conversation_id, message), sent, send=True)

    async def _rename(self, request: web.BaseRequest) -> tuple[int, Any]:
        if (conversation_id := self.bound) is None:
            return 400, _ERR_UNBOUND
        name = str_prop(await read_body(request), "name")
        if not name:
            return 400, {"error": "name (string) is required"}

        def renamed(conv: Conversation) -> dict[str, Any]:
            self.profile_name = name  # the agent's display name; the group name never changes
            return {"ok": True}

        return await self._conversation_op(conversation_id, cli.update_profile_argv(conversation_id, name), renamed)

    async def _lock(self, request: web.BaseRequest) -> tuple[int, Any]:
        if (conversation_id := self.bound) is None:
            return 400, _ERR_UNBOUND
        unlock = prop(await read_body(request), "unlock") is True

        def locked(conv: Conversation) -> dict[str, Any]:
            self._network.rotate_tag(conv, self._rng, locked=not unlock)
            self.locked = not unlock
            return {"ok": True, "locked": not unlock}

        # Inferred: only the super admin (the creator) may change the add-member permission.
        return await self._conversation_op(
            conversation_id,
            cli.lock_argv(conversation_id, unlock=unlock),
            locked,
            creator_only="update the add member permission (super admin required)",
        )

    async def _explode(self, request: web.BaseRequest) -> tuple[int, Any]:
        if (conversation_id := self.bound) is None:
            return 400, _ERR_UNBOUND

        def exploded(conv: Conversation) -> dict[str, Any]:
            self._network.explode(conv)
            self._deleted_identities.add(conversation_id)
            if self.bound == conversation_id:
                # The instance stops and unbinds; the config still names the conversation (restored on restart).
                self.bound = None
                self.locked = False
            return {"ok": True, "exploded": True}

        # Inferred: removing the other members needs admin rights a joiner does not have.
        return await self._conversation_op(
            conversation_id, cli.explode_argv(conversation_id), exploded, creator_only="remove members"
        )

    async def _factory_reset(self, request: web.BaseRequest) -> tuple[int, Any]:
        """The managed-runtime fork's /convos/reset: forget the conversation and the identity."""
        body = await read_body(request)
        prop(body, "skipGreeting")

        async def work() -> dict[str, Any]:
            await self._sleep(self._rng.uniform(0.3, 0.8))
            self.bound = None
            self.pending = False
            self._pending_conversation = None
            self.locked = False
            self.clean = True
            self.inbox_id = self._hex(64)
            for key in ("identityId", "ownerConversationId"):
                self.config.pop(key, None)
            _, status = await self._status(request)
            return {"ok": True, "reset": True, "status": status}

        return 200, await self._run_op(work())
