"""Convos invites: what a person pastes, checked before any request is sent.

An invite is `<base>?i=<slug>` on a Convos host, or the bare slug. The slug is base64url (no padding)
of a signed protobuf; slugs over 300 characters carry a `*` every 300 characters (for iMessage),
which parsers strip. The gateway's CLI only understands the `?i=` form and the bare slug, so the
console turns other forms it recognises (`convos.app/join/<slug>`, `convos://join/<slug>`) into the slug.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

PRODUCTION_BASE = "https://popup.convos.org/v2"
DEV_BASE = "https://dev.convos.org/v2"
SLUG_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")
# A signed invite holds a 65-byte signature, a 32-byte inbox id, an encrypted conversation token
# and a tag: well over 100 bytes, so no real slug is shorter than this.
MIN_SLUG_CHARS = 100
MAX_INVITE_CHARS = 16_384
CONVOS_DOMAINS = ("convos.org", "convos.app")


class InviteError(ValueError):
    """What was given cannot be an invite (or not one for this gateway); the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Invite:
    slug: str  # without `*` separators
    url: str | None  # the `?i=` URL when one was given
    host: str | None
    env: str | None  # dev, production or local when the host tells; None for a bare slug

    @property
    def wire(self) -> str:
        """What the gateway is sent: the URL as given when the CLI understands it, else the slug."""
        return self.url or self.slug


def env_of_host(host: str) -> str:
    labels = host.lower().split(".")
    if "local" in labels[:-2]:
        return "local"
    if "dev" in labels[:-2]:
        return "dev"
    return "production"


def is_convos_host(host: str) -> bool:
    host = host.lower()
    return any(host == domain or host.endswith("." + domain) for domain in CONVOS_DOMAINS)


def parse_invite(text: str, *, gateway_env: str | None = None, gateway_name: str = "the gateway") -> Invite:
    """The invite in `text`, or InviteError saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise InviteError("the invite is empty: paste an invite URL (https://…?i=…) or its slug")
    text = text.strip()
    if len(text) > MAX_INVITE_CHARS:
        raise InviteError(f"that is {len(text):,} characters long, far more than any invite: paste one invite")
    invite = _parse_url(text) if "://" in text else _slug_invite(text, url=None, host=None)
    if gateway_env is not None:
        check_env(invite, gateway_env, gateway_name)
    return invite


def check_env(invite: Invite, gateway_env: str, gateway_name: str = "the gateway") -> None:
    if invite.env is None or invite.env == gateway_env:
        return
    raise InviteError(
        f"this invite is for the {invite.env} network ({invite.host}) but {gateway_name} runs on {gateway_env}: "
        f"join it from a {invite.env} gateway, or ask for a {gateway_env} invite"
    )


def _parse_url(text: str) -> Invite:
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        raise InviteError(f"that URL cannot be read ({exc}): paste the invite again") from None
    if parts.scheme == "convos" and host == "join":
        return _slug_invite(parts.path.strip("/"), url=None, host=None)
    if parts.scheme not in ("http", "https"):
        raise InviteError(f"{parts.scheme}:// is not an invite link: paste the https://…?i=… URL or the slug")
    if not is_convos_host(host):
        raise InviteError(
            f"{host or 'that URL'} is not a Convos host (invites live on convos.org or convos.app): "
            "check the link, or paste the bare slug if you trust it"
        )
    # Read `i` by hand: parse_qs would turn a stray `+` into a space and hide the damage.
    query = re.search(r"(?:^|&)i=([^&]*)", parts.query)
    if query:
        invite = _slug_invite(unquote(query.group(1)), url=None, host=host)
        # The CLI decodes the query itself: send the URL, cleaned of stray spaces from copying.
        return Invite(invite.slug, url=text.replace(" ", ""), host=host, env=env_of_host(host))
    match = re.fullmatch(r"/join/([^/]+)/?", parts.path)
    if match:
        # convos.app/join/<slug> is not understood by the gateway's CLI: send the slug instead.
        invite = _slug_invite(match.group(1), url=None, host=host)
        return Invite(invite.slug, url=None, host=host, env=env_of_host(host))
    raise InviteError(f"this {host} link has no invite in it (no ?i=…): copy the whole invite link")


def _slug_invite(raw: str, *, url: str | None, host: str | None) -> Invite:
    # Slugs copied from a terminal come wrapped or with the `*` separators: both are dropped.
    slug = re.sub(r"[\s*]", "", raw)
    if not slug:
        raise InviteError("the invite has no slug: copy the whole invite link")
    bad = next((ch for ch in slug if not SLUG_ALPHABET.match(ch)), None)
    if bad is not None:
        shown = bad if bad.isprintable() else f"U+{ord(bad):04X}"
        raise InviteError(
            f"an invite slug holds only letters, digits, - and _; this one has {shown!r}: copy the invite again, whole"
        )
    if len(slug) < MIN_SLUG_CHARS:
        raise InviteError(
            f"too short to be an invite ({len(slug)} characters; real ones have about 240 or more): "
            "copy the whole invite"
        )
    try:
        base64.urlsafe_b64decode(slug + "=" * (-len(slug) % 4))
    except (binascii.Error, ValueError):
        raise InviteError("the slug is cut off or damaged (it is not valid base64url): copy it again") from None
    return Invite(slug=slug, url=url, host=host, env=env_of_host(host) if host else None)
