"""What a simulated gateway is: its mode (how it behaves) and its spec (how it is configured).

A fleet is described as a list of `GatewaySpec`; `mixed_specs` and `specs_for_modes` build such lists
reproducibly so a demo, a benchmark and a test all see the same fleet for the same seed.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass


class Mode(enum.StrEnum):
    """How one simulated gateway behaves. The values are the names used on the command line and in tags."""

    HEALTHY = "healthy"  # plugin loaded, XMTP reachable, no conversation bound
    BOUND = "bound"  # starts bound to a conversation it created itself, streaming
    STALLED = "stalled"  # bound; the stream child flaps on the real restart schedule, then dies for good
    FLAPPING = "flapping"  # bound; streaming drops to false for ~3 s every ~15 s, never dies
    OFFLINE = "offline"  # plugin loaded, XMTP unreachable: every CLI call fails with the DNS error
    POOL_KEY = "pool-key"  # requires `Authorization: Bearer <poolApiKey>`
    NO_PLUGIN = "no-plugin"  # OpenClaw 2026.9.6: plugin failed to load, 503 "starting" window first
    NEWER_SHAPE = "newer-shape"  # the managed-runtime fork: {conversationId, inboxId, pending, clean}
    SLOW = "slow"  # healthy, but every answer is delayed by `latency` real seconds
    DOWN = "down"  # nothing listens on the port: connection refused
    RESET = "reset"  # the connection is reset in the middle of the body
    GARBAGE = "garbage"  # 200 application/json with a broken body (see GatewaySpec.garbage_kind)
    HUGE = "huge"  # 200 application/json, 2 MiB streamed
    DRIP = "drip"  # headers at once, then one body byte every 0.5 s
    HERMES = "hermes"  # the managed runtime's Hermes (Python/FastAPI): same routes, {"detail": ...} errors, 422
    POOL_WRAPPER = "pool-wrapper"  # the managed runtime's pool wrapper in front of its OpenClaw plugin
    POOL_WRAPPER_HERMES = "pool-wrapper-hermes"  # the same wrapper in front of Hermes
    RAILWAY = "railway"  # the Railway template: GET /pool/status, no /convos/status
    PLUGIN_404 = "plugin-404"  # OpenClaw 2026.3.13: core ready, every plugin route answers text 404


# The modes whose /convos/status has the newer shape {conversationId, inboxId, pending, clean}.
NEWER_SHAPE_MODES = frozenset({Mode.NEWER_SHAPE, Mode.HERMES, Mode.POOL_WRAPPER, Mode.POOL_WRAPPER_HERMES})
HERMES_MODES = frozenset({Mode.HERMES, Mode.POOL_WRAPPER_HERMES})
WRAPPER_MODES = frozenset({Mode.POOL_WRAPPER, Mode.POOL_WRAPPER_HERMES})
# The managed runtime's version a pool wrapper reports (runtime/package.json at the sources' 2026-04-11).
DEFAULT_RUNTIME_VERSION = "0.3.4"


# The key a `pool-key` gateway requires when its spec gives none: the one the real-gateway transcript used.
DEFAULT_POOL_KEY = "pool-secret-789"
# The delay of a `slow` gateway whose spec gives no latency.
DEFAULT_SLOW_LATENCY = 1.0
# The token the core (not the plugin) checks on /tools/invoke: the one the transcript's gateways used.
DEFAULT_GATEWAY_TOKEN = "test-gw-token-123"
# Simulated seconds of "Plugin runtime is starting" of a `no-plugin` gateway (2026.9.6 took 7-9 s).
NO_PLUGIN_START_WINDOW = 8.0

GARBAGE_KINDS = ("bytes", "json", "shape", "markup")


@dataclass
class GatewaySpec:
    """Configuration of one simulated gateway.

    - `env`: the plugin's configured XMTP network (`channels.convos.env`), used when a request names none.
    - `pool_key`: when set, every /convos/* route requires `Bearer <pool_key>` (any mode). Mode `pool-key`
      without a key uses DEFAULT_POOL_KEY.
    - `gateway_token`: the core's token, checked only on core routes such as /tools/invoke.
    - `latency`: real seconds added before every answer (mode `slow` defaults it to 1.0).
    - `require_approval`: joins to conversations this gateway created wait for a manual approval
      (they answer `waiting_for_acceptance` after the CLI's 60 s timeout).
    - `conversation_id`: start bound to this conversation, as if restored from config at startup.
    - `garbage_kind`: for mode `garbage`: `bytes`, `json`, `shape` or `markup`.
    - `port`: 0 lets the OS choose a free port.
    - `core_version`: the OpenClaw core release; only its family matters (2026.2.x vs ≥ 2026.3).
    - `start_window`: simulated seconds after each (re)start during which the /convos/ routes answer
      `503 Plugin runtime is starting`, in any mode; None: 8 s for `no-plugin` (what 2026.9.6 showed), 0 otherwise.
      Behind a pool wrapper, the runtime is not up for that long: `/pool/health` answers 503 `{ready: false}`
      and everything else 502 `Runtime unavailable`.
    - `runtime_version`: the managed runtime's version a pool wrapper reports in `/pool/health`.
    """

    name: str
    mode: Mode = Mode.HEALTHY
    env: str = "dev"
    pool_key: str | None = None
    gateway_token: str = DEFAULT_GATEWAY_TOKEN
    latency: float = 0.0
    require_approval: bool = False
    conversation_id: str | None = None
    garbage_kind: str = "bytes"
    port: int = 0
    core_version: str | None = None
    start_window: float | None = None
    runtime_version: str = DEFAULT_RUNTIME_VERSION

    def __post_init__(self) -> None:
        self.mode = Mode(self.mode)
        if self.garbage_kind not in GARBAGE_KINDS:
            raise ValueError(f"garbage_kind must be one of {', '.join(GARBAGE_KINDS)}, not {self.garbage_kind!r}")
        if self.latency < 0:
            raise ValueError("latency must not be negative")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port out of range: {self.port}")
        if self.start_window is not None and self.start_window < 0:
            raise ValueError("start_window must not be negative")

    @property
    def effective_pool_key(self) -> str | None:
        """The key the plugin requires, if any."""
        if self.pool_key:
            return self.pool_key
        return DEFAULT_POOL_KEY if self.mode in (Mode.POOL_KEY, Mode.RAILWAY) else None

    @property
    def effective_latency(self) -> float:
        if self.mode is Mode.SLOW and self.latency == 0:
            return DEFAULT_SLOW_LATENCY
        return self.latency

    @property
    def effective_core_version(self) -> str:
        """The core release this gateway pretends to run.

        The plugin modes default to 2026.2.17 (the closest npm release to the fork the transcript measured),
        no-plugin to 2026.9.6 (the release whose plugin load failed) and the managed-runtime fork to a
        2026.4 core, because that fork needs a core ≥ 2026.3.8.
        """
        if self.core_version:
            return self.core_version
        if self.mode is Mode.NO_PLUGIN:
            return "2026.9.6"
        if self.mode is Mode.NEWER_SHAPE:
            return "2026.4.2"
        if self.mode in WRAPPER_MODES or self.mode is Mode.HERMES:
            return "2026.4.10"  # the managed runtime's OpenClaw pin (Hermes has no OpenClaw core: unused)
        if self.mode is Mode.PLUGIN_404:
            return "2026.3.13"  # the release whose plugin routes all answered 404 (openclaw#46924)
        return "2026.2.17"  # the Railway template builds xmtplabs/openclaw's 2026.2 staging too


def gateway_names(count: int) -> list[str]:
    """`sim-01`, `sim-02`, … zero-padded to the width of `count` (at least 2 digits)."""
    width = max(2, len(str(count)))
    return [f"sim-{i:0{width}d}" for i in range(1, count + 1)]


def specs_for_modes(count: int, modes: list[Mode], *, env: str = "dev") -> list[GatewaySpec]:
    """`count` gateways whose modes cycle through `modes` in order."""
    if count < 0:
        raise ValueError("count must not be negative")
    if not modes:
        raise ValueError("modes must not be empty")
    names = gateway_names(count)
    return [GatewaySpec(name=name, mode=Mode(modes[i % len(modes)]), env=env) for i, name in enumerate(names)]


# One gateway of each runtime the field runs, by name: what `convos-tui simulate --runtimes` serves.
RUNTIME_FLEET = (
    ("openclaw-plugin", Mode.HEALTHY),
    ("openclaw-bound", Mode.BOUND),
    ("hermes", Mode.HERMES),
    ("wrapper-openclaw", Mode.POOL_WRAPPER),
    ("wrapper-hermes", Mode.POOL_WRAPPER_HERMES),
    ("railway-template", Mode.RAILWAY),
    ("plugin-404", Mode.PLUGIN_404),
    ("no-plugin-2026.9", Mode.NO_PLUGIN),
)


def runtime_specs(*, env: str = "dev") -> list[GatewaySpec]:
    """The RUNTIME_FLEET as specs."""
    return [GatewaySpec(name=name, mode=mode, env=env) for name, mode in RUNTIME_FLEET]


# Share of each mode in a realistic fleet: mostly working gateways, a tail of every kind of trouble.
_MIX_WEIGHTS: dict[Mode, float] = {
    Mode.HEALTHY: 30,
    Mode.BOUND: 30,
    Mode.STALLED: 5,
    Mode.FLAPPING: 6,
    Mode.OFFLINE: 3,
    Mode.POOL_KEY: 6,
    Mode.NO_PLUGIN: 4,
    Mode.NEWER_SHAPE: 5,
    Mode.SLOW: 4,
    Mode.DOWN: 3,
    Mode.GARBAGE: 2,
    Mode.RESET: 1,
    Mode.HUGE: 0.5,
    Mode.DRIP: 0.5,
}
# From this fleet size on, every one of these modes appears at least once, so a small demo fleet still
# shows each common kind of trouble.
_MIX_GUARANTEED = (
    Mode.STALLED,
    Mode.FLAPPING,
    Mode.POOL_KEY,
    Mode.NO_PLUGIN,
    Mode.NEWER_SHAPE,
    Mode.SLOW,
    Mode.DOWN,
    Mode.GARBAGE,
)
_MIX_GUARANTEE_FROM = 12


def _apportion(count: int) -> dict[Mode, int]:
    """Split `count` across the modes by weight (largest remainder), honouring the guaranteed minimum."""
    counts = {mode: 0 for mode in _MIX_WEIGHTS}
    remaining = count
    if count >= _MIX_GUARANTEE_FROM:
        for mode in _MIX_GUARANTEED:
            counts[mode] = 1
        remaining -= len(_MIX_GUARANTEED)
    total = sum(_MIX_WEIGHTS.values())
    quotas = {mode: remaining * weight / total for mode, weight in _MIX_WEIGHTS.items()}
    for mode, quota in quotas.items():
        counts[mode] += int(quota)
    left = count - sum(counts.values())
    by_remainder = sorted(quotas, key=lambda m: (-(quotas[m] - int(quotas[m])), list(_MIX_WEIGHTS).index(m)))
    for mode in by_remainder[:left]:
        counts[mode] += 1
    return counts


def mixed_specs(count: int, seed: int, env: str = "dev") -> list[GatewaySpec]:
    """A reproducible, realistic fleet of `count` gateways: the same (count, seed) always gives the same list."""
    if count < 0:
        raise ValueError("count must not be negative")
    rng = random.Random(f"mixed:{seed}:{count}")
    modes = [mode for mode, n in _apportion(count).items() for _ in range(n)]
    rng.shuffle(modes)
    specs: list[GatewaySpec] = []
    for name, mode in zip(gateway_names(count), modes, strict=True):
        spec = GatewaySpec(name=name, mode=mode, env=env)
        if mode is Mode.SLOW:
            # Spread around a console's usual 2-5 s timeouts: some answer late, some never in time.
            spec.latency = round(rng.uniform(0.5, 6.0), 1)
        elif mode is Mode.GARBAGE:
            spec.garbage_kind = rng.choice(GARBAGE_KINDS)
        elif mode is Mode.BOUND and rng.random() < 0.15:
            spec.require_approval = True
        specs.append(spec)
    return specs
