"""What there is: the instances a console launched, checked by their backends (a dead one becomes crashed), and
the running ones as gateways of the fleet (what Fleet.load adds, with origin `launcher:NAME`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from pathlib import Path

from convos_tui.api.endpoint import Timeouts
from convos_tui.fleet.fleet import STORE_FILE
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.instances import launcher as proc
from convos_tui.instances.backends import Backend, backend_for
from convos_tui.instances.records import CRASHED, RUNNING, STARTING, InstanceRecord, Records

INSTANCES_DIR = "instances"
CACHE_DIR = "cache"


def refresh(
    records: Records, backend_of: Callable[[InstanceRecord], Backend], only: Collection[str] | None = None
) -> list[InstanceRecord]:
    """The live instances of `records` (or those of them in `only`), each launcher's backend asked once: one
    that died is marked crashed, with its log's tail (never silently forgotten); one whose backend cannot tell
    now (an engine down) stays."""
    groups: dict[str, list[InstanceRecord]] = {}
    for record in records.all():
        if only is not None and record.id not in only:
            continue
        if record.state == STARTING and not (record.pid or record.container):
            continue  # still restoring (or its console died then): nothing runs to ask about yet
        if record.state in (STARTING, RUNNING):
            groups.setdefault(record.launcher, []).append(record)
    for group in groups.values():
        backend = backend_of(group[0])
        alive = backend.survey(group)
        for record in group:
            if alive.get(record.id) is False:
                record.state, record.ended_at = CRASHED, time.time()
                record.log_tail = backend.tail(record)
                records.save(record)
    return [r for r in records.all() if only is None or r.id in only]


def orphaned_launcher(record: InstanceRecord) -> LauncherConfig:
    """A stand-in for the launcher of a record whose launcher left the config: enough to check and stop it."""
    return LauncherConfig(
        name=record.launcher,
        type=record.type,
        golden=Path(record.golden),
        image=record.golden if record.type == "docker" else "",
    )


def instance_gateway(record: InstanceRecord, launchers: dict[str, LauncherConfig], key: str | None) -> GatewayConfig:
    launcher = launchers.get(record.launcher)
    # Plain HTTP on loopback: there is no certificate to verify, and loading the CA bundle for nothing
    # cost ~20 ms of CPU per client, twice per launch. Elsewhere (a command hook's URL) it is verified.
    return GatewayConfig(
        name=record.id,
        url=record.url,
        env=record.env or "production",
        tags=launcher.tags if launcher else (),
        token=key,
        origin=record.origin,
        timeouts=Timeouts(status=2.0),
        tls_verify=not record.url.startswith("http://127.0.0.1:"),
    )


def launched_gateways(inventory: Inventory, data_dir: Path) -> list[GatewayConfig]:
    """The running instances this console launched, as gateways of the fleet: what Fleet.load adds."""
    store = data_dir / STORE_FILE
    if not store.exists():
        return []
    records = Records.open(store)
    launchers = {launcher.name: launcher for launcher in inventory.launchers}
    root, ports = data_dir / INSTANCES_DIR, proc.Ports()
    chosen: dict[str, Backend] = {}

    def backend_of(record: InstanceRecord) -> Backend:
        launcher = launchers.get(record.launcher) or orphaned_launcher(record)
        if launcher.name not in chosen:
            chosen[launcher.name] = backend_for(launcher, root, data_dir / CACHE_DIR / launcher.name, ports)
        return chosen[launcher.name]

    try:
        return [
            instance_gateway(r, launchers, backend_of(r).pool_key(r))
            for r in refresh(records, backend_of)
            if r.state == RUNNING
        ]
    finally:
        records.close()
