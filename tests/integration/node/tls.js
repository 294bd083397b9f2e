// ioredis (unmodified, pinned in package.json) over TLS with a client certificate, and as
// an ACL user: the options a Node.js application would use against a secured raftkv node.
// Usage: node tls.js PORT CA CERT KEY USER PASSWORD. Prints one JSON object.
"use strict";
const fs = require("fs");
const Redis = require("ioredis");

const [port, ca, cert, key, username, password] = process.argv.slice(2);

async function main() {
  const client = new Redis({
    host: "127.0.0.1",
    port: Number(port),
    username,
    password,
    maxRetriesPerRequest: 2,
    tls: { ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key),
           servername: "localhost" },
  });
  const out = {};
  out.set = await client.set("app:io", "v".repeat(50000));
  out.get = (await client.get("app:io")).length;
  out.whoami = await client.call("ACL", "WHOAMI");
  out.pipeline = await client.pipeline().incr("app:n").incr("app:n").get("app:n").exec();
  out.denied = await client.set("other", "x").catch((e) => e.message);
  client.disconnect();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
