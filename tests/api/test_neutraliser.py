"""`clean_text`, the one neutraliser of every string from a gateway or a config: controls, bidi, secrets."""

import pytest

from convos_tui.api import errors, interpret
from convos_tui.api.endpoint import Endpoint
from convos_tui.api.interpret import clean_text, decode_answer, gateway_text

R = "\N{REPLACEMENT CHARACTER}"


@pytest.mark.parametrize("character", [chr(c) for c in [*range(0, 9), *range(11, 32), *range(0x7F, 0xA0)]])
def test_every_c0_and_c1_control_but_tab_and_newline_is_made_visible(character):
    assert clean_text(f"a{character}b") == f"a{R}b"


@pytest.mark.parametrize(
    "character",
    [
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
        "\u2028",
        "\u2029",
    ],
)
def test_bidi_overrides_isolates_and_marks_are_made_visible(character):
    assert clean_text(f"gw{character}1") == f"gw{R}1"


def test_tab_newline_and_ordinary_unicode_stay():
    assert clean_text("line 1\n\tline 2 — ünïcødé 日本 ✔") == "line 1\n\tline 2 — ünïcødé 日本 ✔"


def test_credentials_are_redacted_by_shape_and_known_tokens_by_value():
    assert gateway_text("auth header was Bearer abc.DEF-123") == "auth header was Bearer [redacted]"
    assert gateway_text('{"Authorization": "xyz-123"}') == '{"Authorization": "[redacted]"}'
    assert gateway_text("poolApiKey=hunter2-long") == "poolApiKey=[redacted]"
    Endpoint("http://127.0.0.1:1", token="known-token-42")  # building the endpoint makes the token known
    assert gateway_text("echo known-token-42 back") == "echo [redacted] back"
    for prose in ("the bearer token is wrong", "pool key: see the wiki", "a token is not a secret word"):
        assert gateway_text(prose) == prose
    # clean_text, which config strings go through too, only neutralises: it is no judge of secrets
    assert clean_text("note: Bearer abc.DEF-123") == "note: Bearer abc.DEF-123"


@pytest.mark.parametrize("status", [400, 401, 500, 503, 418])
def test_every_error_text_a_gateway_sends_is_neutralised(status):
    Endpoint("http://127.0.0.1:1", token="known-token-43")
    hostile = "\x1b]52;c;cHduZWQ=\x07\x1b[2J \u202eRTL Bearer known-token-43 known-token-43"
    escaped = hostile.encode("unicode_escape").decode().replace('"', '\\"')
    body = f'{{"error": "{escaped}"}}'.encode()
    with pytest.raises(errors.GatewayError) as raised:
        decode_answer("create", status, "application/json", body)
    text = raised.value.summary + raised.value.detail
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "known-token-43" not in text


def test_text_answers_and_wrong_shapes_are_neutralised_too():
    with pytest.raises(errors.GatewayError) as raised:
        decode_answer("status", 200, "text/plain", "\x1b[31mBearer s3cret-xyz\u202e".encode())
    assert "\x1b" not in raised.value.detail and "s3cret-xyz" not in raised.value.detail
    with pytest.raises(errors.GatewayError) as raised:
        interpret.parse_status({"conversationId": "\x1b[2J"})
    assert "\x1b" not in raised.value.summary + raised.value.detail
