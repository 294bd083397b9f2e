"""Hashes, lists, sets and sorted sets on a real 3-node cluster: a plain `redis-benchmark`
run (its default test list: LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN,
LRANGE_100..600, MSET, ...) completes without an error, and redis-py uses every type
through the cluster client, with all replicas ending byte-identical (SPOP included)."""
import re
import shutil
import subprocess
import time
import unittest

import redis
from redis.cluster import RedisCluster

from cluster import ClusterTestCase

# The tests a plain redis-benchmark 7.0 run performs, as its -q lines name them.
BENCHMARK_TESTS = [
    "PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
    "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LPUSH (needed to benchmark LRANGE)",
    "LRANGE_100 (first 100 elements)", "LRANGE_300 (first 300 elements)",
    "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)", "MSET (10 keys)",
]


def benchmark_results(output):
    """{test name: requests per second} from redis-benchmark -q output, whose progress
    updates are separated by carriage returns."""
    results = {}
    for line in re.split(r"[\r\n]+", output):
        m = re.match(r"^(.+?): ([0-9.]+) requests per second", line.strip())
        if m:
            results[m.group(1)] = float(m.group(2))
    return results


def wait_for_slot_map(cluster, node, timeout=10.0):
    """Waits until `node` answers CLUSTER SLOTS with a master. A cluster client builds its
    slot map from the node it starts with; a follower lists none until it has learned the
    leader's client address (c.leader() only waits for the leader itself), and redis-py's
    RedisCluster then fails with an IndexError."""
    deadline = time.time() + timeout
    while not cluster.client(node).execute_command("CLUSTER", "SLOTS"):
        if time.time() > deadline:
            raise TimeoutError(f"node {node} lists no master in CLUSTER SLOTS")
        time.sleep(0.05)


class RedisBenchmarkTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-benchmark"), "redis-benchmark not installed")
    def test_plain_redis_benchmark_runs_every_default_test(self):
        leader = self.c.leader()
        run = subprocess.run(
            ["redis-benchmark", "-q", "-n", "2000", "-h", "127.0.0.1",
             "-p", str(self.c.client_port[leader])],
            capture_output=True, text=True, timeout=300)
        output = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, output[-3000:])
        self.assertNotRegex(output, r"(?i)error|wrongtype|unknown command", output[-3000:])
        results = benchmark_results(output)
        for name in BENCHMARK_TESTS:
            self.assertIn(name, results, f"no result line for {name}: {sorted(results)}")
            self.assertGreater(results[name], 0, name)
        print("\n".join(f"{name}: {rate:.0f} requests per second"
                        for name, rate in results.items()))
        digests = self.c.wait_converged(timeout=30)
        self.assertEqual(len(set(digests.values())), 1, digests)


