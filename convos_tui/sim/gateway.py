"""One simulated OpenClaw gateway with the Convos plugin: its process (port, start, stop, restart, modes)
and the dispatch of its requests.

The dispatch follows the gateway's order: a fault mode first, then the core's own routes (/tools/invoke,
health probes), then the plugin's: method (405) → pool key (401) → the route (plugin.py, onboarding.py).
Anything that is not a plugin route falls through to the Control UI.

Simulated durations (the stream schedule, restarts) are divided by the fleet's `speed`; `latency` and the
drip interval are real seconds because they exist to exercise client timeouts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import core, faults, fronts, hermes
from .modes import (
    DEFAULT_POOL_KEY,
    DEFAULT_SLOW_LATENCY,
    HERMES_MODES,
    NEWER_SHAPE_MODES,
    NO_PLUGIN_START_WINDOW,
    WRAPPER_MODES,
    GatewaySpec,
    Mode,
)
from .network import SimNetwork
from .newer_routes import NewerRoutes
from .onboarding import OnboardingRoutes
from .pathname import pathname
from .plugin_body import MAX_BODY_BYTES, PluginError
from .responses import (
    MODERN_TEXT_HEADERS,
    control_ui_fallthrough,
    is_modern_core,
    json_response,
    text_response,
)
from .streams import StreamProfile

__all__ = ["MARKUP_CONVERSATION_ID", "MAX_BODY_BYTES", "SimGateway"]

log = logging.getLogger(__name__)

REQUEST_LOG_SIZE = 10_000

# A conversation id full of Rich/Textual markup, for the `garbage` mode's `markup` kind: a console that
# renders gateway text as markup shows bold red, a link, or runs an action.
MARKUP_CONVERSATION_ID = "[bold red]x[/][link=https://example.invalid/pwn]click[/link][@click=app.quit]q[/]"

_ERR_405 = {"error": "Method Not Allowed"}
_ERR_401 = {"error": "Unauthorized"}


_Route = Callable[[web.BaseRequest], Awaitable[tuple[int, Any]]]


class SimGateway(OnboardingRoutes, NewerRoutes):
    """A gateway process: created by SimFleet, which starts and stops it."""

    def __init__(self, spec: GatewaySpec, *, network: SimNetwork, speed: float, seed: int, host: str) -> None:
        self.spec = spec
        self.name = spec.name
        self.mode: Mode = spec.mode
        self.host = host
        self.port = spec.port
        self._speed = speed
        self._core_version = spec.effective_core_version
        self._modern_core = is_modern_core(self._core_version)
        self._route_tables: dict[bool, dict[str, tuple[str, _Route]]] = {}
        self._network = network
        self._rng = random.Random(f"{seed}:{spec.name}")

        # What the plugin holds in memory (lost on restart).
        self.bound: str | None = None
        self.locked = False
        self.profile_name: str | None = None
        self.group_name: str | None = None
        self.pending = False  # newer shape: a join is waiting for the creator's approval
        self._pending_conversation: str | None = None
        self._stream_profile = StreamProfile.HEALTHY
        self._stream_anchor = 0.0
        self._flap_phase = self._rng.uniform(0, 15)
        self.setup_active = False
        self.setup_joined = False
        self.setup_joiner_inbox_id: str | None = None
        self._setup_conversation: str | None = None
        self._setup_result: dict[str, Any] | None = None
        self._setup_cached: dict[str, str] | None = None
        self._setup_timer: asyncio.TimerHandle | None = None

        # What survives a restart: the config file, the disk, and what the simulator observed.
        self.config: dict[str, Any] = {"env": spec.env}
        if (key := self.pool_key) is not None:
            self.config["poolApiKey"] = key
        self.instructions: str | None = None
        self.sent_messages: list[str] = []  # texts the CLI sent, oldest first
        self.reset_newer_records()  # what the newer routes were sent (newer_routes.py)
        # (method, raw path with query, status) of the latest requests: bounded, because a demo or a
        # benchmark sends millions and a growing log slowed the simulator down.
        self.request_log: deque[tuple[str, str, int]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.identities_created = 0
        self.invite_url: str | None = None  # of the last conversation this gateway created
        self.invite_slug: str | None = None
        self.clean = True  # newer shape: never provisioned
        self.inbox_id = self._hex(64)
        self._deleted_identities: set[str] = set()  # conversations whose identity an explode destroyed

        # Process plumbing.
        self._alive = False  # between start() and stop()
        self._started_at = time.monotonic()
        self._web: web.Server | None = None
        self._server: asyncio.base_events.Server | None = None
        self._reserved: socket.socket | None = None
        self._ops: set[asyncio.Task[Any]] = set()  # simulated CLI calls: they outlive their HTTP request
        self._handlers: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._dropping: asyncio.Future[Any] | None = None  # closing the connections of a process gone down
        self.runtime_restarting = False  # behind a pool wrapper: its runtime is being restarted

    # ---- public views -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def pool_key(self) -> str | None:
        if self.spec.pool_key:
            return self.spec.pool_key
        return DEFAULT_POOL_KEY if self.mode in (Mode.POOL_KEY, Mode.RAILWAY) else None

    @property
    def hermes(self) -> bool:
        """The runtime answering is Hermes (FastAPI), directly or behind the pool wrapper."""
        return self.mode in HERMES_MODES

    @property
    def start_window(self) -> float:
        """Simulated seconds of "Plugin runtime is starting" after each (re)start (see GatewaySpec)."""
        if self.spec.start_window is not None:
            return self.spec.start_window
        return NO_PLUGIN_START_WINDOW if self.mode is Mode.NO_PLUGIN else 0.0

    @property
    def starting(self) -> bool:
        """Still in the "Plugin runtime is starting" window of its last (re)start."""
        window = self.start_window
        return window > 0 and (time.monotonic() - self._started_at) * self._speed < window

    def __repr__(self) -> str:
        return f"<SimGateway {self.name} {self.mode} {self.url} bound={self.bound!r}>"

    # ---- lifecycle (driven by SimFleet) -------------------------------------------------------------------

    def _background_task(self, coro: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _reserve_port(self) -> None:
        """Bind the port without listening: it stays ours, and connections to it are refused."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._reserved = sock

    def _boot(self) -> None:
        """Process start: restore the conversation from config, or start bound as the mode says."""
        self._started_at = time.monotonic()
        owner = self.config.get("ownerConversationId")
        if owner:
            self._bind(owner, env=self.config.get("env", self.spec.env), write_config=False)
            return
        markup = self.mode is Mode.GARBAGE and self.spec.garbage_kind == "markup"
        if self.spec.conversation_id or markup or self.mode in (Mode.BOUND, Mode.STALLED, Mode.FLAPPING):
            self._start_bound(self.spec.conversation_id or (MARKUP_CONVERSATION_ID if markup else None))

    def _start_bound(self, conversation_id: str | None) -> None:
        """Bound from the start: a conversation created earlier by this gateway (or joined, if it exists)."""
        env = self.spec.env
        conv = self._network.conversation(conversation_id) if conversation_id else None
        if conv is None:
            conv = self._create_conversation(env=env, name="Convos Agent", conversation_id=conversation_id)
            self.invite_slug, self.invite_url = self._network.invite(conv, self._rng)
        elif conv.creator != self.name and self.name not in conv.members:
            conv.members.append(self.name)
        self.profile_name = "Convos Agent"
        self._bind(conv.conversation_id, env=env)

    async def start(self) -> None:
        self._alive = True
        if self._reserved is None and self._server is None:
            self._reserve_port()
        self._network.register(self)
        self._boot()
        if self.mode is not Mode.DOWN:
            await self._listen()

    async def _listen(self) -> None:
        if self._server is not None:
            return
        if self._dropping is not None:
            # The connections of the process that went down are gone before the port listens again: a
            # client's keep-alive one must not outlive it and meet the next process.
            await asyncio.wait([self._dropping])
            self._dropping = None
            if self._server is not None:
                return
        if self._reserved is None:
            self._reserve_port()
        sock, self._reserved = self._reserved, None
        assert sock is not None
        self._web = web.Server(
            self._handle, access_log=None, keepalive_timeout=5.0, max_line_size=16384, max_field_size=16384
        )
        self._server = await asyncio.get_running_loop().create_server(self._web, sock=sock, backlog=512)

    def _close_listener(self) -> web.Server | None:
        """Stop accepting at once and keep the port reserved; returns the server whose connections remain."""
        if self._server is None:
            return None
        self._server.close()
        self._server = None
        old, self._web = self._web, None
        self._reserve_port()
        return old

    async def _drop_connections(self, old: web.Server | None) -> None:
        if old is not None:
            # A zero timeout would mean "no timeout" to aiohttp; this cancels in-flight handlers at once.
            await old.shutdown(timeout=0.001)
            # shutdown closes each connection gracefully: one whose client does not read what is left to send
            # (a drip body) stayed open after it. A process that ends or goes down drops them at once.
            for handler in old.connections:
                if handler.transport is not None:
                    handler.transport.abort()

    async def go_down(self) -> None:
        """The port closes (the process is unreachable); in-memory state is kept."""
        await self._drop_connections(self._close_listener())

    async def come_up(self) -> None:
        if self.mode is Mode.DOWN:
            self.mode = Mode.HEALTHY
        await self._listen()

    def _kill_process_state(self) -> None:
        """What a process exit loses: in-flight CLI calls, timers, the in-memory instance and setup."""
        for task in list(self._ops) + list(self._background):
            task.cancel()
        for handle in list(self._timers):
            handle.cancel()
        self._timers.clear()
        if self._setup_timer is not None:
            self._setup_timer.cancel()
            self._setup_timer = None
        self.bound = None
        self.pending = False
        self._pending_conversation = None
        self.locked = False
        self.setup_active = False
        self.setup_joined = False
        self.setup_joiner_inbox_id = None
        self._setup_conversation = None
        self._setup_result = None
        self._setup_cached = None

    async def restart(self, down_for: float, *, wait: bool = True) -> None:
        """A process restart: the port refuses for `down_for` simulated seconds, memory restores from config."""
        old = self._close_listener()
        self._kill_process_state()
        await self._drop_connections(old)
        await self._cancel_handlers()

        async def come_back() -> None:
            await self._sleep(down_for)
            self._boot()
            if self.mode is not Mode.DOWN:
                await self._listen()

        if wait:
            await come_back()
        else:
            self._background_task(come_back())

    async def restart_runtime(self, down_for: float) -> None:
        """The pool wrapper's /pool/restart: its runtime stops and comes back from disk; the wrapper stays up."""
        self.runtime_restarting = True
        self._kill_process_state()
        try:
            await self._sleep(down_for)
            self._boot()
        finally:
            self.runtime_restarting = False

    async def _cancel_handlers(self) -> None:
        tasks = [t for t in self._handlers if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        self._alive = False
        old = self._close_listener()
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        self._kill_process_state()
        await self._drop_connections(old)
        await self._cancel_handlers()
        pending = [t for t in list(self._ops) + list(self._background) if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def set_mode(self, mode: Mode) -> None:
        """Switch behaviour at runtime. Listener changes (to or from `down`) complete in the background."""
        mode = Mode(mode)
        previous, self.mode = self.mode, mode
        if mode is Mode.DOWN and previous is not Mode.DOWN:
            old = self._close_listener()
            if old is not None:
                self._dropping = self._background_task(self._drop_connections(old))
            return
        if previous is Mode.DOWN and self._alive:
            self._background_task(self._listen())
        if mode is Mode.NO_PLUGIN:
            self._started_at = time.monotonic()
        if (key := self.pool_key) is not None:
            self.config["poolApiKey"] = key
        else:
            self.config.pop("poolApiKey", None)
        if mode in (Mode.BOUND, Mode.STALLED, Mode.FLAPPING) and self.bound is None:
            self._start_bound(None)
        elif self.bound is not None:
            self._stream_profile = self._profile_for(self.bound)
            self._stream_anchor = time.monotonic()

    def accepts_joins(self, conversation_id: str) -> bool:
        """Whether this gateway's `process-join-requests` child would add a joiner to the conversation."""
        if self._server is None or self.mode in (Mode.OFFLINE, Mode.NO_PLUGIN, Mode.DOWN):
            return False
        if self.setup_active and self._setup_conversation == conversation_id:
            return True  # the onboarding instance auto-accepts
        return self.bound == conversation_id and self._instance_running()

    # ---- request dispatch ---------------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            resp = await self._dispatch(request)
        except ConnectionError:
            # The client went away (e.g. while its body was being read): nothing will reach it, and aiohttp
            # drops a response it cannot write without logging an error.
            resp = text_response(request, 500, "Internal Server Error")
        except Exception:
            # A simulator bug: answer like the gateway's wrapper around a throwing plugin handler, and say so.
            log.exception("simulated gateway %s failed on %s %s", self.name, request.method, request.raw_path)
            resp = text_response(request, 500, "Internal Server Error")
        finally:
            if task is not None:
                self._handlers.discard(task)
        self.request_log.append((request.method, request.raw_path, resp.status))
        return resp

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        latency = self.spec.latency or (DEFAULT_SLOW_LATENCY if self.mode is Mode.SLOW else 0.0)
        if latency:
            await asyncio.sleep(latency)
        mode = self.mode
        if mode is Mode.RESET:
            return await faults.reset(request)
        if mode is Mode.GARBAGE and self.spec.garbage_kind != "markup":
            return faults.garbage(request, self.spec.garbage_kind)
        if mode is Mode.HUGE:
            return await faults.huge(request)
        if mode is Mode.DRIP:
            return await faults.drip(request)

        path = pathname(request.raw_path)
        # A front (the pool wrapper, the Railway template) answers its own routes before the runtime behind it.
        front: web.StreamResponse | None = None
        if mode in WRAPPER_MODES:
            front = await fronts.pool_wrapper(self, request, path)
        elif mode is Mode.RAILWAY:
            front = fronts.railway_template(self, request, path)
        if front is not None:
            return front
        if mode in HERMES_MODES:
            if path == "/health" and request.method == "GET":
                return hermes.health()
            return await hermes.answer(request, path, self._routes().get(path), self.pool_key)
        modern = self._modern_core
        # The core dispatches /tools/invoke (and, on newer cores, health probes) before plugin routes.
        if path == "/tools/invoke" and request.method == "POST":
            return await core.tools_invoke(request, gateway_token=self.spec.gateway_token, modern=modern)
        if modern and path in ("/health", "/healthz", "/readyz") and request.method in ("GET", "HEAD"):
            uptime_ms = int((time.monotonic() - self._started_at) * 1000)
            return core.health(request, path, starting=self.starting, uptime_ms=uptime_ms)
        if self.starting and path.startswith("/convos/"):
            # The findings saw this for POSTs of a no-plugin gateway; answering GETs the same way, and any
            # gateway while its plugin runtime starts, is our inference, so a console polling /convos/status
            # sees "starting" rather than the Control UI.
            extra = {"Retry-After": "1", **MODERN_TEXT_HEADERS}
            return text_response(request, 503, "Plugin runtime is starting", extra)
        if mode in (Mode.NO_PLUGIN, Mode.RAILWAY):
            return control_ui_fallthrough(request, self._core_version)
        if mode is Mode.PLUGIN_404 and path.startswith("/convos/"):
            # openclaw#46924 (2026.3.13): the plugin registry lost its routes; the core answers text 404.
            return text_response(request, 404, "Not Found", MODERN_TEXT_HEADERS)
        route = self._routes().get(path)
        if route is None:
            return control_ui_fallthrough(request, self._core_version)
        method, handler = route
        if request.method != method:
            return json_response(request, 405, _ERR_405)
        if (key := self.pool_key) is not None and request.headers.get("Authorization") != f"Bearer {key}":
            return json_response(request, 401, _ERR_401)
        try:
            status, body = await handler(request)
        except PluginError as exc:
            status, body = 500, {"error": str(exc)}
        return json_response(request, status, body)

    def plugin_route(self, path: str) -> _Route:
        """The plugin's handler of one of its routes (a front calls it as the runtime's own)."""
        return self._routes()[path][1]

    def _routes(self) -> dict[str, tuple[str, _Route]]:
        """Registered path → (method, handler); built once per shape."""
        newer = self.mode in NEWER_SHAPE_MODES
        if newer not in self._route_tables:
            self._route_tables[newer] = self._build_routes(newer)
        return self._route_tables[newer]

    def _build_routes(self, newer: bool) -> dict[str, tuple[str, _Route]]:
        routes: dict[str, tuple[str, _Route]] = {
            "/convos/status": ("GET", self._status),
            "/convos/conversation": ("POST", self._create),
            "/convos/join": ("POST", self._join),
            "/convos/conversation/send": ("POST", self._send),
            "/convos/rename": ("POST", self._rename),
            "/convos/lock": ("POST", self._lock),
            "/convos/explode": ("POST", self._explode),
            "/convos/reset": ("POST", self._reset),
        }
        if newer:  # the managed runtime's notify, update-metadata and re-attest
            routes.update(self.newer_route_table())
        else:  # the managed-runtime fork removed the onboarding routes
            routes.update(
                {
                    "/convos/setup": ("POST", self._setup),
                    "/convos/setup/status": ("GET", self._setup_status),
                    "/convos/setup/complete": ("POST", self._setup_complete),
                    "/convos/setup/cancel": ("POST", self._setup_cancel),
                }
            )
        return routes
