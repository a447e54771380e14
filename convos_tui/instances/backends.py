"""One launcher interface for every type: what the instance service (and the pools built on it) call, so that a
launch, a terminate, a refresh and crash detection run the same code whatever the instances run on.

A launch is: `prepare` (the `restore` phase: copy a folder, create a container, or run a
hook), `start` (then the service waits for `port_open` and the plugin, asking `gone` whether it died while
booting), and on failure or terminate `stop` then `cleanup`. `survey` tells which instances are still alive
(None: cannot tell now, which is never taken for a crash). Every backend keeps an instance directory under the
service's root for what it must remember privately (mode 0700; secrets in 0600 files).
"""

from __future__ import annotations

import json
import os
import secrets
from abc import ABC, abstractmethod
from pathlib import Path

from convos_tui.api.interpret import redact, remember_secret
from convos_tui.fleet.launchers import PROCESS_TYPES, LauncherConfig
from convos_tui.instances.launcher import LOG_FILE, TAIL_LINES, Ports, log_tail, port_open, remove
from convos_tui.instances.records import InstanceRecord

SECRETS_FILE = "secrets.json"  # docker and command instances: their pool key and gateway token (0600)


class Backend(ABC):
    def __init__(self, launcher: LauncherConfig, root: Path, cache: Path, ports: Ports) -> None:
        self.launcher = launcher
        self.root = root
        self.cache = cache
        self.ports = ports

    @abstractmethod
    async def prepare(self, record: InstanceRecord, instructions: str | None) -> str | None:
        """The first phase; returns the pool key the console sends (None: none)."""

    @abstractmethod
    async def start(self, record: InstanceRecord) -> None:
        """Start the gateway (the `spawn` phase runs from here to its port open)."""

    @abstractmethod
    async def gone(self, record: InstanceRecord) -> str | None:
        """Why a booting instance is gone (exited, removed), or None while it is still there."""

    @abstractmethod
    async def stop(self, record: InstanceRecord) -> bool:
        """Stop what runs; True if it had to be killed."""

    @abstractmethod
    def survey(self, records: list[InstanceRecord]) -> dict[str, bool | None]:
        """For each record's id: alive, dead, or None when that cannot be told now."""

    async def port_open(self, record: InstanceRecord) -> bool:
        return record.port is not None and await port_open(record.port)

    def tail(self, record: InstanceRecord, lines: int = TAIL_LINES) -> str:
        """The last lines of what the gateway wrote, for a person to see why it failed (or follow it): its own
        secrets, and anything shaped like a credential, redacted (a log is the gateway's text, not ours)."""
        return self.scrub(record, self._tail(record, lines))

    def _tail(self, record: InstanceRecord, lines: int) -> str:
        return log_tail(Path(record.log), lines)

    def scrub(self, record: InstanceRecord, text: str) -> str:
        for secret in (*read_secrets(Path(record.dir)).values(), self.pool_key(record)):
            remember_secret(secret)
        return redact(text)

    def pool_key(self, record: InstanceRecord) -> str | None:
        return read_secrets(Path(record.dir)).get("pool_key")

    def cleanup(self, record: InstanceRecord) -> None:
        """Remove the instance's directory and give its port back."""
        remove(Path(record.dir))
        self.ports.release(record.port)

    def orphans(self, known: set[str]) -> list[dict[str, str]]:
        """What runs for this launcher that the store does not know (only the docker backend can tell)."""
        return []

    def remove_orphan(self, container: str) -> None:
        raise ValueError(f"launcher {self.launcher.name} has no orphans to remove")


def new_secrets(directory: Path) -> dict[str, str]:
    """A fresh pool key and gateway token for one instance, kept in its directory (0600), nowhere else."""
    directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    values = {"pool_key": secrets.token_urlsafe(24), "gateway_token": secrets.token_urlsafe(24)}
    fd = os.open(directory / SECRETS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out)
    return values


def read_secrets(directory: Path) -> dict[str, str]:
    try:
        value = json.loads((directory / SECRETS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, str)} if isinstance(value, dict) else {}


def instance_log(directory: Path) -> Path:
    return directory / LOG_FILE


def backend_for(launcher: LauncherConfig, root: Path, cache: Path, ports: Ports) -> Backend:
    """The backend of a launcher's type (imported when asked: the docker SDK only loads for docker)."""
    if launcher.type in PROCESS_TYPES:
        from convos_tui.instances.process_backend import ProcessBackend

        return ProcessBackend(launcher, root, cache, ports)
    if launcher.type == "docker":
        from convos_tui.instances.docker_backend import DockerBackend

        return DockerBackend(launcher, root, cache, ports)
    from convos_tui.instances.command_backend import CommandBackend

    return CommandBackend(launcher, root, cache, ports)
