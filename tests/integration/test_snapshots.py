"""Integration tests of snapshots and log compaction with real raftkv processes: a follower
that missed compacted entries comes back through InstallSnapshot (chunked) and converges,
disk use stays bounded under a long (bounded) write load, a node restarts from its
snapshot, BGSAVE works, and a damaged snapshot stops a node with a clear error."""
import glob
import os
import time
import unittest

import redis

from cluster import Cluster, ClusterTestCase


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def write_batch(c, node, prefix, n, size=100, timeout=30.0):
    """Writes n keys through a pipeline at `node` (retrying redirects and errors)."""
    deadline = time.time() + timeout
    value = "v" * size
    done = 0
    while done < n and time.time() < deadline:
        try:
            cl = c.client(node, timeout=5)
            p = cl.pipeline(transaction=False)
            chunk = min(500, n - done)
            for k in range(done, done + chunk):
                p.set(f"{prefix}{k}", value)
            p.execute()
            done += chunk
        except (redis.exceptions.ResponseError, redis.exceptions.ConnectionError,
                redis.exceptions.TimeoutError):
            time.sleep(0.05)
            node = c.leader()
    if done < n:
        raise AssertionError(f"wrote only {done} of {n} keys")
    return node


def persistence(c, i):
    return c.client(i, timeout=5).info("persistence")


