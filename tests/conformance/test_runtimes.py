"""Replay each runtime's case file (tests/conformance/runtimes/*.json) against a simulated gateway in that mode.

The case files are written from the runtimes' public sources (each names its own); where a source and the
simulator disagree, the source wins and the simulator is fixed. A case runs in file order against one
gateway (a create comes before the 409 it causes). In an expected JSON value, "<string>" stands for any
non-empty string and "<any>" for any value; everything else must be equal, key for key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from convos_tui.sim import GatewaySpec, Mode, SimFleet

CASES = sorted((Path(__file__).parent / "runtimes").glob("*.json"))


def matches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` differs from `expected` (empty: it matches)."""
    if expected == "<any>":
        return []
    if expected == "<string>":
        return [] if isinstance(actual, str) and actual else [f"{where or 'body'}: expected a string, got {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return [f"{where or 'body'}: expected keys {sorted(expected)}, got {actual!r}"]
        return [p for key in expected for p in matches(expected[key], actual[key], f"{where}.{key}")]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where or 'body'}: expected {expected!r}, got {actual!r}"]
        return [
            p for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for p in matches(e, a, f"{where}[{i}]")
        ]
    return (
        []
        if expected == actual and type(expected) is type(actual)
        else [f"{where or 'body'}: {expected!r} != {actual!r}"]
    )


def test_every_runtime_has_a_case_file_that_names_its_sources():
    names = {path.stem for path in CASES}
    assert {
        "hermes",
        "openclaw-managed",
        "pool-wrapper",
        "pool-wrapper-hermes",
        "railway-template",
        "plugin-404",
    } <= names
    for path in CASES:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["sources"] and document["cases"], path.name
        Mode(document["spec"]["mode"])  # a mode the simulator has


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
async def test_the_simulator_answers_as_the_source_says(path: Path):
    document = json.loads(path.read_text(encoding="utf-8"))
    spec = GatewaySpec(name=path.stem, **document["spec"])
    token = spec.pool_key
    problems: list[str] = []
    async with SimFleet([spec], speed=1000) as fleet, httpx.AsyncClient(base_url=fleet.gateways[0].url) as http:
        for number, case in enumerate(document["cases"], 1):
            request = case["request"]
            headers = {"Authorization": f"Bearer {token}"} if token and request.get("auth", True) else {}
            content = request["raw"].encode() if "raw" in request else None
            if "body" in request:
                content = json.dumps(request["body"]).encode()
                headers["Content-Type"] = "application/json"
            answer = await http.request(request["method"], request["path"], headers=headers, content=content)
            expect = case["expect"]
            label = f"case {number} ({case['why']}): {request['method']} {request['path']}"
            if answer.status_code != expect["status"]:
                problems.append(f"{label}: HTTP {answer.status_code}, expected {expect['status']}: {answer.text[:200]}")
                continue
            if answer.headers.get("content-type") != expect["content_type"]:
                problems.append(f"{label}: content type {answer.headers.get('content-type')!r}")
            if "json" in expect:
                problems += [f"{label}: {p}" for p in matches(expect["json"], answer.json())]
            if "text" in expect and answer.text != expect["text"]:
                problems.append(f"{label}: body {answer.text[:200]!r}")
    assert not problems, "\n".join(problems)
