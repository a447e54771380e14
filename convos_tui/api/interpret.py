"""Turning a gateway's raw answer into a typed result or an error a person can act on.

Pure functions over (status, content type, body bytes): no I/O, so the httpx client and the
fleet poller (whatever HTTP stack it measures best with) classify answers exactly alike.
Nothing a gateway sends is trusted: not its size, encoding, content type, shape or strings.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, overload

from convos_tui.api import errors
from convos_tui.api.models import (
    CreatedConversation,
    GatewayStatus,
    JoinResult,
    LockResult,
    SendResult,
    SetupStatus,
)

MAX_BODY = 1024 * 1024  # the plugin's own request limit; no honest answer comes near it
SUMMARY_MAX = 240
ID_MAX = 200

# Every C0 and C1 control but tab and line feed (escape sequences start with ESC 0x1b or CSI 0x9b), and
# the bidirectional overrides, embeddings, isolates and marks that make text read other than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
REDACTED = "[redacted]"
SECRET_MIN = 6  # shorter "tokens" would redact ordinary words
# What a credential looks like: six or more token characters with a digit in them, or sixteen or more (so
# "the bearer token is wrong" or "pool key: see the wiki" stay as they are).
_CREDENTIAL = r"(?:(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{6,}|[A-Za-z0-9._~+/=-]{16,})"
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer|basic)(\s+)" + _CREDENTIAL),
    re.compile(
        r"(?i)\b(authorization|x-api-key|api[-_ ]?key|pool[-_ ]?api[-_ ]?key|pool[-_ ]?key)"
        r"([\"']?\s*[:=]\s*[\"']?)(?!bearer\b|basic\b)" + _CREDENTIAL
    ),
)
_known_secrets: set[str] = set()
_CLI_ERROR = re.compile(r"^\s*›\s+Error:\s*(.*)$")
_CLI_CONTINUATION = re.compile(r"^\s*›\s+(.*)$")


def clean_text(text: str) -> str:
    """Text safe to keep and show: control and bidi characters (escape sequences among them) made visible."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def gateway_text(text: str) -> str:
    """Text a gateway sent, safe to show, store and export: cleaned, and every credential in it redacted."""
    return redact(clean_text(text))


def remember_secret(value: str | None) -> None:
    """A token (pool key) this process holds: from now on `redact` removes it wherever it appears."""
    if value and len(value) >= SECRET_MIN:
        _known_secrets.add(value)


