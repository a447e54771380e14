"""The console and `convos-tui pool run`: a pool another process reconciles is shown, never doubled, and the
console takes it over once that process lets go; in read-only mode the console reconciles nothing. Over real
`sim` processes (tests/pools/conftest.py's env and services)."""

import os

from convos_tui.pools.members import LAUNCHING, READY
from convos_tui.pools.reconciler import RunnerLock
from convos_tui.ui import pools as console_pools
from convos_tui.ui.instances import ConsoleInstances
from convos_tui.ui.pools import ConsolePools
from tests.pools.conftest import env, pool_config, services, until  # noqa: F401 - env is the fixture
from tests.ui_fixtures import build_fleet


def below_ephemeral_ports(environment) -> None:
    """Ports under the kernel's ephemeral range (32768 and up): a busy machine's outgoing connections, and their
    TIME-WAIT, once held every port of a range up there and the launches failed for want of one."""
    base = 21000 + (os.getpid() % 100) * 100
    text = environment.config.read_text()
    start = text.index("ports = ")
    end = text.index("\n", start)
    environment.config.write_text(f'{text[:start]}ports = "{base}-{base + 99}"{text[end:]}')


def console_pools_on(service):
    instances = ConsoleInstances(build_fleet(), service.instances)
    return ConsolePools(instances, service, list(service.pools.values()))


async def test_a_pool_another_process_reconciles_is_left_to_it_until_it_lets_go(env, monkeypatch):  # noqa: F811
    monkeypatch.setattr(console_pools, "TAKE_OVER_S", 0.05)
    pool_config(env, target=1)
    below_ephemeral_ports(env)
    with services(env) as service:
        runner = RunnerLock(service.lock_dir, "booth")  # what `pool run booth` holds while it runs
        runner.acquire()
        pools = console_pools_on(service)
        pools.start()
        try:
            await until(lambda: "another process" in pools.stopped.get("booth", ""), "the console to defer")
            assert "takes over if that process ends" in pools.stopped["booth"]
            counts = service.members.counts("booth")
            assert counts[READY] == counts[LAUNCHING] == 0  # nothing launched beside the other runner
            runner.release()
            await until(lambda: service.members.counts("booth")[READY] == 1, "the console to fill the pool")
            assert "booth" not in pools.stopped
            # Its instance became a row of the console's fleet.
            [ready] = [m.instance for m in service.members.all("booth") if m.state == READY]
            await until(lambda: pools.instances.fleet.config(ready) is not None, "the instance's row")
        finally:
            await pools.stop()
            await service.instances.terminate([r.id for r in service.instances.records.all()])


async def test_read_only_reconciles_nothing_and_says_so(env):  # noqa: F811
    pool_config(env, target=1)
    with services(env, read_only=True) as service:
        pools = console_pools_on(service)
        pools.start()
        try:
            assert "read-only mode" in pools.stopped["booth"] and "pool run booth" in pools.stopped["booth"]
            assert pools.reconcilers == {}
        finally:
            await pools.stop()
        assert service.members.counts("booth")[LAUNCHING] == 0
