"""`convos-tui demo`: the console on a simulated fleet, or that fleet served to the headless commands.

This is where the demo is composed (the simulated fleet, its config and store, the console on them), so the UI
never imports the simulator. A test builds the console the same way:

    async with demo_console(count=24, seed=0) as (demo, app):
        await app.run_async()            # or app.run_test() in a test

The simulated gateways run on a loop of their own (as the poller does), so the console's loop only draws.
Config and store are the demo's temporary ones. Its config also has a `sim` launcher, with a golden checkpoint
made at start in the temporary directory, so that instances can be launched and terminated from the demo, and a
warm pool (`booth`, on a second `sim` launcher: three instances kept ready, filled by the console's reconciler as
it runs). When the block ends, whatever ends it, the instances launched are terminated, the store is closed, the
gateways are stopped and the temporary directory is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from convos_tui.commands.context import Context
from convos_tui.sim.modes import DEFAULT_COUNT, DEMO_SPEED

if TYPE_CHECKING:
    from convos_tui.fleet.fleet import Fleet
    from convos_tui.sim.demo import DemoFleet
    from convos_tui.ui.demo import DemoApp


@click.command()
@click.option(
    "--count", "-n", type=click.IntRange(1, 5000), default=DEFAULT_COUNT, show_default=True, help="How many gateways."
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Another seed, another fleet: names, states, ids and timings are the same for the same seed.",
)
@click.option(
    "--speed",
    type=click.FloatRange(0.1, 1000),
    default=DEMO_SPEED,
    show_default=True,
    help="Simulated seconds per real second (create, join, stream restarts).",
)
@click.option(
    "--serve-only",
    is_flag=True,
    help="No console: print the config (stdout) and serve the fleet to other commands until Ctrl-C.",
)
@click.option(
    "--screenshots",
    "screenshots",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="No console: save the README's screenshots (SVG) of the seeded demo into this folder.",
)
@click.pass_obj
def demo(ctx: Context, count: int, seed: int, speed: float, serve_only: bool, screenshots: Path | None) -> None:
    """Try the console on a simulated fleet: live, idle, pending, flapping, stalled, starting, broken.

    Everything works on it: create, join one gateway to another's invite, send, lock, explode.
    Its config and history live in a temporary directory, removed when the demo ends; your own
    config and history are neither read nor written. With --read-only (before `demo`), the console
    refuses every action, as on a real fleet.
    """
    if screenshots is not None:
        from convos_tui.commands.demo_screenshots import take_screenshots

        for path in asyncio.run(take_screenshots(screenshots, seed=seed)):
            click.echo(path)
        return
    try:
        asyncio.run(_serve(count, seed, speed) if serve_only else _console(count, seed, speed, ctx.read_only))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"cannot serve the demo fleet: {exc}") from None


async def _console(count: int, seed: int, speed: float, read_only: bool) -> None:
    async with demo_console(count, seed, speed=speed, read_only=read_only) as (_, app):
        await app.run_async()


DEMO_LAUNCHER = "sim"
DEMO_PORTS = "19400-19599"  # a port something else holds is skipped: the launcher binds each one to check
DEMO_INSTANCES = 8
# A warm pool on a `sim` launcher of its own (same golden, its own ports, its instances tagged `pool`): three
# instances kept ready, each already holding its conversation and invite, so `C` (or presentation mode's `n`)
# hands an invite out at once, and launches by hand keep their own room.
DEMO_POOL = "booth"
POOL_LAUNCHER = "warm"
POOL_PORTS = "19600-19799"
DEMO_POOL_CONFIG = {"launcher": POOL_LAUNCHER, "target_ready": 3, "max_total": 6, "prepare": "create", "parallel": 3}


def add_demo_launcher(config_path: Path, speed: float) -> None:
    """A `sim` launcher in the demo's config, with a golden checkpoint of its own made now beside it, and a
    warm pool on a second launcher from the same golden."""
    import tomlkit

    from convos_tui.instances.golden import init_golden

    golden = config_path.parent / "golden"
    init_golden(golden, env="dev")
    document = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    launchers = tomlkit.aot()
    for name, ports, most, tags in (
        (DEMO_LAUNCHER, DEMO_PORTS, DEMO_INSTANCES, ["launched"]),
        (POOL_LAUNCHER, POOL_PORTS, DEMO_POOL_CONFIG["max_total"], ["launched", "pool"]),
    ):
        launchers.append(
            tomlkit.item(
                {
                    "name": name,
                    "type": "sim",
                    "golden": str(golden),
                    "ports": ports,
                    "max_instances": most,
                    "tags": tags,
                    "speed": speed,
                    "boot_timeout": "30s",
                    "grace": "2s",
                }
            )
        )
    document["launchers"] = launchers
    document["pools"] = {DEMO_POOL: DEMO_POOL_CONFIG}
    config_path.write_text(tomlkit.dumps(document), encoding="utf-8")


async def end_instances(fleet: Fleet) -> None:
    """Terminate what was launched in the demo: no process, port or directory of it outlives the demo."""
    from convos_tui.fleet.actions import Actions
    from convos_tui.ui.instances import ConsoleInstances

    instances = ConsoleInstances.open(fleet, Actions(fleet.store))
    try:
        service = instances.service
        live = [record.id for record in service.records.all()] if service else []
        if service and live:
            await service.terminate(live)
    finally:
        instances.close()


@contextlib.asynccontextmanager
async def demo_console(
    count: int = DEFAULT_COUNT, seed: int = 0, *, speed: float = DEMO_SPEED, **app_options: Any
) -> AsyncIterator[tuple[DemoFleet, DemoApp]]:
    """The running demo fleet and a console on it, not yet started; everything goes when the block ends."""
    from convos_tui.fleet.fleet import Fleet
    from convos_tui.fleet.inventory import load_inventory
    from convos_tui.sim.demo import DemoFleet
    from convos_tui.ui.demo import DemoApp

    demo = DemoFleet(count, seed, speed=speed)
    with demo.threaded():
        add_demo_launcher(demo.config_path, speed)
        inventory = load_inventory(demo.config_path, required=True)
        fleet = await Fleet.load(inventory, data_dir=demo.data_dir)
        try:
            settings = inventory.settings
            app_options.setdefault("theme", settings.theme)
            app_options["read_only"] = app_options.get("read_only", False) or settings.read_only
            yield demo, DemoApp(fleet, **app_options)
        finally:
            poller = fleet.poller
            if poller is not None:
                poller.stop_thread()  # the app stops it when it ran; this covers an app that failed to
            try:
                await end_instances(fleet)
            finally:
                fleet.close()


async def _serve(count: int, seed: int, speed: float) -> None:
    from convos_tui.sim.demo import DemoFleet, Role
    from convos_tui.sim.server import stop_signals

    with stop_signals() as stop:
        async with DemoFleet(count, seed, speed=speed) as demo:
            click.echo(demo.config_path.read_text(encoding="utf-8"), nl=False)
            config = shlex.quote(str(demo.config_path))
            idle = demo.names(Role.IDLE) + ["GATEWAY", "OTHER-GATEWAY"]
            command = f"convos-tui --config {config}"
            click.echo(
                f"\nconvos-tui demo: {len(demo.plan)} simulated gateways on 127.0.0.1 (seed {seed}).\n"
                f"config: {demo.config_path}\n\n"
                "Try, in another terminal (the first line keeps those commands' history with the demo):\n"
                f"  export XDG_DATA_HOME={shlex.quote(str(demo.data_dir))}\n"
                f"  {command} status\n"
                f"  {command} create {idle[0]}   # prints an invite\n"
                f"  {command} join {idle[1]} INVITE\n"
                f"  {command}   # the console, on this fleet\n\n"
                f"Serving until Ctrl-C, which stops the gateways and removes {demo.root}.",
                err=True,
            )
            await stop.wait()
