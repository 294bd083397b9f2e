"""Backup and disaster recovery end to end with real processes (docs/operations.md,
"Backup and recovery"): a 3-node cluster loses two members' data directories for good and
comes back (a) from the survivor, made a one-node cluster by `raftkv recover
--force-new-cluster` and then grown again with a new member added as a learner, or (b)
from a backup taken with `raftkv snapshot save` while it was serving, restored into a new
cluster with `raftkv snapshot restore`. Each ends with the keys it should have."""
import os
import re
import shutil
import subprocess
import time

import redis

from cluster import BINARY, ClusterTestCase, free_ports, log_tail


def run(*args, timeout=60):
    r = subprocess.run([BINARY, *[str(a) for a in args]], capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def write_keys(c, prefix, n):
    node = c.leader()
    p = c.client(node, timeout=5).pipeline(transaction=False)
    for k in range(n):
        p.set(f"{prefix}{k}", f"value-{k}")
    p.execute()


def missing_keys(c, node, prefix, n):
    r = c.client(node, timeout=5)
    values = r.mget([f"{prefix}{k}" for k in range(n)])
    return [k for k, v in enumerate(values) if v != f"value-{k}".encode()]


class DisasterRecoveryTest(ClusterTestCase):
    def lose_all_but(self, survivors):
        for i in self.c.ids:
            self.c.kill(i)
        for i in self.c.ids:
            if i not in survivors:
                shutil.rmtree(f"{self.c.dir}/node{i}")

    def test_force_new_cluster_from_the_survivor(self):
        write_keys(self.c, "k", 300)
        self.c.wait_converged()
        self.lose_all_but([1])
        # Alone, the survivor cannot elect itself: 1 of 3 is no majority.
        self.c.start(1)
        time.sleep(1.5)
        self.assertNotEqual(self.c.info_raft(1)["raft_role"], "leader")
        self.c.stop(1)
        code, out = run("recover", "--data-dir", f"{self.c.dir}/node1")
        self.assertEqual(code, 2, out)  # the flag that says one means it is required
        code, out = run("recover", "--force-new-cluster", "--data-dir", f"{self.c.dir}/node1")
        self.assertEqual(code, 0, out)
        self.assertIn("node 1 of cluster 'raftkv' is now its only member", out)
        self.c.start(1)
        self.assertEqual(self.c.leader(among=[1]), 1)
        self.assertEqual(missing_keys(self.c, 1, "k", 300), [])
        self.assertEqual(str(self.c.info_raft(1)["raft_members"]), "1")
        self.c.client(1).set("after", "recovery")
        # Grow it again: a new member with an empty data directory joins as a learner,
        # catches up and is promoted.
        self.c.add_node(4)
        code, out = self.c.member("add-learner", 4, f"127.0.0.1:{self.c.peer_port[4]}",
                                  f"127.0.0.1:{self.c.client_port[4]}", node=1)
        self.assertEqual(code, 0, out)
        deadline = time.time() + 20
        while True:
            code, out = self.c.member("promote", 4, node=1)
            if code == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(code, 0, out)
        self.assertEqual(self.c.info_raft(1)["raft_members"], "1,4")
        self.c.wait_converged(ids=[1, 4], timeout=20)

    def test_backup_of_a_live_cluster_restored_into_a_new_one(self):
        write_keys(self.c, "a", 200)
        backup = f"{self.c.dir}/backup.snap"
        follower = next(i for i in self.c.ids if i != self.c.leader())
        # Asked of a follower, which redirects to the leader; taken at a read index, so
        # it holds every write acknowledged before it.
        code, out = run("snapshot", "save", backup, "-s",
                        f"127.0.0.1:{self.c.client_port[follower]}")
        self.assertEqual(code, 0, out)
        self.assertIn("saved snapshot at index", out)
        write_keys(self.c, "b", 50)  # after the backup: not in it
        self.lose_all_but([])
        # A damaged backup is refused before anything is written.
        damaged = f"{self.c.dir}/damaged.snap"
        with open(backup, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        with open(damaged, "wb") as f:
            f.write(data)
        code, out = run("snapshot", "restore", damaged, "--data-dir", f"{self.c.dir}/node1",
                        "--id", 1, "--initial-cluster", "1=127.0.0.1:1")
        self.assertEqual(code, 1, out)
        self.assertFalse(os.path.exists(f"{self.c.dir}/node1"))
        for i in self.c.ids:
            members = [a for a in self.c.args(i) if a.startswith("--initial-cluster=")][0]
            code, out = run("snapshot", "restore", backup, "--data-dir", f"{self.c.dir}/node{i}",
                            "--id", i, members, "--cluster-id", "restored")
            self.assertEqual(code, 0, out)
        code, out = run("snapshot", "restore", backup, "--data-dir", f"{self.c.dir}/node1",
                        "--id", 1, "--initial-cluster", "1=127.0.0.1:1")
        self.assertEqual(code, 1, out)  # not into a directory in use
        # A new cluster: its members refuse to start as the old one.
        with self.assertRaises(RuntimeError):
            self.c.start(1)
        self.assertIn("belongs to node 1 of cluster 'restored'", self.c.log_text(1))
        self.c.extra_args.append("--cluster-id=restored")
        for i in self.c.ids:
            self.c.start(i)
        leader = self.c.leader()
        self.assertEqual(missing_keys(self.c, leader, "a", 200), [])
        self.assertEqual(self.c.client(leader).exists(*[f"b{k}" for k in range(50)]), 0)
        self.c.client(leader).set("after", "restore")
        self.c.wait_converged()
        self.restore_onto_other_members(backup)

    def restore_onto_other_members(self, backup):
        """The same backup as a one-node cluster of node 7, on other ports, under the
        cluster id restore derives by default: the snapshot's configuration and member
        addresses are the new ones, so node 7 elects itself and serves the keys."""
        client_port, peer_port = free_ports(2)
        data_dir = f"{self.c.dir}/node7"
        code, out = run("snapshot", "restore", backup, "--data-dir", data_dir, "--id", 7,
                        "--initial-cluster", f"7=127.0.0.1:{peer_port}")
        self.assertEqual(code, 0, out)
        cluster_id = re.search(r"of cluster '(restored-[0-9a-f]{8})'", out).group(1)
        log = open(f"{self.c.dir}/node7.log", "ab")
        self.addCleanup(log.close)
        proc = subprocess.Popen(
            [BINARY, "serve", "--id=7", f"--data-dir={data_dir}",
             f"--listen-client=127.0.0.1:{client_port}", f"--listen-peer=127.0.0.1:{peer_port}",
             f"--initial-cluster=7=127.0.0.1:{peer_port}", f"--cluster-id={cluster_id}",
             "--tick-ms=10", "--election-ticks=30", "--heartbeat-ticks=3"],
            stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.kill)
        r = redis.Redis(port=client_port, socket_timeout=2)
        deadline = time.time() + 15
        role = None
        while time.time() < deadline and role != "leader":
            try:
                role = r.info("raft")["raft_role"]
            except redis.exceptions.ConnectionError:
                pass
            time.sleep(0.05)
        self.assertEqual(role, "leader", log_tail(f"{self.c.dir}/node7.log"))
        self.assertEqual(str(r.info("raft")["raft_members"]), "7")
        values = r.mget([f"a{k}" for k in range(200)])
        self.assertEqual(values, [f"value-{k}".encode() for k in range(200)])


if __name__ == "__main__":
    import unittest
    unittest.main()
