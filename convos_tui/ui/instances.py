"""The console's hold on the instances of `[[launchers]]`: the instance service, on the console's own store
and action service, and the fleet kept in step with what it launches and terminates.

No Textual here: the screens (ui/screens/launch.py, detail.py) call it from their workers. Every mutating
call is the instance service's, which goes through the action service (read-only refusal, the audit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from convos_tui.fleet.actions import REFUSED, ActionResult, Actions
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.instances import launcher as proc
from convos_tui.instances.found import orphaned_launcher
from convos_tui.instances.launcher import log_tail
from convos_tui.instances.records import RUNNING, InstanceRecord, Records
from convos_tui.instances.service import INSTANCES_DIR, InstanceService, PhaseCallback, Provision, instance_gateway


class Follower(Protocol):
    """A log followed: the lines written since the last call (its last lines on the first)."""

    def new_lines(self) -> list[str]: ...


class ConsoleInstances:
    """`ConsoleInstances.open(fleet, actions)`; `service` is None when the store is in memory (nowhere to keep
    the instances' directories and records), and every launch then says so."""

    def __init__(self, fleet: Fleet, service: InstanceService | None) -> None:
        self.fleet = fleet
        self.service = service
        self.on_change: Callable[[set[str]], None] | None = None  # names added to or removed from the fleet

    @classmethod
    def open(cls, fleet: Fleet, actions: Actions) -> ConsoleInstances:
        launchers = {launcher.name: launcher for launcher in fleet.inventory.launchers}
        path = fleet.store.path
        if not launchers or path is None:
            return cls(fleet, None)
        service = InstanceService(launchers, fleet.store, Records.open(path), actions, path.parent / INSTANCES_DIR)
        return cls(fleet, service)

    def close(self) -> None:
        if self.service is not None:
            self.service.records.close()  # the store is the fleet's: it closes it

    @property
    def launchers(self) -> list[LauncherConfig]:
        return (
            list(self.service.launchers.values()) if self.service is not None else list(self.fleet.inventory.launchers)
        )

    def orphans(self) -> list[dict[str, str]]:
        """Containers labelled for a launcher of this config that the store does not know (asks the engine:
        call it from a thread)."""
        return self.service.orphans() if self.service is not None else []

    def record(self, name: str) -> InstanceRecord | None:
        return self.service.records.get(name) if self.service is not None else None

    def follower(self, record: InstanceRecord) -> Follower:
        """What follows the instance's log: its file, or for a container the engine's log of it."""
        if record.type == "docker" and self.service is not None:
            from convos_tui.instances.docker_backend import ContainerLog, DockerBackend

            backend = self.service.backend(self.service.launchers.get(record.launcher) or orphaned_launcher(record))
            if isinstance(backend, DockerBackend):
                return ContainerLog(backend, record)
        return LogFollower(Path(record.log))

    def log_tail(self, record: InstanceRecord, lines: int) -> str:
        """The instance's log's last lines, colours and control characters taken out."""
        if self.service is not None:
            return self.service.log_tail(record, lines)  # a container's are the engine's
        return log_tail(Path(record.log), lines)

    def phase_stats(self) -> dict[str, dict[str, dict[str, float]]]:
        return self.service.phase_stats() if self.service is not None else {}

    # -- actions ---------------------------------------------------------------------------------
    async def launch(
        self, launcher: str, count: int, provision: Provision, on_phase: PhaseCallback | None = None
    ) -> list[ActionResult]:
        if self.service is None:
            return [self._nowhere(launcher, "launch")]
        results = await self.service.launch(self.service.launcher(launcher), count, provision, on_phase=on_phase)
        self._join(results)
        return results

    async def terminate(self, names: list[str]) -> list[ActionResult]:
        if self.service is None:
            return [self._nowhere(name, "terminate") for name in names]
        results = await self.service.terminate(names)
        self._leave([r.gateway for r in results if r.ok])
        return results

    async def recycle(
        self, name: str, provision: Provision | None = None, on_phase: PhaseCallback | None = None
    ) -> list[ActionResult]:
        if self.service is None:
            return [self._nowhere(name, "recycle")]
        results = await self.service.recycle(name, provision or Provision(), on_phase=on_phase)
        self._leave([r.gateway for r in results if r.ok and r.action == "terminate"])
        self._join(results)
        return results

    # -- the fleet follows -----------------------------------------------------------------------
    def follow_records(self) -> None:
        """The fleet's rows follow the instance records, whoever changed them (a pool's reconciler, a claim, a
        `convos-tui launch` or `pool run` in another terminal): running instances join, terminated ones leave
        (a crashed one stays, shown as it is)."""
        if self.service is None:
            return
        records = self.service.records.all()
        self._join_running(records)
        kept = {record.id for record in records}
        self._leave([g.name for g in self.fleet.gateways if g.origin.startswith("launcher:") and g.name not in kept])

    def _join(self, results: list[ActionResult]) -> None:
        """Each instance a launch left running becomes a row of the fleet, polled like the others."""
        assert self.service is not None
        launched = [self.service.records.get(r.gateway) for r in results if r.action == "launch" and r.ok]
        self._join_running([record for record in launched if record is not None])

    def _join_running(self, records: list[InstanceRecord]) -> None:
        assert self.service is not None
        poller, added = self.fleet.poller, set()
        for record in records:
            if record.state != RUNNING or poller is None or poller.config(record.id) is not None:
                continue
            gateway = instance_gateway(record, self.service.launchers, self.service.pool_key(record))
            self.fleet.gateways.append(gateway)
            poller.add(gateway)
            added.add(record.id)
        if added and self.on_change is not None:
            self.on_change(added)

    def _leave(self, names: list[str]) -> None:
        poller = self.fleet.poller
        gone = {name for name in names if poller is not None and poller.config(name) is not None}
        for name in gone:
            assert poller is not None
            poller.remove(name)
        self.fleet.gateways[:] = [g for g in self.fleet.gateways if g.name not in gone]
        if gone and self.on_change is not None:
            self.on_change(gone)

    @staticmethod
    def _nowhere(target: str, action: str) -> ActionResult:
        return ActionResult(
            target,
            action,
            REFUSED,
            "refused: the history is in memory, so there is nowhere to keep instances",
            hint="Start the console with a writable data dir ($XDG_DATA_HOME/convos-tui) to launch instances.",
        )


class LogFollower:
    """An instance's log, followed: the last lines at first, then each line as it is written, neutralised
    (colours and control characters taken out: a log line never drives the terminal or the markup)."""

    FIRST_BYTES = 65536

    def __init__(self, path: Path, first_lines: int = 200) -> None:
        self.path = path
        self.first_lines = first_lines
        self._offset: int | None = None
        self._partial = b""

    def new_lines(self) -> list[str]:
        """The whole lines written since the last call (the last `first_lines` on the first)."""
        try:
            with open(self.path, "rb") as log:
                size = log.seek(0, 2)
                if self._offset is None or size < self._offset:  # first look, or the file was cut
                    self._offset, self._partial = max(0, size - self.FIRST_BYTES), b""
                    first = True
                else:
                    first = False
                log.seek(self._offset)
                data = log.read(size - self._offset)
        except OSError:
            return []
        self._offset += len(data)
        *whole, self._partial = (self._partial + data).split(b"\n")
        lines = [neutralise(line.decode("utf-8", errors="replace")) for line in whole]
        return lines[-self.first_lines :] if first else lines


def neutralise(line: str) -> str:
    return proc.CONTROL.sub("", proc.ANSI.sub("", line.rstrip("\r")))
