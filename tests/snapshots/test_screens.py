"""What a person sees, pinned: the console's screens at 120×40 and 80×24, dark and light, on fixed data.

Regenerate after an intended change with `pytest tests/snapshots --snapshot-update` and look at the
report (`snapshot_report.html`) before committing the new SVGs.
"""

import pytest

from tests.snapshots.grid import SIZES, THEMES
from tests.ui_fixtures import make_app

every_size_and_theme = [
    pytest.mark.parametrize("theme", THEMES),
    pytest.mark.parametrize("size", SIZES),
]


def on_grid(test):
    for mark in every_size_and_theme:
        test = mark(test)
    return test


@on_grid
def test_main_screen(snap_compare, theme, size):
    assert snap_compare(make_app(theme=theme), terminal_size=SIZES[size])


@on_grid
def test_filtered_and_marked(snap_compare, theme, size):
    keys = ["slash", *"state:faults", "enter", "space", "space"]
    assert snap_compare(make_app(theme=theme), press=keys, terminal_size=SIZES[size])


@on_grid
def test_read_only_and_paused(snap_compare, theme, size):
    assert snap_compare(make_app(read_only=True, theme=theme), press=["p"], terminal_size=SIZES[size])


@on_grid
def test_detail(snap_compare, theme, size):
    # The table opens sorted faults first; the booth gateway with a stored invite is 7th.
    keys = ["down"] * 6 + ["enter"]
    assert snap_compare(make_app(theme=theme), press=keys, terminal_size=SIZES[size])


@on_grid
def test_detail_of_a_failing_gateway_with_its_full_error(snap_compare, theme, size):
    keys = ["down"] * 3 + ["enter", "d"]
    assert snap_compare(make_app(theme=theme), press=keys, terminal_size=SIZES[size])


@on_grid
def test_events(snap_compare, theme, size):
    assert snap_compare(make_app(theme=theme), press=["e"], terminal_size=SIZES[size])


@on_grid
def test_help(snap_compare, theme, size):
    assert snap_compare(make_app(theme=theme), press=["question_mark"], terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
def test_too_small(snap_compare, theme):
    assert snap_compare(make_app(theme=theme), terminal_size=(50, 10))
