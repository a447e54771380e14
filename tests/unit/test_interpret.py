"""How raw gateway answers become typed results or actionable errors (no network)."""

import json

import pytest

from convos_tui.api import errors, interpret

JSON = "application/json"
CLI_FAILURE = (
    "Command failed: <node> <convos-cli>/bin/run.js conversations create --name X --profile-name X --json --env dev\n"
    " ›   Error: [ApiError::Api] api client error api client at endpoint \n"
    ' ›   "/xmtp.identity.api.v1.IdentityApi/GetInboxIds" has error code: \'The \n'
    ' ›   service is currently unavailable\', message: "dns error"\n'
    "\nUSAGE\n  $ convos conversations create [--home <path>]\n"
)


def answer(status, body, content_type=JSON, **kwargs):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return interpret.decode_answer("status", status, content_type, raw, **kwargs)


def test_ok_json_is_returned():
    assert answer(200, {"ready": True}) == {"ready": True}


def test_json_with_charset_is_still_the_plugin():
    assert answer(200, {"a": 1}, "application/json; charset=utf-8") == {"a": 1}


@pytest.mark.parametrize(
    ("status", "content_type", "body", "words"),
    [
        (200, "text/html; charset=utf-8", b"<!doctype html><title>OpenClaw</title>", "web page"),
        (404, "text/plain; charset=utf-8", b"Not Found", "no such route (HTTP 404)"),
        (405, "text/plain; charset=utf-8", b"Method Not Allowed", "no such route (HTTP 405)"),
        (200, None, b'{"ready":true}', "no content type"),
    ],
)
def test_anything_but_json_means_plugin_missing(status, content_type, body, words):
    with pytest.raises(errors.PluginMissing) as caught:
        answer(status, body, content_type)
    assert words in caught.value.summary
    assert caught.value.kind == "plugin-missing"


def test_503_with_retry_after_is_starting():
    with pytest.raises(errors.Starting) as caught:
        answer(503, b"Plugin runtime is starting", "text/plain", retry_after="1")
    assert caught.value.retry_after == 1.0
    assert "Plugin runtime is starting" in caught.value.summary


def test_proxy_bad_gateway_is_unreachable():
    with pytest.raises(errors.Unreachable) as caught:
        answer(502, b"<html>Bad Gateway</html>", "text/html")
    assert "proxy" in caught.value.summary


def test_401_is_unauthorized_with_a_hint_about_the_pool_key():
    with pytest.raises(errors.Unauthorized) as caught:
        answer(401, {"error": "Unauthorized"})
    assert "pool key" in caught.value.summary
    assert "token_env" in caught.value.hint


def test_409_is_already_bound():
    with pytest.raises(errors.AlreadyBound) as caught:
        answer(409, {"error": "Instance already bound to a conversation. Terminate process and provision a new one."})
    assert caught.value.summary == "already holds a conversation: provision a fresh instance"
    assert "Terminate process" in caught.value.detail


def test_no_active_conversation_is_its_own_kind():
    with pytest.raises(errors.NoActiveConversation):
        answer(400, {"error": "No active conversation"})


def test_other_400_is_invalid_request_with_the_gateways_words():
    with pytest.raises(errors.InvalidRequest) as caught:
        answer(400, {"error": "inviteUrl (string) is required"})
    assert caught.value.summary == "refused: inviteUrl (string) is required"


def test_500_summary_is_the_cli_error_line_joined():
    with pytest.raises(errors.GatewayFailure) as caught:
        answer(500, {"error": CLI_FAILURE})
    summary = caught.value.summary
    assert summary.startswith("failed: [ApiError::Api] api client error")
    assert "dns error" in summary
    assert "USAGE" not in summary and "\n" not in summary
    assert caught.value.detail == CLI_FAILURE


def test_500_without_cli_text_uses_the_first_line():
    with pytest.raises(errors.GatewayFailure) as caught:
        answer(500, {"error": "Unexpected end of JSON input"})
    assert caught.value.summary == "failed: Unexpected end of JSON input"


def test_unknown_status_is_unexpected():
    with pytest.raises(errors.UnexpectedAnswer) as caught:
        answer(418, {"error": "teapot"})
    assert "418" in caught.value.summary


def test_redirects_are_reported_not_followed():
    with pytest.raises(errors.UnexpectedAnswer) as caught:
        answer(302, b"", "text/html", location="https://elsewhere.example/login")
    assert "redirect" in caught.value.summary and "elsewhere.example" in caught.value.summary


def test_truncated_body_is_reported():
    with pytest.raises(errors.UnexpectedAnswer) as caught:
        answer(200, b"x" * 100, truncated=True)
    assert "1024 KiB" in caught.value.summary


def test_invalid_utf8_is_an_error():
    with pytest.raises(errors.UnexpectedAnswer) as caught:
        answer(200, b'{"ready": "\xff\xfe"}')
    assert "UTF-8" in caught.value.summary


