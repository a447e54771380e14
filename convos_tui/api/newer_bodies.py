"""What an operator sends to the managed runtime's newer routes, checked before any request.

Notify takes a text, update-metadata a JSON object of strings, re-attest three strings signed by the pool.
Each check raises ValueError saying what is wrong and what to give instead; the action service turns that into
a refusal (nothing sent). The limits come from the runtimes' sources (xmtplabs/convos-managed-agent-runtime):
the OpenClaw plugin reads at most 1 MiB of body, Hermes's models want `metadata: dict[str, str]` and three
strings for an attestation, and the pool signs an attestation as base64url Ed25519 with an ISO 8601 UTC time.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from convos_tui.api.interpret import clean_text

MAX_NOTIFY_BYTES = 256 * 1024  # far under the plugin's 1 MiB body limit; a notification is a short text
MAX_METADATA_BYTES = 8 * 1024  # a profile's metadata travels in every profile update: keep it small
MAX_METADATA_KEYS = 64
MAX_KEY_CHARS = 128
MAX_ATTESTATION_CHARS = 512
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
_KID = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces


def check_notify_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the notification is empty: write the text the agent should read and answer")
    size = len(text.encode("utf-8"))
    if size > MAX_NOTIFY_BYTES:
        raise ValueError(f"the notification is {size:,} bytes: at most {MAX_NOTIFY_BYTES:,} are sent")
    return text


def check_metadata(value: Any) -> dict[str, str]:
    """A JSON object of string values, small enough to be a profile's metadata."""
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else type(value).__name__
        raise ValueError(f'metadata must be a JSON object such as {{"team": "ops"}}, not {kind}')
    if not value:
        raise ValueError("the metadata is empty: give at least one key and its value")
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"the metadata has {len(value)} keys: at most {MAX_METADATA_KEYS} are sent")
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_CHARS or clean_text(key) != key:
            raise ValueError(
                f"metadata key {clean_text(str(key))[:60]!r} is not a usable name: "
                f"1 to {MAX_KEY_CHARS} characters, no control characters"
            )
        if not isinstance(item, str):
            kind = "null" if item is None else type(item).__name__
            raise ValueError(
                f"metadata value of {key!r} is {kind}: every value must be a string "
                f"(write {json.dumps(str(item) if item is not None else '')} to send it as text)"
            )
        if clean_text(item) != item:
            raise ValueError(f"metadata value of {key!r} holds a control character: give plain text")
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"the metadata is {size:,} bytes as JSON: at most {MAX_METADATA_BYTES:,} are sent")
    return dict(value)


def parse_metadata_json(text: str, where: str) -> dict[str, str]:
    """Metadata given as JSON text (a file, standard input, a form); `where` names it in the message."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    return check_metadata(value)


def check_attestation(attestation: Any, attestation_ts: Any, attestation_kid: Any) -> tuple[str, str, str]:
    """The pool's signed attestation of an agent's inbox: signature, time and key id, each checked."""
    if not isinstance(attestation, str) or not attestation.strip():
        raise ValueError("the attestation is empty: give the signature the pool signed for this agent's inbox")
    if len(attestation) > MAX_ATTESTATION_CHARS or not _BASE64URL.match(attestation):
        raise ValueError(
            "the attestation is not a base64url signature (letters, digits, - and _; the pool's is 86 characters)"
        )
    if not isinstance(attestation_ts, str) or not attestation_ts.strip():
        raise ValueError("the attestation time is empty: give the time the pool signed, e.g. 2026-04-11T18:27:14Z")
    try:
        signed = datetime.fromisoformat(attestation_ts)
    except ValueError:
        raise ValueError(
            f"the attestation time {clean_text(attestation_ts)[:60]!r} is not an ISO 8601 time "
            "(e.g. 2026-04-11T18:27:14.000Z, as the pool writes it)"
        ) from None
    if signed.tzinfo is None:
        raise ValueError("the attestation time has no time zone: the pool signs in UTC (ending in Z)")
    if not isinstance(attestation_kid, str) or not _KID.match(attestation_kid):
        raise ValueError("the attestation key id is missing or not plain text (1 to 200 characters, no spaces)")
    return attestation, attestation_ts, attestation_kid
