"""`convos-tui demo`: the console on a simulated fleet, or that fleet served to the headless commands."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path

import click

from convos_tui.sim.demo import DEFAULT_COUNT, DEMO_SPEED


@click.command()
@click.option("--count", "-n", type=click.IntRange(1, 5000), default=DEFAULT_COUNT, show_default=True,
              help="How many gateways.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Another seed, another fleet: names, states, ids and timings are the same for the same seed.")
@click.option("--speed", type=click.FloatRange(0.1, 1000), default=DEMO_SPEED, show_default=True,
              help="Simulated seconds per real second (create, join, stream restarts).")
@click.option("--serve-only", is_flag=True,
              help="No console: print the config (stdout) and serve the fleet to other commands until Ctrl-C.")
@click.option("--screenshots", "screenshots", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="No console: save the README's screenshots (SVG) of the seeded demo into this folder.")
def demo(count: int, seed: int, speed: float, serve_only: bool, screenshots: Path | None) -> None:
    """Try the console on a simulated fleet: live, idle, pending, flapping, stalled, starting, broken.

    Everything works on it: create, join one gateway to another's invite, send, lock, explode.
    Its config and history live in a temporary directory, removed when the demo ends; your own
    config and history are neither read nor written.
    """
    if screenshots is not None:
        from convos_tui.ui.screenshots import take_screenshots

        for path in asyncio.run(take_screenshots(screenshots, seed=seed)):
            click.echo(path)
        return
    try:
        asyncio.run(_serve(count, seed, speed) if serve_only else _console(count, seed, speed))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"cannot serve the demo fleet: {exc}") from None


async def _console(count: int, seed: int, speed: float) -> None:
    from convos_tui.ui.demo import demo_console

    async with demo_console(count, seed, speed=speed) as (_, app):
        await app.run_async()


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