def test_invalid_json_is_an_error():
    with pytest.raises(errors.UnexpectedAnswer) as caught:
        answer(200, b'{"ready": tru')
    assert "not valid JSON" in caught.value.summary


def test_deeply_nested_json_does_not_crash():
    with pytest.raises(errors.UnexpectedAnswer):
        answer(200, b"[" * 100_000)


def test_control_characters_never_reach_the_summary():
    with pytest.raises(errors.InvalidRequest) as caught:
        answer(400, {"error": "bad\x1b[2J\x07 thing\nsecond line"})
    assert "\x1b" not in caught.value.summary and "\x07" not in caught.value.summary
    assert "\n" not in caught.value.summary


def test_summary_is_bounded():
    with pytest.raises(errors.InvalidRequest) as caught:
        answer(400, {"error": "x" * 10_000})
    assert len(caught.value.summary) <= interpret.SUMMARY_MAX + len("refused: ")


# --- status normalisation -----------------------------------------------------------------


def test_classic_unbound():
    status = interpret.parse_status({"ready": True, "conversation": None, "streaming": False})
    assert (status.shape, status.ready, status.conversation_id, status.streaming) == ("classic", True, None, False)
    assert status.missing == () and not status.bound


def test_classic_bound():
    status = interpret.parse_status({"ready": True, "conversation": {"id": "ab" * 16}, "streaming": True})
    assert status.conversation_id == "ab" * 16 and status.streaming is True and status.bound


def test_newer_shape():
    status = interpret.parse_status(
        {"conversationId": "cd" * 16, "inboxId": "ef" * 32, "pending": True, "clean": False}
    )
    assert status.shape == "newer"
    assert (status.conversation_id, status.pending, status.clean, status.streaming) == ("cd" * 16, True, False, None)
    assert status.inbox_id == "ef" * 32


def test_extra_keys_are_ignored_and_missing_keys_reported():
    status = interpret.parse_status({"ready": True, "conversation": None, "provisionState": "x"})
    assert status.missing == ("streaming",)
    assert status.streaming is None
    newer = interpret.parse_status({"conversationId": None})
    assert newer.missing == ("inboxId", "pending", "clean")


@pytest.mark.parametrize(
    "value",
    [
        [],
        {},
        {"ready": "yes", "conversation": 7},
        {"ready": True, "conversation": {"id": 5}, "streaming": True},
        {"ready": True, "conversation": {"id": "x" * 5000}, "streaming": True},
        {"ready": True, "conversation": {"id": "a\x1b[31mb"}, "streaming": True},
        {"ready": True, "conversation": None, "streaming": "false"},
    ],
)
def test_wrong_shapes_are_unexpected_answers(value):
    with pytest.raises(errors.UnexpectedAnswer) as caught:
        interpret.parse_status(value)
    assert "shape" in caught.value.summary or "expected a JSON object" in caught.value.summary


def test_markup_in_ids_is_kept_verbatim_for_plain_display():
    status = interpret.parse_status({"ready": True, "conversation": {"id": "[bold red]x[/]"}, "streaming": True})
    assert status.conversation_id == "[bold red]x[/]"


def test_join_outcomes():
    joined = interpret.parse_join({"status": "joined", "conversationId": "ab" * 16}, 3.0)
    assert (joined.outcome, joined.conversation_id, joined.elapsed_s) == ("joined", "ab" * 16, 3.0)
    for raw in ("waiting_for_acceptance", "pending_acceptance"):
        pending = interpret.parse_join({"status": raw}, 60.0)
        assert (pending.outcome, pending.conversation_id, pending.raw_status) == ("pending", None, raw)
    with pytest.raises(errors.UnexpectedAnswer):
        interpret.parse_join({"status": "maybe"}, 1.0)


def test_created_needs_all_three_keys():
    created = interpret.parse_created(
        {"conversationId": "ab" * 16, "inviteUrl": "https://dev.convos.org/v2?i=abc", "inviteSlug": "abc"}, 2.5
    )
    assert created.invite_slug == "abc" and created.elapsed_s == 2.5
    with pytest.raises(errors.UnexpectedAnswer):
        interpret.parse_created({"conversationId": "ab" * 16, "inviteUrl": "x"}, 1.0)


def test_send_passthrough_and_lock_and_explode():
    sent = interpret.parse_send({"success": True, "messageId": "m1", "conversationId": "c1", "text": "hi"})
    assert (sent.message_id, sent.conversation_id) == ("m1", "c1")
    assert interpret.parse_lock({"ok": True, "locked": False}, True).locked is False
    assert interpret.parse_lock({"ok": True}, True).locked is True
    interpret.parse_explode({"ok": True, "exploded": True})
    with pytest.raises(errors.UnexpectedAnswer):
        interpret.parse_explode({"ok": False})


def test_setup_status():
    setup = interpret.parse_setup_status({"active": False, "joined": True, "joinerInboxId": "ab" * 32})
    assert (setup.active, setup.joined, setup.joiner_inbox_id) == (False, True, "ab" * 32)
