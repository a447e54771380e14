"""The one p50/p95 the console and the benchmarks share: a measured sample, picked by nearest rank."""

import pytest

from convos_tui.quantiles import nearest_rank, quantile


def test_nearest_rank_picks_a_measured_value_with_halves_to_even():
    cold = [5.2, 3.9, 4.6, 4.1]
    assert (quantile(cold, 0.5), quantile(cold, 0.95), quantile(cold, 1.0)) == (4.6, 5.2, 5.2)
    assert quantile([3.1, 4.2], 0.5) == 3.1 and quantile([1.0, 2.0, 3.0], 0.5) == 2.0
    assert quantile([0.123456], 0.5) == 0.123 and quantile([0.123456], 0.5, digits=4) == 0.1235


def test_nothing_measured_is_none_and_never_a_number():
    assert quantile([], 0.95) is None
    with pytest.raises(IndexError):
        nearest_rank([], 0.5)
