// The Node peer of benchmarks/oneshot.py: what the pool managers do to learn a fleet's state, as a whole
// process. Every URL of the file (one a line) is fetched with the built-in fetch, all at once under
// Promise.allSettled, each answer's JSON parsed; the states are printed as one JSON document.
//     node benchmarks/oneshot_peer.mjs URLS_FILE
import { readFileSync } from "node:fs";

const urls = readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean);
const results = await Promise.allSettled(
  urls.map(async (url) => {
    const started = performance.now();
    const response = await fetch(url, { signal: AbortSignal.timeout(10000) });
    const body = await response.json();
    return { url, status: response.status, body, ms: performance.now() - started };
  }),
);
const gateways = results.map((r, i) =>
  r.status === "fulfilled" ? { ...r.value, state: r.value.body.streaming ? "active" : "idle" } : { url: urls[i], state: "unreachable", error: String(r.reason) },
);
process.stdout.write(JSON.stringify({ gateways }, null, 2) + "\n");
