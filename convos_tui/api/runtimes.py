"""Which runtime answers behind a gateway's URL, and the one health verdict its routes give together.

A fleet runs more than the OpenClaw plugin: the managed runtime's Hermes (Python/FastAPI, the same Convos
routes), its pool wrapper in front of either (`GET /pool/health`), the Railway template (`GET /pool/status`),
and OpenClaw cores from 2026.3 on answer `GET /readyz`. Each route is read here from its raw answer (status,
content type, body: no I/O), and `verdict` combines them with `/convos/status`'s result, so that no gateway
is called healthy because one route answered 200, and a failure says which layer failed.
Sources: xmtplabs/convos-managed-agent-runtime runtime/convos-platform/pool-server/index.ts,
runtime/hermes/src/server/server.py; xmtplabs/convos-agent-railway-template src/server.js.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from convos_tui.api import errors
from convos_tui.api.interpret import _CONTROL, ID_MAX, _Shape, media_type, one_line
from convos_tui.api.models import GatewayStatus

OPENCLAW = "openclaw"
HERMES = "hermes"
RAILWAY = "railway-template"
RUNTIMES = (OPENCLAW, HERMES, RAILWAY)
READYZ = "/readyz"
POOL_HEALTH = "/pool/health"
POOL_STATUS = "/pool/status"
PROBE_MAX = 64 * 1024  # a probe answer is a few dozen bytes; the Control UI page that may come instead, 18 KB


@dataclass(frozen=True, slots=True)
class Reading:
    """What one probe route said. `offered`: the route exists (it answered its own JSON shape)."""

    route: str
    offered: bool
    ready: bool | None = None
    runtime: str | None = None  # only the pool wrapper names it; a FastAPI 404 gives Hermes away
    version: str | None = None
    note: str = ""  # one line for the detail screen


@dataclass(frozen=True, slots=True)
class Runtime:
    """What answers behind a gateway's URL, as far as its routes tell."""

    name: str = ""  # openclaw, hermes, railway-template; "" until known
    version: str | None = None  # the managed runtime's version (from /pool/health)
    core: str | None = None  # OpenClaw's core family: "2026.3+" (it has /readyz) or "<2026.3"
    wrapper: bool = False  # behind the managed runtime's pool wrapper

    @property
    def label(self) -> str:
        """Short enough for a table column: `hermes 0.3.4`, `openclaw 2026.3+`, `railway-template`, or `?`."""
        if not self.name:
            return "pool-wrapper" if self.wrapper else "?"
        if self.version:
            return f"{self.name} {self.version}"
        return f"{self.name} {self.core}" if self.core else self.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name or None,
            "version": self.version,
            "core": self.core,
            "wrapper": self.wrapper,
            "label": self.label,
        }


UNKNOWN = Runtime()


def _json_object(content_type: str | None, body: bytes) -> dict[str, Any] | None:
    if media_type(content_type) != "application/json":
        return None
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _absent(route: str, status: int, content_type: str | None, value: dict[str, Any] | None) -> Reading:
    kind = media_type(content_type)
    if value is not None and status == 404 and value.get("detail") == "Not Found":
        return Reading(route, False, runtime=HERMES, note=f"{route}: absent (FastAPI's 404: a Hermes runtime)")
    if kind == "text/html":
        return Reading(route, False, note=f"{route}: absent (the Control UI's page)")
    return Reading(route, False, note=f"{route}: absent (HTTP {status}, {kind or 'no content type'})")


def _short(value: Any) -> str | None:
    if isinstance(value, str) and value and len(value) <= ID_MAX and not _CONTROL.search(value):
        return one_line(value, 40)
    return None


@functools.lru_cache(maxsize=64)  # the same answer, the same Reading: a fleet probed at once shares them
def read_readyz(status: int, content_type: str | None, body: bytes) -> Reading:
    """OpenClaw ≥ 2026.3's `GET /readyz` (no auth): 200 `{ready: true, failing: []}`, 503 while not ready."""
    value = _json_object(content_type, body)
    if value is None or status not in (200, 503) or not isinstance(value.get("ready"), bool):
        return _absent(READYZ, status, content_type, value)
    ready = value["ready"] and status == 200
    failing = value.get("failing")
    names = [one_line(str(item), 40) for item in failing[:5]] if isinstance(failing, list) else []
    note = (
        f"{READYZ}: ready" if ready else f"{READYZ}: not ready" + (f" (failing: {', '.join(names)})" if names else "")
    )
    return Reading(READYZ, True, ready=ready, runtime=OPENCLAW, note=note)


