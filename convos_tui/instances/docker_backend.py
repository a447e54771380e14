"""The docker backend: one container per instance, through the Docker Engine API (the `docker` SDK).

The golden is an image. A container is labelled `convos-tui.instance` / `convos-tui.launcher` (how a restarted
console finds its containers, and tells orphans from them), publishes the gateway's port on 127.0.0.1 only (or
shares the host's network where the engine has no bridge), and gets its pool key and gateway token as
environment variables (CONVOS_POOL_API_KEY, OPENCLAW_GATEWAY_TOKEN; the image's openclaw.json says
"${CONVOS_POOL_API_KEY}"), never in the image, never in a label. The provider key is passed by name.
Terminate stops it and removes it with its anonymous volumes. Every engine call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from convos_tui.instances.backends import Backend, new_secrets
from convos_tui.instances.golden import INSTRUCTIONS_FILE
from convos_tui.instances.launcher import ANSI, CONTROL, TAIL_LINES, PhaseError
from convos_tui.instances.records import InstanceRecord

INSTANCE_LABEL = "convos-tui.instance"
LAUNCHER_LABEL = "convos-tui.launcher"
ENGINE_TIMEOUT_S = 30
GONE_EVERY_S = 0.2
UNREACHABLE_FIX = "start dockerd (or set engine in [[launchers]] / DOCKER_HOST)"


def engine(base_url: str | None) -> Any:
    """A client of the engine (no connection is made until the first call)."""
    import docker

    if base_url:
        return docker.DockerClient(base_url=base_url, timeout=ENGINE_TIMEOUT_S)
    return docker.from_env(timeout=ENGINE_TIMEOUT_S)


def engine_error(exc: Exception, where: str) -> str:
    """One line for a person: what the engine said, without its HTTP noise."""
    import docker.errors

    if isinstance(exc, docker.errors.APIError):
        text = str(exc.explanation or exc)
    elif isinstance(exc, docker.errors.DockerException) and "Connection" in str(exc) or isinstance(exc, OSError):
        return f"the Docker engine at {where} is unreachable: {UNREACHABLE_FIX}"
    else:
        text = str(exc)
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__


class DockerBackend(Backend):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._client: Any = None
        self._asked_at: dict[str, float] = {}  # when gone() last asked the engine, per instance

    @property
    def where(self) -> str:
        return self.launcher.engine or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"

    async def _call(self, phase: str, work: Any, *args: Any, **kwargs: Any) -> Any:
        import docker.errors

        try:
            if self._client is None:
                self._client = await asyncio.to_thread(engine, self.launcher.engine)
            return await asyncio.to_thread(work, self._client, *args, **kwargs)
        except (docker.errors.DockerException, OSError) as exc:
            raise PhaseError(phase, engine_error(exc, self.where)) from None

    # -- launch --------------------------------------------------------------------------------------
    async def prepare(self, record: InstanceRecord, instructions: str | None) -> str | None:
        secrets = new_secrets(Path(record.dir))
        record.env = None
        await self._call("restore", _find_image, self.launcher.image, self.launcher.pull)
        record.container = await self._call("restore", self._create, record, secrets)
        if instructions is not None:
            await self._call("restore", _put_file, record.container, self._instructions_path(), instructions)
        return secrets["pool_key"]

    def _instructions_path(self) -> str:
        return f"{self.launcher.state_dir.rstrip('/')}/{INSTRUCTIONS_FILE}"

    def _create(self, client: Any, record: InstanceRecord, secrets: dict[str, str]) -> str:
        launcher = self.launcher
        env = dict(launcher.env)
        env.update({name: os.environ[name] for name in launcher.pass_env if name in os.environ})
        env.update(CONVOS_POOL_API_KEY=secrets["pool_key"], OPENCLAW_GATEWAY_TOKEN=secrets["gateway_token"])
        values = {"id": record.id, "port": str(record.port)}
        options: dict[str, Any] = {
            "name": f"convos-tui-{record.id}",
            "labels": {INSTANCE_LABEL: record.id, LAUNCHER_LABEL: launcher.name},
            "environment": env,
            "detach": True,
            "network": launcher.network,
        }
        if launcher.command:
            options["command"] = [arg.format(**values) for arg in launcher.command]
        if launcher.network != "host":
            options["ports"] = {f"{launcher.container_port}/tcp": ("127.0.0.1", record.port)}
        return str(client.containers.create(launcher.image, **options).id)

    async def start(self, record: InstanceRecord) -> None:
        try:
            await self._call("spawn", lambda c: c.containers.get(record.container).start())
        except PhaseError as exc:
            if "already allocated" in exc.message or "address already in use" in exc.message:
                raise PhaseError(
                    "spawn",
                    f"port {record.port} on 127.0.0.1 is taken by another program: free it, or narrow ports "
                    "in [[launchers]] to a range nothing else uses",
                ) from None
            raise

    async def gone(self, record: InstanceRecord) -> str | None:
        now = time.monotonic()  # asked every poll while it boots: the engine at most every GONE_EVERY_S
        if now - self._asked_at.get(record.id, 0.0) < GONE_EVERY_S:
            return None
        self._asked_at[record.id] = now
        state = await self._call("spawn", _state, record.container)
        if state is None:
            return "the container was removed while it booted"
        if state["Status"] in ("exited", "dead"):
            return f"the container exited with code {state.get('ExitCode')} at boot"
        return None

    def _tail(self, record: InstanceRecord, lines: int = TAIL_LINES) -> str:
        """The container's last log lines (the engine keeps them until it is removed)."""
        try:
            client = self._client or engine(self.launcher.engine)
            data = client.containers.get(record.container).logs(tail=lines)
        except Exception:
            return super()._tail(record, lines)
        return CONTROL.sub("", ANSI.sub("", data.decode("utf-8", errors="replace"))).rstrip()

    # -- stop, survey, orphans -------------------------------------------------------------------------
    async def stop(self, record: InstanceRecord) -> bool:
        if not record.container:
            return False
        return bool(await self._call("terminate", _remove, record.container, self.launcher.grace))

    def survey(self, records: list[InstanceRecord]) -> dict[str, bool | None]:
        try:
            running = {c.labels.get(INSTANCE_LABEL): c.status == "running" for c in self._labelled()}
        except Exception:
            return {r.id: None for r in records}  # the engine cannot be asked now: not a crash
        return {r.id: running.get(r.id, False) for r in records}

    def orphans(self, known: set[str]) -> list[dict[str, str]]:
        try:
            found = self._labelled()
        except Exception:
            return []
        return [
            {
                "container": c.short_id,
                "name": c.name,
                "instance": c.labels.get(INSTANCE_LABEL, ""),
                "launcher": self.launcher.name,
                "status": c.status,
            }
            for c in found
            if c.labels.get(INSTANCE_LABEL) not in known
        ]

    def remove_orphan(self, container: str) -> None:
        client = self._client or engine(self.launcher.engine)
        found = client.containers.get(container)
        if found.labels.get(LAUNCHER_LABEL) != self.launcher.name:
            raise ValueError(f"container {container} is not one of launcher {self.launcher.name}'s")
        _remove(client, found.id, self.launcher.grace)

    def _labelled(self) -> list[Any]:
        if self._client is None:
            self._client = engine(self.launcher.engine)
        return list(self._client.containers.list(all=True, filters={"label": f"{LAUNCHER_LABEL}={self.launcher.name}"}))


