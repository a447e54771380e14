"""The async client of one gateway's Convos API, over httpx.

One call, one request: nothing is retried here. A create, join, lock or explode that is retried by
itself can bind a second identity, so a call that timed out or lost its connection after the
request was sent reports that its outcome is unknown, and the caller re-polls to find out.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from convos_tui.api import crashpoints, errors, interpret, newer_bodies, transport
from convos_tui.api.endpoint import Endpoint, Route
from convos_tui.api.invites import Invite
from convos_tui.api.models import (
    CreatedConversation,
    GatewayStatus,
    JoinResult,
    LockResult,
    SendResult,
    SetupStatus,
)

USER_AGENT = transport.USER_AGENT


class GatewayClient:
    """Typed calls to one gateway. Use as `async with GatewayClient(endpoint) as client: ...`."""

    def __init__(self, endpoint: Endpoint, *, http: httpx.AsyncClient | None = None) -> None:
        self.endpoint = endpoint
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(
            verify=endpoint.verify_tls,
            follow_redirects=False,
            trust_env=False,  # a stray HTTP(S)_PROXY must not reroute loopback gateways
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # --- the routes -------------------------------------------------------------------------

    async def status(self) -> GatewayStatus:
        value = await self._call(Route.STATUS)
        return interpret.parse_status(value, Route.STATUS.label)

    async def create(
        self,
        *,
        name: str | None = None,
        profile_name: str | None = None,
        description: str | None = None,
        image_url: str | None = None,
        permissions: str | None = None,
        env: str | None = None,
        instructions: str | None = None,
        account_id: str | None = None,
    ) -> CreatedConversation:
        if permissions is not None and permissions not in ("all-members", "admin-only"):
            raise ValueError(f"permissions must be all-members or admin-only, not {permissions!r}")
        body = _drop_none(
            name=name,
            profileName=profile_name,
            description=description,
            imageUrl=image_url,
            permissions=permissions,
            env=_check_env(env),
            instructions=instructions,
            accountId=account_id,
        )
        started = time.monotonic()
        value = await self._call(Route.CREATE, body)
        return interpret.parse_created(value, time.monotonic() - started, Route.CREATE.label)

    async def join(
        self,
        invite: Invite,
        *,
        profile_name: str | None = None,
        env: str | None = None,
        instructions: str | None = None,
        account_id: str | None = None,
    ) -> JoinResult:
        body = _drop_none(
            inviteUrl=invite.wire,
            profileName=profile_name,
            env=_check_env(env),
            instructions=instructions,
            accountId=account_id,
        )
        started = time.monotonic()
        value = await self._call(Route.JOIN, body)
        return interpret.parse_join(value, time.monotonic() - started, Route.JOIN.label)

    async def send(self, message: str) -> SendResult:
        if not isinstance(message, str) or not message:
            raise ValueError("the message is empty: write something to send")
        value = await self._call(Route.SEND, {"message": message})
        return interpret.parse_send(value, Route.SEND.label)

    async def rename(self, profile_name: str) -> None:
        """Set the agent's profile (display) name in the conversation; the group name does not change."""
        if not isinstance(profile_name, str) or not profile_name:
            raise ValueError("the name is empty: give the agent's new profile name")
        value = await self._call(Route.RENAME, {"name": profile_name})
        interpret.parse_ok(value, Route.RENAME.label)

    async def lock(self) -> LockResult:
        """Lock the conversation. This rotates the invite: every earlier invite stops working."""
        value = await self._call(Route.LOCK, {})
        return interpret.parse_lock(value, True, Route.LOCK.label)

    async def unlock(self) -> LockResult:
        value = await self._call(Route.LOCK, {"unlock": True})
        return interpret.parse_lock(value, False, Route.LOCK.label)

    async def explode(self) -> None:
        """Destroy the conversation for everyone and unbind the gateway."""
        value = await self._call(Route.EXPLODE, None)
        interpret.parse_explode(value, Route.EXPLODE.label)

    async def setup_status(self) -> SetupStatus:
        value = await self._call(Route.SETUP_STATUS)
        return interpret.parse_setup_status(value, Route.SETUP_STATUS.label)

    # --- one request ------------------------------------------------------------------------

    async def _call(self, route: Route, body: dict[str, Any] | None = None) -> Any:
        timeout = self.endpoint.timeouts.for_route(route)
        headers = {"Accept": "application/json", "Accept-Encoding": "identity", "User-Agent": USER_AGENT}
        if self.endpoint.token:
            headers["Authorization"] = f"Bearer {self.endpoint.token}"
        content: bytes | None = None
        if route.method == "POST":
            headers["Content-Type"] = "application/json"
            content = json.dumps(body if body is not None else {}).encode()
        # Once the request's first bytes may have left, a failure leaves the outcome unknown.
        progress = {"sent": False}

        async def trace(event: str, info: dict[str, Any]) -> None:
            if ".send_request_headers." in event:
                progress["sent"] = True
            if route.mutating and event.endswith(".send_request_body.complete"):
                crashpoints.reached("request-sent")

        request = self._http.build_request(
            route.method,
            self.endpoint.route_url(route),
            headers=headers,
            content=content,
            timeout=httpx.Timeout(timeout),
            extensions={"trace": trace},
        )
        try:
            # The total deadline covers the body as well: httpx's own timeouts are per read,
            # so an answer dripping one byte a second would otherwise never time out.
            async with asyncio.timeout(timeout):
                response = await self._http.send(request, stream=True)
                try:
                    raw, truncated = await read_capped(response, interpret.MAX_BODY)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            raise self._timeout(route, timeout, progress["sent"]) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(route, exc, progress["sent"]) from None
        if response.headers.get("content-encoding", "identity").lower() not in ("identity", ""):
            raise errors.UnexpectedAnswer(
                transport.COMPRESSED,
                status=response.status_code,
                route=route.label,
            )
        return interpret.decode_answer(
            route.label,
            response.status_code,
            response.headers.get("content-type"),
            raw,
            truncated=truncated,
            retry_after=response.headers.get("retry-after"),
            location=response.headers.get("location"),
        )

    def _timeout(self, route: Route, seconds: float, maybe_sent: bool) -> errors.GatewayTimeout:
        unknown = route.mutating and maybe_sent
        summary = f"{route.label} timed out after {seconds:g} s"
        if unknown:
            summary += ": its outcome is unknown; re-poll the gateway to find out"
        return errors.GatewayTimeout(summary, route=route.label, outcome_unknown=unknown)

    def _transport_error(self, route: Route, exc: httpx.HTTPError, sent: bool) -> errors.GatewayError:
        reason = connection_reason(exc)
        if isinstance(exc, httpx.ConnectError):
            return errors.Unreachable(f"unreachable: {reason}", detail=_safe_detail(exc), route=route.label)
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return errors.Unreachable(f"bad URL: {reason}", detail=_safe_detail(exc), route=route.label)
        # The connection broke after the request went out (reset, closed mid-answer).
        unknown = route.mutating and sent
        summary = f"connection broken mid-answer: {reason}"
        if unknown:
            summary += "; the outcome is unknown: re-poll the gateway to find out"
        return errors.Unreachable(summary, detail=_safe_detail(exc), route=route.label, outcome_unknown=unknown)

    # --- the managed runtime's newer routes (OpenClaw fork and Hermes) ------------------------

    async def notify(self, text: str) -> None:
        """A system message the agent reads and answers in the conversation; members never see it."""
        text = newer_bodies.check_notify_text(text)
        try:
            value = await self._call(Route.NOTIFY, {"text": text})
        except errors.Unreachable as exc:
            raise _plugin_503(exc) from None
        interpret.parse_ok(value, Route.NOTIFY.label)

    async def update_metadata(self, metadata: dict[str, str]) -> None:
        """Set the agent's profile metadata in the conversation (what the pool sets when it adds a service)."""
        value = await self._call(Route.UPDATE_METADATA, {"metadata": newer_bodies.check_metadata(metadata)})
        interpret.parse_ok(value, Route.UPDATE_METADATA.label)

    async def reattest(self, attestation: str, attestation_ts: str, attestation_kid: str) -> None:
        """Replace the agent's attestation (the pool's signature over its inbox id and a time)."""
        signature, signed_at, kid = newer_bodies.check_attestation(attestation, attestation_ts, attestation_kid)
        body = {"attestation": signature, "attestation_ts": signed_at, "attestation_kid": kid}
        interpret.parse_ok(await self._call(Route.RE_ATTEST, body), Route.RE_ATTEST.label)

    async def reset(self, *, skip_greeting: bool = False) -> GatewayStatus | None:
        """The managed runtime's factory reset: the instance stopped, its identity and state deleted. Returns the
        status it answers with (None when it gave none). On xmtplabs/openclaw the same path starts a Control-UI
        onboarding instead: the action service checks the status shape before calling this."""
        value = await self._call(Route.RESET, {"skipGreeting": True} if skip_greeting else {})
        interpret.parse_ok(value, Route.RESET.label)
        if value.get("reset") is not True:
            raise errors.UnexpectedAnswer(
                "answer of the wrong shape: 'reset' should be true", status=200, route=Route.RESET.label
            )
        status = value.get("status")
        return interpret.parse_status(status, Route.RESET.label) if isinstance(status, dict) else None


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The body, read up to `limit` bytes; True when there was more (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def connection_reason(exc: BaseException) -> str:
    """Why a connection failed, in words a person can act on (httpx's protocol errors among the causes)."""
    return transport.connection_reason(exc, protocol_errors=(httpx.RemoteProtocolError,))


def _safe_detail(exc: httpx.HTTPError) -> str:
    # httpx messages hold the URL at most, never request headers: the pool key cannot leak here.
    return interpret.gateway_text(f"{type(exc).__name__}: {exc}")


def _plugin_503(exc: errors.Unreachable) -> errors.GatewayError:
    """A 503 carrying the plugin's own `{"error": …}` is its answer, not a proxy's: notify says so when it has no
    conversation or no runtime yet. Anything else stays what decode_answer made of it."""
    if exc.status != 503:
        return exc
    try:
        value = json.loads(exc.detail)
    except ValueError:
        return exc
    message = value.get("error") if isinstance(value, dict) else None
    if not isinstance(message, str):
        return exc
    message = interpret.gateway_text(message)
    if "No active conversation" in message:
        return errors.NoActiveConversation(
            "no active conversation on this gateway", detail=message, status=503, route=exc.route
        )
    return errors.Starting("starting: " + interpret.one_line(message, 80), detail=message, status=503, route=exc.route)


def _drop_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _check_env(env: str | None) -> str | None:
    if env is not None and env not in ("dev", "production"):
        raise ValueError(f"env must be dev or production, not {env!r}")
    return env
