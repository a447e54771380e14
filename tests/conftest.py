"""Shared test set-up: screens show local times, so every test runs in UTC for stable snapshots; and Ctrl-C
reaches the commands the tests start."""

import os
import signal
import time

import pytest

from convos_tui.fleet.state import ORDER, State

os.environ["TZ"] = "UTC"
time.tzset()

# A shell without job control starts a background job (`.ci/run &`) with SIGINT ignored, and every process
# under it inherits that: a `status --watch` a test stops with SIGINT would then keep running (Python leaves
# an inherited SIG_IGN alone, as it should). The tests send SIGINT on purpose, so their children get it back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def demo_states() -> set[str]:
    """Every state the demo is there to show: all but error and unknown (slow is a latency, checked apart)."""
    return {str(state) for state in ORDER if state not in (State.ERROR, State.UNKNOWN)}


@pytest.fixture(scope="session")
def tls():
    """A server TLS context for 127.0.0.1 from a CA no client trusts (the TLS tests of both HTTP clients)."""
    from tests.local_http import tls_server_context  # (trustme): only for the tests that ask for it

    return tls_server_context()
