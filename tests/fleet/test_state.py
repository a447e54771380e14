"""The state rules of DESIGN.md, one observation at a time (no network, explicit clock)."""

import pytest

from convos_tui.api import errors
from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.state import GatewayState, State

T0 = 1_000_000.0
CID = "ab" * 16


def classic(conversation=None, streaming=False, ready=True):
    return GatewayStatus("classic", ready, conversation, streaming)


def newer(conversation=None, pending=False):
    return GatewayStatus("newer", True, conversation, None, pending=pending, inbox_id="cd" * 32, clean=True)


def gateway(**kwargs):
    return GatewayState(name="gw", added_at=T0, **kwargs)


def test_unpolled_is_unknown():
    assert gateway().state == State.UNKNOWN


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (classic(), State.IDLE),
        (classic(CID, True), State.LIVE),
        (classic(CID, None), State.LIVE),
        (newer(), State.IDLE),
        (newer(CID), State.LIVE),
        (newer(None, pending=True), State.PENDING),
        (classic(None, False, ready=False), State.ERROR),
    ],
)
def test_status_to_state(status, state):
    g = gateway()
    transition = g.observe_status(status, 0.002, T0 + 1)
    assert g.state == state and transition.new == state and transition.old == State.UNKNOWN
    assert g.since == T0 + 1 and g.latency_ms == 2.0


def test_a_stream_down_for_less_than_the_grace_is_flapping_then_stalled():
    g = gateway()
    g.observe_status(classic(CID, True), 0.001, T0)
    g.observe_status(classic(CID, False), 0.001, T0 + 5)
    assert g.state == State.FLAPPING and "restarting" in g.reason
    g.observe_status(classic(CID, False), 0.001, T0 + 34)
    assert g.state == State.FLAPPING  # 29 s down, grace 30 s
    transition = g.observe_status(classic(CID, False), 0.001, T0 + 36)
    assert g.state == State.STALLED and transition.old == State.FLAPPING
    assert "31 s" in g.reason and "given up" in g.reason
    assert g.since == T0 + 36


def test_the_real_plugins_restart_flaps_never_read_as_stalled():
    """Polled every 2 s through the observed schedule: true, false ~1 s, true, false ~3.6 s, true, false ~5.7 s, true."""
    schedule = [(0, True), (3.1, False), (4.7, True), (7.3, False), (11.4, True), (14.0, False), (20.2, True)]
    g = gateway()
    seen = set()
    t = 0.0
    while t < 23:
        streaming = [s for at, s in schedule if at <= t][-1]
        g.observe_status(classic(CID, streaming), 0.001, T0 + t)
        seen.add(g.state)
        t += 2
    assert seen <= {State.LIVE, State.FLAPPING}
    # then it gives up for good at ~23 s: stalled once the grace window has passed
    while t < 23 + 32:
        g.observe_status(classic(CID, False), 0.001, T0 + t)
        t += 2
    assert g.state == State.STALLED


def test_stream_back_resets_the_clock():
    g = gateway()
    g.observe_status(classic(CID, False), 0.001, T0)
    g.observe_status(classic(CID, True), 0.001, T0 + 20)
    g.observe_status(classic(CID, False), 0.001, T0 + 25)
    assert g.state == State.FLAPPING and g.stream_down_since == T0 + 25


def test_grace_is_configurable():
    g = gateway()
    g.observe_status(classic(CID, False), 0.001, T0)
    g.observe_status(classic(CID, False), 0.001, T0 + 6, grace_s=5)
    assert g.state == State.STALLED


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (errors.Starting("starting: Plugin runtime is starting", retry_after=1.0), State.STARTING),
        (errors.Unauthorized("unauthorized (401): the pool key is missing or wrong"), State.UNAUTHORIZED),
        (errors.PluginMissing("no Convos plugin"), State.NO_PLUGIN),
        (errors.Unreachable("unreachable: connection refused"), State.UNREACHABLE),
        (errors.GatewayTimeout("status timed out after 3 s"), State.UNREACHABLE),
        (errors.UnexpectedAnswer("the answer is not valid JSON"), State.ERROR),
    ],
)
def test_errors_to_state_after_the_start_grace(error, state):
    g = gateway()
    g.observe_error(error, 0.01, T0 + 60)
    assert g.state == state and g.reason.startswith(error.summary)
    assert g.failures == 1


