"""Launch, terminate, crash and restart over real processes and sockets (the `sim` launcher, whose process
launcher is the one `openclaw` uses)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from convos_tui.api.client import GatewayClient
from convos_tui.api.errors import Unauthorized
from convos_tui.fleet.inventory import load_inventory
from convos_tui.fleet.store import Store
from convos_tui.instances.launcher import alive
from convos_tui.instances.service import InstanceService
from tests.instances.conftest import PORT_BASE, bound_identity


def port_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def instance_config(env, instance: str) -> dict:
    return json.loads((env.instances_dir / instance / "home" / ".openclaw" / "openclaw.json").read_text())


def test_launch_three_with_create_then_terminate_leaves_nothing(env):
    done = env.run("launch", "--count", "3", "--create", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout)
    assert [r["outcome"] for r in results] == ["ok"] * 3
    for r in results:
        assert set(r["phases"]) == {"restore", "spawn", "ready", "create"} and all(v > 0 for v in r["phases"].values())
        assert r["origin"] == "launcher:sim" and alive(r["pid"], None) and port_listening(r["port"])
    assert len({r["conversation_id"] for r in results}) == 3
    assert len({r["invite_url"] for r in results}) == 3 and all(r["invite_url"].startswith("https://") for r in results)
    identities = {bound_identity(lambda r=r: instance_config(env, r["instance"])) for r in results}
    assert len(identities) == 3 and None not in identities
    for r in results:  # the secrets of an instance are its own, in a file only it can read
        path = env.instances_dir / r["instance"] / "home" / ".openclaw" / "openclaw.json"
        assert path.stat().st_mode & 0o077 == 0
        assert "poolApiKey" not in json.dumps(r) and instance_config(env, r["instance"])["gateway"]["auth"]["token"]
        # openclaw 2026.2.3 ignores `gateway run --port`: the port must be in its config too
        assert instance_config(env, r["instance"])["gateway"]["port"] == r["port"]
        # the transpile cache is shared (code only), so a second instance of a real gateway starts warm
        shared = env.data / "convos-tui" / "cache" / "sim" / "jiti"
        assert (env.instances_dir / r["instance"] / "tmp" / "jiti").resolve() == shared
    store = Store.open(env.store_path)
    for r in results:
        assert store.conversation(r["instance"], r["conversation_id"])["invite_url"] == r["invite_url"]
    listed = env.json("instances")
    assert sorted(i["id"] for i in listed) == sorted(r["instance"] for r in results)
    assert all(i["state"] == "running" for i in listed)

    # They join the fleet: polled with their own pool key, and acted on like any gateway.
    status = json.loads(env.run("status", "--json").stdout)
    rows = {row["name"]: row for row in status["gateways"]}
    assert set(rows) == {r["instance"] for r in results}
    assert all(row["origin"] == "launcher:sim" and row["status"]["conversation_id"] for row in rows.values()), rows
    sent = env.run("send", results[0]["instance"], "hello from the console")
    assert sent.returncode == 0, sent.stderr

    names = [r["instance"] for r in results]
    done = env.run("terminate", "--yes", *names)
    assert done.returncode == 0, done.stderr
    for r in results:
        assert not alive(r["pid"], None)
        assert not port_listening(r["port"])
        assert not (env.instances_dir / r["instance"]).exists()
    assert (env.data / "convos-tui" / "cache" / "sim" / "jiti").is_dir()  # the shared cache stays
    store = Store.open(env.store_path)
    assert all(store.conversation(r["instance"], r["conversation_id"])["exploded_at"] for r in results)
    assert env.json("instances") == []
    assert "launcher sim, phases p50/p95 over 3 launches: restore" in env.run("instances", "--all").stdout
    audit = [(a["action"], a["outcome"]) for a in store.audit_log()]
    assert audit.count(("launch", "ok")) == 3 and audit.count(("terminate", "ok")) == 3
    assert not any("poolApiKey" in json.dumps(a) or "token" in a["params"] for a in store.audit_log())


def test_a_crash_shows_as_crashed_with_the_log_and_a_restart_finds_the_others(env):
    done = env.run("launch", "--count", "2")
    assert done.returncode == 0, done.stderr
    first, second = env.json("instances")
    os.kill(first["pid"], signal.SIGKILL)
    for _ in range(200):  # the signal is delivered asynchronously
        if not alive(first["pid"], None):
            break
        time.sleep(0.01)
    # A console started afresh: a new service over the same store finds both again.
    inventory = load_inventory(env.config)
    service = InstanceService.open(inventory, env.data / "convos-tui")
    try:
        found = {r.id: r for r in service.refresh()}
        assert found[first["id"]].state == "crashed"
        assert "listening on 127.0.0.1" in found[first["id"]].log_tail
        assert found[second["id"]].state == "running" and found[second["id"]].pid == second["pid"]
        [gateway] = service.gateways()
        assert gateway.name == second["id"] and gateway.origin == "launcher:sim" and gateway.tags == ("launched",)

        async def statuses():
            async with GatewayClient(gateway.endpoint()) as client:
                ready = (await client.status()).ready
            stranger = gateway.endpoint().__class__(gateway.url, token="not-the-key")
            async with GatewayClient(stranger) as client:
                try:
                    await client.status()
                except Unauthorized:
                    return ready, "refused"
            return ready, "answered"

        assert asyncio.run(statuses()) == (True, "refused")  # the pool key made for it, and only that, opens it
    finally:
        service.close()
    crashed = env.run("instances")
    assert "crashed" in crashed.stdout and "| [gateway] listening on" in crashed.stdout
    done = env.run("terminate", "--yes", first["id"], second["id"])
    assert done.returncode == 0, done.stderr
    assert "was not running (crashed)" in done.stdout and not alive(second["pid"], None)
    assert not env.instances_dir.exists() or not list(env.instances_dir.iterdir())


def _failed(env, done) -> dict:
    assert done.returncode == 1, done.stdout + done.stderr
    [result] = json.loads(done.stdout)
    assert result["outcome"] == "failed"
    assert not (env.instances_dir / result["instance"]).exists()
    assert not alive(result["pid"], None) if result["pid"] else True
    if result["port"]:
        assert not port_listening(result["port"])
    [record] = [r for r in env.records().all(include_ended=True) if r.id == result["instance"]]
    assert record.state == "failed" and record.failed_phase == result["failed_phase"]
    return result


def test_a_gateway_that_exits_at_boot_fails_the_spawn_phase_and_leaves_nothing(env, tmp_path):
    script = tmp_path / "exits.py"
    script.write_text("import sys\nprint('\\x1b[31mboot: Gateway token required\\x1b[0m', flush=True)\nsys.exit(1)\n")
    env.config.write_text(
        env.config.read_text()
        .replace('type = "sim"', 'type = "openclaw"')
        .replace("speed = 20\n", f'executable = ["{sys.executable}", "{script}"]\n')
    )
    result = _failed(env, env.run("launch", "--create", "--json"))
    assert result["failed_phase"] == "spawn" and result["summary"].startswith("spawn failed: the gateway exited")
    assert result["log_tail"] == "boot: Gateway token required"  # without the colours


def test_a_port_that_opens_without_the_plugin_fails_the_ready_phase(env, tmp_path):
    script = tmp_path / "control_ui.py"  # what 2026.9.6 does: the port answers, /convos/status is Control UI HTML
    script.write_text(
        "import sys, http.server\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def log_message(self, *args):\n"
        "        pass\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.send_header('Content-Type', 'text/html'); self.end_headers()\n"
        "        self.wfile.write(b'<!doctype html><title>Control UI</title>')\n"
        "print('[gateway] listening; plugin failed during load', flush=True)\n"
        "http.server.HTTPServer(('127.0.0.1', int(sys.argv[sys.argv.index('--port') + 1])), H).serve_forever()\n"
    )
    env.config.write_text(
        env.config.read_text()
        .replace('type = "sim"', 'type = "openclaw"')
        .replace("speed = 20\n", f'executable = ["{sys.executable}", "{script}"]\n')
        .replace('boot_timeout = "20s"', 'boot_timeout = "1.5s"')
    )
    result = _failed(env, env.run("launch", "--json"))
    assert result["failed_phase"] == "ready" and "/convos/status" in result["summary"]
    assert "plugin failed during load" in result["log_tail"]


def test_a_create_that_fails_is_not_retried_and_the_instance_is_removed(env):
    done = env.run("launch", "--create", "--json", env=env.environ(CONVOS_SIM_MODE="offline"))
    result = _failed(env, done)
    assert result["failed_phase"] == "create" and "dns error" in result["summary"].lower()
    assert set(result["phases"]) == {"restore", "spawn", "ready", "create"}  # the failed one: until it failed
    creates = [a for a in Store.open(env.store_path).audit_log() if a["action"] == "create"]
    assert len(creates) == 1 and creates[0]["outcome"] == "failed"


def test_a_console_killed_mid_launch_loses_nothing(env):
    env.config.write_text(env.config.read_text().replace("speed = 20", "speed = 0.5"))  # boots in 2-6 s
    launching = subprocess.Popen(
        [sys.executable, "-m", "convos_tui", "--config", str(env.config), "launch"],
        env=env.environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):
            if env.store_path.exists() and any(r.pid for r in env.records().all()):
                break
            time.sleep(0.02)
    finally:
        launching.kill()
        launching.wait()
    [audit] = Store.open(env.store_path).audit_log()
    assert (audit["action"], audit["outcome"]) == ("launch", "unknown")  # written before anything started
    [found] = env.json("instances")
    assert found["state"] == "starting" and alive(found["pid"], None)  # its process is not forgotten
    assert env.run("terminate", "--yes", found["id"]).returncode == 0
    assert not alive(found["pid"], None) and not (env.instances_dir / found["id"]).exists()


def test_no_free_port_fails_the_restore_phase(env):
    env.write_config()
    env.config.write_text(
        env.config.read_text().replace(
            f'ports = "{PORT_BASE}-{PORT_BASE + 99}"', f'ports = "{PORT_BASE + 50}-{PORT_BASE + 53}"'
        )
    )
    done = env.run("launch", "--count", "2", "--json")
    assert done.returncode == 1
    ok, failed = sorted(json.loads(done.stdout), key=lambda r: r["outcome"] != "ok")
    assert ok["outcome"] == "ok" and ok["port"] == PORT_BASE + 50
    assert failed["failed_phase"] == "restore" and "no free loopback port pair" in failed["summary"]
    assert not (env.instances_dir / failed["instance"]).exists()
    assert env.run("terminate", "--yes", ok["instance"]).returncode == 0


def test_a_join_that_fails_names_the_join_phase(env):
    # Each sim instance has a simulated network of its own: an invite made on another one cannot be joined.
    [creator] = env.json("launch", "--create")
    result = _failed(env, env.run("launch", "--join", creator["invite_url"], "--json"))
    assert result["failed_phase"] == "join" and "Invalid invite signature" in result["summary"]
    assert env.run("terminate", "--yes", creator["instance"]).returncode == 0


def test_an_instance_sees_the_provider_key_and_none_of_the_consoles_secrets(env):
    environ = env.environ(
        ANTHROPIC_API_KEY="sk-ant-test-key",
        GW_EU_1_POOL_KEY="someone-elses-key",
        OPENCLAW_GATEWAY_TOKEN="the-consoles-token",
    )
    [instance] = json.loads(env.run("launch", "--json", env=environ).stdout)
    seen = dict(
        item.split("=", 1) for item in Path(f"/proc/{instance['pid']}/environ").read_text().split("\0") if "=" in item
    )
    assert seen["ANTHROPIC_API_KEY"] == "sk-ant-test-key"
    assert "GW_EU_1_POOL_KEY" not in seen and "OPENCLAW_GATEWAY_TOKEN" not in seen
    assert seen["HOME"] == str(env.instances_dir / instance["instance"] / "home")
    assert seen["TMPDIR"] == str(env.instances_dir / instance["instance"] / "tmp")
    assert env.run("terminate", "--yes", instance["instance"]).returncode == 0


def test_recycle_terminates_and_launches_a_fresh_instance(env):
    [old] = env.json("launch", "--create")
    done = env.run("recycle", old["instance"], "--create", "--json")
    assert done.returncode == 0, done.stderr
    terminated, fresh = json.loads(done.stdout)
    assert terminated["action"] == "terminate" and terminated["outcome"] == "ok"
    assert fresh["outcome"] == "ok" and fresh["instance"] != old["instance"]
    assert fresh["conversation_id"] != old["conversation_id"]
    assert not alive(old["pid"], None) and alive(fresh["pid"], None)
    assert env.run("terminate", "--yes", fresh["instance"]).returncode == 0


def test_refusals_start_and_stop_nothing(env):
    done = env.run("--read-only", "launch", "--count", "2", "--json")
    assert done.returncode == 3 and all(r["summary"] == "refused: read-only mode" for r in json.loads(done.stdout))
    assert not env.instances_dir.exists()
    done = env.run("launch", "--launcher", "elsewhere")
    assert done.returncode == 2 and "no launcher named 'elsewhere' (launchers: sim)" in done.stderr
    empty = env.tmp / "empty.toml"
    empty.write_text("")
    done = env.run("--config", str(empty), "launch")
    assert done.returncode == 2 and "no [[launchers]] in the config" in done.stderr
    done = env.run("launch", "--count", "11", "--json")
    assert done.returncode == 3 and "max_instances 10" in json.loads(done.stdout)[0]["summary"]
    done = env.run("launch", "--join", "https://example.invalid/not-an-invite", "--json")
    assert done.returncode == 3 and json.loads(done.stdout)[0]["summary"].startswith("not started: ")
    done = env.run("terminate", "--yes", "gw-somebody-else")
    assert done.returncode == 3 and "not launched by this console" in done.stderr
    done = env.run("terminate", "gw-somebody-else")  # no terminal to confirm on: say how
    assert done.returncode == 2 and "--yes" in done.stderr
    audit = Store.open(env.store_path).audit_log()
    assert {(a["action"], a["outcome"]) for a in audit} == {("launch", "refused"), ("terminate", "refused")}
    assert Path(env.store_path).exists()
