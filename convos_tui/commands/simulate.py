"""`convos-tui simulate`: serve simulated gateways on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from convos_tui.sim.modes import Mode


@click.command()
@click.option("--count", "-n", type=click.IntRange(1, 10_000), default=3, show_default=True, help="How many gateways.")
@click.option(
    "--base-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Gateway i listens on BASE+i-1; 0 lets the system pick free ports.",
)
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice([mode.value for mode in Mode], case_sensitive=False),
    help="Behaviour of the gateways; repeat to cycle through several. Default: healthy.",
)
@click.option("--mix", is_flag=True, help="A realistic mixed fleet (reproducible with --seed) instead of --mode.")
@click.option(
    "--runtimes",
    is_flag=True,
    help="One gateway per runtime the field runs: the OpenClaw plugin (idle, bound), Hermes, the pool wrapper "
    "in front of each, the Railway template, plugin-404 (2026.3.13) and no-plugin (2026.9.6). Ignores --count.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for ids, invites, timings and --mix.")
@click.option(
    "--speed",
    type=click.FloatRange(0.01, 10_000),
    default=1.0,
    show_default=True,
    help="Time factor: 10 makes create, join and stream flaps ten times faster.",
)
@click.option("--env", type=click.Choice(["dev", "production"]), default="dev", show_default=True)
@click.option(
    "--pool",
    is_flag=True,
    help="Also serve a pool manager (GET /api/pool/status) listing the gateways, and print it as a [[sources]] entry.",
)
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the gateways as config TOML to this file instead of printing them.",
)
def simulate(
    count: int,
    base_port: int,
    modes: tuple[str, ...],
    mix: bool,
    runtimes: bool,
    seed: int,
    speed: float,
    env: str,
    pool: bool,
    write_config: Path | None,
) -> None:
    """Serve simulated gateways on 127.0.0.1 that behave like real ones.

    Each gateway answers the Convos API on its own port; invites made on one can be joined
    from another. The gateways are printed as config TOML. Stop with Ctrl-C.
    """
    from convos_tui.sim import mixed_specs, specs_for_modes
    from convos_tui.sim.modes import runtime_specs
    from convos_tui.sim.serve import serve

    if sum((mix, runtimes, bool(modes))) > 1:
        raise click.UsageError("--mix, --runtimes and --mode do not go together: each chooses the modes itself.")
    if runtimes:
        count = len(runtime_specs())
    if base_port and base_port + count - 1 > 65535:
        raise click.UsageError(f"--base-port {base_port} leaves no room for {count} gateways below port 65536.")
    if runtimes:
        specs = runtime_specs(env=env)
    elif mix:
        specs = mixed_specs(count, seed, env=env)
    else:
        specs = specs_for_modes(count, [Mode(m.lower()) for m in modes] or [Mode.HEALTHY])
        for spec in specs:
            spec.env = env
    if base_port:
        for offset, spec in enumerate(specs):
            spec.port = base_port + offset
    try:
        asyncio.run(serve(specs, speed=speed, seed=seed, write_config=write_config, announce=click.echo, pool=pool))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"cannot serve the gateways: {exc}. Choose another --base-port, or 0.") from None
