"""Long work reports its progress (issue #16 part 6): a node restarted with a long log says
in its log how the replay goes and when it is done, and INFO persistence carries Redis's
loading fields (loading:0 once replayed) and what redis-cli --stat reads."""
import re
import time
import unittest

from cluster import Cluster, ClusterTestCase


class ProgressTest(ClusterTestCase):
    nodes = 1
    # No snapshots: a restart replays the whole log.
    cluster_args = {"extra_args": ["--snapshot-entries=0", "--snapshot-bytes=0"]}

    def test_restart_replays_the_log_with_progress(self):
        self.c.leader()
        r = self.c.client(1, timeout=10)
        for chunk in range(10):
            p = r.pipeline(transaction=False)
            for k in range(2000):
                p.set(f"k{chunk}-{k}", "v" * 50)
            p.execute()
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


if __name__ == "__main__":
    unittest.main()
