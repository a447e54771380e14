"""What a person sees, pinned: the console's screens at fixed sizes, dark and light, on fixed data.

Regenerate after an intended change with `pytest tests/snapshots --snapshot-update` and look at the
report (`snapshot_report.html`) before committing the new SVGs.
"""

import pytest

from tests.ui_fixtures import make_app

SIZES = {"wide": (120, 40), "narrow": (80, 24)}


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_main_screen(snap_compare, theme, size):
    assert snap_compare(make_app(theme=theme), terminal_size=SIZES[size])


def test_filtered_and_marked(snap_compare):
    keys = ["slash", *"state:faults", "enter", "space", "space"]
    assert snap_compare(make_app(), press=keys, terminal_size=SIZES["wide"])


def test_read_only_and_paused(snap_compare):
    assert snap_compare(make_app(read_only=True), press=["p"], terminal_size=SIZES["narrow"])


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_detail(snap_compare, theme):
    # The table opens sorted faults first; the booth gateway with a stored invite is 7th.
    keys = ["down"] * 6 + ["enter"]
    assert snap_compare(make_app(theme=theme), press=keys, terminal_size=SIZES["wide"])


def test_detail_of_a_failing_gateway_with_its_full_error(snap_compare):
    keys = ["down"] * 3 + ["enter", "d"]
    assert snap_compare(make_app(), press=keys, terminal_size=SIZES["wide"])


def test_events(snap_compare):
    assert snap_compare(make_app(), press=["e"], terminal_size=SIZES["wide"])


def test_help(snap_compare):
    assert snap_compare(make_app(), press=["question_mark"], terminal_size=SIZES["wide"])


def test_too_small(snap_compare):
    assert snap_compare(make_app(), terminal_size=(50, 10))
