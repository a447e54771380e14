// The fake fleet of benchmarks/oneshot.py: N loopback "gateways", one HTTP server per port on 127.0.0.1,
// each answering GET /convos/status as the real gateway does (the body and headers of
// /work/shared/fixtures/real-gateway-transcript.jsonl: 52 bytes of JSON, keep-alive 5 s). Independent of
// the project: neither its simulator nor aiohttp. Every third gateway has a conversation and streams.
//     node benchmarks/oneshot_fleet.mjs COUNT
// Each server takes a free port the system chooses (so the fleet never collides with what else runs); once
// every one listens, their ports are printed as one JSON list on one line. Stops on SIGTERM or when stdin closes.
import http from "node:http";

const count = Number(process.argv[2]);
const IDLE = JSON.stringify({ ready: true, conversation: null, streaming: false });
const BUSY = (n) => JSON.stringify({ ready: true, conversation: { id: `conv${String(n).padStart(28, "0")}` }, streaming: true });
const servers = [];
let open = 0;
for (let i = 0; i < count; i++) {
  const body = Buffer.from(i % 3 === 0 ? BUSY(i) : IDLE);
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/convos/status") {
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":"not found"}');
    }
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, "127.0.0.1", () => {
    if (++open === count) console.log(JSON.stringify(servers.map((s) => s.address().port)));
  });
  servers.push(server);
}
const stop = () => {
  for (const s of servers) s.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
