"""One poll of one gateway: its status, and what its other routes say about it, probed only when needed.

A plain plugin gateway costs one request a poll, as before: its classic status shape names its runtime. Any
other gateway has `/readyz` and `/pool/health` probed at its first poll, and again when the status fails (in
the same poll, so the failure is explained at once), at the poll after a failure, and when the status changes
shape (a different runtime answers). What was learned is kept: the runtime, its version, and one reason per
route for the detail screen. A gateway whose `/convos/status` is missing but that answers the Railway
template's `/pool/status` is polled on that route from then on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from convos_tui.api import errors, interpret, runtimes
from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.http_answer import HttpSession, RawAnswer, decode


@dataclass(frozen=True, slots=True)
class Health:
    """What a gateway's routes said at the last probe, with the status of the last poll: kept as one
    object, the same one while nothing changes (so a polling process sends it only when it changes)."""

    runtime: runtimes.Runtime
    reasons: tuple[str, ...]  # one line per route that was asked

    def as_dict(self) -> dict[str, object]:
        return {"runtime": self.runtime.as_dict(), "reasons": list(self.reasons)}


_SHARED: dict[Health, Health] = {}
_SHARED_MAX = 4096


def _shared(health: Health) -> Health:
    """One object for equal healths: a fleet's gateways mostly say the same few things, and 5,000 copies of
    them would be 5,000 more objects in the polling process (and sent to the console)."""
    found = _SHARED.get(health)
    if found is not None:
        return found
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()  # error texts vary: start again rather than grow without bound
    _SHARED[health] = health
    return health


class RuntimeProbe:
    """The probing of one gateway's routes, and what it learned (see the module's docstring)."""

    __slots__ = ("_parsed", "_shape", "_tried_railway", "base", "headers", "health", "latency_s", "pool",
                 "probe_next", "railway", "readyz", "requests", "status_url", "verify")  # fmt: skip

    def __init__(self, base_url: str, headers: dict[str, str], *, verify: bool, railway: bool = False) -> None:
        self.base = base_url.rstrip("/")  # the probe routes' URLs are made when probed: rarely, and 1,000s of gateways
        self.headers = headers
        self.verify = verify
        self.status_url = self.base + (runtimes.POOL_STATUS if railway else "/convos/status")
        self._parsed: tuple[type, object] | None = None  # status_url as the session last polling it parsed it
        self.railway = railway
        self._tried_railway = railway
        self.readyz: runtimes.Reading | None = None
        self.pool: runtimes.Reading | None = None
        self.health: Health | None = None
        self.probe_next = True
        self._shape: str | None = None
        self.requests = 0  # sent by this probe, status polls included (what the benchmark counts)
        self.latency_s: float | None = None  # of the last status request

    async def poll(self, session: HttpSession, timeout_s: float) -> GatewayStatus | errors.GatewayError:
        """The verdict of one poll: the status (the plugin's own word), or the failure explained."""
        started = time.monotonic()
        result = await self._status(session, timeout_s)
        self.latency_s = time.monotonic() - started  # the status route's own, whatever else is asked
        if isinstance(result, errors.PluginMissing) and not self._tried_railway:
            result = await self._try_railway(session, timeout_s, result)
        shape = result.shape if isinstance(result, GatewayStatus) else None
        changed = shape is not None and self._shape is not None and shape != self._shape
        self._shape = shape or self._shape
        failed = isinstance(result, errors.GatewayError)
        silent = isinstance(result, errors.GatewayError) and result.status is None  # no HTTP answer at all
        if self.probe_next or changed or failed:
            if shape in ("classic", "railway") or silent:
                # Only the OpenClaw plugin answers the classic shape, only the Railway template this one: nothing
                # to ask (so a fleet of plugin gateways costs one request a poll from the first). Nor of a gateway
                # that does not answer at all: its other routes would only time out too.
                self.readyz = self.pool = None
            else:
                await self._probe(session, timeout_s)
            self._learn(result)
        # Again at the next poll after a failure: it may be back, and a restart may change the runtime's version.
        self.probe_next = failed
        return runtimes.verdict(result, self.readyz, self.pool)

    def _learn(self, result: GatewayStatus | errors.GatewayError) -> None:
        status = result if isinstance(result, GatewayStatus) else None
        runtime = runtimes.identify(self.readyz, self.pool, status)
        if runtime == runtimes.UNKNOWN and self.health is not None:
            runtime = self.health.runtime  # a gateway that stopped answering is still what it was
        route = "/pool/status" if self.railway else "/convos/status"
        first = f"{route}: " + (f"answered ({status.shape} shape)" if status else f"failed ({result})")
        reasons = (first, *(r.note for r in (self.readyz, self.pool) if r is not None))
        health = _shared(Health(runtime, reasons))
        if health != self.health:
            self.health = health

    async def _get(self, session: HttpSession, url: str, timeout_s: float, route: str) -> RawAnswer:
        self.requests += 1
        return await session.get(
            url, self.headers, verify=self.verify, timeout_s=timeout_s, route=route, limit=runtimes.PROBE_MAX
        )

    def _status_url(self, session: HttpSession) -> object:
        """The status URL parsed once by the kind of session polling it (it is asked on every poll)."""
        kind = type(session)
        if self._parsed is None or self._parsed[0] is not kind:
            self._parsed = (kind, session.parse(self.status_url))
        return self._parsed[1]

    async def _status(self, session: HttpSession, timeout_s: float) -> GatewayStatus | errors.GatewayError:
        route = "pool-status" if self.railway else "status"
        try:
            self.requests += 1
            answer = await session.get(
                self._status_url(session),
                self.headers,
                verify=self.verify,
                timeout_s=timeout_s,
                route="status",
                limit=interpret.MAX_BODY,
            )
            value = decode(answer, route)
            if self.railway:
                return interpret.parse_railway_status(value, route)
            return interpret.parse_status(value, route)
        except errors.GatewayError as error:
            return error

    async def _probe(self, session: HttpSession, timeout_s: float) -> None:
        async def read(url: str, route: str) -> runtimes.Reading | None:
            try:
                answer = await self._get(session, url, timeout_s, route)
            except errors.GatewayError:
                return None  # not known: the gateway is not answering at all
            if answer.truncated:
                return runtimes.Reading(route, False, note=f"{route}: absent (an answer over 64 KiB)")
            reader = runtimes.read_readyz if route == runtimes.READYZ else runtimes.read_pool_health
            return reader(answer.status, answer.content_type, answer.body)

        # One after the other, on the connection the status came on: no new connection per gateway.
        self.readyz = await read(self.base + runtimes.READYZ, runtimes.READYZ)
        self.pool = await read(self.base + runtimes.POOL_HEALTH, runtimes.POOL_HEALTH)

    async def _try_railway(
        self, session: HttpSession, timeout_s: float, missing: errors.PluginMissing
    ) -> GatewayStatus | errors.GatewayError:
        """`/convos/status` is missing: the Railway template answers `/pool/status` instead, perhaps."""
        self._tried_railway = True
        try:
            url = self.base + runtimes.POOL_STATUS
            answer = await self._get(session, url, timeout_s, "pool-status")
            status = interpret.parse_railway_status(decode(answer, "pool-status"), "pool-status")
        except errors.GatewayError:
            return missing
        self.railway, self.status_url, self._parsed = True, url, None
        return status
