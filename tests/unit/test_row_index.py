"""The fleet table's row index without a terminal: order, filter, sort and what changed, at 5,000 rows."""

import subprocess
import sys

from convos_tui.api import errors
from convos_tui.fleet.filter import Filter
from convos_tui.fleet.state import State
from convos_tui.ui import rows as view
from convos_tui.ui.row_index import RowIndex
from tests.functional.test_fleet_table import random_rows, reference_key


def test_the_row_index_imports_no_textual():
    code = (
        "import sys, convos_tui.ui.row_index\n"
        "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_every_sort_gives_the_order_of_sorting_by_value_then_name_at_5000_rows():
    rows = random_rows(5000)
    index = RowIndex()
    index.update(rows)
    for column in view.SORTABLE:
        for reverse in (False, True):
            index.set_sort(column, reverse)
            expected = [
                c.name for c, s in sorted(rows, key=lambda row, c=column: reference_key(c, *row), reverse=reverse)
            ]
            assert index.order == expected, (column, reverse)
    assert not index.set_sort(view.SORTABLE[-1], True)  # the sort already: nothing to do


def test_the_filter_shows_what_it_matches_and_follows_the_rows_as_they_change():
    rows = random_rows(5000, seed=3)
    index = RowIndex()
    index.update(rows)
    assert index.set_filter(view.RowFilter(Filter("state:unreachable"), False))
    assert set(index.order) == {c.name for c, s in rows if s.state is State.UNREACHABLE} == index.shown
    config, state = next(row for row in rows if row[1].state is not State.UNREACHABLE)
    state.observe_error(errors.Unreachable("unreachable: connection refused"), None, state.since + 30, start_grace_s=0)
    done = index.update([(config, state)])
    assert done.reordered and config.name in index.order and index.is_shown(config.name)
    assert not index.set_filter(view.RowFilter(Filter("state:unreachable"), False))  # the same filter
    assert index.set_filter(None) and len(index.order) == 5000


def test_an_update_says_which_rows_changed_what_they_show():
    rows = random_rows(50, seed=5)
    index = RowIndex()
    first = index.update(rows)
    assert sorted(first.added) == sorted(c.name for c, s in rows) and first.reordered
    config, state = rows[0]
    state.last_poll = 9999.0  # polled again, showing the same
    again = index.update([(config, state)])
    assert again.changed == [] and not again.reordered and again.added == []
    state.latency_ms = 4321.0  # shown, and the latency sort would move it, but the sort is by state
    moved = index.update([(config, state)])
    assert moved.changed == [config.name] and not moved.reordered
    state.state = State.STALLED if state.state is not State.STALLED else State.LIVE  # its sort value changes
    both = index.update([(config, state)])
    assert both.changed == [config.name] and both.reordered


def test_a_row_removed_is_gone_from_everything():
    rows = random_rows(20, seed=9)
    index = RowIndex()
    index.update(rows)
    index.set_filter(view.RowFilter(Filter("gw"), False))
    gone = rows[0][0].name
    done = index.update([], [gone])
    assert done.reordered and gone not in index.order and gone not in index.rows and not index.is_shown(gone)
    assert len(index.order) == 19


def test_a_sort_key_makes_no_sort_value_and_a_latency_poll_makes_only_latencys(monkeypatch):
    rows = random_rows(5000, seed=11)
    index = RowIndex()
    index.update(rows[:4000])
    made = []
    sort_value = view.sort_value
    monkeypatch.setattr(view, "sort_value", lambda column, *row: (made.append(column), sort_value(column, *row))[1])
    polled = rows[:30]
    for number, (_, state) in enumerate(polled):
        state.latency_ms = 5000.0 + number  # now the slowest, and nothing else changed
    index.update(polled)
    assert made == ["latency"] * 30
    del made[:]
    config, state = rows[40]
    state.state = State.STALLED if state.state is not State.STALLED else State.LIVE
    index.update([(config, state)])
    assert sorted(made) == sorted(view.SORTABLE)  # its state changed: every column's value is made again
    index.update(rows[4000:4010], [rows[3999][0].name])  # ten new rows, one gone
    del made[:]
    held = [row for row in rows[:4010] if row[0].name != rows[3999][0].name]
    for column in view.SORTABLE:
        index.set_sort(column, False)
        assert index.order == [c.name for c, s in sorted(held, key=lambda row, c=column: reference_key(c, *row))]
    assert made == []  # every value was there already, up to date


def test_a_poll_that_changed_only_the_latency_makes_no_search_text_but_a_new_reason_is_found(monkeypatch):
    rows = random_rows(2000, seed=13)
    index = RowIndex()
    index.update(rows)
    index.set_filter(view.RowFilter(Filter("gw"), False))  # every search text made once
    index.set_filter(None)
    made = []
    search_text = view.search_text
    monkeypatch.setattr(view, "search_text", lambda *row: (made.append(row[0].name), search_text(*row))[1])
    for _, state in rows:
        state.latency_ms = (state.latency_ms or 1.0) + 7.0
    index.update(rows)
    assert index.set_filter(view.RowFilter(Filter("gw"), False)) and made == []  # the texts were still right
    index.update(rows)
    assert made == []  # filtering: a latency-only poll needs no new text either
    config, state = next(row for row in rows if row[1].error is None)
    state.reason = "a brand new reason"  # the same state, other words: the filter must see them
    index.update([(config, state)])
    assert made == [config.name]
    assert index.set_filter(view.RowFilter(Filter("brand"), False)) and index.order == [config.name]
