"""Every runtime's answers read alike: Hermes's FastAPI errors as the plugin's, the probe routes, the verdict."""

from __future__ import annotations

import json

import pytest

from convos_tui.api import errors, interpret, runtimes
from convos_tui.api.models import GatewayStatus

JSON = "application/json"


def decoded_error(status: int, value: object, content_type: str = JSON) -> errors.GatewayError:
    with pytest.raises(errors.GatewayError) as caught:
        interpret.decode_answer("send", status, content_type, json.dumps(value).encode())
    return caught.value


# (status, the OpenClaw plugin's body, Hermes's body for the same refusal), from both runtimes' sources.
SAME_REFUSALS = [
    (400, {"error": "No active conversation"}, {"detail": "No active conversation"}),
    (
        409,
        {"error": "Instance already bound to a conversation. Terminate process and provision a new one."},
        {"detail": "Instance already bound to a conversation."},
    ),
    (401, {"error": "Unauthorized"}, {"detail": "Unauthorized"}),
    (500, {"error": "boom: the CLI failed"}, {"detail": "boom: the CLI failed"}),
    (400, {"error": "text (string) is required"}, {"detail": "text (string) is required"}),
]


@pytest.mark.parametrize(("status", "plugin", "hermes"), SAME_REFUSALS)
def test_a_hermes_error_reads_as_the_plugins(status, plugin, hermes):
    a, b = decoded_error(status, plugin), decoded_error(status, hermes)
    assert (type(a), a.kind, a.hint) == (type(b), b.kind, b.hint)
    if status != 409:  # the 409 summary is the console's own; its texts differ only in the detail
        assert a.summary == b.summary
    else:
        assert a.summary == b.summary and b.detail == hermes["detail"]


def test_a_422_is_an_invalid_request_naming_the_field():
    body = {"detail": [{"type": "missing", "loc": ["body", "message"], "msg": "Field required", "input": {}}]}
    error = decoded_error(422, body)
    assert isinstance(error, errors.InvalidRequest) and error.kind == errors.ErrorKind.INVALID_REQUEST
    assert error.summary == "refused: field 'message': Field required"
    assert error.hint == errors.InvalidRequest.hint


def test_a_422_names_every_invalid_field_and_a_nested_one():
    body = {
        "detail": [
            {"type": "string_type", "loc": ["body", "attestation"], "msg": "Input should be a valid string"},
            {"type": "string_type", "loc": ["body", "metadata", "k"], "msg": "Input should be a valid string"},
        ]
    }
    summary = decoded_error(422, body).summary
    assert "field 'attestation': Input should be a valid string" in summary
    assert "field 'metadata.k'" in summary


def test_a_hostile_detail_is_neutralised():
    error = decoded_error(400, {"detail": "\x1b[31mred\x1b[0m Bearer abcdef123456"})
    assert "\x1b" not in error.summary and "abcdef123456" not in error.summary


def test_fastapis_404_is_a_missing_route_like_a_text_404():
    hermes = decoded_error(404, {"detail": "Not Found"})
    with pytest.raises(errors.PluginMissing) as text:
        interpret.decode_answer("notify", 404, "text/plain; charset=utf-8", b"Not Found")
    assert isinstance(hermes, errors.PluginMissing) and hermes.summary == text.value.summary


def test_hermes_send_answer_is_a_send_result():
    result = interpret.parse_send({"ok": True})
    assert result.message_id is None and result.conversation_id is None


# ---- the probe routes -------------------------------------------------------------------------------


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_readyz_ready_not_ready_and_absent():
    ready = runtimes.read_readyz(200, "application/json; charset=utf-8", body({"ready": True, "failing": []}))
    assert ready.offered and ready.ready and ready.runtime == runtimes.OPENCLAW
    waiting = runtimes.read_readyz(503, JSON, body({"ready": False, "failing": ["plugins"]}))
    assert waiting.offered and waiting.ready is False and "failing: plugins" in waiting.note
    page = runtimes.read_readyz(200, "text/html; charset=utf-8", b"<!doctype html>")
    assert not page.offered and "Control UI" in page.note
    fastapi = runtimes.read_readyz(404, JSON, body({"detail": "Not Found"}))
    assert not fastapi.offered and fastapi.runtime == runtimes.HERMES
    # 200 JSON of another shape is not a readiness answer: a route answering 200 proves nothing.
    assert not runtimes.read_readyz(200, JSON, body({"ok": True})).offered


def test_pool_health_three_stages():
    down = runtimes.read_pool_health(503, JSON, body({"ready": False}))
    assert down.offered and down.ready is False and down.runtime is None and "still starting" in down.note
    up = runtimes.read_pool_health(503, JSON, body({"ready": False, "version": "0.3.4", "runtime": "hermes"}))
    assert up.ready is False and up.runtime == runtimes.HERMES and up.version == "0.3.4"
    ready = runtimes.read_pool_health(200, JSON, body({"ready": True, "version": "0.3.4", "runtime": "openclaw"}))
    assert ready.ready and ready.runtime == runtimes.OPENCLAW
    # A ready flag with a 503 is not ready; an unknown runtime name is not believed, a hostile version not kept.
    odd = runtimes.read_pool_health(503, JSON, body({"ready": True, "version": "\x1b[2J", "runtime": "evil"}))
    assert odd.ready is False and odd.runtime is None and odd.version is None


