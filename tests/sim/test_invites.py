"""Invite slugs: realistic shape, and the CLI's way of reading (and rejecting) them."""

from __future__ import annotations

import random
import re

import pytest

from convos_tui.sim.invites import InviteError, encode_invite, invite_base_url, parse_invite

BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
LONG_NAME = "Quarterly planning with the whole platform team, Berlin office"


def _slug(name: str | None = None, description: str | None = None, seed: int = 1) -> str:
    rng = random.Random(seed)
    return encode_invite(
        conversation_id=f"{rng.getrandbits(128):032x}",
        creator_inbox_id=f"{rng.getrandbits(256):064x}",
        tag="Ab3dEf9hIj",
        rng=rng,
        name=name,
        description=description,
    )


def test_slugs_are_base64url_without_padding_and_realistic_lengths() -> None:
    plain, named = _slug(), _slug("Convos Agent")
    for slug in (plain, named):
        assert BASE64URL.match(slug) and "=" not in slug
    assert 235 <= len(plain) <= 250  # real slugs: ≈240 characters without a name
    assert 255 <= len(named) <= 270  # ≈260 with "Convos Agent"


def test_long_slugs_get_a_star_every_300_characters() -> None:
    slug = _slug(LONG_NAME, description="Where we decide what ships next quarter, and who owns it.")
    parts = slug.split("*")
    assert len(slug.replace("*", "")) > 300 and len(parts) >= 2
    assert all(len(part) == 300 for part in parts[:-1]) and 0 < len(parts[-1]) <= 300
    parsed = parse_invite(f"https://dev.convos.org/v2?i={slug}")
    assert parsed.name == LONG_NAME and parsed.tag == "Ab3dEf9hIj"


def test_parse_accepts_urls_on_any_host_and_raw_slugs() -> None:
    slug = _slug("Convos Agent")
    for text in (slug, f"  {slug}\n", f"https://popup.convos.org/v2?i={slug}", f"https://example.com/x?a=1&i={slug}"):
        invite = parse_invite(text)
        assert invite.tag == "Ab3dEf9hIj" and invite.name == "Convos Agent" and invite.structurally_valid


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://example.invalid/v2?i=bogus", "invalid wire type 6 at offset 1"),  # transcript join_bogus
        ("not-a-url", "invalid wire type 6 at offset 3"),  # transcript join_bogus_slug
        ("AAAA", "index out of range: 3 + 1 > 3"),
        # No `i` parameter: the whole URL is decoded as the slug (so such links fail with a 500).
        ("https://convos.app/join/abc", "invalid wire type 6 at offset 3"),
    ],
)
def test_malformed_invites_fail_like_protobufjs(text: str, message: str) -> None:
    with pytest.raises(InviteError, match=f"^{re.escape(message)}$"):
        parse_invite(text)


def test_structurally_empty_invites_are_flagged() -> None:
    assert not parse_invite("").structurally_valid
    assert not parse_invite("CgA").structurally_valid


def test_base_urls() -> None:
    assert invite_base_url("production") == "https://popup.convos.org/v2"
    assert invite_base_url("dev") == "https://dev.convos.org/v2"
