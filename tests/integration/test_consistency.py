"""Consistency as one client sees it, on real processes: a pipelined connection reads its
own writes, and an expired key never comes back, even when leadership moves to a node
whose wall clock is behind (--clock-offset-ms; libfaketime cannot be used: it recurses
with jemalloc's initialisation)."""
import time
import unittest

import redis

from cluster import Cluster, ClusterTestCase


class PipelineOrderTest(ClusterTestCase):
    def test_pipelined_reads_see_their_own_writes(self):
        r = self.c.client(self.c.leader(), timeout=30)
        for rnd in range(3):
            pipe = r.pipeline(transaction=False)
            for i in range(2500):
                pipe.set(f"pw:{i}", f"{rnd}.{i}")
                pipe.get(f"pw:{i}")
            replies = pipe.execute()
            wrong = [i for i in range(2500) if replies[2 * i + 1] != f"{rnd}.{i}".encode()]
            self.assertEqual(wrong[:10], [], f"round {rnd}: {len(wrong)} GETs missed their SET")

    def test_a_failing_command_mid_pipeline_keeps_the_order(self):
        r = self.c.client(self.c.leader(), timeout=30)
        r.set("po:list", "x")
        pipe = r.pipeline(transaction=False)
        pipe.set("po:a", "1")
        pipe.lpush("po:list", "y")  # WRONGTYPE
        pipe.incr("po:a")
        pipe.get("po:a")
        replies = pipe.execute(raise_on_error=False)
        self.assertIsInstance(replies[1], redis.exceptions.ResponseError)
        self.assertEqual(replies[2], 2)
        self.assertEqual(replies[3], b"2")


class SkewedClockExpiryTest(unittest.TestCase):
    """Nodes 2 and 3 run 3 s behind node 1."""

    def setUp(self):
        self.c = Cluster(3, node_extra_args={2: ["--clock-offset-ms=-3000"],
                                             3: ["--clock-offset-ms=-3000"]})

    def tearDown(self):
        self.c.close()

    def lead_on(self, node):
        deadline = time.time() + 15
        while self.c.leader() != node:
            self.assertLess(time.time(), deadline, f"node {node} did not take over")
            self.c.member("transfer", node)
            time.sleep(0.2)

    def test_a_key_read_as_expired_stays_expired_after_a_transfer(self):
        for attempt in range(4):
            self.lead_on(1)
            r1 = self.c.client(1)
            key = f"ttl:{attempt}"
            self.assertTrue(r1.set(key, "v", px=300))
            # Read it gone as early as possible, then hand over at once: before the old
            # leader's own expiry tick could purge it through the log.
            deadline = time.time() + 2
            while r1.get(key) is not None:
                self.assertLess(time.time(), deadline, "the key never expired")
                time.sleep(0.001)
            self.c.member("transfer", 2)
            self.lead_on(2)
            self.assertIsNone(self.c.client(2).get(key),
                              f"attempt {attempt}: the expired key came back on a node "
                              "whose clock is 3 s behind")

    def test_time_to_live_still_counts_down(self):
        self.lead_on(1)
        r = self.c.client(1)
        r.set("ttl:long", "v", ex=100)
        time.sleep(1.1)
        self.assertLessEqual(r.ttl("ttl:long"), 99)


if __name__ == "__main__":
    unittest.main()
