"""Replay every request a real gateway answered against a simulated gateway set up the same way.

Each transcript row names its `setup`; SETUPS maps it to a GatewaySpec. The simulated answer must have the
same status, exactly the same Content-Type and the same body: equal JSON, except CLI-failure 500s, whose
shape is compared (same command line, an ` ›   Error:` line, a USAGE section) while the wording of the CLI
error may differ. The HTML placeholder only requires HTML.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from convos_tui.sim import GatewaySpec, Mode, SimFleet
from convos_tui.sim.gateway import SimGateway

TRANSCRIPT = Path(__file__).parent.parent / "fixtures" / "real-gateway-transcript.jsonl"
ROWS: list[dict[str, Any]] = [json.loads(line) for line in TRANSCRIPT.read_text(encoding="utf-8").splitlines()]
HTML_PLACEHOLDER = "<Control UI index.html, 300 bytes>"
BOUND_ID = "0123456789abcdef0123456789abcdef"
SPEED = 1000.0  # 2.5 s CLI failures take 2.5 ms; the 23 s stream give-up takes 23 ms

# One fleet for the module, one gateway per setup, as in the real run (every request of a setup went to
# the same gateway process); none of the replayed requests changes a gateway's state.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class Setup:
    key: str  # short id used in test ids
    spec: GatewaySpec


# The transcript's 2026.2.x gateways could not reach XMTP: they are the simulator's `offline` mode.
SETUPS: dict[str, Setup] = {
    "openclaw 2026.2.3 + convos plugin, no conversation bound, no poolApiKey (gateway token set in config)": Setup(
        "b1-unbound", GatewaySpec("b1", Mode.OFFLINE, core_version="2026.2.3")
    ),
    "openclaw 2026.2.3 + convos plugin, no conversation bound, gateway token only in environment": Setup(
        "b2-env-token", GatewaySpec("b2", Mode.OFFLINE, core_version="2026.2.3", gateway_token="env-gw-token-456")
    ),
    'openclaw 2026.2.3 + convos plugin, no conversation bound, channels.convos.poolApiKey = "pool-secret-789"': Setup(
        "b4-pool-key", GatewaySpec("b4", Mode.OFFLINE, core_version="2026.2.3", pool_key="pool-secret-789")
    ),
    "openclaw 2026.2.3 + convos plugin, conversation 0123456789abcdef0123456789abcdef bound, XMTP unreachable, "
    "stream children given up": Setup(
        "b5-bound", GatewaySpec("b5", Mode.OFFLINE, core_version="2026.2.3", conversation_id=BOUND_ID)
    ),
    "openclaw 2026.2.17 + convos plugin, no conversation bound, no poolApiKey": Setup(
        "c1-2026.2.17", GatewaySpec("c1", Mode.OFFLINE, core_version="2026.2.17")
    ),
    "openclaw 2026.9.6, convos plugin failed to load (routes absent)": Setup(
        "d1-2026.9.6", GatewaySpec("d1", Mode.NO_PLUGIN, core_version="2026.9.6")
    ),
}


def _row_id(row: dict[str, Any]) -> str:
    return f"{SETUPS[row['setup']].key}::{row['case']}"


async def test_every_setup_is_mapped() -> None:
    assert {row["setup"] for row in ROWS} == set(SETUPS)
    assert len(ROWS) == 173


async def _settled(gw: SimGateway) -> None:
    """Wait until the gateway is in the state the transcript observed: past the no-plugin start window and,
    when bound, past the point where the stream children gave up."""
    for _ in range(500):
        if not (gw.mode is Mode.NO_PLUGIN and gw.starting) and not (gw.bound and gw._instance_running()):
            return
        await asyncio.sleep(0.005)
    raise AssertionError("gateway never settled")


@dataclass
class Replayer:
    fleet: SimFleet
    client: httpx.AsyncClient

    async def __call__(self, row: dict[str, Any]) -> httpx.Response:
        gw = self.fleet.gateway(SETUPS[row["setup"]].spec.name)
        headers = {"Authorization": row["req_auth"]} if row["req_auth"] else {}
        content = row["req_body"].encode("utf-8") if row["req_body"] is not None else None
        return await self.client.request(row["method"], gw.url + row["path"], content=content, headers=headers)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def replay() -> Any:
    async with SimFleet([setup.spec for setup in SETUPS.values()], speed=SPEED, seed=7) as fleet:
        for gw in fleet.gateways:
            await _settled(gw)
        async with httpx.AsyncClient(timeout=10, verify=False) as client:  # plain HTTP on loopback
            yield Replayer(fleet, client)


def _assert_cli_failure_shape(actual: Any, expected: str) -> None:
    assert isinstance(actual, dict) and set(actual) == {"error"}
    error = actual["error"]
    assert isinstance(error, str)
    assert error.startswith("Command failed: <node> <convos-cli>/bin/run.js ")
    assert error.split("\n", 1)[0] == expected.split("\n", 1)[0], "not the same CLI command line"
    assert "\n ›   Error: " in error
    assert "\n\nUSAGE\n  $ convos " in error


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
async def test_replay(row: dict[str, Any], replay: Replayer) -> None:
    resp = await replay(row)
    assert resp.status_code == row["status"]
    assert resp.headers.get("content-type") == row["headers"]["content-type"]
    assert resp.headers.get("connection") == row["headers"]["connection"]
    expected = row["body"]
    if row["method"] == "HEAD":
        assert expected is None and resp.content == b""
    elif expected == HTML_PLACEHOLDER:
        assert resp.text.lstrip().lower().startswith("<!doctype html>")
        assert resp.headers["content-length"] == row["headers"]["content-length"]
    elif isinstance(expected, str):
        assert resp.text == expected
    elif resp.status_code == 500 and str(expected.get("error", "")).startswith("Command failed:"):
        _assert_cli_failure_shape(resp.json(), expected["error"])
    else:
        assert resp.json() == expected
        # Same bytes, not only the same JSON: the length the real gateway sent.
        assert resp.headers["content-length"] == row["headers"]["content-length"]


CLI_ROWS = [
    row
    for row in ROWS
    if row["status"] == 500 and isinstance(row["body"], dict) and row["body"]["error"].startswith("Command failed:")
]


@pytest.mark.parametrize("row", CLI_ROWS, ids=_row_id)
async def test_cli_failures_are_byte_identical(row: dict[str, Any], replay: Replayer) -> None:
    """Stricter than the contract: the simulator reproduces the observed CLI errors word for word."""
    resp = await replay(row)
    assert resp.json() == row["body"]
