"""Gateways found beside the static list: a text file of URLs, or a pool manager's instance list.

Discovery never stops the console: a source that cannot be read yields a problem to show, and the
gateways it gave last time are simply absent. The static config wins any clash of names or URLs.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import httpx

from convos_tui.api.client import USER_AGENT, read_capped
from convos_tui.api.endpoint import display_url, url_problem
from convos_tui.api.interpret import clean_text, media_type, one_line
from convos_tui.fleet.inventory import NAME_RE, GatewayConfig, Inventory, Source

POOL_STATUS_PATH = "/api/pool/status"
POOL_MAX_BODY = 8 * 1024 * 1024  # a pool of thousands of instances, with room to spare
POOL_TIMEOUT = 10.0


@dataclass
class Discovery:
    gateways: list[GatewayConfig] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def name_from_url(url: str) -> str:
    parts = urlsplit(url)
    name = parts.hostname or "gateway"
    if parts.port:
        name += f":{parts.port}"
    if parts.path.strip("/"):
        name += "/" + parts.path.strip("/")
    return name[:64]


def read_url_file(source: Source) -> Discovery:
    """One gateway a line: `URL` or `NAME URL`; `#` starts a comment; blank lines are skipped."""
    found = Discovery()
    assert source.path is not None
    try:
        text = source.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        found.problems.append(f"{source.path}: cannot read it ({reason}): fix the path in [[sources]] or the file")
        return found
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) > 2:
            found.problems.append(f"{source.path}:{number}: expected `URL` or `NAME URL`, found {len(fields)} words")
            continue
        url = fields[-1]
        name = fields[0] if len(fields) == 2 else name_from_url(url)
        problem = url_problem(url)
        if problem:
            found.problems.append(f"{source.path}:{number}: {problem}")
            continue
        if not NAME_RE.match(name):
            found.problems.append(f"{source.path}:{number}: {name!r} is not a valid gateway name")
            continue
        found.gateways.append(_gateway(name, url, source, ()))
    return found


async def read_pool(source: Source, http: httpx.AsyncClient | None = None) -> Discovery:
    """The instances a pool manager lists (`{counts, instances: [{id, name, url, status, …}]}`)."""
    found = Discovery()
    assert source.url is not None
    where = display_url(source.url)
    headers = {"Accept": "application/json", "Accept-Encoding": "identity", "User-Agent": USER_AGENT}
    if source.token:
        headers["Authorization"] = f"Bearer {source.token}"
    own = http is None
    http = http or httpx.AsyncClient(verify=source.tls_verify, follow_redirects=False, trust_env=False)
    try:
        async with asyncio.timeout(POOL_TIMEOUT):
            request = http.build_request("GET", source.url.rstrip("/") + POOL_STATUS_PATH, headers=headers)
            response = await http.send(request, stream=True)
            try:
                body, truncated = await read_capped(response, POOL_MAX_BODY)
            finally:
                await response.aclose()
    except (TimeoutError, httpx.HTTPError) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else one_line(str(exc) or type(exc).__name__, 120)
        found.problems.append(f"pool {where}: unreachable ({reason})")
        return found
    finally:
        if own:
            await http.aclose()
    status = response.status_code
    if status == 401:
        found.problems.append(f"pool {where}: unauthorized (401): check the pool manager key (token_env of the source)")
        return found
    if status != 200 or media_type(response.headers.get("content-type")) != "application/json" or truncated:
        found.problems.append(
            f"pool {where}: answered HTTP {status} {media_type(response.headers.get('content-type'))}"
            + (" (over 8 MiB)" if truncated else "")
            + ", not a pool status"
        )
        return found
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        found.problems.append(f"pool {where}: the answer is not valid JSON")
        return found
    instances = data.get("instances") if isinstance(data, dict) else None
    if not isinstance(instances, list):
        found.problems.append(f"pool {where}: the answer has no instances list")
        return found
    for instance in instances:
        if not isinstance(instance, dict):
            continue
        url = instance.get("url")
        if not isinstance(url, str) or not url:
            continue  # still being created: no URL yet
        if url_problem(url):
            found.problems.append(f"pool {where}: instance {clean_text(str(instance.get('id')))[:40]!r} has a bad URL")
            continue
        name = instance.get("name") or instance.get("id")
        name = re.sub(r"[^A-Za-z0-9._:@/-]", "-", str(name))[:64].lstrip("-._:@/") or name_from_url(url)
        status_tag = instance.get("status")
        extra = (
            (f"pool-{status_tag}",) if isinstance(status_tag, str) and re.fullmatch(r"[a-z]{1,20}", status_tag) else ()
        )
        found.gateways.append(_gateway(name, url, source, ("pool",) + extra))
    return found


def _gateway(name: str, url: str, source: Source, tags: tuple[str, ...]) -> GatewayConfig:
    return GatewayConfig(
        name=name,
        url=url,
        env=source.env,
        tags=tuple(dict.fromkeys(source.tags + tags)),
        token=source.gateway_token,
        tls_verify=source.tls_verify,
        origin=source.label,
    )


async def discover(inventory: Inventory) -> Discovery:
    """Every source read (pools concurrently), merged behind the static gateways."""
    results: list[Discovery] = []
    pools = [s for s in inventory.sources if s.type == "pool"]
    results += [read_url_file(s) for s in inventory.sources if s.type == "file"]
    results += await asyncio.gather(*(read_pool(s) for s in pools))
    merged = Discovery(problems=[p for r in results for p in r.problems])
    names = {g.name.lower() for g in inventory.gateways}
    urls = {g.url.rstrip("/") for g in inventory.gateways}
    for result in results:
        for gateway in result.gateways:
            key_url = gateway.url.rstrip("/")
            if key_url in urls:
                continue  # already known, statically or from an earlier source
            if gateway.name.lower() in names:
                merged.problems.append(
                    f"{gateway.origin}: {gateway.name!r} at {gateway.display_url} clashes with a gateway of that name: skipped"
                )
                continue
            names.add(gateway.name.lower())
            urls.add(key_url)
            merged.gateways.append(replace(gateway, timeouts=inventory.settings.timeouts))
    return merged
