"""A fleet of simulated gateways in one process, each on its own loopback port.

    async with SimFleet(mixed_specs(20, seed=1), speed=10) as fleet:
        print(fleet.config_toml())

`convos-tui simulate` serves one until Ctrl-C (sim/serve.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator, Sequence
from types import TracebackType

from .gateway import SimGateway
from .modes import GatewaySpec, Mode
from .network import SimNetwork
from .toml_config import toml_config

__all__ = ["POOL_KEY_ENV", "RESTART_DOWNTIME", "SimFleet", "stop_signals"]

POOL_KEY_ENV = "CONVOS_SIM_POOL_KEY"
RESTART_DOWNTIME = 2.0  # simulated seconds a restarting gateway refuses connections (2026.2.x binds in ~2 s)


class SimFleet:
    """Simulated gateways sharing one simulated XMTP network."""

    def __init__(
        self, specs: Sequence[GatewaySpec], *, speed: float = 1.0, seed: int = 0, host: str = "127.0.0.1"
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        names = [spec.name for spec in specs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate gateway names: {', '.join(duplicates)}")
        self.speed = speed
        self.seed = seed
        self.host = host
        self.network = SimNetwork()
        self.gateways: list[SimGateway] = [
            SimGateway(spec, network=self.network, speed=speed, seed=seed, host=host) for spec in specs
        ]
        self._by_name = {gw.name: gw for gw in self.gateways}
        self._started = False

    def gateway(self, name: str) -> SimGateway:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no simulated gateway named {name!r}") from None

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        try:
            for gw in self.gateways:
                await gw.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close every listener, connection, timer and simulated CLI call."""
        await asyncio.gather(*(gw.stop() for gw in self.gateways), return_exceptions=True)
        self._started = False
        # Let aiohttp's connection tasks observe their cancellation before the caller checks for leftovers.
        for _ in range(3):
            await asyncio.sleep(0)

    async def __aenter__(self) -> SimFleet:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def set_down(self, name: str, down: bool) -> None:
        """Close (True) or reopen (False) the gateway's port; its state is kept. Reopening a `down` gateway
        makes it `healthy`."""
        gw = self.gateway(name)
        if down:
            await gw.go_down()
        else:
            await gw.come_up()

    def set_mode(self, name: str, mode: Mode) -> None:
        """Change a gateway's behaviour now. Switching to or from `down` opens or closes the port in the
        background; `await set_down()` when the caller must wait for it."""
        self.gateway(name).set_mode(mode)

    async def restart(self, name: str, *, wait: bool = True) -> None:
        """A process restart: the port refuses for ~2 s (scaled), in-flight calls die, and the instance comes
        back from config, i.e. bound to the last ownerConversationId even if it was exploded. With
        wait=False, return as soon as the port is closed."""
        await self.gateway(name).restart(RESTART_DOWNTIME, wait=wait)

    def accept_pending(self, name: str) -> bool:
        """The creator approves the gateway's waiting join (newer shape). False if nothing was pending."""
        return self.gateway(name).accept_pending()

    def config_toml(self) -> str:
        """A `[[gateways]]` table per gateway, ready to paste into the console's config."""
        env_for_key: dict[str, str] = {}
        for gw in self.gateways:
            key = gw.pool_key
            if key is not None and key not in env_for_key:
                suffix = "" if not env_for_key else f"_{len(env_for_key) + 1}"
                env_for_key[key] = POOL_KEY_ENV + suffix
        comments = [
            f"convos-tui simulated fleet: {len(self.gateways)} gateways, seed {self.seed}, speed {self.speed:g}"
        ]
        comments += [
            f"The pool-key gateways need their key in the environment: export {env_name}={key}"
            for key, env_name in env_for_key.items()
        ]
        gateways = []
        for gw in self.gateways:
            gateway = {"name": gw.name, "url": gw.url, "env": gw.spec.env, "tags": ["sim", str(gw.mode)]}
            if (key := gw.pool_key) is not None:
                gateway["token_env"] = env_for_key[key]
            gateways.append(gateway)
        return toml_config(comments, {"gateways": gateways} if gateways else {})


@contextlib.contextmanager
def stop_signals() -> Iterator[asyncio.Event]:
    """An event that SIGINT or SIGTERM sets while the block runs (in the running loop's thread, which must
    be the main one); the handlers go when it ends. Enter it first, so a signal during start-up stops cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        yield stop
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