class SnapshotTest(ClusterTestCase):
    def setUp(self):
        # Small thresholds so a few thousand writes take several snapshots.
        # Small log segments, so compaction (which deletes whole segments) visibly
        # reclaims space within this short test.
        self.c = Cluster(3, extra_args=["--snapshot-entries=2000", "--snapshot-bytes=0",
                                        "--wal-segment-bytes=262144",
                                        # a hung snapshot child is killed and retried
                                        "--snapshot-timeout-ms=5000"])

    def wait_snapshot(self, i, above, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            info = persistence(self.c, i)
            if info["last_snapshot_index"] > above and info["snapshot_in_progress"] == 0:
                return info
            time.sleep(0.05)
        self.fail(f"node {i} took no snapshot past {above}: {persistence(self.c, i)}")

    def test_stopped_follower_catches_up_through_install_snapshot(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        write_batch(self.c, leader, "before:", 500)
        self.c.wait_converged()
        self.c.kill(follower)
        leader = write_batch(self.c, leader, "while-down:", 8000)
        info = self.wait_snapshot(leader, 5000)
        self.assertGreater(info["log_first_index"], 5000, "the leader compacted its log")
        self.c.start(follower)
        self.c.wait_converged(timeout=30)
        self.assertGreaterEqual(persistence(self.c, follower)["snapshots_installed"], 1)
        self.assertGreaterEqual(persistence(self.c, leader)["snapshot_transfers_completed"], 1)
        keyspace = self.c.client(follower).info("keyspace")  # DBSIZE would redirect
        self.assertEqual(keyspace["db0"]["keys"], 8500)
        # And it keeps replicating normally afterwards.
        write_batch(self.c, self.c.leader(), "after:", 200)
        self.c.wait_converged(timeout=20)

    def test_disk_use_stays_bounded_under_a_long_write_load(self):
        leader = self.c.leader()
        sizes = []
        for round_ in range(8):  # 8 x 3000 overwrites of the same 3000 keys
            leader = write_batch(self.c, leader, "k:", 3000, size=200)
            self.wait_snapshot(leader, (round_ + 1) * 2000)
            sizes.append(dir_bytes(f"{self.c.dir}/node{leader}"))
        # The state is constant (3000 keys), so after compaction the disk use must not keep
        # growing with the number of writes: the last size is close to the early ones.
        print(f"disk use of the leader after each round (bytes): {sizes}")
        self.assertLess(sizes[-1], 2.5 * max(sizes[:3]), sizes)
        # INFO reports a snapshot as soon as the log records it; the disk thread deletes the
        # one it replaces right after. So the old file goes away within moments, and stays
        # gone: one snapshot file, not one per round.
        pattern = f"{self.c.dir}/node{leader}/raft/snap-*.snap"
        deadline = time.time() + 5
        while len(glob.glob(pattern)) > 1 and time.time() < deadline:
            time.sleep(0.05)
        snaps = glob.glob(pattern)
        self.assertEqual(len(snaps), 1, snaps)

    def test_restart_loads_the_snapshot_and_replays_only_the_tail(self):
        leader = self.c.leader()
        write_batch(self.c, leader, "a:", 5000)
        # Every node snapshots once 2000 entries are applied (when exactly depends on how
        # many a tick sees arrive), so each restarts from a snapshot plus a log tail.
        for i in self.c.ids:
            self.wait_snapshot(i, 1999)
        self.c.wait_converged()
        before = self.c.digests()
        for i in self.c.ids:
            self.c.stop(i)
        for i in self.c.ids:
            self.c.start(i)
        self.c.leader()
        self.assertEqual(self.c.wait_converged(timeout=20), before)
        for i in self.c.ids:
            self.assertIn("restored snapshot at index", self.c.log_all(i))

    def test_bgsave_takes_a_snapshot_now(self):
        leader = self.c.leader()
        write_batch(self.c, leader, "b:", 300)
        cl = self.c.client(leader)
        self.assertTrue(cl.execute_command("BGSAVE"))  # redis-py reads the status as True
        info = self.wait_snapshot(leader, 299)
        self.assertEqual(info["last_snapshot_status"], "ok")

    def test_damaged_snapshot_stops_the_node_with_a_clear_error(self):
        leader = self.c.leader()
        write_batch(self.c, leader, "d:", 300)
        self.c.client(leader).execute_command("BGSAVE")
        self.wait_snapshot(leader, 299)
        self.c.stop(leader)
        snap = glob.glob(f"{self.c.dir}/node{leader}/raft/snap-*.snap")[0]
        with open(snap, "r+b") as f:
            f.seek(os.path.getsize(snap) // 2)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 0xFF]))
        with self.assertRaises(RuntimeError) as ctx:
            self.c.start(leader)
        self.assertIn(os.path.basename(snap), str(ctx.exception))


class SnapshotGrowthTest(ClusterTestCase):
    """The bytes threshold grows with the last image (like Redis's AOF rewrite), so a large
    state is not rewritten after every few writes."""

    def setUp(self):
        self.c = Cluster(1, extra_args=["--snapshot-entries=0", "--snapshot-bytes=20000",
                                        "--snapshot-growth-percent=100",
                                        # a hung snapshot child (seen under ASan) is killed
                                        "--snapshot-timeout-ms=5000"])

    def taken_when_idle(self, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            info = persistence(self.c, 1)
            if info["snapshot_in_progress"] == 0:
                return info["snapshots_taken"]
            time.sleep(0.05)
        self.fail("a snapshot never finished")

    def bgsave(self, timeout=60.0):
        # The policy may have just started a snapshot of its own (the writes above passed
        # the minimum): BGSAVE is refused while one runs, so wait and ask again. And a
        # snapshot child that hangs is killed: ask again until one is taken.
        # If the policy's own snapshot already covers the applied index, BGSAVE has nothing
        # new to write (and takes none): that image is the whole state too.
        deadline = time.time() + timeout
        while time.time() < deadline:
            before = self.taken_when_idle()
            applied = int(self.c.info_raft(1)["raft_applied_index"])
            try:
                self.c.client(1).execute_command("BGSAVE")
            except redis.exceptions.ResponseError as e:
                if "already being taken" not in str(e):
                    raise
                continue
            if self.taken_when_idle() > before:
                return
            if int(persistence(self.c, 1)["last_snapshot_index"]) >= applied:
                return
        self.fail("BGSAVE never took a snapshot")

    def write_slowly(self, prefix, n, size):
        # Chunks of 20 writes, each about half the minimum threshold, with a pause longer
        # than a tick: a fixed threshold would snapshot many times during this.
        for start in range(0, n, 20):
            write_batch(self.c, 1, f"{prefix}{start}:", 20, size=size)
            time.sleep(0.015)

    def test_a_large_image_waits_for_its_size_in_new_writes(self):
        write_batch(self.c, 1, "big:", 2000, size=500)  # about 1 MB of state
        self.bgsave()  # an image of the whole state: the size to wait for from now on
        base = self.taken_when_idle()
        self.write_slowly("a", 600, 500)  # about 0.3 MB: under the image's size
        self.assertEqual(self.taken_when_idle(), base, "snapshot before the image size")
        self.write_slowly("b", 1600, 500)  # now well past it
        self.assertGreater(self.taken_when_idle(), base, "no snapshot past the image size")


if __name__ == "__main__":
    unittest.main()
