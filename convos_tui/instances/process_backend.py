"""The process backend (`openclaw` and `sim`): the golden restored into the instance's directory, the gateway
a process of its own on a loopback port (see launcher.py for the directory's layout)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from convos_tui.instances import launcher as proc
from convos_tui.instances.backends import Backend
from convos_tui.instances.golden import INSTRUCTIONS_FILE
from convos_tui.instances.records import InstanceRecord


class ProcessBackend(Backend):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._children: dict[str, Any] = {}  # the processes this backend started, to read their exit codes

    async def prepare(self, record: InstanceRecord, instructions: str | None) -> str | None:
        assert record.port is not None  # claimed by the service
        directory = Path(record.dir)
        try:
            key, record.env = proc.restore(self.launcher.golden, directory, record.port, self.cache)
        except OSError as exc:
            raise proc.PhaseError("restore", f"cannot copy {self.launcher.golden} to {directory} ({exc})") from None
        if instructions is not None:
            path = directory / proc.STATE_DIR / INSTRUCTIONS_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(instructions, encoding="utf-8")
        return key

    async def start(self, record: InstanceRecord) -> None:
        assert record.port is not None
        child = proc.spawn(self.launcher, Path(record.dir), record.port, self.cache)
        self._children[record.id] = child
        record.pid, record.pid_start = child.pid, proc.start_time(child.pid)

    async def gone(self, record: InstanceRecord) -> str | None:
        child = self._children.get(record.id)
        code = child.poll() if child is not None else None
        if code is not None:
            return f"the gateway exited with code {code} before it was ready"
        return None

    async def stop(self, record: InstanceRecord) -> bool:
        killed = await proc.stop(record.pid, record.pid_start, self.launcher.grace)
        self._children.pop(record.id, None)
        for _ in range(100):  # its port closed, so the next launch can take it
            if record.port is None or not await proc.port_open(record.port):
                break
            await asyncio.sleep(0.02)
        return killed

    def survey(self, records: list[InstanceRecord]) -> dict[str, bool | None]:
        return {r.id: proc.alive(r.pid, r.pid_start) for r in records}

    def pool_key(self, record: InstanceRecord) -> str | None:
        return proc.pool_key(Path(record.dir))