def test_identify():
    hermes_404 = runtimes.Reading(runtimes.READYZ, False, runtime=runtimes.HERMES)
    ready = runtimes.read_readyz(200, JSON, body({"ready": True}))
    page = runtimes.read_readyz(200, "text/html", b"<html>")
    wrapper = runtimes.read_pool_health(200, JSON, body({"ready": True, "version": "0.3.4", "runtime": "hermes"}))
    assert runtimes.identify(hermes_404, None, None).label == "hermes"
    assert runtimes.identify(ready, None, None).label == "openclaw 2026.3+"
    assert runtimes.identify(page, None, None).label == "openclaw <2026.3"
    assert runtimes.identify(hermes_404, wrapper, None) == runtimes.Runtime("hermes", "0.3.4", wrapper=True)
    railway = interpret.parse_railway_status({"ready": True, "provisioned": False, "conversationId": None})
    assert runtimes.identify(page, None, railway).name == runtimes.RAILWAY
    assert runtimes.identify(None, None, None).label == "?"


# ---- the verdict ------------------------------------------------------------------------------------

STATUS = GatewayStatus(shape="newer", ready=True, conversation_id=None, streaming=None)
TEXT_404 = errors.PluginMissing("no Convos plugin: the gateway has no such route (HTTP 404)", status=404)
PROXY_502 = errors.Unreachable("HTTP 502 from a proxy: the gateway behind it is down or unreachable", status=502)
READY = runtimes.read_readyz(200, JSON, body({"ready": True}))
NOT_READY = runtimes.read_readyz(503, JSON, body({"ready": False, "failing": ["plugins"]}))
POOL_DOWN = runtimes.read_pool_health(503, JSON, body({"ready": False}))
POOL_UP = runtimes.read_pool_health(503, JSON, body({"ready": False, "version": "0.3.4", "runtime": "openclaw"}))


def test_a_status_that_answered_stays_the_verdict():
    assert runtimes.verdict(STATUS, NOT_READY, POOL_DOWN) is STATUS


def test_core_ready_plugin_routes_text_404_is_no_plugin_with_that_reason():
    error = runtimes.verdict(TEXT_404, READY, None)
    assert isinstance(error, errors.PluginMissing)
    assert "core is ready (/readyz)" in error.summary and "a text 404" in error.summary
    assert TEXT_404.summary in error.detail  # the route's own answer is kept


def test_runtime_still_starting_vs_plugin_missing_behind_the_wrapper():
    starting = runtimes.verdict(PROXY_502, None, POOL_DOWN)
    assert isinstance(starting, errors.Starting) and "not up yet" in starting.summary
    missing = runtimes.verdict(TEXT_404, None, POOL_UP)
    assert isinstance(missing, errors.PluginMissing) and "openclaw runtime is up" in missing.summary
    coming = runtimes.verdict(PROXY_502, None, POOL_UP)
    assert isinstance(coming, errors.Starting) and "Convos routes not yet" in coming.summary


def test_core_not_ready_is_starting_and_other_failures_stay():
    assert isinstance(runtimes.verdict(PROXY_502, NOT_READY, None), errors.Starting)
    unauthorized = errors.Unauthorized("unauthorized (401): the pool key is missing or wrong", status=401)
    assert runtimes.verdict(unauthorized, READY, POOL_UP) is unauthorized
    # Nothing else offered: the failure is what it was.
    assert runtimes.verdict(TEXT_404, None, None) is TEXT_404


# ---- answers other modules use ---------------------------------------------------------------------


def test_railway_status_shape():
    status = interpret.parse_railway_status(
        {"ready": True, "provisioned": True, "conversationId": "abc123", "inviteUrl": "https://i"}
    )
    assert (status.shape, status.ready, status.conversation_id, status.clean) == ("railway", True, "abc123", False)
    assert "inviteUrl" not in status.raw  # an invite is not kept
    with pytest.raises(errors.UnexpectedAnswer):
        interpret.parse_railway_status({"ready": True, "conversation": None, "streaming": False})
    with pytest.raises(errors.UnexpectedAnswer):
        interpret.parse_railway_status({"ready": "yes", "provisioned": False})


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"ok": True, "inviteUrl": "https://x", "conversationId": "c1", "joined": False, "status": "created"},
            runtimes.Provisioned("created", "c1", "https://x", False),
        ),
        (
            {"ok": True, "inviteUrl": "https://x", "conversationId": "c1", "joined": True, "status": "joined"},
            runtimes.Provisioned("joined", "c1", "https://x", True),
        ),
        (
            {"ok": True, "inviteUrl": "https://x", "conversationId": None, "joined": False,
             "status": "pending_acceptance"},
            runtimes.Provisioned("pending_acceptance", None, "https://x", False),
        ),
    ],
)  # fmt: skip
def test_pool_provision_answers(answer, expected):
    assert runtimes.parse_provisioned(answer) == expected


@pytest.mark.parametrize(
    "answer",
    [
        {"ok": False, "status": "created"},
        {"ok": True, "status": "exploded", "conversationId": "c"},
        {"ok": True, "status": "created", "conversationId": None, "inviteUrl": "https://x"},
        {"ok": True, "status": "joined", "conversationId": "\x1b[2J", "inviteUrl": None},
    ],
)
def test_pool_provision_wrong_answers(answer):
    with pytest.raises(errors.UnexpectedAnswer):
        runtimes.parse_provisioned(answer)
