from __future__ import annotations

import pytest

from convos_tui.sim import GatewaySpec, Mode, mixed_specs, specs_for_modes
from convos_tui.sim.modes import DEFAULT_POOL_KEY, DEFAULT_SLOW_LATENCY


def test_names_are_zero_padded_to_the_width_of_the_count() -> None:
    assert [s.name for s in specs_for_modes(3, [Mode.HEALTHY])] == ["sim-01", "sim-02", "sim-03"]
    names = [s.name for s in specs_for_modes(120, [Mode.HEALTHY])]
    assert names[0] == "sim-001" and names[-1] == "sim-120"


def test_specs_for_modes_cycles_through_the_modes() -> None:
    specs = specs_for_modes(5, [Mode.BOUND, Mode.DOWN])
    assert [s.mode for s in specs] == [Mode.BOUND, Mode.DOWN, Mode.BOUND, Mode.DOWN, Mode.BOUND]
    with pytest.raises(ValueError):
        specs_for_modes(2, [])


def test_mixed_specs_is_reproducible_and_realistic() -> None:
    assert mixed_specs(50, seed=3) == mixed_specs(50, seed=3)
    assert mixed_specs(50, seed=3) != mixed_specs(50, seed=4)
    specs = mixed_specs(50, seed=3, env="production")
    modes = [s.mode for s in specs]
    working = sum(m in (Mode.HEALTHY, Mode.BOUND) for m in modes)
    assert working > len(specs) / 2, "mostly healthy or bound"
    for mode in (
        Mode.STALLED,
        Mode.FLAPPING,
        Mode.POOL_KEY,
        Mode.NO_PLUGIN,
        Mode.NEWER_SHAPE,
        Mode.SLOW,
        Mode.DOWN,
        Mode.GARBAGE,
    ):
        assert mode in modes, mode
    assert all(s.env == "production" for s in specs)
    assert all(s.latency > 0 for s in specs if s.mode is Mode.SLOW)
    assert len(mixed_specs(5, seed=1)) == 5 and mixed_specs(0, seed=1) == []


def test_spec_defaults() -> None:
    assert GatewaySpec("a", Mode.POOL_KEY).effective_pool_key == DEFAULT_POOL_KEY
    assert GatewaySpec("a", Mode.POOL_KEY, pool_key="k").effective_pool_key == "k"
    assert GatewaySpec("a").effective_pool_key is None
    assert GatewaySpec("a", Mode.SLOW).effective_latency == DEFAULT_SLOW_LATENCY
    assert GatewaySpec("a", Mode.SLOW, latency=0.2).effective_latency == 0.2
    assert GatewaySpec("a", "bound").mode is Mode.BOUND
    assert GatewaySpec("a", Mode.NO_PLUGIN).effective_core_version == "2026.9.6"
    with pytest.raises(ValueError):
        GatewaySpec("a", garbage_kind="nope")
