"""Launch, terminate, recycle and list the instances of `[[launchers]]`: the service the commands (and, later,
the console's action service) call.

Every mutating call goes through `Actions.guarded`: refused in read-only mode, recorded in the audit.
A launch times each phase (restore, spawn → port open, port open → plugin ready, create or join), keeps the
times in the store, and when any phase fails stops and removes what it started, names the phase and keeps the
log's last lines. A create or join is never retried: the instance is removed and the failure reported.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convos_tui.api import errors
from convos_tui.api.client import GatewayClient
from convos_tui.api.invites import InviteError, parse_invite
from convos_tui.fleet.actions import FAILED, OK, REFUSED, ActionResult, Actions
from convos_tui.fleet.fleet import STORE_FILE
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.launchers import PROCESS_TYPES, LauncherConfig
from convos_tui.fleet.store import Store
from convos_tui.instances import launcher as proc
from convos_tui.instances.backends import Backend, backend_for
from convos_tui.instances.found import (
    CACHE_DIR,
    INSTANCES_DIR,
    instance_gateway,
    launched_gateways,
    orphaned_launcher,
    refresh,
)
from convos_tui.instances.golden import check_golden, load_config
from convos_tui.instances.records import (
    CRASHED,
    RUNNING,
    TERMINATED,
    InstanceRecord,
    Records,
)
from convos_tui.instances.records import (
    FAILED as RECORD_FAILED,
)
from convos_tui.quantiles import nearest_rank

PROVISION_KEYS = ("conversation_id", "invite_url", "invite_slug", "provisioning_s", "status")  # of a create or join
PORT_POLL_S = 0.02  # what the console adds to a launch is mostly how late it notices: poll often, cheaply
READY_POLL_S = 0.02

# on_phase(instance id, phase, seconds or None when it starts, error or None)
PhaseCallback = Callable[[str, str, float | None, str | None], None]


@dataclass(frozen=True, slots=True)
class Provision:
    """What a launch does once the plugin is ready: nothing, create a conversation, or join one."""

    create: bool = False
    name: str | None = None
    join: str | None = None
    instructions: str | None = None  # this launch's INSTRUCTIONS.md, instead of the golden's

    @property
    def phase(self) -> str | None:
        return "create" if self.create else "join" if self.join else None

    def params(self) -> dict[str, Any]:
        return {
            "create": self.create or None,
            "name": self.name,
            "join": self.join,
            "instructions": f"{len(self.instructions)} characters" if self.instructions is not None else None,
        }


class InstanceService:
    def __init__(
        self, launchers: dict[str, LauncherConfig], store: Store, records: Records, actions: Actions, root: Path
    ) -> None:
        self.launchers = launchers
        self.store = store
        self.records = records
        self.actions = actions
        self.root = root
        self.ports = proc.Ports()
        self._backends: dict[str, Backend] = {}

    def backend(self, launcher: LauncherConfig) -> Backend:
        """The launcher's backend, one per launcher for the service's life (it keeps its engine client)."""
        if launcher.name not in self._backends or self._backends[launcher.name].launcher != launcher:
            self._backends[launcher.name] = backend_for(launcher, self.root, self._cache(launcher), self.ports)
        return self._backends[launcher.name]

    @classmethod
    def open(cls, inventory: Inventory, data_dir: Path, *, read_only: bool = False) -> InstanceService:
        store = Store.open(data_dir / STORE_FILE)
        records = Records.open(store.path)
        launchers = {launcher.name: launcher for launcher in inventory.launchers}
        return cls(launchers, store, records, Actions(store, read_only=read_only), data_dir / INSTANCES_DIR)

    def close(self) -> None:
        self.records.close()
        self.store.close()

    def launcher(self, name: str | None) -> LauncherConfig:
        """The launcher named `name` (None: the only one), or ValueError saying which exist."""
        if not self.launchers:
            raise ValueError("no [[launchers]] in the config: add one (a name, a type, a golden) to launch instances")
        if name is None and len(self.launchers) == 1:
            return next(iter(self.launchers.values()))
        if name in self.launchers:
            return self.launchers[name]
        known = ", ".join(self.launchers)
        if name is None:
            raise ValueError(f"several launchers: choose one with --launcher ({known})")
        raise ValueError(f"no launcher named {name!r} (launchers: {known})")

    # -- launch ----------------------------------------------------------------------------------
    async def launch(
        self,
        launcher: LauncherConfig,
        count: int = 1,
        provision: Provision = Provision(),
        *,
        on_phase: PhaseCallback | None = None,
    ) -> list[ActionResult]:
        """Launch `count` instances at once; one result each (or one refusal for the whole launch)."""
        params = {"launcher": launcher.name, "count": count, **provision.params()}
        refusal = self._launch_refusal(launcher, count, provision)
        if refusal is not None:
            return [await self.actions.guarded("launch", launcher.name, params, lambda: _done(refusal))]

        async def one() -> ActionResult:
            return await self.actions.guarded(
                "launch", launcher.name, params, lambda: self._launch_one(launcher, provision, on_phase)
            )

        return list(await asyncio.gather(*(one() for _ in range(count))))

    def _launch_refusal(self, launcher: LauncherConfig, count: int, provision: Provision) -> ActionResult | None:
        problems = check_golden(launcher.golden) if launcher.type in PROCESS_TYPES else []
        if problems:
            detail = "\n".join(p.render() for p in problems)
            return ActionResult(
                launcher.name,
                "launch",
                REFUSED,
                f"golden {launcher.golden} refused ({len(problems)} problem"
                f"{'s' if len(problems) != 1 else ''}): nothing was started",
                hint=f"Run `convos-tui golden check {launcher.golden}` and fix what it lists.",
                detail=detail,
                data={"problems": [p.render() for p in problems]},
            )
        if provision.join is not None and launcher.type in PROCESS_TYPES:
            env = load_config(launcher.golden).get("channels", {}).get("convos", {}).get("env")
            try:
                parse_invite(provision.join, gateway_env=env, gateway_name=f"the golden {launcher.golden}")
            except InviteError as exc:
                return ActionResult(launcher.name, "launch", REFUSED, f"not started: {exc}")
        live = len(self.records.of_launcher(launcher.name))
        if live + count > launcher.max_instances:
            return ActionResult(
                launcher.name,
                "launch",
                REFUSED,
                f"{count} more would make {live + count} instances on launcher {launcher.name}, over "
                f"its max_instances {launcher.max_instances}: nothing was started",
                hint="Terminate some with `convos-tui terminate`, or raise max_instances.",
            )
        return None

    async def _launch_one(
        self, launcher: LauncherConfig, provision: Provision, on_phase: PhaseCallback | None
    ) -> ActionResult:
        instance_id = f"{launcher.name[:56]}-{secrets.token_hex(3)}"
        directory = self.root / instance_id
        backend = self.backend(launcher)
        record = InstanceRecord(
            id=instance_id,
            launcher=launcher.name,
            type=launcher.type,
            golden=launcher.image or launcher.golden_name or str(launcher.golden),
            dir=str(directory),
            log=str(directory / proc.LOG_FILE),
        )
        started = time.monotonic()
        phase, phase_since = "restore", started

        def begin(name: str) -> float:
            nonlocal phase, phase_since
            phase, phase_since = name, time.monotonic()
            if on_phase is not None:
                on_phase(instance_id, name, None, None)
            return phase_since

        def done(name: str, since: float) -> None:
            record.phases[name] = time.monotonic() - since
            if on_phase is not None:
                on_phase(instance_id, name, record.phases[name], None)

        try:
            since = begin("restore")
            record.port = self.ports.claim(launcher, {r.port for r in self.records.all() if r.port})
            self.records.save(record)  # before anything runs: a console killed now still finds what it started
            key = await backend.prepare(record, provision.instructions)
            self.records.save(record)
            done("restore", since)

            since = begin("spawn")
            await backend.start(record)
            self.records.save(record)
            deadline = since + launcher.boot_timeout
            while not await backend.port_open(record):
                await self._still_booting(backend, record, deadline, "spawn", f"port {record.port} did not open")
                await asyncio.sleep(PORT_POLL_S)
            done("spawn", since)

            since = begin("ready")
            gateway = self._gateway(record, key)
            await self._wait_ready(gateway, backend, record, deadline)
            done("ready", since)
            record.state = RUNNING
            self.records.save(record)

            data: dict[str, Any] = {}
            if provision.phase is not None:
                since = begin(provision.phase)
                if provision.create:
                    result = await self.actions.create(gateway, name=provision.name)
                else:
                    assert provision.join is not None
                    result = await self.actions.join(gateway, provision.join)
                if not result.ok:
                    raise proc.PhaseError(provision.phase, result.summary.removeprefix("failed: "))
                done(provision.phase, since)
                record.conversation_id = result.data.get("conversation_id")
                data = {k: v for k, v in result.data.items() if k in PROVISION_KEYS}
                self.records.save(record)
        except proc.PhaseError as exc:
            record.phases[phase] = time.monotonic() - phase_since  # how long until it failed
            if on_phase is not None:
                on_phase(instance_id, phase, record.phases[phase], exc.message)
            return await self._failed(record, exc.phase, exc.message, backend, started)
        except BaseException:
            record.phases[phase] = time.monotonic() - phase_since
            await self._failed(record, phase, "interrupted", backend, started)
            raise
        total = time.monotonic() - started
        return ActionResult(
            instance_id,
            "launch",
            OK,
            f"{_what(provision)} on {record.url.split('://', 1)[1]} in {total:.1f} s ({_phases(record)})",
            elapsed_s=total,
            data={**self._data(record), **data, "total_s": round(total, 3)},
        )

    async def _still_booting(
        self, backend: Backend, record: InstanceRecord, deadline: float, phase: str, what: str
    ) -> None:
        try:
            reason = await backend.gone(record)
        except proc.PhaseError as exc:  # the engine lost while it boots: named by the phase it was in
            raise proc.PhaseError(phase, exc.message) from None
        if reason is not None:
            raise proc.PhaseError(phase, reason)
        if time.monotonic() > deadline:
            raise proc.PhaseError(phase, f"{what} within boot_timeout ({backend.launcher.boot_timeout:g} s)")

    async def _wait_ready(
        self, gateway: GatewayConfig, backend: Backend, record: InstanceRecord, deadline: float
    ) -> None:
        """Until /convos/status answers the plugin's JSON with ready = true (an open port is not enough)."""
        last = "no answer yet"
        async with GatewayClient(gateway.endpoint()) as client:
            while True:
                try:
                    status = await client.status()
                    if status.ready:
                        return
                    last = "the plugin answered ready = false"
                except errors.GatewayError as exc:
                    last = exc.summary
                await self._still_booting(
                    backend,
                    record,
                    deadline,
                    "ready",
                    f"/convos/status did not answer the plugin's JSON (last: {last})",
                )
                await asyncio.sleep(READY_POLL_S)

    async def _failed(
        self, record: InstanceRecord, phase: str, message: str, backend: Backend, started: float
    ) -> ActionResult:
        """Stop and remove everything this launch started; keep the record with the phase and the log's tail."""
        record.log_tail = backend.tail(record)
        try:
            await backend.stop(record)
        except proc.PhaseError as exc:  # what could not be removed is said, never hidden
            message = f"{message}; and then {exc.message}"
        backend.cleanup(record)
        record.state, record.failed_phase, record.error, record.ended_at = RECORD_FAILED, phase, message, time.time()
        if record.conversation_id:
            self.store.mark_exploded(record.id, record.conversation_id)
        self.records.save(record)
        return ActionResult(
            record.id,
            "launch",
            FAILED,
            f"{phase} failed: {message}",
            hint="Nothing was left running; the log's last lines are below.",
            detail=record.log_tail,
            elapsed_s=time.monotonic() - started,
            data={**self._data(record), "failed_phase": phase, "log_tail": record.log_tail},
        )

    # -- terminate and recycle -------------------------------------------------------------------
    async def terminate(self, names: list[str]) -> list[ActionResult]:
        """Terminate these instances, all at once (each waits out its own grace); results in the given order."""
        return list(
            await asyncio.gather(
                *(
                    self.actions.guarded("terminate", name, {}, functools.partial(self._terminate_one, name))
                    for name in names
                )
            )
        )

    async def _terminate_one(self, name: str) -> ActionResult:
        record = self.records.get(name)
        if record is None or record.state in (TERMINATED, RECORD_FAILED):
            reason = (
                (
                    "it was not launched by this console (only instances of `convos-tui launch` can be terminated; "
                    "stop it where it was started)"
                )
                if record is None
                else f"it is already {record.state}"
            )
            return ActionResult(name, "terminate", REFUSED, f"refused: {reason}")
        backend = self.backend(self.launchers.get(record.launcher) or orphaned_launcher(record))
        try:
            killed = await backend.stop(record)
        except proc.PhaseError as exc:
            return ActionResult(
                name, "terminate", FAILED, f"failed: {exc.message}", hint="It is still listed: try again."
            )
        backend.cleanup(record)
        was = record.state
        record.state, record.ended_at = TERMINATED, time.time()
        self.records.save(record)
        how = "was not running (crashed)" if was == CRASHED else "killed after the grace" if killed else "stopped"
        # Its conversation ends with it: marked in the same transaction as the audit row.
        ended = {"exploded": (record.id, record.conversation_id)} if record.conversation_id else {}
        return ActionResult(
            name,
            "terminate",
            OK,
            f"terminated: {how}; its directory and identity are gone",
            data={"instance": name, "port": record.port, "pid": record.pid},
            effects=ended,
        )

    async def recycle(
        self, name: str, provision: Provision = Provision(), *, on_phase: PhaseCallback | None = None
    ) -> list[ActionResult]:
        """Terminate the instance, then launch a fresh one from the same launcher and golden."""
        record = self.records.get(name)
        launcher = self.launchers.get(record.launcher) if record is not None else None
        if record is not None and launcher is None:
            refusal = ActionResult(
                name,
                "recycle",
                REFUSED,
                f"refused: its launcher {record.launcher!r} is no longer in the config",
                hint="Add it back, or terminate it and launch from another.",
            )
            return [await self.actions.guarded("recycle", name, {}, lambda: _done(refusal))]
        results = await self.terminate([name])
        if not results[0].ok or launcher is None:
            return results
        return results + await self.launch(launcher, 1, provision, on_phase=on_phase)

    # -- what there is ---------------------------------------------------------------------------
    def refresh(self, only: Collection[str] | None = None) -> list[InstanceRecord]:
        """The live instances, their processes checked: one that died is marked crashed, with its log's tail.
        `only`: check just these (a pool checks its members, never a launch in flight, whose exit code the
        check would reap before the launch reads it)."""
        return refresh(self.records, self._backend_of, only)

    def phase_stats(self) -> dict[str, dict[str, dict[str, float]]]:
        """p50 and p95 of each phase per launcher, over the launches this console remembers (ok or not)."""
        samples: dict[str, dict[str, list[float]]] = {}
        for record in self.records.all(include_ended=True):
            for phase, seconds in record.phases.items():
                if phase != record.failed_phase:
                    samples.setdefault(record.launcher, {}).setdefault(phase, []).append(seconds)
        return {
            launcher: {
                phase: {"p50": nearest_rank(values, 0.5), "p95": nearest_rank(values, 0.95), "n": len(values)}
                for phase, values in phases.items()
            }
            for launcher, phases in samples.items()
        }

    def gateways(self) -> list[GatewayConfig]:
        """The running instances as gateways of the fleet (origin `launcher:NAME`)."""
        return [
            instance_gateway(r, self.launchers, self._backend_of(r).pool_key(r))
            for r in self.refresh()
            if r.state == RUNNING
        ]

    async def remove_orphans(self, containers: list[str]) -> list[ActionResult]:
        """Remove these orphan containers (labelled for a launcher of this config, unknown to the store)."""
        orphans = {o["container"]: o for o in self.orphans()}

        async def remove(container: str) -> ActionResult:
            orphan = orphans.get(container) or next((o for o in orphans.values() if o["name"] == container), None)
            if orphan is None:
                return ActionResult(container, "remove-orphan", REFUSED, "refused: not an orphan of this config")
            backend = self.backend(self.launchers[orphan["launcher"]])
            try:
                await asyncio.to_thread(backend.remove_orphan, orphan["container"])
            except Exception as exc:
                return ActionResult(container, "remove-orphan", FAILED, f"failed: {exc}")
            return ActionResult(container, "remove-orphan", OK, "removed with its anonymous volumes")

        return [await self.actions.guarded("remove-orphan", c, {}, functools.partial(remove, c)) for c in containers]

    def pool_key(self, record: InstanceRecord) -> str | None:
        """The key the console sends to this instance (kept where its backend keeps it, never in the store)."""
        return self._backend_of(record).pool_key(record)

    def log_tail(self, record: InstanceRecord, lines: int) -> str:
        """The instance's log's last lines, wherever its backend keeps them (a file, the engine)."""
        return self._backend_of(record).tail(record, lines)

    def _backend_of(self, record: InstanceRecord) -> Backend:
        return self.backend(self.launchers.get(record.launcher) or orphaned_launcher(record))

    def orphans(self) -> list[dict[str, str]]:
        """Containers labelled for a launcher of this config that the store does not know (never removed here)."""
        known = {r.id for r in self.records.all()}
        return [o for launcher in self.launchers.values() for o in self.backend(launcher).orphans(known)]

    def _gateway(self, record: InstanceRecord, key: str | None) -> GatewayConfig:
        return instance_gateway(record, self.launchers, key)

    def _cache(self, launcher: LauncherConfig) -> Path:
        """Compiled code the instances of a launcher share (no state, no secret): see launcher.py."""
        return self.root.parent / CACHE_DIR / launcher.name

    @staticmethod
    def _data(record: InstanceRecord) -> dict[str, Any]:
        return {
            "instance": record.id,
            "launcher": record.launcher,
            "origin": record.origin,
            "port": record.port,
            "pid": record.pid,
            "log": record.log,
            "phases": {k: round(v, 3) for k, v in record.phases.items()},
        }


async def _done(result: ActionResult) -> ActionResult:
    return result


def _what(provision: Provision) -> str:
    return "created a conversation" if provision.create else "joined" if provision.join else "ready"


def _phases(record: InstanceRecord) -> str:
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in record.phases.items())


__all__ = ["CACHE_DIR", "INSTANCES_DIR", "InstanceService", "Provision", "instance_gateway", "launched_gateways"]
