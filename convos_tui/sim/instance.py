"""One simulated gateway process booted from a restored checkpoint: what the `sim` launcher runs.

    python -m convos_tui.sim.instance gateway run --port N --bind loopback

It takes the same argv and environment as the real `openclaw gateway run`, and reads what the real one
reads: `$OPENCLAW_STATE_DIR/openclaw.json` (the Convos channel's env and pool key, the gateway token, which
it needs to start, the plugin enabled or not) and `$HOME/.openclaw/workspace/INSTRUCTIONS.md`. It binds its
port 0.7-2 s after it starts and answers "Plugin runtime is starting" for 0.3-1 s more (1-3 s in all, like a
warm 2026.2.x core); a create takes 2-5 s. `CONVOS_SIM_SPEED` divides those times; `CONVOS_SIM_MODE` (a
simulator mode, e.g. `offline`: XMTP unreachable, as on a closed network) changes how it behaves. Like the plugin, it saves
the identity and conversation in openclaw.json once bound, and its identity under `$HOME/.convos/`.
Each log line that says when something happened carries the time on the system's monotonic clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from convos_tui.instances.golden import ENV_REFERENCE
from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.sim.server import stop_signals

BOOT_S = (0.7, 2.0)  # simulated seconds from process start to the port bound
START_WINDOW_S = (0.3, 1.0)  # then the plugin runtime starts
SAVE_INTERVAL_S = 0.05


def say(text: str) -> None:
    print(text, flush=True)


def _read_config(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def _expand(value: Any) -> Any:
    """`${NAME}` from the environment, as OpenClaw substitutes in its config (a container's secrets)."""
    match = ENV_REFERENCE.fullmatch(value) if isinstance(value, str) else None
    return os.environ.get(match.group(1)) if match else value


async def run(port: int, config_path: Path, config: dict[str, Any], speed: float, host: str = "127.0.0.1") -> int:
    rng = random.Random()
    token = _expand(_get(config, "gateway", "auth", "token")) or os.environ.get("OPENCLAW_GATEWAY_TOKEN")
    if not token:
        say(
            "Gateway auth is set to token mode, but no token is configured. Set gateway.auth.token "
            "(or OPENCLAW_GATEWAY_TOKEN) and try again."
        )
        return 1
    convos = _get(config, "channels", "convos") or {}
    plugin = _get(config, "plugins", "entries", "convos", "enabled") is True and convos.get("enabled") is not False
    name = Path(os.environ.get("HOME", "sim")).parent.name or "sim"
    mode = Mode(os.environ.get("CONVOS_SIM_MODE") or "healthy") if plugin else Mode.NO_PLUGIN
    start_window = rng.uniform(*START_WINDOW_S)
    spec = GatewaySpec(
        name=name[:64],
        mode=mode,
        env="dev" if convos.get("env") == "dev" else "production",
        pool_key=_expand(convos.get("poolApiKey")) or None,
        gateway_token=str(token),
        port=port,
        start_window=start_window,
    )
    say(f"[gateway] starting (simulated OpenClaw, config {config_path}, speed {speed:g})")
    with stop_signals() as stop:
        await asyncio.sleep(rng.uniform(*BOOT_S) / speed)
        fleet = SimFleet([spec], speed=speed, seed=rng.getrandbits(32), host=host)
        gateway = fleet.gateway(spec.name)
        for key in ("identityId", "ownerConversationId"):  # a bound instance comes back bound, as from config
            if convos.get(key):
                gateway.config[key] = convos[key]
        instructions = Path.home() / ".openclaw" / "workspace" / "INSTRUCTIONS.md"
        if instructions.is_file():
            gateway.instructions = instructions.read_text(encoding="utf-8", errors="replace")
        try:
            await fleet.start()
        except OSError as exc:
            say(f"[gateway] failed to bind {host}:{port}: {exc.strerror or exc}")
            return 1
        listening = time.monotonic()
        say(f"[gateway] listening on {host}:{port} (monotonic {listening:.6f})")
        ready = listening + start_window / speed
        say(
            f"[convos] plugin runtime ready at monotonic {ready:.6f}"
            if plugin
            else "[plugins] convos: plugin disabled in config; /convos/* falls through to the Control UI"
        )
        saved = (convos.get("identityId"), convos.get("ownerConversationId"), gateway.instructions)
        try:
            while not stop.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), SAVE_INTERVAL_S)
                now = (
                    gateway.config.get("identityId"),
                    gateway.config.get("ownerConversationId"),
                    gateway.instructions,
                )
                if now != saved:
                    saved = now
                    _save(config_path, config, gateway, instructions)
        finally:
            say("[gateway] signal received: shutting down")
            await fleet.stop()
    return 0


def _save(config_path: Path, config: dict[str, Any], gateway: Any, instructions: Path) -> None:
    """What the plugin writes once bound: the channel's identity and conversation, and the instructions."""
    identity = gateway.config.get("identityId")
    conversation = gateway.config.get("ownerConversationId")
    if identity and conversation:
        convos = config.setdefault("channels", {}).setdefault("convos", {})
        convos.update(identityId=identity, ownerConversationId=conversation)
        _write_private(config_path, json.dumps(config, indent=2) + "\n")
        _write_private(
            Path.home() / ".convos" / "identity.json",
            json.dumps({"identityId": identity, "inboxId": gateway.inbox_id}) + "\n",
        )
        say(f"[convos] bound to conversation {conversation} (monotonic {time.monotonic():.6f})")
    if gateway.instructions:
        instructions.parent.mkdir(parents=True, exist_ok=True)
        instructions.write_text(gateway.instructions, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="convos-tui-sim-instance", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs=2, metavar="gateway run")
    parser.add_argument("--port", type=int, required=True)
    # lan: every interface, as in a container whose port the engine publishes (on the host's loopback only)
    parser.add_argument("--bind", choices=["loopback", "lan"], default="loopback")
    args = parser.parse_args(argv)
    if args.command != ["gateway", "run"]:
        parser.error("only `gateway run` is simulated")
    state = Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")
    config_path = Path(os.environ.get("OPENCLAW_CONFIG_PATH") or state / "openclaw.json")
    try:
        config = _read_config(config_path)
    except (OSError, ValueError) as exc:
        say(f"Invalid config at {config_path}: {exc}")
        return 1
    try:
        speed = float(os.environ.get("CONVOS_SIM_SPEED") or 1.0)
    except ValueError:
        speed = 1.0
    try:
        host = "0.0.0.0" if args.bind == "lan" else "127.0.0.1"
        return asyncio.run(run(args.port, config_path, config, max(speed, 0.01), host))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