def redact(text: str) -> str:
    """`text` without any known token, nor anything shaped like a credential (`Bearer …`, `Authorization: …`)."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return text


def one_line(text: str, limit: int = SUMMARY_MAX) -> str:
    line = " ".join(gateway_text(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def cli_error_summary(text: str) -> str:
    """The useful part of a CLI failure: its first ` ›   Error:` line with the lines that continue it.

    The plugin wraps every CLI failure as `Command failed: <argv>\\n ›   Error: …\\n\\nUSAGE …` (2-3 KB);
    oclif wraps the message at about 80 columns, continuing it on lines that start with ` ›`.
    """
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _CLI_ERROR.match(line)
        if not match:
            continue
        parts = [match.group(1)]
        for follow in lines[index + 1 :]:
            cont = _CLI_CONTINUATION.match(follow)
            if not cont or _CLI_ERROR.match(follow):
                break
            parts.append(cont.group(1))
        return one_line(" ".join(parts))
    first = next((line for line in lines if line.strip()), text)
    return one_line(first)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP date: no gateway sends one; treat as unknown
    return seconds if 0 <= seconds <= 3600 else None


def decode_answer(
    route: str,
    status: int,
    content_type: str | None,
    body: bytes,
    *,
    truncated: bool = False,
    retry_after: str | None = None,
    location: str | None = None,
) -> Any:
    """The JSON value of a successful (200) plugin answer, or the GatewayError that the answer means."""
    if truncated:
        raise errors.UnexpectedAnswer(
            f"answer larger than {MAX_BODY // 1024} KiB: cut off and ignored",
            detail=_preview(body),
            status=status,
            route=route,
        )
    if 300 <= status < 400:
        where = one_line(location or "nowhere", 120)
        raise errors.UnexpectedAnswer(
            f"redirected (HTTP {status}) to {where}: redirects are not followed; put the final URL in the config",
            status=status,
            route=route,
        )
    if status == 503:
        text = _text_or_empty(body)
        if retry_after is not None or "starting" in text.lower():
            raise errors.Starting(
                "starting: " + (one_line(text, 80) or "the gateway is not ready yet"),
                retry_after=parse_retry_after(retry_after),
                detail=text,
                status=status,
                route=route,
            )
    if status in (502, 503, 504):
        raise errors.Unreachable(
            f"HTTP {status} from a proxy: the gateway behind it is down or unreachable",
            detail=_text_or_empty(body),
            status=status,
            route=route,
        )
    if status == 401:
        raise errors.Unauthorized(
            "unauthorized (401): the pool key is missing or wrong",
            detail=_text_or_empty(body),
            status=status,
            route=route,
        )
    kind = media_type(content_type)
    if kind != "application/json":
        raise errors.PluginMissing(
            _not_plugin_summary(status, kind),
            detail=_preview(body),
            status=status,
            route=route,
        )
    value = _parse_json(route, status, body)
    if status == 200:
        return value
    message = _error_text(value)
    if status == 404 and message == "Not Found":
        # FastAPI's own answer for a route it does not have (Hermes): the route is absent, as a text 404 says.
        raise errors.PluginMissing(_not_plugin_summary(status, kind), detail=message, status=status, route=route)
    if status == 409:
        raise errors.AlreadyBound(
            "already holds a conversation: provision a fresh instance",
            detail=message or "",
            status=status,
            route=route,
        )
    if status == 400 and message == "No active conversation":
        raise errors.NoActiveConversation(
            "no active conversation on this gateway", detail=message, status=status, route=route
        )
    if status in (400, 422):  # 422: FastAPI's body validation (Hermes), before any other check of the route
        raise errors.InvalidRequest(
            "refused: " + one_line(message or "bad request"), detail=message or "", status=status, route=route
        )
    if status == 500:
        raise errors.GatewayFailure(
            "failed: " + cli_error_summary(message or "Internal Server Error"),
            detail=message or "",
            status=status,
            route=route,
        )
    if status == 405:
        raise errors.UnexpectedAnswer(
            "the route refused the method (405): this plugin version serves it differently",
            detail=message or "",
            status=status,
            route=route,
        )
    raise errors.UnexpectedAnswer(
        f"unexpected HTTP {status}" + (f": {one_line(message, 120)}" if message else ""),
        detail=message or _preview(body),
        status=status,
        route=route,
    )


def _text_or_empty(body: bytes) -> str:
    return gateway_text(body[:4096].decode("utf-8", errors="replace"))


def _preview(body: bytes, limit: int = 2000) -> str:
    text = gateway_text(body[:limit].decode("utf-8", errors="replace"))
    return text + ("…" if len(body) > limit else "")


def _not_plugin_summary(status: int, kind: str) -> str:
    if kind == "text/html":
        return f"no Convos plugin: the gateway answers with a web page (HTTP {status}, the Control UI)"
    if status in (404, 405):
        return f"no Convos plugin: the gateway has no such route (HTTP {status})"
    shown = kind or "no content type"
    return f"no Convos plugin: HTTP {status} with {shown}, not the plugin's JSON"


def _parse_json(route: str, status: int, body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.UnexpectedAnswer(
            f"the answer is not valid UTF-8 (byte {exc.start})", detail=_preview(body), status=status, route=route
        ) from None
    if not text.strip():
        return None  # HEAD-like empty answers; callers that need a body reject None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f"line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "nesting"
        raise errors.UnexpectedAnswer(
            f"the answer is not valid JSON ({where})", detail=_preview(body), status=status, route=route
        ) from None


def _error_text(value: Any) -> str | None:
    """The error message of an answer: the OpenClaw plugin's `{"error": str}`, or FastAPI's (Hermes)
    `{"detail": str}` or `{"detail": [{"loc": [...], "msg": str}, ...]}` (one line per invalid field)."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("error"), str):
        return gateway_text(value["error"])
    detail = value.get("detail")
    if isinstance(detail, str):
        return gateway_text(detail)
    if isinstance(detail, list):
        problems = [_validation_problem(item) for item in detail[:5]]
        return gateway_text("; ".join(p for p in problems if p)) or None
    return None


