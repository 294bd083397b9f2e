// Redlock (unmodified, pinned in package.json) over ioredis's cluster client against a
// raftkv cluster: workers take one lock in turn and increment a counter under it (GET,
// then SET: a read-modify-write that only the lock protects), while the test kills the
// leader. Usage: node locks.js PORTS SECONDS. Prints progress lines {"done": n}, then one
// {"result": ...} line.
"use strict";
const Redis = require("ioredis");
const Redlock = require("redlock").default;

const ports = process.argv[2].split(",").map(Number);
const seconds = Number(process.argv[3]);
const WORKERS = 4;
const TTL = 10000; // far beyond a failover: an expiry while held would be Redlock's, not raftkv's

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const seeds = ports.map((port) => ({ host: "127.0.0.1", port }));
  const clients = [];
  let holders = 0;
  let overlaps = 0;
  let done = 0; // increments whose SET was acknowledged
  let unknown = 0; // increments whose SET failed: they may or may not have applied
  let lockErrors = 0;
  const errors = [];
  const until = Date.now() + seconds * 1000;
  const progress = setInterval(() => console.log(JSON.stringify({ done })), 100);
  const worker = async () => {
    const client = new Redis.Cluster(seeds, { redisOptions: { maxRetriesPerRequest: 5 } });
    clients.push(client);
    const redlock = new Redlock([client], { retryCount: 100, retryDelay: 20, retryJitter: 20 });
    while (Date.now() < until) {
      try {
        await redlock.using(["lock:counter"], TTL, async (signal) => {
          if (++holders > 1) ++overlaps;
          try {
            const value = Number((await client.get("counter")) || 0);
            await sleep(2);
            if (signal.aborted) throw signal.error;
            try {
              await client.set("counter", String(value + 1));
              ++done;
            } catch (e) {
              ++unknown;
              throw e;
            }
          } finally {
            --holders;
          }
        });
      } catch (e) {
        ++lockErrors;
        if (errors.length < 5) errors.push(String(e && e.message));
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  clearInterval(progress);
  const reader = clients[0];
  let counter = null;
  for (let i = 0; i < 50 && counter === null; ++i) {
    try {
      counter = Number(await reader.get("counter"));
    } catch (e) {
      await sleep(100);
    }
  }
  const lockLeft = await reader.exists("lock:counter");
  console.log(JSON.stringify({ result: { counter, done, unknown, overlaps, lockErrors, lockLeft, errors } }));
  clients.forEach((c) => c.disconnect());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