def test_a_new_gateway_not_answering_yet_is_starting_then_unreachable():
    g = gateway()
    g.observe_error(errors.Unreachable("unreachable: connection refused"), None, T0 + 5)
    assert g.state == State.STARTING and "not answering yet" in g.reason
    g.observe_error(errors.Unreachable("unreachable: connection refused"), None, T0 + 25)
    assert g.state == State.UNREACHABLE and g.failures == 2


def test_a_gateway_that_answered_once_is_unreachable_at_once():
    g = gateway()
    g.observe_status(classic(), 0.001, T0 + 1)
    g.observe_error(errors.Unreachable("unreachable: connection refused"), None, T0 + 2)
    assert g.state == State.UNREACHABLE


def test_recovery_resets_failures_and_records_the_transition():
    g = gateway()
    g.observe_error(errors.Unreachable("x"), None, T0 + 60)
    g.observe_error(errors.Unreachable("x"), None, T0 + 65)
    transition = g.observe_status(classic(), 0.003, T0 + 70)
    assert (transition.old, transition.new, g.failures, g.last_success) == (State.UNREACHABLE, State.IDLE, 0, T0 + 70)


def test_same_state_is_no_transition_but_the_reason_updates():
    g = gateway()
    g.observe_status(classic(CID, False), 0.001, T0)
    assert g.observe_status(classic(CID, False), 0.001, T0 + 10) is None
    assert "10 s" in g.reason and g.since == T0


def test_a_join_waiting_for_acceptance_is_pending_until_bound():
    g = gateway()
    g.observe_status(classic(), 0.001, T0)
    transition = g.mark_pending(T0 + 1)
    assert g.state == State.PENDING and transition.new == State.PENDING
    g.observe_status(classic(), 0.001, T0 + 5)
    assert g.state == State.PENDING
    g.observe_status(classic(CID, True), 0.001, T0 + 9)
    assert g.state == State.LIVE and not g.pending_join


def test_latency_history_is_bounded():
    g = gateway()
    for i in range(200):
        g.observe_status(classic(), i / 1000, T0 + i)
    assert len(g.latencies) == 60 and g.latencies[-1] == 199.0


def test_as_dict_is_json_ready_and_stable():
    import json

    g = gateway()
    g.observe_status(classic(CID, True), 0.0042, T0 + 1)
    data = g.as_dict(now=T0 + 11)
    assert json.loads(json.dumps(data)) == data
    assert (data["state"], data["since_s"], data["latency_ms"]) == ("live", 10.0, 4.2)
    assert data["status"]["conversation_id"] == CID and data["error"] is None


def test_an_observation_sent_across_processes_leaves_the_copy_as_the_original():
    import dataclasses
    import pickle

    original, copy = gateway(), gateway()
    original.observe_status(classic(CID, streaming=False), 0.02, T0 + 1)
    original.mark_pending(T0 + 2)
    original.observe_error(errors.Unreachable("unreachable: connection refused"), 0.01, T0 + 40, start_grace_s=0)
    seen = pickle.loads(pickle.dumps(original.observation(original.status, original.error, original.latency_ms)))
    copy.apply(seen)
    assert dataclasses.asdict(copy) | {"error": None} == dataclasses.asdict(original) | {"error": None}
    assert type(copy.error) is errors.Unreachable and copy.error.summary == original.error.summary

    status, latencies = copy.status, list(copy.latencies)
    copy.apply(original.observation(..., ..., None))  # status and error as sent last, no new latency
    assert copy.status is status and list(copy.latencies) == latencies and copy.error is not None
