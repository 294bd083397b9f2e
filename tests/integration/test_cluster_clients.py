"""Unmodified Redis clients: redis-py's RedisCluster discovers the leader from CLUSTER SLOTS
(started against a follower), follows -MOVED when leadership moves, and finds the new
leader after the old one is killed; redis-py's own expiry helpers (SET EX/PX, SETEX,
EXPIRE, TTL, PERSIST) behave as against Redis, on every replica and across a failover."""
import time
import unittest

import redis
from redis.cluster import RedisCluster

from cluster import ClusterTestCase


class ClusterClientTest(ClusterTestCase):
    def test_redis_py_cluster_client_follows_failover(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        # Wait until the followers' client addresses are in the directory (CLUSTER NODES).
        deadline = time.time() + 10
        while time.time() < deadline:
            nodes = self.c.client(leader).execute_command("CLUSTER", "NODES")
            if isinstance(nodes, bytes):
                nodes = nodes.decode()
            if len([ln for ln in str(nodes).splitlines() if ln.strip()]) == 3:
                break
            time.sleep(0.1)
        slots = self.c.client(follower).execute_command("CLUSTER", "SLOTS")
        self.assertEqual(slots[0][0], 0)
        self.assertEqual(slots[0][1], 16383)
        self.assertEqual(slots[0][2][1], self.c.client_port[leader])

        # Started against a follower: it must find the leader by itself.
        rc = RedisCluster(host="127.0.0.1", port=self.c.client_port[follower],
                          socket_timeout=2, cluster_error_retry_attempts=10)
        for k in range(50):
            self.assertTrue(rc.set(f"c{k}", k))
        self.assertEqual(rc.get("c7"), b"7")

        # Leadership moves: the old leader answers -MOVED and the client follows it.
        target = next(i for i in self.c.ids if i != leader)
        self.assertEqual(self.c.client(leader).execute_command("RAFT", "TRANSFER", target), b"OK")
        deadline = time.time() + 10
        while self.c.info_raft(target)["raft_role"] != "leader":
            self.assertLess(time.time(), deadline, "the transfer did not happen")
            time.sleep(0.02)
        self.assertTrue(rc.set("after-transfer", "yes"))
        self.assertEqual(rc.get("after-transfer"), b"yes")
        rc.close()

        # The leader dies: a client started against any survivor finds the new leader. (The
        # same client object would have to rediscover the cluster from scratch here, which
        # redis-py 4.3.4, Debian 12's, cannot do because of its own bug redis/redis-py#2480:
        # "cannot pickle '_thread.lock' object" in NodesManager.initialize.)
        self.c.kill(target)
        survivors = [i for i in self.c.ids if i != target]
        new_leader = self.c.leader(among=survivors, timeout=10)
        deadline = time.time() + 20
        while True:
            try:
                rc = RedisCluster(host="127.0.0.1", port=self.c.client_port[survivors[0]],
                                  socket_timeout=2)
                self.assertTrue(rc.set("after-failover", "yes"))
                break
            except (redis.exceptions.RedisError, redis.exceptions.RedisClusterException) as e:
                self.assertLess(time.time(), deadline, f"no recovery: {e!r}")
                time.sleep(0.2)
        self.assertEqual(rc.get("after-failover"), b"yes")
        self.assertEqual(rc.get("c49"), b"49")
        self.assertEqual(self.c.info_raft(new_leader)["raft_role"], "leader")
        rc.close()


if __name__ == "__main__":
    unittest.main()


class KeyExpiryTest(ClusterTestCase):
    def test_expiry_through_redis_py_on_every_replica_and_after_failover(self):
        leader = self.c.leader()
        r = self.c.client(leader)
        self.assertTrue(r.set("short", "v", px=700))
        self.assertTrue(r.setex("long", 100, "x"))
        self.assertTrue(r.set("plain", "p"))
        self.assertTrue(r.expire("plain", 200))
        self.assertTrue(r.persist("plain"))
        self.assertEqual(r.ttl("plain"), -1)
        self.assertIn(r.ttl("long"), (99, 100))
        self.assertEqual(r.get("short"), b"v")
        time.sleep(1.0)
        # Past its deadline the key reads as absent at once, before any write purges it.
        self.assertIsNone(r.get("short"))
        self.assertEqual(r.ttl("short"), -2)
        self.assertEqual(r.exists("short", "long", "plain"), 2)
        # With no write at all, the leader's expiry tick purges it from every replica at the
        # same log position. (INFO answers locally, also on followers.)
        deadline = time.time() + 10
        while True:
            counts = {i: self.c.client(i).info("keyspace")["db0"] for i in self.c.ids}
            if all((db0["keys"], db0["expires"]) == (2, 1) for db0 in counts.values()):
                break
            self.assertLess(time.time(), deadline, f"not purged everywhere: {counts}")
            time.sleep(0.05)
        digests = self.c.wait_converged()
        self.assertEqual(len(set(digests.values())), 1, digests)

        # A new leader keeps the deadlines it replicated.
        self.c.kill(leader)
        survivors = [i for i in self.c.ids if i != leader]
        new_leader = self.c.leader(among=survivors, timeout=10)
        r2 = self.c.client(new_leader)
        self.assertIsNone(r2.get("short"))
        self.assertIn(r2.ttl("long"), range(90, 101))
        self.assertEqual(r2.ttl("plain"), -1)



class OperatorToolsTest(ClusterTestCase):
    def test_info_memory_clients_and_time_as_redis_tools_read_them(self):
        # redis-cli --stat reads used_memory and blocked_clients; redis-py's time() reads TIME.
        r = self.c.client(self.c.leader())
        memory = r.info("memory")
        self.assertGreater(memory["used_memory"], 0)
        self.assertGreater(memory["used_memory_rss"], 0)
        self.assertEqual(r.info("clients")["blocked_clients"], 0)
        self.assertIn("used_memory", r.info())  # in the default sections too
        r.client_setname("ops-check")
        mine = [c for c in r.client_list() if c["name"] == "ops-check"]
        self.assertEqual(len(mine), 1, r.client_list())
        self.assertEqual(int(mine[0]["id"]), r.client_id())
        self.assertEqual(mine[0]["cmd"], "client|list")  # as Redis 7.0 names it
        seconds, micros = r.time()
        self.assertLess(abs(seconds + micros / 1e6 - time.time()), 5)
        self.assertTrue(0 <= micros < 1_000_000)
