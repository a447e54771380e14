"""A second process holding the store's write lock while a real `convos-tui create` runs."""

import json
import subprocess
import sys
import time

from convos_tui.fleet.store import Store
from convos_tui.fleet.store_file import WAIT_ENV

HOLDER = """
import sqlite3, sys, time
d = sqlite3.connect(sys.argv[1], isolation_level=None)
d.execute('BEGIN IMMEDIATE')
d.execute("INSERT OR REPLACE INTO meta VALUES('h','x')")
print('held', flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold(home, seconds):
    path = f"{home['XDG_DATA_HOME']}/convos-tui/store.sqlite3"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, path, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def stop(process):
    process.kill()
    process.wait()


def test_a_create_waits_for_a_store_locked_for_8_s_and_keeps_the_invite(simulator, cli, home):
    sim = simulator(count=1)
    gateway = sim.gateways[0]["name"]
    assert cli("--config", str(sim.config), "status").returncode == 0  # the store exists
    holder = hold(home, 8)
    try:
        started = time.monotonic()
        created = cli("--config", str(sim.config), "create", gateway, "--json")
        waited = time.monotonic() - started
    finally:
        stop(holder)
    assert created.returncode == 0, created.stderr
    assert waited > 6  # it waited for the lock rather than giving up after 2 s
    invite = json.loads(created.stdout)["invite_url"]
    told = cli("--config", str(sim.config), "invite", gateway)
    assert told.returncode == 0 and told.stdout.strip() == invite
    store = Store.open(sim.config.parent / "data" / "convos-tui" / "store.sqlite3")
    assert [(r["action"], r["outcome"]) for r in store.audit_log()] == [("create", "ok")]


def test_a_store_locked_past_the_wait_sends_nothing_and_says_so_with_its_own_exit_code(simulator, cli, home):
    sim = simulator(count=1)
    gateway = sim.gateways[0]["name"]
    assert cli("--config", str(sim.config), "status").returncode == 0
    holder = hold(home, 30)
    try:
        created = cli("--config", str(sim.config), "create", gateway, env={WAIT_ENV: "0.5"})
    finally:
        stop(holder)
    assert created.returncode == 5, created.stderr
    assert "not sent: the store cannot record it" in created.stderr and "ERROR: nothing was sent" in created.stderr
    status = json.loads(cli("--config", str(sim.config), "status", "--json").stdout)
    assert status["gateways"][0]["state"] == "idle"  # the gateway was never asked
