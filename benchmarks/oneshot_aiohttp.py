"""The minimal aiohttp poller of benchmarks/oneshot.py: the practical floor for a Python process that polls a fleet.

One session, a semaphore of 200 (the poller's default concurrency), each URL of the file fetched and its JSON
parsed, the states printed as one JSON document. Nothing else: no config, no store, no limits on what a
gateway sends.

    python benchmarks/oneshot_aiohttp.py URLS_FILE
"""

import asyncio
import json
import sys

import aiohttp


async def main(path: str) -> None:
    urls = open(path).read().split()
    limit = asyncio.Semaphore(200)

    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> dict:
            async with limit:
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
                        body = await response.json()
                    return {"url": url, "state": "active" if body.get("streaming") else "idle", "body": body}
                except Exception as exc:
                    return {"url": url, "state": "unreachable", "error": str(exc)}

        gateways = await asyncio.gather(*(one(url) for url in urls))
    print(json.dumps({"gateways": gateways}, indent=2))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
