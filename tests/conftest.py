"""Shared test set-up: screens show local times, so every test runs in UTC for stable snapshots."""

import os
import time

import pytest

from convos_tui.fleet.state import ORDER, State

os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture
def demo_states() -> set[str]:
    """Every state the demo is there to show: all but error and unknown (slow is a latency, checked apart)."""
    return {str(state) for state in ORDER if state not in (State.ERROR, State.UNKNOWN)}