def _validation_problem(item: Any) -> str:
    """One of FastAPI's validation errors as `field 'message': Field required`: the field named first,
    without the `body` FastAPI puts in front of every body field."""
    if not isinstance(item, dict) or not isinstance(item.get("msg"), str):
        return ""
    where = item.get("loc")
    parts = [str(p) for p in where if isinstance(p, (str, int))] if isinstance(where, list) else []
    if parts[:1] == ["body"]:
        parts = parts[1:]
    field = ".".join(parts)
    return f"field {field!r}: {item['msg']}" if field else item["msg"]


# --- route answers ---------------------------------------------------------------------------


class _Shape:
    """Reads fields of one answer, raising UnexpectedAnswer that names the route and the field."""

    def __init__(self, route: str, value: Any) -> None:
        if not isinstance(value, dict):
            raise errors.UnexpectedAnswer(
                f"expected a JSON object, got {_json_type(value)}", detail=_describe(value), status=200, route=route
            )
        self.route = route
        self.value: dict[str, Any] = value

    def wrong(self, what: str) -> errors.UnexpectedAnswer:
        return errors.UnexpectedAnswer(
            f"answer of the wrong shape: {what}", detail=_describe(self.value), status=200, route=self.route
        )

    # Overloads: a required field is never None, an optional one may be.
    @overload
    def flag(self, key: str, *, optional: Literal[False] = False) -> bool: ...
    @overload
    def flag(self, key: str, *, optional: Literal[True]) -> bool | None: ...

    def flag(self, key: str, *, optional: bool = False) -> bool | None:
        value = self.value.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, bool):
            raise self.wrong(f"{key!r} should be true or false, got {_json_type(value)}")
        return value

    @overload
    def ident(self, key: str, *, optional: Literal[False] = False, source: dict[str, Any] | None = None) -> str: ...
    @overload
    def ident(self, key: str, *, optional: Literal[True], source: dict[str, Any] | None = None) -> str | None: ...

    def ident(self, key: str, *, optional: bool = False, source: dict[str, Any] | None = None) -> str | None:
        value = (self.value if source is None else source).get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value or len(value) > ID_MAX or _CONTROL.search(value):
            raise self.wrong(f"{key!r} should be an identifier, got {_json_type(value)}")
        return value

    def text(self, key: str, *, limit: int = 10_000) -> str:
        value = self.value.get(key)
        if not isinstance(value, str) or not value or len(value) > limit or _CONTROL.search(value):
            raise self.wrong(f"{key!r} should be text, got {_json_type(value)}")
        return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string" if len(value) <= ID_MAX else f"a string of {len(value)} characters"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _describe(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return gateway_text(text[:2000])


CLASSIC_KEYS = ("ready", "conversation", "streaming")
NEWER_KEYS = ("conversationId", "inboxId", "pending", "clean")


def parse_status(value: Any, route: str = "status") -> GatewayStatus:
    shape = _Shape(route, value)
    raw = shape.value
    has_classic = any(key in raw for key in CLASSIC_KEYS)
    if not has_classic and not any(key in raw for key in NEWER_KEYS):
        raise shape.wrong("none of the status fields (ready, conversation, streaming or conversationId)")
    if not has_classic or ("conversationId" in raw and "conversation" not in raw):
        return GatewayStatus(
            shape="newer",
            ready=True,  # the plugin answered; this shape has no readiness flag
            conversation_id=shape.ident("conversationId", optional=True),
            streaming=None,
            pending=bool(shape.flag("pending", optional=True)),
            inbox_id=shape.ident("inboxId", optional=True),
            clean=shape.flag("clean", optional=True),
            missing=tuple(key for key in NEWER_KEYS if key not in raw),
            raw=raw,
        )
    ready = shape.flag("ready", optional=True)
    conversation = raw.get("conversation")
    if conversation is None:
        conversation_id = None
    elif isinstance(conversation, dict):
        conversation_id = shape.ident("id", source=conversation)
    else:
        raise shape.wrong(f"'conversation' should be an object or null, got {_json_type(conversation)}")
    return GatewayStatus(
        shape="classic",
        ready=True if ready is None else ready,
        conversation_id=conversation_id,
        streaming=shape.flag("streaming", optional=True),
        pending=raw.get("pending") is True,  # some forks add it beside the classic keys
        missing=tuple(key for key in CLASSIC_KEYS if key not in raw),
        raw=raw,
    )


