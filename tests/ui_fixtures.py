"""A deterministic fleet for console tests and snapshots: fixed clock, fixed states, no network."""

from __future__ import annotations

from collections import deque

from convos_tui.api import errors
from convos_tui.api.models import GatewayStatus
from convos_tui.api.runtimes import Runtime
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.health_poll import Health
from convos_tui.fleet.inventory import GatewayConfig, Inventory
from convos_tui.fleet.poller import Poller
from convos_tui.fleet.state import GatewayState, State, Transition
from convos_tui.fleet.store import Store
from convos_tui.ui.app import ConvosApp

NOW = 1_790_000_000.0  # a fixed "now" for every screen


def cid(n: int) -> str:
    return f"{n:02x}" * 16


# name, state, conversation, streaming, latency ms, seconds in state, tags, error
SPEC = [
    ("eu-booth-1", State.LIVE, cid(1), True, 3.2, 4000, ("eu", "booth"), None),
    ("eu-booth-2", State.FLAPPING, cid(2), False, 4.1, 12, ("eu", "booth"), None),
    ("eu-pool-1", State.IDLE, None, False, 2.7, 86_000, ("eu", "pool-a"), None),
    ("eu-pool-2", State.IDLE, None, False, 2.9, 86_000, ("eu", "pool-a"), None),
    ("eu-pool-3", State.STALLED, cid(3), False, 5.5, 420, ("eu", "pool-a"), None),
    ("us-pool-1", State.LIVE, cid(4), True, 88.0, 7200, ("us", "pool-b"), None),
    ("us-pool-2", State.PENDING, None, False, 91.0, 30, ("us", "pool-b"), None),
    (
        "us-pool-3",
        State.UNAUTHORIZED,
        None,
        None,
        90.0,
        600,
        ("us", "pool-b"),
        errors.Unauthorized("unauthorized (401): the pool key is missing or wrong"),
    ),
    (
        "lab-old",
        State.NO_PLUGIN,
        None,
        None,
        12.0,
        3600,
        ("lab",),
        errors.PluginMissing("no Convos plugin: the gateway answers with a web page (HTTP 200, the Control UI)"),
    ),
    (
        "lab-down",
        State.UNREACHABLE,
        None,
        None,
        None,
        900,
        ("lab",),
        errors.Unreachable("unreachable: connection refused (nothing listens on that port)"),
    ),
    (
        "lab-garbage",
        State.ERROR,
        None,
        None,
        8.0,
        300,
        ("lab",),
        errors.UnexpectedAnswer("the answer is not valid JSON (line 1 column 14)"),
    ),
    ("us-slow", State.LIVE, cid(5), True, 1830.0, 50, ("us",), None),
]

REASONS = {
    State.LIVE: "conversation bound, streaming",
    State.IDLE: "no conversation: ready to create or join",
    State.PENDING: "join waiting for the creator to accept",
    State.FLAPPING: "stream down for 12 s: the plugin may be restarting it",
    State.STALLED: "stream down for 7 min: the plugin has given up on it",
}


# What each gateway's routes said at its last probe (no entry: never probed, the runtime shows as "?").
OPENCLAW_2026_2 = Health(Runtime("openclaw"), ("/convos/status: answered (classic shape)",))
WRAPPED = Health(Runtime("openclaw", "0.3.4", wrapper=True), ("/pool/health: ready (openclaw 0.3.4)",))
HEALTH = {
    **dict.fromkeys(("eu-booth-1", "eu-booth-2", "eu-pool-1", "eu-pool-2", "eu-pool-3"), OPENCLAW_2026_2),
    **dict.fromkeys(("us-pool-1", "us-pool-2", "us-pool-3"), WRAPPED),
    "lab-old": Health(Runtime("openclaw", core="2026.3+"), ("/readyz: ready",)),
    "us-slow": Health(Runtime("hermes"), ("/readyz: absent (FastAPI's 404: a Hermes runtime)",)),
}


def build_fleet(spec=SPEC, *, profile: str | None = None, health: dict[str, Health] = HEALTH) -> Fleet:
    gateways = []
    store = Store.open(None)
    for index, (name, _state, _conversation, _streaming, _latency, _age, tags, _error) in enumerate(spec):
        env = "production" if name.startswith("us") else "dev"
        gateways.append(GatewayConfig(name=name, url=f"http://127.0.0.1:{18801 + index}", env=env, tags=tags))
    poller = Poller(gateways, clock=lambda: NOW)
    poller.last_poll_at = NOW - 1
    for name, state, conversation, streaming, latency, age, _tags, error in spec:
        gw: GatewayState = poller.states[name]
        gw.state, gw.since = state, NOW - age
        gw.reason = error.summary if error else REASONS[state]
        gw.error = error
        gw.health = health.get(name)
        gw.last_success = None if error else NOW - 1
        gw.latency_ms = latency
        gw.latencies = deque([latency * (1 + (i % 5) / 10) for i in range(20)] if latency else [], maxlen=60)
        if error is None:
            raw = {
                "ready": True,
                "conversation": {"id": conversation} if conversation else None,
                "streaming": streaming,
            }
            gw.status = GatewayStatus("classic", True, conversation, streaming, pending=state == State.PENDING, raw=raw)
        store.record_transitions([Transition(name, State.UNKNOWN, state, gw.reason, NOW - age)])
    store.audit("create", gateway="eu-booth-1", params={"name": "Booth"}, outcome="ok", detail="3.1 s", at=NOW - 4000)
    store.add_conversation(
        gateway="eu-booth-1",
        gateway_url="http://127.0.0.1:18801",
        conversation_id=cid(1),
        origin="create",
        name="Booth",
        env="dev",
        invite_url="https://dev.convos.org/v2?i=" + "Q" * 240,
        invite_slug="Q" * 240,
        elapsed_s=3.1,
        at=NOW - 4000,
    )
    inventory = Inventory(path=None, gateways=tuple(gateways))
    return Fleet(inventory, store, profile, gateways=gateways, poller=poller)


def make_app(**kwargs) -> ConvosApp:
    kwargs.setdefault("live", False)
    kwargs.setdefault("clock", lambda: NOW)
    fleet = kwargs.pop("fleet", None) or build_fleet()
    return ConvosApp(fleet, **kwargs)


def add_invite(
    app: ConvosApp,
    gateway: str,
    conversation: int,
    *,
    name: str,
    env: str,
    invite_url: str,
    at: float,
    revoked_at: float | None = None,
) -> None:
    """A conversation with its invite on one of the fixture's gateways (its URL taken from the fleet), as the
    invite panels' tests want; revoked at `revoked_at` when given."""
    url = next(g.url for g in app.fleet.gateways if g.name == gateway)
    store = app.fleet.store
    store.add_conversation(
        gateway=gateway,
        gateway_url=url,
        conversation_id=cid(conversation),
        origin="create",
        name=name,
        env=env,
        invite_url=invite_url,
        at=at,
    )
    if revoked_at is not None:
        store.mark_invite_revoked(gateway, cid(conversation), at=revoked_at)