class ContainerLog:
    """A container's log, followed like a file: its last lines at first, then each line written since (asked
    of the engine by timestamp), neutralised like the process logs."""

    def __init__(self, backend: DockerBackend, record: InstanceRecord, first_lines: int = 200) -> None:
        self.backend, self.record, self.first_lines = backend, record, first_lines
        self._last: str | None = None  # the engine's timestamp of the last line given

    def new_lines(self) -> list[str]:
        import datetime

        try:
            client = self.backend._client or engine(self.backend.launcher.engine)
            self.backend._client = client
            container = client.containers.get(self.record.container)
            if self._last is None:
                data = container.logs(tail=self.first_lines, timestamps=True)
            else:
                since = datetime.datetime.fromisoformat(self._last[:26].rstrip("Z"))
                data = container.logs(since=since.replace(tzinfo=datetime.UTC), timestamps=True)
        except Exception:
            return []
        lines = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            stamp, _, text = line.partition(" ")
            if self._last is not None and stamp <= self._last:
                continue  # `since` is to the second: lines already given come again
            self._last = stamp
            lines.append(self.backend.scrub(self.record, CONTROL.sub("", ANSI.sub("", text.rstrip("\r")))))
        return lines


def _find_image(client: Any, image: str, pull: str) -> None:
    import docker.errors

    if pull != "always":
        try:
            client.images.get(image)
            return
        except docker.errors.ImageNotFound:
            if pull == "never":
                raise PhaseError(
                    "restore",
                    f'image {image} is not in the engine (pull = "never"): build or load it, or fix image '
                    "in [[launchers]]",
                ) from None
    try:
        client.images.pull(image)
    except docker.errors.DockerException as exc:
        raise PhaseError(
            "restore", f"image {image} is not in the engine and cannot be pulled ({engine_error(exc, '')}): load it"
        ) from None


