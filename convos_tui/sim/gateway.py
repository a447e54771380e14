"""One simulated OpenClaw gateway with the Convos plugin: its state, its port and its request handler.

The handler reproduces the plugin (xmtplabs/openclaw extensions/convos/index.ts, 2026-02 "CLI 1:1" shape)
check by check: method (405) → pool key (401) → already bound (409, create/join) or unbound (400, the
other conversation routes) → body read (500 on a body over 1 MiB or bad JSON, V8 messages) → field checks
(400) → the `convos` CLI (500 with execFile's "Command failed" text). Anything that is not a plugin route
falls through to the core (/tools/invoke, /health) and then to the Control UI.

Simulated durations (CLI calls, the stream schedule, the 60 s join timeout) are divided by the fleet's
`speed`; `latency` and the drip interval are real seconds because they exist to exercise client timeouts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

from . import convos_cli as cli
from . import faults
from .invites import InviteError, parse_invite
from .jsjson import JsonSyntaxError, js_trim, parse, property_read_error
from .modes import (
    DEFAULT_POOL_KEY,
    DEFAULT_SLOW_LATENCY,
    NO_PLUGIN_START_WINDOW,
    GatewaySpec,
    Mode,
)
from .network import Conversation, JoinVerdict, SimNetwork
from .qr import qr_data_url
from .responses import (
    MODERN_TEXT_HEADERS,
    control_ui_fallthrough,
    is_modern_core,
    json_response,
    text_response,
)
from .streams import GIVE_UP_AFTER, StreamProfile, streaming_at

__all__ = ["MARKUP_CONVERSATION_ID", "SimGateway"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
REQUEST_LOG_SIZE = 10_000
SETUP_TIMEOUT = 600.0  # the onboarding instance stops by itself after 10 minutes
CONFIG_RELOAD_DELAY = 0.3  # the gateway's config hot-reload debounce
JOIN_TIMEOUT = 60  # the plugin always runs `conversations join … --timeout 60`

# A conversation id full of Rich/Textual markup, for the `garbage` mode's `markup` kind: a console that
# renders gateway text as markup shows bold red, a link, or runs an action.
MARKUP_CONVERSATION_ID = "[bold red]x[/][link=https://example.invalid/pwn]click[/link][@click=app.quit]q[/]"

_ERR_405 = {"error": "Method Not Allowed"}
_ERR_401 = {"error": "Unauthorized"}
_ERR_409 = {"error": "Instance already bound to a conversation. Terminate process and provision a new one."}
_ERR_UNBOUND = {"error": "No active conversation"}
_CLI_ENVS = ("local", "dev", "production")


_Route = Callable[[web.BaseRequest], Awaitable[tuple[int, Any]]]


class _Undefined:
    """JavaScript's `undefined`: a property the body does not have."""


_UNDEF = _Undefined()


class _PluginError(Exception):
    """Caught by the route's try-block: answered as `{"error": message}`."""


class _CliFailure(Exception):
    """The simulated CLI exited non-zero with this message on stderr."""


def _prop(body: Any, key: str) -> Any:
    """`body[key]` in JavaScript: null throws, non-objects (arrays, scalars) have no such property."""
    if body is None:
        raise _PluginError(property_read_error(key))
    if isinstance(body, dict):
        return body.get(key, _UNDEF)
    return _UNDEF


def _str_prop(body: Any, key: str) -> str | None:
    value = _prop(body, key)
    return value if isinstance(value, str) else None


def _is_dots(segment: str, count: int) -> bool:
    return segment.lower().replace("%2e", ".") == "." * count


_PLAIN_PATH = re.compile(r"/[A-Za-z0-9/_-]*")


