"""Convos invite slugs: how the CLI writes them and how it reads them back.

A slug is base64url (no padding) of a protobuf `SignedInvite{payload, signature}` whose payload is an
`InvitePayload{conversationToken, creatorInboxId, tag, name?, description?, imageURL?, …}`; it is zlib
compressed behind a 0x1f marker only when that is smaller, and slugs over 300 characters get a `*` every 300
characters (CLI `src/utils/invite.ts`). Real slugs are signed with the creator's secp256k1 key and carry the
conversation id encrypted; the simulator cannot and need not do either, so those bytes are random with the
right lengths, which keeps slug lengths and shapes identical to real ones.

Reading follows `parseInvite` byte for byte where it matters to a client: Node's lenient base64url decoder,
then protobufjs' reader, whose errors (`invalid wire type 6 at offset 1`, `index out of range: …`) are what
the real CLI prints for a malformed invite.
"""

from __future__ import annotations

import base64
import random
import re
import string
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .jsjson import js_trim

__all__ = ["InviteError", "ParsedInvite", "encode_invite", "invite_base_url", "parse_invite", "random_tag"]

# Invite URL bases of the CLI the plugin pins (cae4ddb386).
_BASE_URLS = {"production": "https://popup.convos.org/v2", "dev": "https://dev.convos.org/v2"}
_COMPRESSION_MARKER = 0x1F
_SEPARATOR_EVERY = 300
_ALNUM = string.ascii_letters + string.digits


class InviteError(Exception):
    """The invite could not be used; `str(error)` is the CLI's error message."""


def invite_base_url(env: str) -> str:
    return _BASE_URLS.get(env, _BASE_URLS["production"])


def random_tag(rng: random.Random) -> str:
    """A 10-character alphanumeric invite tag (CLI randomAlphanumeric(10))."""
    return "".join(rng.choice(_ALNUM) for _ in range(10))


# ---- writing --------------------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_bytes(field: int, data: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _conversation_token(conversation_id: str, rng: random.Random) -> bytes:
    """Bytes shaped like the CLI's ChaCha20-Poly1305 token: version 1, nonce, packed id, auth tag."""
    raw = conversation_id.encode("utf-8")
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", conversation_id, re.I):
        packed_len = 17
    elif len(raw) <= 255:
        packed_len = 2 + len(raw)
    else:
        packed_len = 4 + len(raw)
    return bytes([1]) + rng.randbytes(12 + packed_len + 16)


def encode_invite(
    *,
    conversation_id: str,
    creator_inbox_id: str,
    tag: str,
    rng: random.Random,
    name: str | None = None,
    description: str | None = None,
    image_url: str | None = None,
) -> str:
    """A slug for this conversation, as `convos conversations create` prints it (with `*` separators)."""
    payload = b"".join(
        [
            _field_bytes(1, _conversation_token(conversation_id, rng)),
            _field_bytes(2, bytes.fromhex(creator_inbox_id)),
            _field_bytes(3, tag.encode("utf-8")),
            _field_bytes(4, name.encode("utf-8")) if name else b"",
            _field_bytes(5, description.encode("utf-8")) if description else b"",
            _field_bytes(6, image_url.encode("utf-8")) if image_url else b"",
            bytes([9 << 3 | 0, 0]),  # expiresAfterUse: false (protobufjs writes it because it is set)
        ]
    )
    # A 65-byte recoverable secp256k1 signature: r, s, recovery id.
    signature = rng.randbytes(64) + bytes([rng.randrange(2)])
    signed = _field_bytes(1, payload) + _field_bytes(2, signature)
    if len(signed) > 100:
        compressed = zlib.compress(signed)
        if len(compressed) + 5 < len(signed):
            signed = bytes([_COMPRESSION_MARKER]) + len(signed).to_bytes(4, "big") + compressed
    slug = base64.urlsafe_b64encode(signed).rstrip(b"=").decode("ascii")
    if len(slug) <= _SEPARATOR_EVERY:
        return slug
    return "*".join(slug[i : i + _SEPARATOR_EVERY] for i in range(0, len(slug), _SEPARATOR_EVERY))


# ---- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedInvite:
    tag: str
    creator_inbox_id: str
    name: str | None
    description: str | None
    expires_at: int | None  # unix seconds
    conversation_expires_at: int | None
    structurally_valid: bool  # CLI verifyInvite's structural part


