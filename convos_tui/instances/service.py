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
from convos_tui.api.endpoint import Timeouts
from convos_tui.api.invites import InviteError, parse_invite
from convos_tui.fleet.actions import FAILED, OK, REFUSED, ActionResult, Actions
from convos_tui.fleet.fleet import STORE_FILE
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.fleet.store import Store
from convos_tui.instances import launcher as proc
from convos_tui.instances.golden import INSTRUCTIONS_FILE, check_golden, load_config
from convos_tui.instances.records import (
    CRASHED,
    RUNNING,
    STARTING,
    TERMINATED,
    InstanceRecord,
    Records,
)
from convos_tui.instances.records import (
    FAILED as RECORD_FAILED,
)

INSTANCES_DIR = "instances"
CACHE_DIR = "cache"
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
        problems = check_golden(launcher.golden)
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
        if provision.join is not None:
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
        record = InstanceRecord(
            id=instance_id,
            launcher=launcher.name,
            type=launcher.type,
            golden=str(launcher.golden),
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
            try:
                key, record.env = proc.restore(launcher.golden, directory, record.port, self._cache(launcher))
            except OSError as exc:
                raise proc.PhaseError("restore", f"cannot copy {launcher.golden} to {directory} ({exc})") from None
            if provision.instructions is not None:
                instructions = directory / proc.STATE_DIR / INSTRUCTIONS_FILE
                instructions.parent.mkdir(parents=True, exist_ok=True)
                instructions.write_text(provision.instructions, encoding="utf-8")
            done("restore", since)

            since = begin("spawn")
            child = proc.spawn(launcher, directory, record.port, self._cache(launcher))
            record.pid, record.pid_start = child.pid, proc.start_time(child.pid)
            self.records.save(record)
            deadline = since + launcher.boot_timeout
            while not await proc.port_open(record.port):
                self._still_booting(child, deadline, "spawn", f"port {record.port} did not open", launcher)
                await asyncio.sleep(PORT_POLL_S)
            done("spawn", since)

            since = begin("ready")
            gateway = self._gateway(record, key)
            await self._wait_ready(gateway, child, deadline, launcher)
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
            return await self._failed(record, exc.phase, exc.message, launcher, started)
        except BaseException:
            record.phases[phase] = time.monotonic() - phase_since
            await self._failed(record, phase, "interrupted", launcher, started)
            raise
        total = time.monotonic() - started
        return ActionResult(
            instance_id,
            "launch",
            OK,
            f"{_what(provision)} on 127.0.0.1:{record.port} in {total:.1f} s ({_phases(record)})",
            elapsed_s=total,
            data={**self._data(record), **data, "total_s": round(total, 3)},
        )

    def _still_booting(self, child: Any, deadline: float, phase: str, what: str, launcher: LauncherConfig) -> None:
        code = child.poll()
        if code is not None:
            raise proc.PhaseError(phase, f"the gateway exited with code {code} before it was ready")
        if time.monotonic() > deadline:
            raise proc.PhaseError(phase, f"{what} within boot_timeout ({launcher.boot_timeout:g} s)")

    async def _wait_ready(self, gateway: GatewayConfig, child: Any, deadline: float, launcher: LauncherConfig) -> None:
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
                self._still_booting(
                    child,
                    deadline,
                    "ready",
                    f"/convos/status did not answer the plugin's JSON (last: {last})",
                    launcher,
                )
                await asyncio.sleep(READY_POLL_S)

    async def _failed(
        self, record: InstanceRecord, phase: str, message: str, launcher: LauncherConfig, started: float
    ) -> ActionResult:
        """Stop and remove everything this launch started; keep the record with the phase and the log's tail."""
        record.log_tail = proc.log_tail(Path(record.log))
        await proc.stop(record.pid, record.pid_start, launcher.grace)
        await self._port_closed(record.port)
        proc.remove(Path(record.dir))
        self.ports.release(record.port)
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
        launcher = self.launchers.get(record.launcher)
        killed = await proc.stop(record.pid, record.pid_start, launcher.grace if launcher else 5.0)
        await self._port_closed(record.port)
        proc.remove(Path(record.dir))
        self.ports.release(record.port)
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
        return refresh(self.records, only)

    def phase_stats(self) -> dict[str, dict[str, dict[str, float]]]:
        """p50 and p95 of each phase per launcher, over the launches this console remembers (ok or not)."""
        samples: dict[str, dict[str, list[float]]] = {}
        for record in self.records.all(include_ended=True):
            for phase, seconds in record.phases.items():
                if phase != record.failed_phase:
                    samples.setdefault(record.launcher, {}).setdefault(phase, []).append(seconds)
        return {
            launcher: {
                phase: {"p50": _quantile(values, 0.5), "p95": _quantile(values, 0.95), "n": len(values)}
                for phase, values in phases.items()
            }
            for launcher, phases in samples.items()
        }

    def gateways(self) -> list[GatewayConfig]:
        """The running instances as gateways of the fleet (origin `launcher:NAME`)."""
        return [
            instance_gateway(r, self.launchers, proc.pool_key(Path(r.dir)))
            for r in self.refresh()
            if r.state == RUNNING
        ]

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

    async def _port_closed(self, port: int | None) -> None:
        for _ in range(100):
            if port is None or not await proc.port_open(port):
                return
            await asyncio.sleep(0.02)


def refresh(records: Records, only: Collection[str] | None = None) -> list[InstanceRecord]:
    """The live instances of `records` (or those of them in `only`), their processes checked: one that died is
    marked crashed, with its log's tail (never silently forgotten)."""
    found = []
    for record in records.all():
        if only is not None and record.id not in only:
            continue
        if record.state in (STARTING, RUNNING) and not proc.alive(record.pid, record.pid_start):
            record.state, record.ended_at = CRASHED, time.time()
            record.log_tail = proc.log_tail(Path(record.log))
            records.save(record)
        found.append(record)
    return found


def instance_gateway(record: InstanceRecord, launchers: dict[str, LauncherConfig], key: str | None) -> GatewayConfig:
    launcher = launchers.get(record.launcher)
    # Plain HTTP on loopback: there is no certificate to verify, and loading the CA bundle for nothing
    # cost ~20 ms of CPU per client, twice per launch.
    return GatewayConfig(
        name=record.id,
        url=record.url,
        env=record.env or "production",
        tags=launcher.tags if launcher else (),
        token=key,
        origin=record.origin,
        timeouts=Timeouts(status=2.0),
        tls_verify=False,
    )


def launched_gateways(inventory: Inventory, data_dir: Path) -> list[GatewayConfig]:
    """The running instances this console launched, as gateways of the fleet: what Fleet.load adds."""
    store = data_dir / STORE_FILE
    if not store.exists():
        return []
    records = Records.open(store)
    try:
        launchers = {launcher.name: launcher for launcher in inventory.launchers}
        return [
            instance_gateway(r, launchers, proc.pool_key(Path(r.dir))) for r in refresh(records) if r.state == RUNNING
        ]
    finally:
        records.close()


async def _done(result: ActionResult) -> ActionResult:
    return result


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)


def _what(provision: Provision) -> str:
    return "created a conversation" if provision.create else "joined" if provision.join else "ready"


def _phases(record: InstanceRecord) -> str:
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in record.phases.items())


__all__ = ["InstanceService", "Provision"]
