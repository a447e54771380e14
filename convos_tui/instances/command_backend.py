"""The command backend: any platform with a CLI (Fly machines, Sprites, kubectl, Railway) through three hooks.

    launch     starts an instance; prints one JSON line {"id": …, "url": …, "token_env"?: …} on stdout
    terminate  stops the instance named {id}
    list       (optional) prints the ids still running: a JSON array (of ids or {"id": …}) or one id a line

A template is an argv with named placeholders ({instance}: the console's id for it; {id}: the id its launch hook
printed, the same as {instance} before; {launcher} {golden} {port} {dir}), run without a shell
unless it names one itself (["sh", "-c", "…"]). The values are the console's own (an id of letters, digits and
-), never a secret: the hook finds the instance's pool key and gateway token in its environment
(CONVOS_POOL_API_KEY, OPENCLAW_GATEWAY_TOKEN) and hands them to the platform. If the launch hook names a
token_env instead, the console sends the value of that variable of its own environment (a key the platform
made). Each hook has its own timeout; on a failure its stderr's last lines are shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from convos_tui.fleet.config_values import ENV_VAR_RE
from convos_tui.instances.backends import Backend, instance_log, new_secrets, read_secrets
from convos_tui.instances.launcher import TAIL_LINES, PhaseError, log_tail, port_open
from convos_tui.instances.records import InstanceRecord

LIST_EVERY_S = 5.0


class HookError(Exception):
    pass


class CommandBackend(Backend):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._listed_at: dict[str, float] = {}  # when gone() last ran the list hook, per instance

    def argv(self, hook: str, record: InstanceRecord) -> list[str]:
        values = {
            "instance": record.id,
            "id": record.container or record.id,
            "launcher": self.launcher.name,
            "golden": self.launcher.golden_name,
            "port": str(record.port or ""),
            "dir": record.dir,
        }
        return [arg.format(**values) for arg in self.launcher.hook(hook)]

    async def run(self, hook: str, record: InstanceRecord) -> str:
        return await asyncio.to_thread(self.run_sync, hook, record)

    def run_sync(self, hook: str, record: InstanceRecord) -> str:
        """Run one hook; its stdout, or HookError with why (its stderr goes to the instance's log)."""
        argv = self.argv(hook, record)
        env = dict(os.environ)
        env.update(CONVOS_INSTANCE=record.id, CONVOS_LAUNCHER=self.launcher.name)
        stored = read_secrets(Path(record.dir))
        if stored:
            env.update(CONVOS_POOL_API_KEY=stored["pool_key"], OPENCLAW_GATEWAY_TOKEN=stored["gateway_token"])
        timeout = self.launcher.hook_timeout(hook)
        log = instance_log(Path(record.dir))
        log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(log, "ab") as stderr:
            try:
                child = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=env,
                    cwd=record.dir,
                    start_new_session=True,  # a timeout ends the hook and whatever it started
                )
            except OSError as exc:
                raise HookError(f"{hook} hook cannot run {argv[0]} ({exc.strerror or exc})") from None
            try:
                out, _ = child.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.communicate()
                raise HookError(f"{hook} hook did not finish within its timeout ({timeout:g} s)") from None
        if child.returncode != 0:
            raise HookError(f"{hook} hook exited with code {child.returncode}")
        return out.decode("utf-8", errors="replace")

    async def prepare(self, record: InstanceRecord, instructions: str | None) -> str | None:
        secrets = new_secrets(Path(record.dir))
        try:
            out = await self.run("launch", record)
        except HookError as exc:
            raise PhaseError("restore", f"{exc}") from None
        answer = _launch_answer(out)
        record.container, record.endpoint = answer["id"], answer["url"]
        record.token_env = answer.get("token_env")
        return self.pool_key(record) if record.token_env else secrets["pool_key"]

    async def start(self, record: InstanceRecord) -> None:
        """Nothing to do: the launch hook started it."""

    async def port_open(self, record: InstanceRecord) -> bool:
        parts = urlsplit(record.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.hostname in ("127.0.0.1", "localhost"):
            return await port_open(port)
        return True  # elsewhere: the plugin's answer says it all (a probe of another host's port is not ours)

    async def gone(self, record: InstanceRecord) -> str | None:
        """Asked every poll while it boots: the list hook runs at most every LIST_EVERY_S (a platform's CLI
        can take a second), in a thread."""
        now = time.monotonic()
        if not self.launcher.hook("list") or now - self._listed_at.get(record.id, 0.0) < LIST_EVERY_S:
            return None
        self._listed_at[record.id] = now
        alive = (await asyncio.to_thread(self.survey, [record]))[record.id]
        return "the list hook no longer lists it" if alive is False else None

    async def stop(self, record: InstanceRecord) -> bool:
        if record.container is None:
            return False  # the launch hook never said what it started
        try:
            await self.run("terminate", record)
        except HookError as exc:
            raise PhaseError("terminate", f"{exc}:\n{self.tail(record)}") from None
        return False

    def survey(self, records: list[InstanceRecord]) -> dict[str, bool | None]:
        if not self.launcher.hook("list") or not records:
            return {r.id: None for r in records}
        try:
            listed = _listed(self.run_sync("list", records[0]))
        except (HookError, ValueError):
            return {r.id: None for r in records}
        return {r.id: r.container in listed for r in records}

    def pool_key(self, record: InstanceRecord) -> str | None:
        if record.token_env:
            return os.environ.get(record.token_env) or None
        return read_secrets(Path(record.dir)).get("pool_key")

    def _tail(self, record: InstanceRecord, lines: int = TAIL_LINES) -> str:
        return log_tail(instance_log(Path(record.dir)), lines)


def _launch_answer(out: str) -> dict[str, Any]:
    """The launch hook's JSON line: the last line of its stdout that is a JSON object."""
    for line in reversed(out.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            break
    else:
        raise PhaseError("restore", 'the launch hook printed no JSON line: it must print {"id": …, "url": …}')
    problems = []
    if not isinstance(value.get("id"), str) or not value["id"]:
        problems.append("no id")
    url = value.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        problems.append("no http(s) url")
    token_env = value.get("token_env")
    if token_env is not None and (not isinstance(token_env, str) or not ENV_VAR_RE.match(token_env)):
        problems.append("a token_env that is not a variable name")
    if problems:
        raise PhaseError("restore", f"the launch hook's JSON line has {', '.join(problems)}: {line[:200]}")
    return {"id": value["id"][:200], "url": str(url).rstrip("/"), "token_env": token_env}


def _listed(out: str) -> set[str]:
    text = out.strip()
    if text.startswith("["):
        value = json.loads(text)
        ids = [item.get("id") if isinstance(item, dict) else item for item in value]
        return {str(i) for i in ids if isinstance(i, (str, int))}
    return {line.strip() for line in text.splitlines() if line.strip()}
