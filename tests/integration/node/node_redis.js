// node-redis (the `redis` package, unmodified, pinned in package.json) against a raftkv
// cluster: one client on the leader (strings, hashes, sorted sets, streams, MULTI, WATCH,
// scripts, SCAN, blocking pops, pub/sub) and the cluster client seeded with a follower.
// Usage: node node_redis.js LEADER_PORT FOLLOWER_PORT. Prints one JSON object.
"use strict";
const { createClient, createCluster } = require("redis");

const [leaderPort, followerPort] = process.argv.slice(2).map(Number);

async function tour(c) {
  const out = {};
  out.set = await c.set("nr:a", "1");
  out.incr = await c.incr("nr:a");
  out.hset = await c.hSet("nr:h", { f1: "v1", f2: "v2" });
  out.hgetall = await c.hGetAll("nr:h");
  out.zadd = await c.zAdd("nr:z", [{ score: 2, value: "b" }, { score: 1, value: "a" }]);
  out.zrange = await c.zRangeWithScores("nr:z", 0, -1);
  out.xadd = await c.xAdd("nr:s", "1-1", { f: "v" });
  out.xrange = await c.xRange("nr:s", "-", "+");
  out.multi = await c.multi().set("nr:m", "1").incr("nr:m").get("nr:m").exec();
  out.multiError = await c
    .multi()
    .set("nr:t", "x")
    .lPush("nr:t", "y")
    .exec()
    .then(() => "no error", (e) => e.constructor.name);
  out.eval = await c.eval("return redis.call('GET', KEYS[1])", { keys: ["nr:a"] });
  const sha = await c.scriptLoad("return ARGV[1] .. KEYS[1]");
  out.evalsha = await c.evalSha(sha, { keys: ["nr:k"], arguments: ["x"] });
  out.blpopTimeout = await c.blPop("nr:empty", 0.1);
  const keys = [];
  for await (const batch of c.scanIterator({ MATCH: "nr:*", COUNT: 2 })) keys.push(...batch);
  out.scan = keys.sort();
  // WATCH on a connection of its own, with another client's write in between.
  const watcher = await c.duplicate().connect();
  await watcher.watch("nr:a");
  await c.set("nr:a", "theirs");
  out.watchAborted = await watcher
    .multi()
    .set("nr:a", "mine")
    .exec()
    .then(() => "committed", (e) => e.constructor.name);
  out.afterWatch = await c.get("nr:a");
  watcher.destroy();
  // A blocked pop woken by a push from another client.
  const popper = await c.duplicate().connect();
  const popped = popper.blPop("nr:q", 5);
  await new Promise((r) => setTimeout(r, 100));
  await c.rPush("nr:q", "job");
  out.blpop = await popped;
  popper.destroy();
  // Pub/sub.
  const sub = await c.duplicate().connect();
  const got = new Promise((resolve) => sub.subscribe("nr:ch", resolve));
  await new Promise((r) => setTimeout(r, 100));
  out.publish = await c.publish("nr:ch", "hello");
  out.message = await got;
  sub.destroy();
  return out;
}

async function main() {
  const leader = await createClient({ url: `redis://127.0.0.1:${leaderPort}` }).connect();
  const out = await tour(leader);
  leader.destroy();
  const cluster = await createCluster({
    rootNodes: [{ url: `redis://127.0.0.1:${followerPort}` }],
  }).connect();
  out.cluster = [];
  for (let i = 0; i < 5; ++i) out.cluster.push(await cluster.set(`nr:c${i}`, String(i)));
  for (let i = 0; i < 5; ++i) out.cluster.push(await cluster.get(`nr:c${i}`));
  out.clusterMulti = await cluster.multi().incr("{nr}n").incr("{nr}n").exec();
  // Sharded pub/sub (Redis 7.0): the cluster client subscribes on the channel's slot owner.
  const smessage = new Promise((resolve) => cluster.sSubscribe("nr:shard", resolve));
  await new Promise((r) => setTimeout(r, 100));
  out.spublish = await cluster.sPublish("nr:shard", "sharded");
  out.smessage = await smessage;
  cluster.destroy();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