@functools.lru_cache(maxsize=64)
def read_pool_health(status: int, content_type: str | None, body: bytes) -> Reading:
    """The pool wrapper's `GET /pool/health` (no auth): 503 `{ready: false}` until its runtime answers its
    readiness path, 503 `{ready: false, version, runtime}` until `/convos/status` has answered once, then 200
    `{ready: true, version, runtime}`."""
    value = _json_object(content_type, body)
    if value is None or status not in (200, 503) or not isinstance(value.get("ready"), bool):
        return _absent(POOL_HEALTH, status, content_type, value)
    runtime = value.get("runtime") if value.get("runtime") in (OPENCLAW, HERMES) else None
    version = _short(value.get("version"))
    ready = value["ready"] and status == 200
    named = " ".join(part for part in (runtime, version) if part)
    if ready:
        note = f"{POOL_HEALTH}: ready ({named or 'runtime not named'})"
    elif runtime is None:
        note = f"{POOL_HEALTH}: the runtime behind the wrapper is still starting"
    else:
        note = f"{POOL_HEALTH}: {named} is up, but its /convos/status has not answered yet"
    return Reading(POOL_HEALTH, True, ready=ready, runtime=runtime, version=version, note=note)


def identify(readyz: Reading | None, pool: Reading | None, status: GatewayStatus | None) -> Runtime:
    """The runtime the readings point to; what none of them tells stays unknown."""
    if status is not None and status.shape == "railway":
        return Runtime(RAILWAY)
    if pool is not None and pool.offered:
        return Runtime(pool.runtime or "", pool.version, wrapper=True)
    if readyz is not None:
        if readyz.runtime == HERMES:
            return Runtime(HERMES)
        if readyz.offered:
            return Runtime(OPENCLAW, core="2026.3+")
        if readyz.note.endswith("(the Control UI's page)"):
            # A GET that no route takes gets the Control UI's page: an OpenClaw core without /readyz.
            return Runtime(OPENCLAW, core="<2026.3")
    return UNKNOWN


def verdict(
    result: GatewayStatus | errors.GatewayError, readyz: Reading | None, pool: Reading | None
) -> GatewayStatus | errors.GatewayError:
    """`/convos/status`'s result, with a failure restated by what the other routes say about it.

    A status that answered stays the verdict (the plugin's own word); a failed one is explained: the runtime
    behind a pool wrapper still starting, a core ready whose plugin routes are missing (the 2026.3.13
    regression: text 404), a core not ready yet."""
    if isinstance(result, (GatewayStatus, errors.Starting)):
        return result  # a starting gateway says so itself, in its own words
    error = result
    missing = isinstance(error, errors.PluginMissing)
    waiting = isinstance(error, (errors.Unreachable, errors.GatewayTimeout))

    def restated(kind: type[errors.GatewayError], summary: str) -> errors.GatewayError:
        # The route's own answer stays in the detail, under the summary that explains it.
        detail = f"{error.summary}\n{error.detail}" if error.detail != error.summary else error.summary
        return kind(summary, detail=detail, status=error.status, route=error.route)

    if pool is not None and pool.offered and not pool.ready:
        if pool.runtime is None and (waiting or missing):
            return restated(
                errors.Starting, "starting: the runtime behind the pool wrapper is not up yet (/pool/health)"
            )
        if missing:
            return restated(
                errors.PluginMissing,
                f"no Convos plugin: the {pool.runtime} runtime is up (/pool/health), its Convos routes are missing",
            )
        if waiting:
            return restated(errors.Starting, f"starting: the {pool.runtime} runtime is up, its Convos routes not yet")
    if readyz is not None and readyz.offered:
        if readyz.ready and missing:
            what = "a web page (the Control UI)" if "web page" in error.summary else f"a text {error.status}"
            return restated(
                errors.PluginMissing,
                f"no Convos plugin: the core is ready (/readyz) but the plugin routes answer with {what}",
            )
        if not readyz.ready and (waiting or missing):
            return restated(errors.Starting, "starting: " + readyz.note)
    return error


@dataclass(frozen=True, slots=True)
class Provisioned:
    """The pool wrapper's `POST /pool/provision` answer: `{ok, inviteUrl, conversationId, joined, status}`."""

    status: str  # created | joined | pending_acceptance
    conversation_id: str | None
    invite_url: str | None
    joined: bool


PROVISION_STATUSES = ("created", "joined", "pending_acceptance")


def parse_provisioned(value: Any, route: str = "pool-provision") -> Provisioned:
    shape = _Shape(route, value)
    if shape.value.get("ok") is not True:
        raise shape.wrong("'ok' should be true")
    status = shape.value.get("status")
    if status not in PROVISION_STATUSES:
        raise shape.wrong(f"'status' should be one of {', '.join(PROVISION_STATUSES)}")
    invite = shape.value.get("inviteUrl")
    if invite is not None:
        invite = shape.text("inviteUrl", limit=8192)
    conversation_id = shape.ident("conversationId", optional=True)
    if status in ("created", "joined") and conversation_id is None:
        raise shape.wrong(f"a {status} provision without a conversationId")
    return Provisioned(status, conversation_id, invite, shape.flag("joined", optional=True) is True)
