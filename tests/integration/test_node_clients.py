"""Unmodified Node.js clients and applications (pinned in node/package.json) on a 3-node
cluster:
  - node-redis (the `redis` package): a tour of data types, MULTI, WATCH, scripts, SCAN,
    blocking pops and pub/sub on the leader, and its cluster client seeded with a follower
    (with sharded pub/sub);
  - Redlock over ioredis's cluster client: workers increment a counter under one lock (a
    GET and a SET that only the lock protects) while the leader is killed with SIGKILL.
    No two workers ever hold the lock at once, no acknowledged increment is lost, and the
    workers go on after the failover.
"""
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from cluster import ClusterTestCase

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def have(package):
    return shutil.which("node") and os.path.isdir(os.path.join(NODE_DIR, "node_modules", package))


class NodeRedisTest(ClusterTestCase):
    @unittest.skipUnless(have("redis"), "node and node-redis are not installed (scripts/setup.sh)")
    def test_node_redis_client_and_cluster_client(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        run = subprocess.run(
            ["node", "node_redis.js", str(self.c.client_port[leader]),
             str(self.c.client_port[follower])],
            cwd=NODE_DIR, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        got = json.loads(run.stdout)
        expected = {
            "set": "OK", "incr": 2, "hset": 2, "hgetall": {"f1": "v1", "f2": "v2"}, "zadd": 2,
            "zrange": [{"value": "a", "score": 1}, {"value": "b", "score": 2}],
            "xadd": "1-1", "xrange": [{"id": "1-1", "message": {"f": "v"}}],
            "multi": ["OK", 2, "2"], "multiError": "MultiErrorReply", "eval": "2",
            "evalsha": "xnr:k", "blpopTimeout": None,
            "scan": ["nr:a", "nr:h", "nr:m", "nr:s", "nr:t", "nr:z"],
            "watchAborted": "WatchError", "afterWatch": "theirs",
            "blpop": {"key": "nr:q", "element": "job"}, "publish": 1, "message": "hello",
            "cluster": ["OK"] * 5 + ["0", "1", "2", "3", "4"], "clusterMulti": [1, 2],
            "spublish": 1, "smessage": "sharded",
        }
        self.assertEqual(got, expected)


@unittest.skipUnless(have("redlock"), "node and redlock are not installed (scripts/setup.sh)")
class RedlockFailoverTest(ClusterTestCase):
    SECONDS = 8

    def test_one_holder_at_a_time_through_a_leader_kill(self):
        self.c.leader()
        ports = ",".join(str(self.c.client_port[i]) for i in self.c.ids)
        stderr_path = os.path.join(self.c.dir, "locks.stderr")
        with open(stderr_path, "w") as stderr:
            proc = subprocess.Popen(["node", "locks.js", ports, str(self.SECONDS)], cwd=NODE_DIR,
                                    stdout=subprocess.PIPE, stderr=stderr, text=True)
            try:
                lines = []
                reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
                reader.start()
                deadline = time.time() + 20
                while self.done(lines) < 50 and time.time() < deadline:
                    time.sleep(0.02)
                at_kill = self.done(lines)
                self.assertGreaterEqual(at_kill, 50, self.failure(stderr_path))
                self.c.kill(self.c.leader())
                proc.wait(timeout=90)
                reader.join(5)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
        self.assertEqual(proc.returncode, 0, self.failure(stderr_path))
        result = [json.loads(x)["result"] for x in lines if '"result"' in x][0]
        print(f"\nredlock: {result['done']} increments ({at_kill} before the kill), "
              f"{result['unknown']} unknown, {result['lockErrors']} lock errors "
              f"{result['errors'][:2]}")
        self.assertEqual(result["overlaps"], 0, "two workers held the lock at once")
        self.assertGreaterEqual(result["counter"], result["done"], "an increment was lost")
        self.assertLessEqual(result["counter"], result["done"] + result["unknown"], result)
        self.assertGreater(result["done"], at_kill, "no progress after the failover")

    @staticmethod
    def done(lines):
        return max((json.loads(x)["done"] for x in list(lines) if '"done"' in x), default=0)

    @staticmethod
    def failure(path):
        with open(path) as f:
            return "locks.js: " + f.read()[-4000:]


if __name__ == "__main__":
    unittest.main()