_B64_VALUES = {ch: i for i, ch in enumerate(string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/")}
_B64_VALUES.update({"-": 62, "_": 63})


def _base64url_decode(text: str) -> bytes:
    """Node's Buffer.from(text, "base64url"): both alphabets, other characters skipped, stops at `=`."""
    values: list[int] = []
    for ch in text:
        if ch == "=":
            break
        value = _B64_VALUES.get(ch)
        if value is not None:
            values.append(value)
    out = bytearray()
    for i in range(0, len(values) - 1, 4):
        group = values[i : i + 4]
        bits = 0
        for v in group:
            bits = bits << 6 | v
        bits <<= 6 * (4 - len(group))
        out += bits.to_bytes(3, "big")[: len(group) - 1]
    return bytes(out)


class _Reader:
    """protobufjs' Reader, including what it does past the end of the buffer (reads `undefined` as 0)."""

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0
        self.len = len(buf)

    def _range_error(self, length: int) -> InviteError:
        return InviteError(f"index out of range: {self.pos} + {length or 1} > {self.len}")

    def uint32(self) -> int:
        value = 0
        for shift, mask in ((0, 127), (7, 127), (14, 127), (21, 127), (28, 15)):
            byte = self.buf[self.pos] if self.pos < self.len else None
            value = (value | ((byte if byte is not None else 0) & mask) << shift) & 0xFFFFFFFF
            self.pos += 1
            if byte is not None and byte < 128:
                return value
        self.pos += 5
        if self.pos > self.len:
            self.pos = self.len
            raise self._range_error(10)
        return value

    def bytes(self) -> bytes:
        length = self.uint32()
        end = self.pos + length
        if end > self.len:
            raise self._range_error(length)
        data = self.buf[self.pos : end]
        self.pos = end
        return data

    def skip(self, length: int | None = None) -> None:
        if length is not None:
            if self.pos + length > self.len:
                raise self._range_error(length)
            self.pos += length
            return
        while True:
            if self.pos >= self.len:
                raise self._range_error(1)
            byte = self.buf[self.pos]
            self.pos += 1
            if not byte & 128:
                return

    def skip_type(self, wire_type: int) -> None:
        if wire_type == 0:
            self.skip()
        elif wire_type == 1:
            self.skip(8)
        elif wire_type == 2:
            self.skip(self.uint32())
        elif wire_type == 3:
            while (inner := self.uint32() & 7) != 4:
                self.skip_type(inner)
        elif wire_type == 5:
            self.skip(4)
        else:
            raise InviteError(f"invalid wire type {wire_type} at offset {self.pos}")

    def sfixed64(self) -> int:
        if self.pos + 8 > self.len:
            raise self._range_error(8)
        value = int.from_bytes(self.buf[self.pos : self.pos + 8], "little", signed=True)
        self.pos += 8
        return value


def _decode(buf: bytes, readers: dict[int, str]) -> dict[int, object]:
    """protobufjs' generated decoder: known field ids read by type whatever the wire type, others skipped."""
    reader = _Reader(buf)
    fields: dict[int, object] = {}
    while reader.pos < reader.len:
        tag = reader.uint32()
        kind = readers.get(tag >> 3)
        if kind == "bytes":
            fields[tag >> 3] = reader.bytes()
        elif kind == "string":
            fields[tag >> 3] = reader.bytes().decode("utf-8", "replace")
        elif kind == "sfixed64":
            fields[tag >> 3] = reader.sfixed64()
        elif kind == "bool":
            fields[tag >> 3] = reader.uint32() != 0
        else:
            reader.skip_type(tag & 7)
    return fields


def _time_field(fields: dict[int, object], key: int) -> int | None:
    """An sfixed64 time of a decoded payload; 0 or absent (protobufjs' default): None."""
    value = fields.get(key)
    assert value is None or isinstance(value, int)  # _decode reads every sfixed64 field as an int
    return value or None


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        # Same zlib messages as Node, except the truncated-stream one Node words differently.
        text = str(exc).split(": ", 1)[-1]
        raise InviteError("unexpected end of file" if "incomplete" in text else text) from None


def _slug_of(text: str) -> str:
    """CLI parseInvite: trim, take the `i` query parameter of a URL, else the whole text; drop `*`."""
    slug = js_trim(text)
    # `new URL(slug)` succeeds only for something with a scheme; a bare slug never has one.
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", slug):
        query = slug.split("#", 1)[0].partition("?")[2]
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key == "i":
                if value:
                    slug = value
                break
    return slug.replace("*", "")


def parse_invite(text: str) -> ParsedInvite:
    """Parse an invite URL or slug like the CLI; raises InviteError with the CLI's message."""
    data = _base64url_decode(_slug_of(text))
    if data[:1] == bytes([_COMPRESSION_MARKER]):
        try:
            data = _inflate(data[5:])
        except InviteError:
            data = _inflate(data[1:])
    signed = _decode(data, {1: "bytes", 2: "bytes"})
    payload_bytes = signed.get(1, b"")
    signature = signed.get(2, b"")
    assert isinstance(payload_bytes, bytes) and isinstance(signature, bytes)
    payload = _decode(
        payload_bytes,
        {
            1: "bytes",
            2: "bytes",
            3: "string",
            4: "string",
            5: "string",
            6: "string",
            7: "sfixed64",
            8: "sfixed64",
            9: "bool",
        },
    )
    tag = str(payload.get(3, ""))
    creator = payload.get(2, b"")
    token = payload.get(1, b"")
    assert isinstance(creator, bytes) and isinstance(token, bytes)
    return ParsedInvite(
        tag=tag,
        creator_inbox_id=creator.hex(),
        name=str(payload[4]) if payload.get(4) else None,
        description=str(payload[5]) if payload.get(5) else None,
        expires_at=_time_field(payload, 8),
        conversation_expires_at=_time_field(payload, 7),
        structurally_valid=bool(tag and creator and token and len(signature) == 65 and payload_bytes),
    )
