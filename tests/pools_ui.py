"""The fixed fleet of tests/instances_ui.py plus two warm pools on its `sim` launcher, their members written into
the pool tables as a reconciler would have left them (no process runs): for the pools view's snapshots and the
console tests that need no launch.

booth (prepare = "create"): 2 ready, 1 launching, 2 claimed, its cold starts and claim times measured.
lab (prepare = "none"): empty, one crashed, its breaker open after three failed launches.
"""

from __future__ import annotations

from pathlib import Path

from convos_tui.fleet.pools_config import PoolConfig
from convos_tui.pools.members import CLAIMED, CRASHED, READY, Breaker, Members
from convos_tui.pools.service import PoolService
from convos_tui.ui.pools import ConsolePools
from tests.instances_ui import instances_app
from tests.ui_fixtures import NOW

POOLS = (
    PoolConfig(name="booth", launcher="sim", target_ready=3, max_total=6, prepare="create"),
    PoolConfig(name="lab", launcher="sim", target_ready=2, max_total=4, prepare="none"),
)
INVITE = "https://dev.convos.org/v2?i=" + "P" * 200
BREAKER_REASON = (
    "3 launches failed in a row; the last: ready failed: the gateway exited with code 1 before it was ready"
)
REOPENS_AT = 4_000_000_000.0  # far ahead of the real clock, which the pool service reads for the breaker
# instance, its cold start (s), then its claim's own time (s) if it was claimed
BOOTH = [("sim-b00001", 4.1, 0.0031), ("sim-b00002", 4.6, 0.0042), ("sim-b00003", 3.9, None), ("sim-b00004", 5.2, None)]


def member(members: Members, pool: str, instance: str) -> None:
    [reserved] = members.reserve(pool, 1, 100)
    members.named(reserved, instance)


def pool_members() -> Members:
    members = Members.open(None)
    for index, (instance, cold, claim) in enumerate(BOOTH):
        member(members, "booth", instance)
        conversation = f"{index + 11:02x}" * 16
        members.set_state(instance, READY, "ready", seconds=cold, conversation_id=conversation, invite_url=INVITE)
        if claim is not None:
            members.set_state(instance, CLAIMED, "claimed", seconds=claim)
    member(members, "booth", "sim-b00005")  # still launching
    member(members, "lab", "sim-c00001")
    members.set_state("sim-c00001", CRASHED, "its process died", log_tail="[sim] boom")
    members.set_breaker("lab", Breaker(3, BREAKER_REASON, REOPENS_AT))
    # The timeline's instants on the app's fixed clock, a minute apart, as a snapshot needs (the members
    # table stamps them with the real one).
    with members._db:
        members._db.execute("UPDATE pool_events SET at = ? + 60 * id", (NOW - 3600,))
    return members


def pools_app(tmp: Path, pools: tuple[PoolConfig, ...] = POOLS, **kwargs):
    """The app of tests/instances_ui.py, its console holding these pools on their fixed members."""
    app = instances_app(tmp, **kwargs)
    instances = app.context.instances
    assert instances.service is not None
    instances.service.actions = app.actions  # one action service, as in the console: read-only holds for pools
    app.context.pools = ConsolePools(instances, PoolService(instances.service, pools, pool_members()), pools)
    return app
