// ioredis (unmodified, pinned in package.json) against a raftkv cluster: MULTI/EXEC on the
// leader, a WATCH retry loop from several clients, and MULTI through the cluster client.
// Usage: node transactions.js LEADER_PORT FOLLOWER_PORT. Prints one JSON object.
"use strict";
const Redis = require("ioredis");

const [leaderPort, followerPort] = process.argv.slice(2).map(Number);
const opts = { host: "127.0.0.1", maxRetriesPerRequest: 3, lazyConnect: false };

async function watchIncrement(client, key) {
  for (let attempt = 0; attempt < 200; ++attempt) {
    await client.watch(key);
    const value = Number((await client.get(key)) || 0);
    const result = await client.multi().set(key, value + 1).exec();
    if (result !== null) return attempt;
  }
  throw new Error("no increment after 200 attempts");
}

async function main() {
  const out = {};
  const leader = new Redis({ ...opts, port: leaderPort });
  out.multi = await leader.multi().set("io:a", "1").incr("io:a").get("io:a").exec();
  out.aborted = await (async () => {
    await leader.watch("io:w");
    const other = new Redis({ ...opts, port: leaderPort });
    await other.set("io:w", "theirs");
    other.disconnect();
    return leader.multi().set("io:w", "mine").exec();
  })();
  await leader.set("io:counter", "0");
  const clients = [0, 1, 2].map(() => new Redis({ ...opts, port: leaderPort }));
  const perClient = 30;
  let retries = 0;
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < perClient; ++i) retries += await watchIncrement(c, "io:counter");
    })
  );
  out.counter = Number(await leader.get("io:counter"));
  out.expected = clients.length * perClient;
  out.retries = retries;
  clients.forEach((c) => c.disconnect());
  leader.disconnect();

  const cluster = new Redis.Cluster([{ host: "127.0.0.1", port: followerPort }], {
    redisOptions: { maxRetriesPerRequest: 3 },
  });
  out.cluster = await cluster.multi().set("{io}x", "1").incr("{io}x").exec();
  cluster.disconnect();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