def pathname(raw_target: str) -> str:
    """`new URL(req.url, base).pathname`: query and fragment dropped, dot segments resolved."""
    if _PLAIN_PATH.fullmatch(raw_target):
        return raw_target  # the common case: nothing to resolve
    target = re.sub(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*", "", raw_target)
    target = re.split(r"[?#]", target, maxsplit=1)[0].replace("\\", "/")
    parts = target.split("/")[1:] if target.startswith("/") else [target]
    segments: list[str] = []
    for i, segment in enumerate(parts):
        last = i == len(parts) - 1
        if _is_dots(segment, 2):
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif _is_dots(segment, 1):
            if last:
                segments.append("")
        else:
            segments.append(segment)
    return "/" + "/".join(segments)


class SimGateway:
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
        return DEFAULT_POOL_KEY if self.mode is Mode.POOL_KEY else None

    @property
    def streaming(self) -> bool:
        if self.bound is None:
            return False
        elapsed = (time.monotonic() - self._stream_anchor) * self._speed
        return streaming_at(self._stream_profile, elapsed, phase=self._flap_phase)

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

    # ---- helpers ------------------------------------------------------------------------------------------

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

    def _bind(self, conversation_id: str, *, env: str, identity_id: str | None = None,
              write_config: bool = True) -> None:
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
            self.config.update(identityId=identity_id or self._hex(32), ownerConversationId=conversation_id,
                               env=env, enabled=True)

    def _create_conversation(self, *, env: str, name: str | None, description: str | None = None,
                             image_url: str | None = None, conversation_id: str | None = None,
                             setup: bool = False) -> Conversation:
        return self._network.create(creator=self.name, creator_inbox_id=self._hex(64), env=env, rng=self._rng,
                                    conversation_id=conversation_id, name=name, description=description,
                                    image_url=image_url, setup=setup,
                                    require_approval=self.spec.require_approval and not setup)

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

    def _background_task(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- lifecycle (driven by SimFleet) -------------------------------------------------------------------

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
        if self._reserved is None:
            self._reserve_port()
        sock, self._reserved = self._reserved, None
        assert sock is not None
        self._web = web.Server(self._handle, access_log=None, keepalive_timeout=5.0,
                               max_line_size=16384, max_field_size=16384)
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
                self._background_task(self._drop_connections(old))
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

    def join_accepted(self, conversation_id: str, joiner_inbox_id: str) -> None:
        if self._setup_conversation == conversation_id and self.setup_active:
            self.setup_joined = True
            self.setup_joiner_inbox_id = joiner_inbox_id

    def wait_for_acceptance(self, conversation_id: str, *, profile_name: str | None = "Convos Agent") -> None:
        """Where a join to the conversation that nobody accepted leaves this gateway, without the CLI's 60 s
        wait: the creator lists it as waiting, and the newer shape reports `pending: true` until
        `accept_pending()`. (The classic shape has no way to say so: it stays unbound.)"""
        conv = self._network.conversation(conversation_id)
        if conv is None:
            raise KeyError(f"no conversation {conversation_id!r} in this simulated network")
        if self.name not in conv.pending:
            conv.pending.append(self.name)
        if self.mode is Mode.NEWER_SHAPE:
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

    def _complete_join(self, conv: Conversation) -> None:
        self._network.complete_join(conv, self.name, self.inbox_id)
        self._bind(conv.conversation_id, env=conv.env)

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
        modern = self._modern_core
        # The core dispatches /tools/invoke (and, on newer cores, health probes) before plugin routes.
        if path == "/tools/invoke" and request.method == "POST":
            return await self._tools_invoke(request, modern)
        if modern and path in ("/health", "/healthz", "/readyz") and request.method in ("GET", "HEAD"):
            return self._health(request, path)
        if self.starting and path.startswith("/convos/"):
            # The findings saw this for POSTs of a no-plugin gateway; answering GETs the same way, and any
            # gateway while its plugin runtime starts, is our inference, so a console polling /convos/status
            # sees "starting" rather than the Control UI.
            extra = {"Retry-After": "1", **MODERN_TEXT_HEADERS}
            return text_response(request, 503, "Plugin runtime is starting", extra)
        if mode is Mode.NO_PLUGIN:
            return control_ui_fallthrough(request, self._core_version)
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
        except _PluginError as exc:
            status, body = 500, {"error": str(exc)}
        return json_response(request, status, body)

    def _routes(self) -> dict[str, tuple[str, _Route]]:
        """Registered path → (method, handler); built once per shape."""
        newer = self.mode is Mode.NEWER_SHAPE
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
        if not newer:  # the managed-runtime fork removed the onboarding routes
            routes.update({
                "/convos/setup": ("POST", self._setup),
                "/convos/setup/status": ("GET", self._setup_status),
                "/convos/setup/complete": ("POST", self._setup_complete),
                "/convos/setup/cancel": ("POST", self._setup_cancel),
            })
        return routes

    async def _read_body(self, request: web.BaseRequest) -> Any:
        """The plugin's readJsonBody: 1 MiB cap, blank means {}, JSON.parse otherwise."""
        chunks: list[bytes] = []
        total = 0
        async for chunk in request.content.iter_any():
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise _PluginError("Request body too large")
            chunks.append(chunk)
        raw = b"".join(chunks).decode("utf-8", "replace")
        if not js_trim(raw):
            return {}
        try:
            return parse(raw)
        except JsonSyntaxError as exc:
            raise _PluginError(str(exc)) from None

    # ---- core routes --------------------------------------------------------------------------------------

    async def _tools_invoke(self, request: web.BaseRequest, modern: bool) -> web.StreamResponse:
        extra = {"X-Content-Type-Options": "nosniff"} if modern else {}
        if request.headers.get("Authorization") != f"Bearer {self.spec.gateway_token}":
            return json_response(request, 401, {"error": {"message": "Unauthorized", "type": "unauthorized"}},
                                 core=True, extra=extra)
        try:
            body = await self._read_body(request)
            tool = _str_prop(body, "tool")
        except _PluginError as exc:
            # Inferred: the core's own body errors; only the 401 and 404 answers were observed.
            return json_response(request, 400, {"ok": False, "error": {"type": "invalid_request",
                                                                       "message": str(exc)}}, core=True, extra=extra)
        if not tool:
            return json_response(request, 400, {"ok": False, "error": {"type": "invalid_request",
                                                                       "message": "tool is required"}},
                                 core=True, extra=extra)
        return json_response(request, 404, {"ok": False, "error": {"type": "not_found",
                                                                   "message": f"Tool not available: {tool}"}},
                             core=True, extra=extra)

    def _health(self, request: web.BaseRequest, path: str) -> web.StreamResponse:
        extra = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        if path != "/readyz":
            return json_response(request, 200, {"ok": True, "status": "live"}, core=True, extra=extra)
        # Inferred shape beyond the observed keys {ready, failing, uptimeMs, eventLoop}.
        starting = self.starting
        uptime = int((time.monotonic() - self._started_at) * 1000)
        body = {"ready": not starting, "failing": ["plugins"] if starting else [], "uptimeMs": uptime,
                "eventLoop": {"delayMs": 0, "utilization": 0}}
        return json_response(request, 503 if starting else 200, body, core=True, extra=extra)

    # ---- the simulated CLI --------------------------------------------------------------------------------

    async def _cli_start(self) -> None:
        """Node + oclif start-up and local work before any network access (a bogus join took 0.34-0.39 s)."""
        await self._sleep(self._rng.uniform(0.34, 0.39))

    async def _network_or_fail(self) -> None:
        """The first XMTP call: fails with the DNS error when the network is unreachable (~2.5 s in all)."""
        if self.mode is Mode.OFFLINE:
            await self._sleep(self._rng.uniform(2.08, 2.18))
            raise _CliFailure(cli.DNS_ERROR)

    def _require_identity(self, conversation_id: str, *, send: bool = False) -> Conversation | None:
        """`store.getByConversationId`: an explode deleted the identity of its conversation."""
        if conversation_id in self._deleted_identities:
            hint = "\nUse 'convos conversations list' to see available conversations." if send else ""
            raise _CliFailure(f"No identity found for conversation: {conversation_id}{hint}")
        return self._network.conversation(conversation_id)

    def _require_group(self, conv: Conversation | None, conversation_id: str) -> Conversation:
        if conv is None:
            raise _CliFailure(f"Conversation not found: {conversation_id}")
        if conv.exploded and conv.creator != self.name:
            # Inferred wording: the creator removed every member, so the group is inactive for this identity.
            raise _CliFailure("[GroupError::GroupInactive] Group is inactive")
        return conv

    async def _cli_call(self, argv: list[str], env: str, work: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
        """Run `work` as the CLI command `argv`; a _CliFailure becomes the plugin's 500 envelope."""
        try:
            return 200, await self._run_op(work())
        except _CliFailure as failure:
            return 500, {"error": cli.command_failed(argv, env, str(failure))}

    def _cli_env_check(self, env: str) -> None:
        if env not in _CLI_ENVS:
            # oclif rejects the flag before running anything (inferred wording of oclif's option error).
            raise _CliFailure(f"Expected --env={env} to be one of: {', '.join(_CLI_ENVS)}\nSee more help with --help")

    # ---- plugin routes ------------------------------------------------------------------------------------

    async def _status(self, request: web.BaseRequest) -> tuple[int, Any]:
        if self.mode is Mode.NEWER_SHAPE:
            return 200, {"conversationId": self.bound, "inboxId": self.inbox_id, "pending": self.pending,
                         "clean": self.clean}
        if self.bound is None:
            return 200, {"ready": True, "conversation": None, "streaming": False}
        return 200, {"ready": True, "conversation": {"id": self.bound}, "streaming": self.streaming}

    def _write_instructions(self, body: Any) -> None:
        instructions = _str_prop(body, "instructions")
        if instructions and js_trim(instructions):
            self.instructions = instructions  # written before the CLI runs, kept even if it fails

    def _request_env(self, body: Any) -> str:
        env = _prop(body, "env")
        return env if env in ("dev", "production") else self.config.get("env", "production")

    async def _create(self, request: web.BaseRequest) -> tuple[int, Any]:
        if self.bound is not None:
            return 409, _ERR_409
        body = await self._read_body(request)
        name = _str_prop(body, "name")
        name = "Convos Agent" if name is None else name
        profile_name = _str_prop(body, "profileName")
        profile_name = name if profile_name is None else profile_name
        _prop(body, "profileImage")  # parsed and ignored since a47367d935
        description = _str_prop(body, "description")
        image_url = _str_prop(body, "imageUrl")
        permissions = _prop(body, "permissions")
        permissions = permissions if permissions in ("all-members", "admin-only") else None
        self._write_instructions(body)
        env = self._request_env(body)
        argv = cli.create_argv(name=name, profile_name=profile_name, description=description,
                               image_url=image_url, permissions=permissions)

        async def work() -> dict[str, str]:
            self._cli_env_check(env)
            self.identities_created += 1
            await self._cli_start()
            await self._network_or_fail()
            await self._sleep(self._rng.uniform(1.7, 4.6))
            conv = self._create_conversation(env=env, name=name or None, description=description or None,
                                             image_url=image_url or None)
            slug, url = self._network.invite(conv, self._rng)
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
        body = await self._read_body(request)
        invite = _str_prop(body, "inviteUrl")
        if not invite:
            return 400, {"error": "inviteUrl (string) is required"}
        profile_name = _str_prop(body, "profileName")
        profile_name = "Convos Agent" if profile_name is None else profile_name
        self._write_instructions(body)
        env = self._request_env(body)
        argv = cli.join_argv(invite, profile_name=profile_name, timeout=JOIN_TIMEOUT)
        waiting = {"status": "pending_acceptance" if self.mode is Mode.NEWER_SHAPE else "waiting_for_acceptance"}

        async def work() -> dict[str, str]:
            self._cli_env_check(env)
            await self._cli_start()
            try:
                parsed = parse_invite(invite)
            except InviteError as exc:
                raise _CliFailure(str(exc)) from None
            now = time.time()
            if not parsed.structurally_valid:
                raise _CliFailure("Invalid invite signature")
            if parsed.expires_at and parsed.expires_at < now:
                raise _CliFailure("Invite has expired")
            if parsed.conversation_expires_at and parsed.conversation_expires_at < now:
                raise _CliFailure("Conversation has expired")
            conv = self._network.by_tag(parsed.tag)
            if conv is None:
                # Not an invite of this simulated network: its signer cannot be matched to any creator.
                raise _CliFailure("Invalid invite signature")
            if conv.exploded:
                raise _CliFailure("Conversation has expired")
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
        conversation_id = self.bound
        if conversation_id is None:
            return 400, _ERR_UNBOUND
        body = await self._read_body(request)
        message = _str_prop(body, "message")
        if not message:
            return 400, {"error": "message (string) is required"}
        env = self.config.get("env", self.spec.env)
        argv = cli.send_argv(conversation_id, message)

        async def work() -> dict[str, Any]:
            await self._cli_start()
            conv = self._require_identity(conversation_id, send=True)
            await self._network_or_fail()
            self._require_group(conv, conversation_id)
            await self._sleep(self._rng.uniform(0.2, 1.1))
            message_id = self._hex(64)
            self.sent_messages.append(message)
            return {"success": True, "messageId": message_id, "conversationId": conversation_id, "text": message}

        return await self._cli_call(argv, env, work)

    async def _rename(self, request: web.BaseRequest) -> tuple[int, Any]:
        conversation_id = self.bound
        if conversation_id is None:
            return 400, _ERR_UNBOUND
        body = await self._read_body(request)
        name = _str_prop(body, "name")
        if not name:
            return 400, {"error": "name (string) is required"}
        env = self.config.get("env", self.spec.env)
        argv = cli.update_profile_argv(conversation_id, name)

        async def work() -> dict[str, Any]:
            await self._cli_start()
            conv = self._require_identity(conversation_id)
            await self._network_or_fail()
            self._require_group(conv, conversation_id)
            await self._sleep(self._rng.uniform(0.2, 1.1))
            self.profile_name = name  # the agent's display name; the group name never changes
            return {"ok": True}

        return await self._cli_call(argv, env, work)

    async def _lock(self, request: web.BaseRequest) -> tuple[int, Any]:
        conversation_id = self.bound
        if conversation_id is None:
            return 400, _ERR_UNBOUND
        body = await self._read_body(request)
        unlock = _prop(body, "unlock") is True
        env = self.config.get("env", self.spec.env)
        argv = cli.lock_argv(conversation_id, unlock=unlock)

        async def work() -> dict[str, Any]:
            await self._cli_start()
            conv = self._require_identity(conversation_id)
            await self._network_or_fail()
            conv = self._require_group(conv, conversation_id)
            if conv.creator != self.name:
                # Inferred: only the super admin (the creator) may change the add-member permission.
                raise _CliFailure("[GroupError::Intent] intent error: Policy error: Insufficient permissions "
                                  "to update the add member permission (super admin required)")
            await self._sleep(self._rng.uniform(0.2, 1.1))
            self._network.rotate_tag(conv, self._rng, locked=not unlock)
            self.locked = not unlock
            return {"ok": True, "locked": not unlock}

        return await self._cli_call(argv, env, work)

    async def _explode(self, request: web.BaseRequest) -> tuple[int, Any]:
        conversation_id = self.bound
        if conversation_id is None:
            return 400, _ERR_UNBOUND
        env = self.config.get("env", self.spec.env)
        argv = cli.explode_argv(conversation_id)

        async def work() -> dict[str, Any]:
            await self._cli_start()
            conv = self._require_identity(conversation_id)
            await self._network_or_fail()
            conv = self._require_group(conv, conversation_id)
            if conv.creator != self.name:
                # Inferred: removing the other members needs admin rights a joiner does not have.
                raise _CliFailure("[GroupError::Intent] intent error: Policy error: Insufficient permissions "
                                  "to remove members")
            await self._sleep(self._rng.uniform(0.2, 1.1))
            self._network.explode(conv)
            self._deleted_identities.add(conversation_id)
            if self.bound == conversation_id:
                # The instance stops and unbinds; the config still names the conversation (restored on restart).
                self.bound = None
                self.locked = False
            return {"ok": True, "exploded": True}

        return await self._cli_call(argv, env, work)

    # ---- onboarding (Control UI) routes -------------------------------------------------------------------

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
            self._cli_env_check(create_env)
            self.identities_created += 1
            await self._cli_start()
            await self._network_or_fail()
            await self._sleep(self._rng.uniform(1.7, 4.6))
            conv = self._create_conversation(env=create_env, name=group_name or None, setup=True)
            _slug, url = self._network.invite(conv, self._rng)
            self.setup_active = True
            self._setup_conversation = conv.conversation_id
            loop = asyncio.get_running_loop()
            self._setup_timer = loop.call_later(SETUP_TIMEOUT / self._speed, self._setup_expired)
            # The saved env defaults to production even when the config says dev: the plugin's own bug.
            self._setup_result = {"identityId": self._hex(32), "conversationId": conv.conversation_id,
                                  "env": env if env is not None else "production"}
            self._setup_cached = {"inviteUrl": url, "conversationId": conv.conversation_id,
                                  "qrDataUrl": qr_data_url(url)}
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
            body = await self._read_body(request)
            _prop(body, "accountId")
            env = _str_prop(body, "env")
            name = _str_prop(body, "name")
            force = _prop(body, "force") is True
        except _PluginError:
            self._cleanup_setup()
            raise
        return await self._handle_setup(name=name, env=env, force=force)

    async def _reset(self, request: web.BaseRequest) -> tuple[int, Any]:
        if self.mode is Mode.NEWER_SHAPE:
            return await self._factory_reset(request)
        try:
            body = await self._read_body(request)
            _prop(body, "accountId")
            env = _str_prop(body, "env")
        except _PluginError:
            self._cleanup_setup()
            raise
        return await self._handle_setup(name=None, env=env, force=True)

    async def _setup_status(self, request: web.BaseRequest) -> tuple[int, Any]:
        return 200, {"active": self.setup_active, "joined": self.setup_joined,
                     "joinerInboxId": self.setup_joiner_inbox_id}

    async def _setup_complete(self, request: web.BaseRequest) -> tuple[int, Any]:
        result = self._setup_result
        if result is None:
            return 400, {"error": "No active setup to complete. Run convos.setup first."}
        self.config.update(identityId=result["identityId"], ownerConversationId=result["conversationId"],
                           env=result["env"], enabled=True)
        if self.setup_joiner_inbox_id:
            allow = self.config.setdefault("allowFrom", [])
            if self.setup_joiner_inbox_id not in allow:
                allow.append(self.setup_joiner_inbox_id)
        self._setup_result = None
        self._cleanup_setup()
        # Inferred (§5.13): the config write triggers the channel's hot reload, which starts the instance
        # from the new config a moment later, so the gateway ends up bound to the onboarding conversation.
        self._later(CONFIG_RELOAD_DELAY, lambda: self._bind(result["conversationId"], env=result["env"],
                                                            write_config=False))
        return 200, {"saved": True, "conversationId": result["conversationId"]}

    async def _setup_cancel(self, request: web.BaseRequest) -> tuple[int, Any]:
        was_active = self.setup_active
        self._setup_result = None
        self._cleanup_setup()
        self.setup_joined = False
        self.setup_joiner_inbox_id = None
        return 200, {"cancelled": was_active}

    async def _factory_reset(self, request: web.BaseRequest) -> tuple[int, Any]:
        """The managed-runtime fork's /convos/reset: forget the conversation and the identity."""
        body = await self._read_body(request)
        _prop(body, "skipGreeting")

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

