"""Long work reports its progress (issue #16 part 6): a node restarted with a long log says
in its log how the replay goes and when it is done, and INFO persistence carries Redis's
loading fields (loading:0 once replayed) and what redis-cli --stat reads."""
import re
import time
import unittest

import redis

from cluster import Cluster, ClusterTestCase


class ProgressTest(ClusterTestCase):
    nodes = 1
    # No snapshots: a restart replays the whole log.
    cluster_args = {"extra_args": ["--snapshot-entries=0", "--snapshot-bytes=0"]}

    def write_entries(self, chunks=10, per_chunk=2000, value_size=50):
        r = self.c.client(1, timeout=10)
        for chunk in range(chunks):
            p = r.pipeline(transaction=False)
            for k in range(per_chunk):
                p.set(f"k{chunk}-{k}", "v" * value_size)
            p.execute()
        return r

    def test_restart_replays_the_log_with_progress(self):
        self.c.leader()
        r = self.write_entries()
        persistence = r.info("persistence")
        self.assertEqual(persistence["loading"], 0)
        self.assertEqual(persistence["bgsave_in_progress"], 0)
        self.assertEqual(persistence["aof_rewrite_in_progress"], 0)
        # The commit index reaches the disk with a later batch; replay stops at what it says.
        time.sleep(1)
        self.c.stop(1)
        self.c.start(1)
        self.c.leader()
        deadline = time.time() + 20
        while time.time() < deadline and "log replayed" not in self.c.log_text(1):
            time.sleep(0.1)
        log = self.c.log_text(1)
        started = re.search(r"replaying the log: entries 1 to (\d+) \((\d+) entries\)", log)
        self.assertIsNotNone(started, log)
        # Entries past the stored commit index are applied after the election instead.
        self.assertGreater(int(started.group(2)), 1000)
        done = re.search(r"log replayed: (\d+) entries applied in \d+ ms", log)
        self.assertIsNotNone(done, log)
        self.assertEqual(done.group(1), started.group(2))
        persistence = self.c.client(1).info("persistence")
        self.assertEqual(persistence["loading"], 0)
        self.assertNotIn("loading_eta_seconds", persistence)
        self.assertEqual(self.c.client(1).dbsize(), 20000)

    def test_info_says_loading_while_the_replay_runs(self):
        self.c.leader()
        self.write_entries(value_size=1000)
        time.sleep(1)
        self.c.stop(1)
        # 100 us before each entry: the replay of 20 MB in 20,000 entries lasts about 3 s,
        # applied a megabyte per turn of the event loop, so INFO is answered in between.
        self.c.node_extra_args[1] = ["--key-load-delay=100"]
        self.c.start(1)
        seen = []
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                p = self.c.client(1, timeout=10).info("persistence")
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                time.sleep(0.02)  # not listening yet, or a turn of the replay is long
                continue
            seen.append(p)
            if p["loading"] == 0 and any(s["loading"] == 1 for s in seen):
                break
            time.sleep(0.05)
        loading = [s for s in seen if s["loading"] == 1]
        self.assertTrue(loading, seen[-3:])
        first = loading[0]
        self.assertGreater(first["loading_total_entries"], 10000)
        self.assertLess(first["loading_loaded_entries"], first["loading_total_entries"])
        self.assertGreaterEqual(first["loading_loaded_perc"], 0)
        self.assertLess(first["loading_loaded_perc"], 100)
        self.assertIn("loading_eta_seconds", first)
        # Answered between turns: more than once, with progress in between.
        self.assertGreater(loading[-1]["loading_loaded_entries"], first["loading_loaded_entries"])
        # Then the replay ends, and the node has every key.
        self.assertEqual(seen[-1]["loading"], 0, seen[-1])
        self.c.leader()
        self.assertEqual(self.c.client(1).dbsize(), 20000)


if __name__ == "__main__":
    unittest.main()