def _put_file(client: Any, container: str, path: str, text: str) -> None:
    import io
    import tarfile

    data = text.encode("utf-8")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo(Path(path).name)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
    client.containers.get(container).put_archive(str(Path(path).parent), archive.getvalue())


def _state(client: Any, container: str | None) -> dict[str, Any] | None:
    import docker.errors

    try:
        found = client.containers.get(container)
    except docker.errors.NotFound:
        return None
    return dict(found.attrs.get("State") or {})


def _remove(client: Any, container: str, grace: float) -> bool:
    """Stop (SIGTERM, SIGKILL after the grace) and remove with its anonymous volumes; True if killed."""
    import docker.errors

    try:
        found = client.containers.get(container)
    except docker.errors.NotFound:
        return False
    killed = False
    if found.status == "running":
        found.stop(timeout=max(1, round(grace)))
        found.reload()
        killed = found.attrs.get("State", {}).get("ExitCode") == 137
    try:
        found.remove(v=True, force=True)
    except docker.errors.NotFound:
        pass
    return killed


def commit_golden(
    container: str, reference: str, *, base_url: str | None = None, state_dir: str = "/root/.openclaw"
) -> tuple[list[Any], str | None]:
    """Check the container's state as `golden check` would, and commit it as the image `reference` only when
    it holds no XMTP state and no secret; (the problems, the new image's id or None)."""
    import tarfile
    import tempfile

    from convos_tui.instances.golden import GoldenProblem, check_golden

    client = engine(base_url)
    found = client.containers.get(container)
    home = str(Path(state_dir).parent)
    with tempfile.TemporaryDirectory(prefix="convos-golden-commit-") as tmp:
        copy = Path(tmp) / Path(state_dir).name
        for source, target in ((state_dir, Path(tmp)), (f"{home}/.convos", copy)):
            try:
                stream, _ = found.get_archive(source)
            except Exception:  # docker.errors.NotFound: a .convos that does not exist is what we want
                continue
            archive = Path(tmp) / "part.tar"
            with open(archive, "wb") as out:
                for chunk in stream:
                    out.write(chunk)
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
            archive.unlink()
        convos = copy / ".convos"
        if convos.is_dir() and not any(convos.iterdir()):
            convos.rmdir()  # an empty volume's mount point: no identity in it
        if not copy.is_dir():
            return [GoldenProblem(f"{container}:{state_dir}", "no OpenClaw state here", "Set --state-dir")], None

        def where(path: str) -> str:  # the path in the container, not in the temporary copy
            return f"{container}:" + path.replace(str(convos), f"{home}/.convos").replace(str(Path(tmp)), home)

        problems = [GoldenProblem(where(p.path), p.message, p.fix) for p in check_golden(copy)]
    if problems:
        return problems, None
    repository, _, tag = reference.rpartition(":") if ":" in reference.split("/")[-1] else (reference, "", "latest")
    image = found.commit(repository=repository, tag=tag, conf={"Labels": {}})
    return [], str(image.id)
