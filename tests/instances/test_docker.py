"""The docker launcher against a real engine: an image built without a registry (tests/docker_image.py), three
launches with --create, a restart, a crash, a terminate that leaves nothing, the failures each named, and
`golden commit`. Skipped, with the reason, where no engine answers (.ci/run starts one and counts these)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys

import pytest

from tests.instances.conftest import Env, bound_identity, bound_range, free_range

docker = pytest.importorskip("docker")

LAUNCHER = f"dk{os.getpid()}"  # this run's containers, by label: nothing else on the engine is touched
LABEL = f"convos-tui.launcher={LAUNCHER}"


@pytest.fixture(scope="module")
def engine():
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:
        pytest.skip(f"no Docker engine answers ({type(exc).__name__}): start dockerd to run the docker tests")
    from tests.docker_image import build

    try:
        image = build(client)
    except Exception as exc:
        if isinstance(exc, RuntimeError) and "mmdebstrap" in str(exc):
            pytest.skip(f"the test image cannot be built here: {exc}")
        pytest.fail(f"the test image could not be built: {exc}")
    yield client, image
    client.close()


@pytest.fixture
def denv(tmp_path, engine):
    client, image = engine
    environment = Env(tmp_path)
    environment.image = image
    environment.client = client
    environment.write_config = lambda extra="", **kw: environment.config.write_text(
        docker_config(environment.image, extra, **kw)
    )
    environment.write_config()
    yield environment
    # Only this run's containers and their own volumes: another run may share the engine.
    for container in containers(client):
        volumes = volumes_of(container)
        container.remove(v=True, force=True)
        for name in volumes:
            with contextlib.suppress(docker.errors.NotFound):
                client.volumes.get(name).remove(force=True)


def docker_config(image: str, extra: str = "", *, ports: str = "", name: str = LAUNCHER) -> str:
    return (
        "[[launchers]]\n"
        f'name = "{name}"\n'
        'type = "docker"\n'
        f'image = "{image}"\n'
        'pull = "never"\n'
        f'ports = "{ports or free_range(40)}"\n'
        'env = { CONVOS_SIM_SPEED = "20" }\n'
        'boot_timeout = "30s"\n'
        'grace = "2s"\n' + extra
    )


def containers(client) -> list:
    return client.containers.list(all=True, filters={"label": LABEL})


def volumes_of(container) -> set[str]:
    """The names of the volumes mounted in the container (here, the image's anonymous /root/.convos)."""
    return {m["Name"] for m in container.attrs.get("Mounts") or [] if m.get("Type") == "volume"}


def existing(client, names: set[str]) -> set[str]:
    found = set()
    for name in names:
        with contextlib.suppress(docker.errors.NotFound):
            found.add(client.volumes.get(name).name)
    return found


def in_container(client, container: str, path: str) -> dict:
    code, out = client.containers.get(container).exec_run(["cat", path])
    assert code == 0, out
    return json.loads(out)


def test_three_from_an_image_restart_crash_terminate_leaves_no_container_or_volume(denv):
    client = denv.client
    done = denv.run("launch", "--count", "3", "--create", "--json", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout)
    assert [r["outcome"] for r in results] == ["ok"] * 3, results
    assert len({r["conversation_id"] for r in results}) == 3
    assert len({r["invite_url"] for r in results}) == 3
    for r in results:
        assert set(r["phases"]) == {"restore", "spawn", "ready", "create"}
    records = {r.id: r for r in denv.records().all()}
    identities = set()
    volumes: set[str] = set()
    for r in results:
        record = records[r["instance"]]
        container = client.containers.get(record.container)
        volumes |= volumes_of(container)
        assert container.labels == {"convos-tui.instance": record.id, "convos-tui.launcher": LAUNCHER}
        # published on the host's loopback only
        assert container.attrs["HostConfig"]["PortBindings"]["18789/tcp"] == [
            {"HostIp": "127.0.0.1", "HostPort": str(record.port)}
        ]
        env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
        assert env["CONVOS_POOL_API_KEY"] and env["OPENCLAW_GATEWAY_TOKEN"]
        image_env = client.images.get(denv.image).attrs["Config"]["Env"]
        assert not any(e.startswith(("CONVOS_POOL_API_KEY", "OPENCLAW_GATEWAY_TOKEN")) for e in image_env)
        identities.add(
            bound_identity(
                lambda record=record: in_container(client, record.container, "/root/.openclaw/openclaw.json")
            )
        )
    assert len(identities) == 3 and None not in identities  # three agents, not one image's identity thrice
    assert len(volumes) == 3  # each its own /root/.convos

    # The fleet polls them with their own keys: the console sends what each container was given.
    status = json.loads(denv.run("status", "--json").stdout)
    rows = {row["name"]: row for row in status["gateways"]}
    assert {r["instance"] for r in results} <= set(rows)
    assert all(rows[r["instance"]]["status"]["conversation_id"] == r["conversation_id"] for r in results)

    # A console restart (a new process) finds them by label; one killed outside shows as crashed.
    first = records[results[0]["instance"]]
    killed = client.containers.get(first.container)
    killed.kill()
    killed.wait(timeout=30)  # kill returns once the signal is sent, not once the container has exited
    listed = {i["id"]: i for i in denv.json("instances")}
    assert listed[first.id]["state"] == "crashed"
    assert all(listed[r["instance"]]["state"] == "running" for r in results[1:])

    done = denv.run("terminate", "--yes", *(r["instance"] for r in results), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert containers(client) == []
    assert existing(client, volumes) == set()  # their anonymous volumes went too
    assert not any((denv.instances_dir / r["instance"]).exists() for r in results)


def failure(denv, extra: str = "", **kw) -> dict:
    denv.write_config(extra, **kw)
    done = denv.run("launch", "--json", timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    [result] = json.loads(done.stdout)
    assert containers(denv.client) == []  # nothing left behind
    assert list(denv.instances_dir.iterdir()) == [] if denv.instances_dir.exists() else True
    return result


def test_a_container_that_exits_at_boot_is_named_with_its_last_log_lines(denv):
    result = failure(denv, 'command = ["python3", "-c", "print(\'no provider key\'); raise SystemExit(3)"]\n')
    assert result["failed_phase"] == "spawn" or result["failed_phase"] == "ready"
    assert "the container exited with code 3 at boot" in result["summary"]
    assert "no provider key" in result["log_tail"]


def test_an_image_missing_is_one_clear_line(denv):
    denv.image = "convos-tui-test:not-there"
    result = failure(denv)
    assert "is not in the engine" in result["summary"] or "No such image" in result["summary"]


def test_an_engine_unreachable_is_one_clear_line(denv, tmp_path):
    result = failure(denv, f'engine = "unix://{tmp_path}/no-engine.sock"\n')
    assert result["failed_phase"] == "restore"
    assert "is unreachable: start dockerd" in result["summary"], result["summary"]


def test_a_port_taken_is_named(denv):
    # Found and held at once: between a search that closes its sockets and a bind of the test's own, a port
    # lingering in TIME_WAIT (or another process) made the bind fail, once under load.
    with contextlib.ExitStack() as stack:
        low = bound_range(4, stack, listen=True)[0].getsockname()[1]
        result = failure(denv, ports=f"{low}-{low + 3}")
    assert "no free loopback port" in result["summary"]


def test_golden_commit_refuses_a_container_with_xmtp_state_and_commits_a_clean_one(denv):
    client = denv.client
    done = denv.run("launch", "--create", "--json", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    [record] = denv.records().all()
    tag = f"convos-tui-test-golden:{os.getpid()}"
    refused = denv.run("golden", "commit", record.container, tag)
    assert refused.returncode == 1
    assert "XMTP state" in refused.stderr and "nothing was committed" in refused.stderr
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(tag)

    clean = client.containers.create(denv.image, labels={"convos-tui.launcher": LAUNCHER})
    committed = denv.run("golden", "commit", clean.id, tag)
    try:
        assert committed.returncode == 0, committed.stderr
        assert "pin it by digest" in committed.stdout
        assert client.images.get(tag)
    finally:
        client.images.remove(tag, force=True)


def test_orphans_are_listed_and_removed_only_when_confirmed(denv):
    client = denv.client
    orphan = client.containers.create(
        denv.image, labels={"convos-tui.launcher": LAUNCHER, "convos-tui.instance": "lost-1"}
    )
    listed = denv.run("instances")
    assert f"orphan container {orphan.short_id}" in listed.stdout, listed.stdout + listed.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "convos_tui", "--config", str(denv.config), "instances", "--remove-orphans"],
        capture_output=True,
        text=True,
        env=denv.environ(),
        stdin=subprocess.DEVNULL,
    )
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert client.containers.get(orphan.id)  # still there
    done = denv.run("instances", "--remove-orphans", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert containers(client) == []


async def test_the_console_says_at_start_that_orphan_containers_are_there_and_removes_none(denv):
    from convos_tui.fleet.fleet import Fleet
    from convos_tui.fleet.inventory import load_inventory
    from convos_tui.ui.app import ConvosApp
    from tests.instances.test_console import until

    client = denv.client
    orphan = client.containers.create(
        denv.image, labels={"convos-tui.launcher": LAUNCHER, "convos-tui.instance": "lost-2"}
    )
    fleet = await Fleet.load(load_inventory(denv.config, required=True), data_dir=denv.data / "convos-tui")
    app = ConvosApp(fleet, live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        said = lambda: [n.message for n in app._notifications if n.title == "instances"]  # noqa: E731
        await until(pilot, lambda: said(), seconds=30)
        [message] = said()
        assert (
            f"1 orphan container, labelled for a launcher of this config but unknown to its store: {orphan.name} ({LAUNCHER})"
            in message
        )
        assert "convos-tui instances --remove-orphans" in message
    app.fleet.close()
    assert client.containers.get(orphan.id)  # told, never removed


def test_host_networking_for_an_engine_without_a_bridge(denv):
    """With network = "host" the gateway listens on the port the console gives it, on loopback."""
    denv.write_config(
        'network = "host"\n'
        'command = ["python3", "-m", "convos_tui.sim.instance", "gateway", "run", "--port", "{port}", '
        '"--bind", "loopback"]\n'
    )
    done = denv.run("launch", "--create", "--json", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = json.loads(done.stdout)
    [record] = denv.records().all()
    container = denv.client.containers.get(record.container)
    assert container.attrs["HostConfig"]["NetworkMode"] == "host" and result["conversation_id"]
    assert denv.run("terminate", "--yes", record.id).returncode == 0
    assert containers(denv.client) == []


async def test_the_console_launches_follows_and_terminates_containers(denv):
    """The console's panels drive the docker launcher as they drive processes: the backend is all that changes."""
    from convos_tui.ui.screens.detail import DetailScreen
    from convos_tui.ui.screens.launch import ConfirmInstancesPanel
    from tests.instances.test_console import console, launch_panel, until

    app = await console(denv)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await launch_panel(pilot)
        await pilot.press("ctrl+s")  # one instance, create (the defaults)
        await until(pilot, lambda: panel.results is not None, seconds=60)
        [result] = panel.results
        assert result.outcome == "ok", result.summary
        await pilot.press("ctrl+s")
        await pilot.pause()
        name = result.gateway
        assert app.fleet.config(name).origin == f"launcher:{LAUNCHER}"
        app.main_screen.jump_to(name)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        log = app.screen.query_one("#detail-log")  # the container's log, from the engine
        await until(pilot, lambda: any("[gateway] listening" in line for line in log.lines), seconds=10)
        await pilot.press("escape")
        await pilot.pause()
        app.main_screen.marked |= {name}
        await pilot.press("T")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmInstancesPanel)
        confirm.query_one("#instances-confirm").focus()
        await pilot.press(*"TERMINATE", "enter")
        await until(pilot, lambda: confirm.results is not None, seconds=60)
        assert [r.outcome for r in confirm.results] == ["ok"], [r.summary for r in confirm.results]
    app.fleet.close()
    assert containers(denv.client) == []


def test_an_engine_that_cannot_be_asked_is_no_crash(denv, tmp_path):
    done = denv.run("launch", "--json", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = json.loads(done.stdout)
    good = denv.config.read_text()
    denv.config.write_text(
        good.replace('pull = "never"\n', f'pull = "never"\nengine = "unix://{tmp_path}/gone.sock"\n')
    )
    [listed] = denv.json("instances")
    assert listed["state"] == "running"  # unknown, not crashed
    refused = denv.run("terminate", "--yes", result["instance"])
    assert refused.returncode == 1 and "is unreachable: start dockerd" in refused.stderr + refused.stdout
    denv.config.write_text(good)
    assert denv.run("terminate", "--yes", result["instance"]).returncode == 0
    assert containers(denv.client) == []


def test_a_pool_of_containers_holds_its_target_replaces_a_killed_one_and_drains_to_nothing(denv):
    """A warm pool whose launcher is the docker one: `pool run` keeps 2 containers ready, one killed outside is
    replaced, a claim hands out a prepared invite, and a drain leaves no container."""
    import signal

    from tests.pools.conftest import counts as pool_counts
    from tests.pools.conftest import wait_for

    denv.write_config(f'\n[pools.dk]\nlauncher = "{LAUNCHER}"\ntarget_ready = 2\nmax_total = 4\nprepare = "create"\n')

    def counts() -> dict[str, int]:
        return pool_counts(denv, "dk")

    command = [sys.executable, "-m", "convos_tui", "--config", str(denv.config), "pool", "run", "dk"]
    runner = subprocess.Popen([*command, "--interval", "0.2"], env=denv.environ(), stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: counts().get("ready") == 2, "2 containers ready", 180)
        assert len(containers(denv.client)) == 2  # the target, no overshoot
        ready = {r.id: r for r in denv.records().all()}
        killed = denv.client.containers.get(next(iter(ready.values())).container)
        killed.kill()
        killed.wait(timeout=30)
        wait_for(lambda: counts().get("ready") == 2 and counts().get("crashed", 0) == 0, "the killed one replaced", 180)
        [claimed] = denv.json("claim", "dk")
        assert claimed["outcome"] == "ok" and claimed["invite_url"].startswith("https://"), claimed
        assert claimed["instance"] not in (killed.labels["convos-tui.instance"],)
        wait_for(lambda: counts().get("ready") == 2 and counts().get("claimed") == 1, "the claimed one replaced", 180)
    finally:
        runner.send_signal(signal.SIGTERM)
        _, stderr = runner.communicate(timeout=120)
    assert runner.returncode == 0, stderr
    done = denv.run("drain", "dk", "--all", "--yes", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sum(counts().values()) == 0 and containers(denv.client) == []
