"""The demo fleet: a seeded, realistic fleet of simulated gateways, with a throw-away config and data dir.

`convos-tui demo` opens the console on it and `convos-tui demo --serve-only` serves it to the headless
commands. Everything lives in one temporary directory (`config.toml`, and `data/` for the store) that is
removed with the fleet, so a demo never reads or writes the user's own config or history.

    async with DemoFleet(count=24, seed=0) as demo:      # in any event loop
        print(demo.config_path)

    with DemoFleet(count=24).threaded() as demo:          # on a loop of its own, beside a Textual app
        ...

The mix, for the same (count, seed), is always the same: which gateway has which role, its name, tags,
latency and conversation ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import math
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from convos_tui.loop_thread import LoopThread

from .modes import DEFAULT_COUNT, DEMO_SPEED, GatewaySpec, Mode
from .server import SimFleet
from .toml_config import toml_config

__all__ = ["DEFAULT_COUNT", "DEMO_SPEED", "DemoFleet", "DemoGateway", "Role", "demo_plan"]

# In simulated seconds, so they scale with the speed (at the default speed: 10 s, 30 s and 40 s).
GRACE_SIM_S = 15.0  # the streaming grace: 30 s in a real fleet, shorter so the stalled gateways show soon
BOOT_SIM_S = 45.0  # how long the booting gateway's plugin runtime takes to start
APPROVE_AFTER_SIM_S = 60.0  # when the creator approves the join of the `approved` gateway
REFRESH = "1s"
DATA_DIR = "data"
CONFIG_FILE = "config.toml"


class Role(enum.StrEnum):
    """What a demo gateway is there to show. The value is the word used in its note and in the README."""

    IDLE = "idle"
    LIVE = "live"
    APPROVER = "approver"  # live; its conversation needs the creator's approval to join
    PENDING = "pending"  # waits for the approver, who never approves
    APPROVED = "approved"  # waits for the approver, who approves after APPROVE_AFTER_SIM_S
    FLAPPING = "flapping"
    STALLED = "stalled"
    OFFLINE = "offline"  # bound, XMTP unreachable: its stream dies and every action fails
    BOOTING = "booting"  # starting, then idle
    UNAUTHORIZED = "unauthorized"
    NO_PLUGIN = "no-plugin"
    UNREACHABLE = "unreachable"
    SLOW = "slow"  # live, but every answer takes 1.2-2.4 s


# The roles beyond idle and live, in the order a small fleet gets them.
SPECIAL_ROLES = (
    Role.FLAPPING,
    Role.STALLED,
    Role.UNREACHABLE,
    Role.UNAUTHORIZED,
    Role.PENDING,
    Role.BOOTING,
    Role.NO_PLUGIN,
    Role.SLOW,
    Role.APPROVED,
    Role.OFFLINE,
)
NEEDS_APPROVER = (Role.PENDING, Role.APPROVED)
IDLE_SHARE = 0.6  # of the gateways that are neither special nor the approver
MIN_PLAIN_SHARE = 0.45  # at least this share of the fleet is plainly idle or live

NOTES = {
    Role.IDLE: "idle: ready to create or join",
    Role.LIVE: "live: holds a conversation and streams it",
    Role.APPROVER: "live; approves join requests by hand, so joiners wait (see the pending gateways)",
    Role.PENDING: "pending: joined a conversation whose creator approves by hand, and has not yet",
    Role.APPROVED: "pending: waits for its creator's approval, which comes after a short while: then live",
    Role.FLAPPING: "flapping: its stream drops for a few seconds now and then, and comes back",
    Role.STALLED: "stalled: the plugin restarted its stream 3 times, then gave up (flapping first, stalled after)",
    Role.OFFLINE: "stalled: XMTP is unreachable from it; its stream died and every action fails after ~2 s",
    Role.BOOTING: "starting: its plugin runtime is starting (503 Retry-After); idle once it has",
    Role.UNAUTHORIZED: "unauthorized: it wants a pool key, and this config gives none (401)",
    Role.NO_PLUGIN: "no-plugin: OpenClaw without a working Convos plugin (starting, then the Control UI's page)",
    Role.UNREACHABLE: "unreachable: nothing listens on its port (connection refused)",
    Role.SLOW: "live, but slow: every answer takes over a second",
}

# Where the gateways run (site, region tag) and which pool they belong to: the tags a real fleet filters by.
SITES = (("fra", "eu"), ("ams", "eu"), ("iad", "us"), ("sfo", "us"), ("sin", "ap"))
POOLS = ("pool-a", "pool-a", "pool-b", "pool-b", "booth", "golden")


@dataclass(frozen=True)
class DemoGateway:
    spec: GatewaySpec
    role: Role
    tags: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def note(self) -> str:
        return NOTES[self.role]


def _roles(count: int) -> list[Role]:
    """Which roles a fleet of `count` has: every special one once per 24 gateways, while they leave at
    least MIN_PLAIN_SHARE of the fleet plainly idle or live; the rest mostly idle, to create and join on."""
    budget = count - max(min(count, 3), math.ceil(count * MIN_PLAIN_SHARE))
    roles: list[Role] = []
    for _ in range(max(1, count // DEFAULT_COUNT)):
        approver = False
        for role in SPECIAL_ROLES:
            cost = 1 + (role in NEEDS_APPROVER and not approver)
            if cost > budget:
                continue
            if role in NEEDS_APPROVER and not approver:
                roles.append(Role.APPROVER)
                approver = True
            roles.append(role)
            budget -= cost
    plain = count - len(roles)
    idle = math.ceil(plain * IDLE_SHARE)
    return roles + [Role.IDLE] * idle + [Role.LIVE] * (plain - idle)


# How each role behaves; the others are plainly healthy.
MODES = {
    Role.LIVE: Mode.BOUND,
    Role.APPROVER: Mode.BOUND,
    Role.FLAPPING: Mode.FLAPPING,
    Role.STALLED: Mode.STALLED,
    Role.OFFLINE: Mode.OFFLINE,
    Role.UNAUTHORIZED: Mode.POOL_KEY,
    Role.NO_PLUGIN: Mode.NO_PLUGIN,
    Role.UNREACHABLE: Mode.DOWN,
    Role.SLOW: Mode.SLOW,
    # The shape that can say "pending" by itself.
    Role.PENDING: Mode.NEWER_SHAPE,
    Role.APPROVED: Mode.NEWER_SHAPE,
}


def _spec(name: str, role: Role, rng: random.Random) -> GatewaySpec:
    spec = GatewaySpec(name=name, mode=MODES.get(role, Mode.HEALTHY), env="dev")
    spec.require_approval = role is Role.APPROVER
    if role is Role.BOOTING:
        spec.start_window = BOOT_SIM_S
    if role in (Role.OFFLINE, Role.SLOW):  # modes that do not start bound by themselves
        spec.conversation_id = f"{rng.getrandbits(128):032x}"
    if role is Role.SLOW:
        spec.latency = round(rng.uniform(1.2, 2.4), 1)  # real seconds, under the 3 s status timeout
    return spec


def demo_plan(count: int = DEFAULT_COUNT, seed: int = 0) -> list[DemoGateway]:
    """The demo fleet of `count` gateways, sorted by name; the same (count, seed) gives the same fleet."""
    if count < 1:
        raise ValueError("count must be at least 1")
    rng = random.Random(f"demo:{seed}:{count}")
    roles = _roles(count)
    rng.shuffle(roles)
    numbers: dict[tuple[str, str], int] = {}
    plan = []
    for role in roles:
        site, region = rng.choice(SITES)
        pool = rng.choice(POOLS)
        numbers[site, pool] = numbers.get((site, pool), 0) + 1
        name = f"{site}-{pool}-{numbers[site, pool]:02d}"
        plan.append(DemoGateway(_spec(name, role, rng), role, (region, site, pool)))
    return sorted(plan, key=lambda g: g.name)


class DemoFleet:
    """The demo's simulated gateways, their config file and data dir, in a temporary directory."""

    def __init__(
        self, count: int = DEFAULT_COUNT, seed: int = 0, *, speed: float = DEMO_SPEED, host: str = "127.0.0.1"
    ) -> None:
        self.count, self.seed, self.speed = count, seed, speed
        self.plan = demo_plan(count, seed)
        self.sim = SimFleet([g.spec for g in self.plan], speed=speed, seed=seed, host=host)
        self.root: Path | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def config_path(self) -> Path:
        assert self.root is not None, "the demo fleet is not running"
        return self.root / CONFIG_FILE

    @property
    def data_dir(self) -> Path:
        """Where the console and the headless commands keep the store while the demo runs."""
        assert self.root is not None, "the demo fleet is not running"
        return self.root / DATA_DIR

    def names(self, role: Role) -> list[str]:
        return [g.name for g in self.plan if g.role is role]

    # -- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        # mkdtemp honours $TMPDIR and makes the directory readable by its owner only.
        self.root = Path(tempfile.mkdtemp(prefix="convos-tui-demo-"))
        try:
            self.data_dir.mkdir(mode=0o700)
            await self.sim.start()
            self._arrange()
            fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(self.config_toml())
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every gateway and timer, and remove the directory with everything written into it."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        try:
            await self.sim.stop()
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None

    async def __aenter__(self) -> DemoFleet:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _arrange(self) -> None:
        """What the demo sets up once its gateways run: the joins that wait for an approver."""
        approvers = self.names(Role.APPROVER)
        joiners = [g for g in self.plan if g.role in NEEDS_APPROVER]
        for index, joiner in enumerate(joiners):
            conversation = self.sim.gateway(approvers[index % len(approvers)]).bound
            assert conversation is not None
            self.sim.gateway(joiner.name).wait_for_acceptance(conversation)
            if joiner.role is Role.APPROVED:
                self._later(APPROVE_AFTER_SIM_S, functools.partial(self.sim.accept_pending, joiner.name))

    def _later(self, simulated_s: float, callback: Callable[[], object]) -> None:
        async def run() -> None:
            await asyncio.sleep(simulated_s / self.speed)
            callback()

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the config ----------------------------------------------------------------------------------
    def config_toml(self) -> str:
        root = self.root
        grace = tomlkit.item(f"{GRACE_SIM_S / self.speed:g}s")
        grace.comment("30 s in a real fleet: shorter, so the stalled gateways show soon")
        regions = sorted({g.tags[0] for g in self.plan})
        return toml_config(
            [
                f"convos-tui demo fleet: {len(self.plan)} simulated gateways on 127.0.0.1, seed {self.seed}.",
                f"Config file: {self.config_path}",
                "It exists while `convos-tui demo` runs, and is removed with its directory when the demo stops.",
                "The headless commands keep their history and invites in $XDG_DATA_HOME/convos-tui; to keep them",
                f"with the demo instead (removed with it): export XDG_DATA_HOME={root / DATA_DIR if root else ''}",
            ],
            {
                "refresh": REFRESH,
                "streaming_grace": grace,
                "profiles": {region: {"tags": [region]} for region in regions},
                "gateways": [
                    {
                        "name": g.name,
                        "url": self.sim.gateway(g.name).url,
                        "env": g.spec.env,
                        "tags": list(g.tags),
                        "note": "demo: " + g.note,
                    }
                    for g in self.plan
                ],
            },
        )

    # -- on a loop of its own --------------------------------------------------------------------------
    @contextlib.contextmanager
    def threaded(self) -> Iterator[DemoFleet]:
        """Run the fleet on an event loop in a thread of its own until the block ends, whatever ends it."""
        runner = LoopThread("convos-demo-fleet")
        try:
            runner.call(self.start())
            try:
                yield self
            finally:
                runner.call(self.stop())
        finally:
            runner.close()