class CollectionClientsTest(ClusterTestCase):
    def test_redis_py_uses_every_type_across_the_cluster(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        wait_for_slot_map(self.c, follower)
        # Started against a follower, the cluster client finds the leader (-MOVED).
        rc = RedisCluster(host="127.0.0.1", port=self.c.client_port[follower],
                          socket_timeout=2, cluster_error_retry_attempts=10)

        self.assertEqual(rc.hset("h", mapping={"a": "1", "b": "2"}), 2)
        self.assertEqual(rc.hincrby("h", "a", 5), 6)
        self.assertAlmostEqual(rc.hincrbyfloat("h", "f", 0.5), 0.5)
        self.assertEqual(rc.hgetall("h"), {b"a": b"6", b"b": b"2", b"f": b"0.5"})
        self.assertEqual(rc.hmget("h", "a", "nope"), [b"6", None])

        self.assertEqual(rc.rpush("l", "a", "b", "c"), 3)
        self.assertEqual(rc.lpush("l", "z"), 4)
        self.assertEqual(rc.lrange("l", 0, -1), [b"z", b"a", b"b", b"c"])
        self.assertEqual(rc.lpop("l", 2), [b"z", b"a"])
        self.assertEqual(rc.llen("l"), 2)

        self.assertEqual(rc.sadd("s", *[f"m{i}" for i in range(20)]), 20)
        self.assertTrue(rc.sismember("s", "m3"))
        popped = rc.spop("s", 5)
        self.assertEqual(len(set(popped)), 5)
        self.assertEqual(rc.scard("s"), 15)
        self.assertEqual(len(rc.smembers("s")), 15)

        self.assertEqual(rc.zadd("z", {"a": 1.5, "b": 3, "c": 0.1}), 3)
        self.assertEqual(rc.zincrby("z", 2, "a"), 3.5)
        self.assertEqual(rc.zrange("z", 0, -1, withscores=True),
                         [(b"c", 0.1), (b"b", 3.0), (b"a", 3.5)])
        self.assertEqual(rc.zrangebyscore("z", 1, 3), [b"b"])
        self.assertEqual(rc.zpopmin("z"), [(b"c", 0.1)])
        self.assertEqual(rc.zrank("z", "a"), 1)

        self.assertEqual([rc.type(k) for k in ("h", "l", "s", "z")],
                         [b"hash", b"list", b"set", b"zset"])
        rc.set("str", "v")
        with self.assertRaises(redis.exceptions.ResponseError) as wrong:
            rc.lpush("str", "x")
        self.assertIn("WRONGTYPE", str(wrong.exception))
        r = self.c.client(leader)
        self.assertEqual(sorted(r.scan_iter(_type="zset")), [b"z"])

        # Every replica applied the same entries, SPOP's choice included.
        digests = self.c.wait_converged()
        self.assertEqual(len(set(digests.values())), 1, digests)

        # A new leader serves the same collections.
        members = rc.smembers("s")
        rc.close()
        self.c.kill(leader)
        survivors = [i for i in self.c.ids if i != leader]
        new_leader = self.c.leader(among=survivors, timeout=10)
        r2 = self.c.client(new_leader)
        deadline = time.time() + 10
        while True:
            try:
                self.assertEqual(r2.smembers("s"), members)
                break
            except redis.exceptions.ResponseError as e:  # still settling: -TRYAGAIN etc.
                self.assertLess(time.time(), deadline, repr(e))
                time.sleep(0.1)
        self.assertEqual(r2.hgetall("h"), {b"a": b"6", b"b": b"2", b"f": b"0.5"})
        self.assertEqual(r2.lrange("l", 0, -1), [b"b", b"c"])
        self.assertEqual(r2.zrange("z", 0, -1, withscores=True), [(b"b", 3.0), (b"a", 3.5)])


class KeyspaceAndScanClientsTest(ClusterTestCase):
    def test_redis_py_renames_and_iterates_collections_across_the_cluster(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        wait_for_slot_map(self.c, follower)
        rc = RedisCluster(host="127.0.0.1", port=self.c.client_port[follower],
                          socket_timeout=2, cluster_error_retry_attempts=10)

        # RENAME's keys must share a slot for a cluster client: a hash tag.
        rc.rpush("{k}src", "a", "b")
        rc.pexpire("{k}src", 60000)
        rc.set("{k}dst", "old")
        self.assertTrue(rc.rename("{k}src", "{k}dst"))
        self.assertEqual(rc.lrange("{k}dst", 0, -1), [b"a", b"b"])
        self.assertGreater(rc.pttl("{k}dst"), 0)
        self.assertEqual(rc.exists("{k}src"), 0)
        self.assertFalse(rc.renamenx("{k}dst", "{k}dst"))
        rc.set("{k}other", "x")
        self.assertFalse(rc.renamenx("{k}dst", "{k}other"))
        self.assertTrue(rc.renamenx("{k}dst", "{k}free"))
        with self.assertRaises(redis.exceptions.ResponseError) as missing:
            rc.rename("{k}nope", "{k}x")
        self.assertIn("no such key", str(missing.exception))

        fields = {f"f{i}": str(i) for i in range(500)}
        rc.hset("h", mapping=fields)
        rc.sadd("s", *fields)
        rc.zadd("z", {f: i / 4 for f, i in zip(fields, range(500))})
        self.assertEqual({k.decode(): v.decode() for k, v in rc.hscan_iter("h", count=20)},
                         fields)
        self.assertEqual(sorted(m.decode() for m in rc.sscan_iter("s", count=20)),
                         sorted(fields))
        self.assertEqual({m.decode(): s for m, s in rc.zscan_iter("z", count=20)},
                         {f: i / 4 for f, i in zip(fields, range(500))})
        self.assertEqual(sorted(m.decode() for m in rc.sscan_iter("s", match="f4?")),
                         sorted(f"f4{i}" for i in range(10)))

        self.assertAlmostEqual(rc.incrbyfloat("fl", 10.5), 10.5)
        self.assertAlmostEqual(rc.incrbyfloat("fl", "3.0e3"), 3010.5)

        digests = self.c.wait_converged()
        self.assertEqual(len(set(digests.values())), 1, digests)
        rc.close()


if __name__ == "__main__":
    unittest.main()