RAILWAY_KEYS = ("ready", "provisioned", "conversationId", "inviteUrl")


def parse_railway_status(value: Any, route: str = "pool-status") -> GatewayStatus:
    """The Railway template's `GET /pool/status`: `ready` is its pre-warmed identity, `provisioned` a
    conversation made (its invite URL is not kept: an invite is a secret of the moment)."""
    shape = _Shape(route, value)
    raw = shape.value
    if "provisioned" not in raw or "ready" not in raw:
        raise shape.wrong("not the Railway template's /pool/status (ready, provisioned)")
    provisioned = shape.flag("provisioned")
    return GatewayStatus(
        shape="railway",
        ready=shape.flag("ready"),
        conversation_id=shape.ident("conversationId", optional=True),
        streaming=None,
        clean=not provisioned,
        missing=tuple(key for key in RAILWAY_KEYS if key not in raw),
        raw={key: raw[key] for key in ("ready", "provisioned", "conversationId") if key in raw},
    )


def parse_created(value: Any, elapsed_s: float, route: str = "create") -> CreatedConversation:
    shape = _Shape(route, value)
    return CreatedConversation(
        conversation_id=shape.ident("conversationId"),
        invite_url=shape.text("inviteUrl", limit=8192),
        invite_slug=shape.text("inviteSlug", limit=8192),
        elapsed_s=elapsed_s,
    )


JOINED = "joined"
PENDING_STATUSES = ("waiting_for_acceptance", "pending_acceptance")


def parse_join(value: Any, elapsed_s: float, route: str = "join") -> JoinResult:
    shape = _Shape(route, value)
    status = shape.value.get("status")
    if status == JOINED:
        conversation_id = shape.ident("conversationId")
        return JoinResult("joined", conversation_id, JOINED, elapsed_s)
    if status in PENDING_STATUSES:
        return JoinResult("pending", shape.ident("conversationId", optional=True), status, elapsed_s)
    raise shape.wrong(f"'status' should be joined or waiting_for_acceptance, got {_describe(status)[:60]}")


def parse_send(value: Any, route: str = "send") -> SendResult:
    shape = _Shape(route, value)
    if shape.value.get("success") is False:
        raise errors.GatewayFailure("failed: the gateway reports the message was not sent", route=route, status=200)
    return SendResult(
        message_id=shape.ident("messageId", optional=True),
        conversation_id=shape.ident("conversationId", optional=True),
        raw=shape.value,
    )


def parse_ok(value: Any, route: str) -> None:
    shape = _Shape(route, value)
    if shape.value.get("ok") is not True:
        raise shape.wrong("'ok' should be true")


def parse_lock(value: Any, requested_lock: bool, route: str = "lock") -> LockResult:
    parse_ok(value, route)
    locked = _Shape(route, value).flag("locked", optional=True)
    return LockResult(locked=requested_lock if locked is None else locked)


def parse_explode(value: Any, route: str = "explode") -> None:
    parse_ok(value, route)
    if _Shape(route, value).flag("exploded", optional=True) is False:
        raise _Shape(route, value).wrong("'exploded' is false")


def parse_setup_status(value: Any, route: str = "setup-status") -> SetupStatus:
    shape = _Shape(route, value)
    return SetupStatus(
        active=shape.flag("active"),
        joined=shape.flag("joined"),
        joiner_inbox_id=shape.ident("joinerInboxId", optional=True),
    )
