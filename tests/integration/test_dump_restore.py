"""DUMP, RESTORE and MIGRATE between raftkv and a real redis-server 7.0 (started here with
sanitize-dump-payload yes, so Redis checks raftkv's payloads as deeply as it can): every type
in both of Redis's encodings (compact and full), binary bytes, integers as strings, big
values, streams with consumer groups and pending entries. raftkv → Redis, Redis → raftkv,
raftkv → raftkv (with replicas converging), MIGRATE (single key, KEYS, COPY, REPLACE) from
Redis into the raftkv leader, and RESTORE's errors byte for byte as Redis gives them.

RAFTKV_IT_REDIS_PORT: compare with a redis-server already listening there instead."""
import os
import subprocess
import time
import unittest

import redis

from cluster import Cluster, env_port_range, free_ports
from test_streams import retry
from test_transactions import RawConnection, RedisServer

BINARY = b"\x00\xff\r\n\x01bin"


def populate(r, p):
    """Keys of every type under prefix p, in compact and full encodings; returns their names."""
    r.set(p + "str", BINARY)
    r.set(p + "int", "-9223372036854775808")
    r.set(p + "small_int", "12")
    r.set(p + "lzf", "abc" * 500)
    r.set(p + "big", os.urandom(300000))
    r.set(p + "empty", "")
    r.rpush(p + "list", "a", BINARY, "12", "-5000", "4294967296", "007", "")
    r.rpush(p + "biglist", *[f"{i * 7919}x" * (i % 7) for i in range(5000)])
    r.sadd(p + "intset", 1, -2, 70000, -5000000000)
    r.sadd(p + "set", "a", BINARY, "3")
    r.sadd(p + "bigintset", *range(600))
    r.hset(p + "hash", mapping={"f": "1", BINARY: "v", "n": "-12"})
    r.hset(p + "bighash", mapping={f"f{i}": "v" * (i % 100) for i in range(300)})
    r.zadd(p + "zset", {"a": 1, "b": -2.5, "c": float("inf"), "d": float("-inf"), "e": 1e300,
                        "f": 0.1, BINARY: 3})
    r.zadd(p + "bigzset", {f"m{i}": i / 3 for i in range(200)})
    s = p + "stream"
    r.xadd(s, {"f": "v", "g": BINARY}, id="1-1")
    r.xadd(s, {"f": "w", "g": "x"}, id="1-2")
    r.xadd(s, {"other": "field"}, id="5-0")
    for i in range(250):
        r.xadd(s, {"n": str(i)}, id=f"{10 + i}-{i % 3}")
    r.xdel(s, "1-2")
    r.xgroup_create(s, "g1", id="0")
    r.xgroup_create(s, "g2", id="$")
    r.xreadgroup("g1", "alice", {s: ">"}, count=3)
    r.xreadgroup("g1", "bob", {s: ">"}, count=2)
    r.xack(s, "g1", "1-1")
    r.execute_command("XGROUP", "CREATECONSUMER", s, "g2", "carol")
    r.xadd(p + "emptystream", {"f": "v"}, id="1-1")
    r.xdel(p + "emptystream", "1-1")
    return sorted(k.decode() for k in r.keys(p + "*"))


def contents(r, key):
    """What a key holds, in a form equal on both servers (no idle times)."""
    t = r.type(key).decode()
    if t == "string":
        return t, r.get(key)
    if t == "list":
        return t, r.lrange(key, 0, -1)
    if t == "set":
        return t, sorted(r.smembers(key))
    if t == "hash":
        return t, sorted(r.hgetall(key).items())
    if t == "zset":
        return t, r.zrange(key, 0, -1, withscores=True)
    if t == "stream":
        for name in ("XPENDING", "XINFO GROUPS", "XINFO CONSUMERS", "XINFO STREAM"):
            r.response_callbacks.pop(name, None)  # the raw replies, compared as they are
        groups = r.execute_command("XINFO", "GROUPS", key)
        pending = []
        for g in groups:
            name = g[1]
            rows = r.execute_command("XPENDING", key, name, "-", "+", 1000)
            consumers = r.execute_command("XINFO", "CONSUMERS", key, name)
            pending.append(([(x[0], x[1], x[3]) for x in rows],
                            [(c[1], c[3]) for c in consumers]))
        info = r.execute_command("XINFO", "STREAM", key)
        info = dict(zip(info[::2], info[1::2]))
        counters = [info[k] for k in (b"length", b"last-generated-id", b"max-deleted-entry-id",
                                      b"entries-added", b"recorded-first-entry-id")]
        return t, r.xrange(key), groups, pending, counters
    return t, None


class DumpRestoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        port = os.environ.get("RAFTKV_IT_REDIS_PORT")
        # Deep payload checks in Redis; a port from this suite's client range.
        cls.redis_server = None if port else RedisServer(
            "--sanitize-dump-payload", "yes",
            port=free_ports(1, env_port_range("RAFTKV_IT_CLIENT_PORTS"))[0])
        cls.redis_port = int(port) if port else cls.redis_server.port
        cls.c = Cluster(3)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        if cls.redis_server:
            cls.redis_server.close()

    def setUp(self):
        self.r = redis.Redis(port=self.redis_port, socket_timeout=10)
        self.r.flushall()
        self.leader = self.c.leader(timeout=20)
        self.kv = self.c.client(self.leader, timeout=10)
        retry(lambda: self.kv.flushall())

    def test_raftkv_dumps_restore_into_redis(self):
        keys = populate(self.kv, "k:")
        self.assertEqual(len(keys), 17)
        for key in keys:
            payload = self.kv.dump(key)
            self.assertEqual(self.r.restore(key, 0, payload), b"OK", key)
            self.assertEqual(contents(self.r, key), contents(self.kv, key), key)
            self.assertEqual(self.r.object("encoding", key), self.kv.object("encoding", key), key)

    def test_redis_dumps_restore_into_raftkv(self):
        keys = populate(self.r, "k:")
        for key in keys:
            payload = self.r.dump(key)
            self.assertIn(self.kv.restore(key, 0, payload), (True, b"OK"), key)
            self.assertEqual(contents(self.kv, key), contents(self.r, key), key)
        self.c.wait_converged()

    def test_raftkv_round_trip_and_replicas_agree(self):
        keys = populate(self.kv, "k:")
        for key in keys:
            self.kv.restore(key + ":copy", 0, self.kv.dump(key))
            self.assertEqual(contents(self.kv, key + ":copy"), contents(self.kv, key), key)
            self.assertEqual(self.kv.dump(key + ":copy"), self.kv.dump(key), key)
        self.c.wait_converged()

    def test_ttl_and_absttl(self):
        self.kv.set("src", "v")
        payload = self.kv.dump("src")
        self.kv.restore("rel", 100000, payload)
        self.assertTrue(95000 < self.kv.pttl("rel") <= 100000)
        at = int(time.time() * 1000) + 200000
        self.kv.restore("abs", at, payload, absttl=True)
        self.assertEqual(self.kv.pexpiretime("abs"), at)
        self.kv.restore("past", 1, payload, absttl=True)
        self.assertEqual(self.kv.exists("past"), 0)

    def migrate_all(self, keys, *flags):
        reply = self.r.execute_command("MIGRATE", "127.0.0.1", self.c.client_port[self.leader],
                                       "", 0, 5000, *flags, "KEYS", *keys)
        self.assertEqual(reply, b"OK")

    def test_migrate_from_redis(self):
        keys = populate(self.r, "m:")
        expected = {k: contents(self.r, k) for k in keys}
        self.r.pexpire("m:str", 500000)
        port = self.c.client_port[self.leader]
        # The single-key form, then KEYS with COPY (the source keeps them), then REPLACE.
        self.assertEqual(self.r.execute_command("MIGRATE", "127.0.0.1", port, "m:str", 0, 5000),
                         b"OK")
        self.assertEqual(self.r.exists("m:str"), 0)
        self.assertTrue(490000 < self.kv.pttl("m:str") <= 500000)
        rest = [k for k in keys if k != "m:str"]
        self.migrate_all(rest, "COPY")
        self.assertEqual(self.r.exists(*rest), len(rest))
        for key in keys:
            self.assertEqual(contents(self.kv, key), expected[key], key)
        with self.assertRaisesRegex(redis.ResponseError, "BUSYKEY"):
            self.migrate_all(rest[:1], "COPY")
        self.r.set(rest[0], "changed")
        self.migrate_all(rest, "REPLACE")
        self.assertEqual(self.r.exists(*rest), 0)
        self.assertEqual(self.kv.get(rest[0]), b"changed")
        self.c.wait_converged()

    def test_redis_cli_cluster_import(self):
        """redis-cli --cluster import: SCAN on the source, MIGRATE of each key to the node
        that owns its slot (the leader, which serves every slot)."""
        keys = populate(self.r, "i:")
        expected = {k: contents(self.r, k) for k in keys}
        out = subprocess.run(
            ["redis-cli", "--cluster", "import", f"127.0.0.1:{self.c.client_port[self.leader]}",
             "--cluster-from", f"127.0.0.1:{self.redis_port}", "--cluster-copy"],
            capture_output=True, timeout=120, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("Migrating i:stream to", out.stdout)
        for key in keys:
            self.assertEqual(contents(self.kv, key), expected[key], key)
        self.assertEqual(self.r.exists(*keys), len(keys), "COPY keeps the source keys")

    def test_followers_redirect_restore(self):
        self.kv.set("k", "v")
        payload = self.kv.dump("k")
        follower = next(i for i in self.c.ids if i != self.leader)
        conn = RawConnection(self.c.client_port[follower])
        try:
            reply = conn.call("RESTORE", "k2", "0", payload)
        finally:
            conn.close()
        self.assertRegex(reply, rb"^-(MOVED \d+ 127\.0\.0\.1:%d|CLUSTERDOWN)"
                         % self.c.client_port[self.leader])
        self.assertEqual(self.kv.exists("k2"), 0)

    def test_errors_match_redis(self):
        self.r.set("k", "v")
        self.kv.set("k", "v")
        good = self.r.dump("k")
        bad_crc = good[:-1] + bytes([good[-1] ^ 1])
        future = bytes.fromhex("000568656c6c6f0b00") + b"\0" * 8
        script = [
            ("RESTORE", "k", "0", good), ("RESTORE", "k", "-1", "junk"),
            ("RESTORE", "n", "-1", good), ("RESTORE", "n", "abc", good),
            ("RESTORE", "n", "0", bad_crc), ("RESTORE", "n", "0", future),
            ("RESTORE", "n", "0", ""), ("RESTORE", "n", "0", good, "FOO"),
            ("RESTORE", "n", "0", good, "IDLETIME"), ("RESTORE", "n", "0", good, "IDLETIME", "-1"),
            ("RESTORE", "n", "0", good, "IDLETIME", "x"), ("RESTORE", "n", "0", good, "FREQ", "256"),
            ("RESTORE", "n", "0", good, "FREQ", "1", "IDLETIME", "1"), ("RESTORE", "n", "0"),
            ("RESTORE", "n", "0", good, "REPLACE", "ABSTTL", "IDLETIME", "10"),
            ("RESTORE", "n", "0", good, "REPLACE", "FREQ", "10"),
            ("RESTORE-ASKING", "a", "0", good), ("GET", "a"), ("DUMP", "nokey"), ("DUMP",),
            ("DUMP", "a", "b"), ("RESTORE", "e", "5", good, "ABSTTL"), ("EXISTS", "e"),
        ]
        conns = [RawConnection(self.redis_port), RawConnection(self.c.client_port[self.leader])]
        try:
            for cmd in script:
                want = conns[0].call(*cmd)
                got = conns[1].call(*cmd)
                self.assertEqual(got, want, cmd)
        finally:
            for conn in conns:
                conn.close()


if __name__ == "__main__":
    unittest.main()
