"""`[pools.NAME]` read from the config: each mistake named with its line and the fix; a good pool read whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from convos_tui.fleet.inventory import ConfigError, parse_inventory
from convos_tui.fleet.pools_config import PoolConfig

LAUNCHER = '[[launchers]]\nname = "sim"\ntype = "sim"\ngolden = "golden"\nmax_instances = 8\n'


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_inventory(LAUNCHER + text, Path("/cfg/config.toml"))
    return [p.render(caught.value.path) for p in caught.value.problems]


def test_a_pool_is_read_with_its_line_and_defaults():
    inventory = parse_inventory(
        LAUNCHER + '\n[pools.booth]\nlauncher = "sim"\ntarget_ready = 3\nmax_total = 8\n', Path("/cfg/config.toml")
    )
    assert inventory.pools == (PoolConfig("booth", "sim", 3, 8, "create", 4),)
    assert inventory.pools[0].line == 7


def test_each_mistake_is_named_with_its_line_and_fix():
    found = problems(
        '\n[pools.a]\nlauncher = "simm"\ntarget_ready = 5\nmax_total = 2\nprepare = "warm"\nparallel = 0\nsize = 3\n'
    )
    assert (
        "/cfg/config.toml:8: pool 'a' names launcher 'simm', which is not in the config. Did you mean 'sim'?" in found
    )
    assert any(":9: pool 'a' target_ready 5 is over its max_total 2" in p for p in found)
    assert any(":11: pool 'a' prepare 'warm' is not one of create, none" in p for p in found)
    assert any(":12: pool 'a' parallel 0 is not a whole number from 1 to 64. Set parallel = 4" in p for p in found)
    assert any(":13: unknown key 'size' in pool 'a'" in p for p in found)


def test_a_pool_without_a_launcher_or_with_a_bad_count_is_refused():
    found = problems('\n[pools.b]\ntarget_ready = "three"\n')
    assert any(
        "pool 'b' needs a launcher. Write launcher = \"NAME\", one of the [[launchers]] (sim)" in p for p in found
    )
    assert any("pool 'b' target_ready 'three' is not a whole number from 0 to 1000" in p for p in found)


def test_a_max_total_over_the_launchers_max_instances_is_a_warning():
    inventory = parse_inventory(LAUNCHER + '\n[pools.c]\nlauncher = "sim"\nmax_total = 20\n', Path("/cfg/config.toml"))
    [warning] = inventory.warnings
    assert "max_total 20 is over launcher 'sim''s max_instances 8" in warning.render(inventory.path)
    assert inventory.pools[0].max_total == 20
