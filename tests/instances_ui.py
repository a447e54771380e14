"""The fixed fleet of tests/ui_fixtures.py plus a `sim` launcher and one instance it launched, all on fixed
data (its record, its phases, its log), for the console's snapshots of launch, terminate and the detail."""

from __future__ import annotations

from pathlib import Path

from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.actions import Actions
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.fleet.state import State, Transition
from convos_tui.instances.golden import init_golden
from convos_tui.instances.records import RUNNING, TERMINATED, InstanceRecord, Records
from convos_tui.instances.service import InstanceService
from convos_tui.ui.instances import ConsoleInstances
from tests.ui_fixtures import NOW, SPEC, build_fleet, make_app

INSTANCE = "sim-0a1b2c"
PORT = 20040
LOG_LINES = [
    "[sim] convos-sim gateway 2026.2.3 (simulated) starting",
    "[sim] state dir home/.openclaw, env dev, plugin convos enabled",
    "[sim] \x1b[32mlistening on 127.0.0.1:20040\x1b[0m",  # the colour goes: never markup, never escapes
    "[sim] INSTRUCTIONS.md read (68 characters)",
    "[sim] plugin ready: /convos/status answers",
    "[sim] POST /convos/conversation: created 0a0a0a0a…, invite issued",
    "[sim] stream up",
]
PHASES_OF = {  # fixed phase times: this instance, and two earlier launches of the launcher (for p50/p95)
    INSTANCE: {"restore": 0.021, "spawn": 0.412, "ready": 1.734, "create": 2.906},
    "sim-000001": {"restore": 0.019, "spawn": 0.398, "ready": 1.512, "create": 3.215},
    "sim-000002": {"restore": 0.030, "spawn": 0.455, "ready": 2.101},
}


def instances_app(tmp: Path, **kwargs):
    """The app, its fleet holding one launched instance (running, its log written) beside the fixed gateways."""
    golden = tmp / "golden"
    init_golden(golden, env="dev")
    launcher = LauncherConfig(
        name="sim", type="sim", golden=golden, ports=(20000, 20099), max_instances=8, tags=("launched",)
    )
    spec = [*SPEC, (INSTANCE, State.LIVE, "0a" * 16, True, 1.4, 60, ("launched",), None)]
    fleet = build_fleet(spec)
    config = GatewayConfig(
        name=INSTANCE, url=f"http://127.0.0.1:{PORT}", env="dev", tags=("launched",), origin="launcher:sim"
    )
    fleet.gateways[-1] = config
    fleet.poller.remove(INSTANCE)
    fleet.poller.add(config, new=False)
    state = fleet.states[INSTANCE]
    state.state, state.since, state.reason = State.LIVE, NOW - 60, "conversation bound, streaming"
    state.latency_ms, state.last_success = 1.4, NOW - 1
    state.status = GatewayStatus("classic", True, "0a" * 16, True, raw={"ready": True})
    fleet.store.record_transitions([Transition(INSTANCE, State.UNKNOWN, State.LIVE, state.reason, NOW - 60)])
    records = Records.open(None)
    for index, (name, phases) in enumerate(PHASES_OF.items()):
        directory = tmp / "instances" / name
        directory.mkdir(parents=True)
        log = directory / "gateway.log"
        if name == INSTANCE:
            log.write_text("\n".join(LOG_LINES) + "\n")
        records.save(
            InstanceRecord(
                id=name,
                launcher="sim",
                type="sim",
                golden=str(golden),
                dir=str(directory),
                log=str(log),
                state=RUNNING if name == INSTANCE else TERMINATED,
                pid=4242 if name == INSTANCE else None,
                port=PORT if name == INSTANCE else 20000 + index,
                env="dev",
                phases=phases,
                conversation_id="0a" * 16 if name == INSTANCE else None,
                created_at=NOW - 60 - 600 * index,
            )
        )
    service = InstanceService({"sim": launcher}, fleet.store, records, Actions(fleet.store), tmp / "instances")
    kwargs.setdefault("instances", ConsoleInstances(fleet, service))
    return make_app(fleet=fleet, **kwargs)
