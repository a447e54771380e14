"""The plugin's onboarding routes (`/convos/setup*`, the classic shape's `/convos/reset`), as the Control
UI drives them: a conversation created for the setup, whose joiner the onboarding instance accepts at once,
saved to the config on completion (the hot reload then binds the gateway to it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from . import convos_cli as cli
from .modes import NEWER_SHAPE_MODES
from .plugin import PluginRoutes
from .plugin_body import PluginError, prop, read_body, str_prop
from .qr import qr_data_url

SETUP_TIMEOUT = 600.0  # the onboarding instance stops by itself after 10 minutes
CONFIG_RELOAD_DELAY = 0.3  # the gateway's config hot-reload debounce


class OnboardingRoutes(PluginRoutes):
    """The onboarding routes, for SimGateway, which holds their state (set in its __init__, declared here)."""

    setup_active: bool
    setup_joined: bool
    setup_joiner_inbox_id: str | None
    _setup_conversation: str | None
    _setup_result: dict[str, Any] | None
    _setup_cached: dict[str, str] | None
    _setup_timer: asyncio.TimerHandle | None

    def join_accepted(self, conversation_id: str, joiner_inbox_id: str) -> None:
        if self._setup_conversation == conversation_id and self.setup_active:
            self.setup_joined = True
            self.setup_joiner_inbox_id = joiner_inbox_id

    def _cleanup_setup(self) -> None:
        if self._setup_timer is not None:
            self._setup_timer.cancel()
            self._setup_timer = None
        self.setup_active = False
        self._setup_conversation = None
        self._setup_cached = None

    async def _handle_setup(self, *, name: str | None, env: str | None, force: bool) -> tuple[int, Any]:
        if not force and self.setup_active and self._setup_cached:
            return 200, self._setup_cached
        self._cleanup_setup()
        self.setup_joined = False
        self.setup_joiner_inbox_id = None
        create_env = env if env is not None else self.config.get("env", "production")
        group_name = "OpenClaw" if name is None else name
        argv = cli.create_argv(name=group_name, profile_name=group_name)

        async def work() -> dict[str, str]:
            conv, _slug, url = await self._cli_create(create_env, name=group_name or None, setup=True)
            self.setup_active = True
            self._setup_conversation = conv.conversation_id
            loop = asyncio.get_running_loop()
            self._setup_timer = loop.call_later(SETUP_TIMEOUT / self._speed, self._setup_expired)
            # The saved env defaults to production even when the config says dev: the plugin's own bug.
            self._setup_result = {
                "identityId": self._hex(32),
                "conversationId": conv.conversation_id,
                "env": env if env is not None else "production",
            }
            self._setup_cached = {
                "inviteUrl": url,
                "conversationId": conv.conversation_id,
                "qrDataUrl": qr_data_url(url),
            }
            return self._setup_cached

        status, result = await self._cli_call(argv, create_env, work)
        if status != 200:
            self._cleanup_setup()
        return status, result

    def _setup_expired(self) -> None:
        self._setup_timer = None
        self._setup_result = None
        self._cleanup_setup()

    async def _setup(self, request: web.BaseRequest) -> tuple[int, Any]:
        try:
            body = await read_body(request)
            prop(body, "accountId")
            env = str_prop(body, "env")
            name = str_prop(body, "name")
            force = prop(body, "force") is True
        except PluginError:
            self._cleanup_setup()
            raise
        return await self._handle_setup(name=name, env=env, force=force)

    async def _reset(self, request: web.BaseRequest) -> tuple[int, Any]:
        if self.mode in NEWER_SHAPE_MODES:
            return await self._factory_reset(request)
        try:
            body = await read_body(request)
            prop(body, "accountId")
            env = str_prop(body, "env")
        except PluginError:
            self._cleanup_setup()
            raise
        return await self._handle_setup(name=None, env=env, force=True)

    async def _setup_status(self, request: web.BaseRequest) -> tuple[int, Any]:
        return 200, {
            "active": self.setup_active,
            "joined": self.setup_joined,
            "joinerInboxId": self.setup_joiner_inbox_id,
        }

    async def _setup_complete(self, request: web.BaseRequest) -> tuple[int, Any]:
        result = self._setup_result
        if result is None:
            return 400, {"error": "No active setup to complete. Run convos.setup first."}
        self.config.update(
            identityId=result["identityId"],
            ownerConversationId=result["conversationId"],
            env=result["env"],
            enabled=True,
        )
        if self.setup_joiner_inbox_id:
            allow = self.config.setdefault("allowFrom", [])
            if self.setup_joiner_inbox_id not in allow:
                allow.append(self.setup_joiner_inbox_id)
        self._setup_result = None
        self._cleanup_setup()
        # Inferred (§5.13): the config write triggers the channel's hot reload, which starts the instance
        # from the new config a moment later, so the gateway ends up bound to the onboarding conversation.
        self._later(
            CONFIG_RELOAD_DELAY, lambda: self._bind(result["conversationId"], env=result["env"], write_config=False)
        )
        return 200, {"saved": True, "conversationId": result["conversationId"]}

    async def _setup_cancel(self, request: web.BaseRequest) -> tuple[int, Any]:
        was_active = self.setup_active
        self._setup_result = None
        self._cleanup_setup()
        self.setup_joined = False
        self.setup_joiner_inbox_id = None
        return 200, {"cancelled": was_active}
