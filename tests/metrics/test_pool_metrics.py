"""`convos_pool_instances{pool,state}` read from `convos-tui serve`'s real /metrics on loopback: the pool's
members counted per state, as the pool store holds them (written here as a reconciler would have)."""

from convos_tui.pools.members import CLAIMED, CRASHED, STATES
from tests.metrics.test_serve_metrics import Served, samples, value
from tests.pools.conftest import env, pool_config, seed_ready, services  # noqa: F401 (env: the fixture)


def test_the_pool_gauge_counts_each_pools_instances_per_state(env, tmp_path):  # noqa: F811
    pool_config(env, target=0, max_total=6)
    with services(env) as service:
        seeded = seed_ready(service.members, "booth", 4)
        service.members.set_state(seeded[0], CLAIMED, "claimed")
        service.members.set_state(seeded[1], CRASHED, "its process died")
    served = Served(str(env.config), tmp_path)
    try:
        text = served.get()
    finally:
        served.stop()
    found = samples(text)
    counts = {state: value(found, "convos_pool_instances", pool="booth", state=state) for state in STATES}
    assert counts == {"launching": 0, "ready": 2, "claimed": 1, "pending": 0, "tainted": 0, "crashed": 1}
    assert "dev.convos.org" not in text and "conv-0" not in text  # never an invite or a conversation id
