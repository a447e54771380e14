"""Invite parsing: everything a person may paste, checked before any request."""

import base64
import os

import pytest

from convos_tui.api.invites import InviteError, parse_invite


def make_slug(nbytes=180):
    return base64.urlsafe_b64encode(os.urandom(nbytes)).decode().rstrip("=")


def starred(slug):
    return "*".join(slug[i : i + 300] for i in range(0, len(slug), 300))


def test_bare_slug():
    slug = make_slug()
    invite = parse_invite(slug)
    assert (invite.slug, invite.url, invite.env, invite.wire) == (slug, None, None, slug)


@pytest.mark.parametrize(
    ("base", "env"),
    [
        ("https://popup.convos.org/v2", "production"),
        ("https://convos.org/v2", "production"),
        ("https://dev.convos.org/v2", "dev"),
        ("https://dev.popup.convos.org/v2", "dev"),
        ("https://app.convos.org/v2", "production"),
        ("https://local.convos.org/v2", "local"),
    ],
)
def test_urls_on_known_hosts(base, env):
    slug = make_slug()
    invite = parse_invite(f"{base}?i={slug}")
    assert invite.slug == slug and invite.env == env
    assert invite.wire == f"{base}?i={slug}"


def test_star_separators_are_stripped_from_long_slugs():
    slug = make_slug(400)
    assert len(slug) > 300
    invite = parse_invite(f"https://dev.convos.org/v2?i={starred(slug)}")
    assert invite.slug == slug and "*" not in invite.slug


def test_wrapped_slug_pasted_from_a_terminal():
    slug = make_slug()
    wrapped = slug[:80] + "\n  " + slug[80:160] + "\n" + slug[160:]
    assert parse_invite(wrapped).slug == slug


@pytest.mark.parametrize("form", ["https://convos.app/join/{s}", "convos://join/{s}"])
def test_forms_the_cli_cannot_read_are_sent_as_the_slug(form):
    slug = make_slug()
    invite = parse_invite(form.format(s=slug))
    assert invite.wire == slug


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("bogus", "too short"),
        ("not-a-url", "too short"),
        ("https://example.invalid/v2?i=" + "A" * 240, "not a Convos host"),
        ("https://dev.convos.org/v2", "no invite in it"),
        ("ftp://dev.convos.org/v2?i=abc", "not an invite link"),
        ("A" * 239 + "+", "letters, digits"),
        ("A" * 239 + "=", "letters, digits"),
        ("A" * 241, "cut off or damaged"),
        ("A" * 20_000, "far more than any invite"),
    ],
)
def test_what_cannot_be_an_invite_is_refused_with_a_reason(text, words):
    with pytest.raises(InviteError) as caught:
        parse_invite(text)
    assert words in str(caught.value)


def test_env_mismatch_is_detected_and_explained():
    slug = make_slug()
    with pytest.raises(InviteError) as caught:
        parse_invite(f"https://dev.convos.org/v2?i={slug}", gateway_env="production", gateway_name="gw-7")
    message = str(caught.value)
    assert "dev network" in message and "gw-7 runs on production" in message
    assert parse_invite(f"https://dev.convos.org/v2?i={slug}", gateway_env="dev").env == "dev"
    # A bare slug does not tell its network: it cannot be checked, so it passes.
    assert parse_invite(slug, gateway_env="production").env is None
