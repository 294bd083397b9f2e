"""Integration tests: a real 3-node raftkv cluster on loopback, driven by unmodified Redis
clients (redis-py and redis-cli). Each test is bounded in time and cleans up."""
import binascii
import os
import random
import socket
import subprocess
import time
import unittest

import redis

from cluster import Cluster, ClusterTestCase, seeded_random

ELECTION_S = 0.6  # 10 ms ticks x 30 election ticks = 0.3-0.6 s


def write_until_ok(c, node, key, value, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if c.client(node).set(key, value):
                return True
        except redis.exceptions.ResponseError:
            time.sleep(0.05)
    return False


class ClusterTest(ClusterTestCase):
    def test_elects_one_leader_and_followers_redirect(self):
        leader = self.c.leader()
        infos = {i: self.c.info_raft(i) for i in self.c.ids}
        self.assertEqual([i for i in infos if infos[i]["raft_role"] == "leader"], [leader])
        follower = next(i for i in self.c.ids if i != leader)
        # Followers learn the leader (and its client address) from the log.
        deadline = time.time() + 5
        while True:
            try:
                self.c.client(follower).set("k", "v")
                self.fail("a follower executed a write")
            except redis.exceptions.ResponseError as e:
                if str(e).startswith("MOVED"):
                    # Redis Cluster's slot of the key (CRC16-XMODEM mod 16384), then the leader.
                    slot = binascii.crc_hqx(b"k", 0) % 16384
                    self.assertEqual(str(e),
                                     f"MOVED {slot} 127.0.0.1:{self.c.client_port[leader]}")
                    break
                self.assertTrue(time.time() < deadline, str(e))
                time.sleep(0.05)
        # redis-cli in cluster mode follows the redirect by itself.
        out = subprocess.run(
            ["redis-cli", "-c", "-p", str(self.c.client_port[follower]), "SET", "viacli", "1"],
            capture_output=True, text=True, timeout=10)
        self.assertEqual(out.stdout.strip(), "OK", out.stderr)
        self.assertEqual(self.c.client(leader).get("viacli"), b"1")

    def test_writes_replicate_to_every_node(self):
        leader = self.c.leader()
        r = self.c.client(leader)
        pipe = r.pipeline(transaction=False)
        for k in range(300):
            pipe.set(f"key:{k}", f"value:{k}")
        self.assertTrue(all(pipe.execute()))
        self.assertEqual(r.incr("counter"), 1)
        self.assertEqual(r.append("key:0", "!"), len("value:0!"))
        digests = self.c.wait_converged()
        self.assertEqual(len(set(digests.values())), 1)
        self.assertNotEqual(list(digests.values())[0], b"0" * 32)

    def test_leader_crash_loses_no_acknowledged_write(self):
        leader = self.c.leader()
        r = self.c.client(leader)
        acked = {}
        for k in range(200):
            r.set(f"a{k}", str(k))
            acked[f"a{k}"] = str(k).encode()
        self.c.kill(leader)  # kill -9
        t0 = time.time()
        new_leader = self.c.leader(timeout=10 * ELECTION_S + 5)
        elapsed = time.time() - t0
        self.assertNotEqual(new_leader, leader)
        print(f"new leader after {elapsed:.2f}s")
        self.assertLess(elapsed, 10 * ELECTION_S + 5)
        r2 = self.c.client(new_leader)
        self.assertEqual(r2.mget(list(acked)), list(acked.values()))
        self.assertTrue(write_until_ok(self.c, new_leader, "after", "crash"))
        # The old leader restarts from its disk and catches up.
        self.c.start(leader)
        digests = self.c.wait_converged(timeout=15)
        self.assertEqual(len(set(digests.values())), 1)

    def test_majority_down_no_writes_and_no_stale_reads(self):
        leader = self.c.leader()
        self.c.client(leader).set("x", "1")
        others = [i for i in self.c.ids if i != leader]
        for i in others:
            self.c.kill(i)
        r = self.c.client(leader, timeout=10)
        with self.assertRaises(redis.exceptions.ResponseError):
            r.set("x", "2")  # never acknowledged without a majority
        with self.assertRaises(redis.exceptions.ResponseError):
            r.get("x")  # a read it cannot confirm is refused, not answered stale

    def test_isolated_leader_stops_serving(self):
        leader = self.c.leader()
        self.c.client(leader).set("k", "old")
        self.c.isolate(leader)
        others = [i for i in self.c.ids if i != leader]
        new_leader = self.c.leader(among=others, timeout=10)
        self.assertTrue(write_until_ok(self.c, new_leader, "k", "new"))
        # The old leader must not answer with the stale value.
        r = self.c.client(leader, timeout=10)
        try:
            value = r.get("k")
            self.fail(f"isolated old leader answered a read: {value!r}")
        except redis.exceptions.ResponseError as e:
            self.assertRegex(str(e), "^(MOVED|CLUSTERDOWN|TRYAGAIN)")
        self.c.heal()
        self.c.wait_converged(timeout=15)
        self.assertEqual(self.c.client(self.c.leader()).get("k"), b"new")

    def test_session_write_applies_once(self):
        leader = self.c.leader()
        r = self.c.client(leader)
        session = r.execute_command("SESSION", "OPEN")
        first = r.execute_command("SEQ", session, 1, "INCRBY", "ctr", 5)
        again = r.execute_command("SEQ", session, 1, "INCRBY", "ctr", 5)
        self.assertEqual(first, 5)
        self.assertEqual(again, 5)  # the original reply, not applied twice
        self.assertEqual(r.get("ctr"), b"5")
        # After a failover the retry is still recognised.
        self.c.kill(leader)
        new_leader = self.c.leader(timeout=10)
        r2 = self.c.client(new_leader)
        deadline = time.time() + 10
        while True:
            try:
                self.assertEqual(r2.execute_command("SEQ", session, 1, "INCRBY", "ctr", 5), 5)
                break
            except redis.exceptions.ResponseError:
                self.assertLess(time.time(), deadline)
                time.sleep(0.05)
        self.assertEqual(r2.get("ctr"), b"5")

    def test_malformed_and_random_input_never_crashes_a_node(self):
        rng, seed = seeded_random()
        payloads = [
            b"*-5\r\n", b"$999999999999\r\n", b"*2\r\n$3\r\nGET\r\n$-7\r\n",
            b"*1\r\n$4\r\nPIN", b"\x00\xff\r\n\r\n", b"*3\r\n:1\r\n", b"\"unbalanced\r\n",
        ]
        payloads += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
                     for _ in range(60)]
        for node in self.c.ids:
            for p in payloads:
                with socket.create_connection(("127.0.0.1", self.c.client_port[node]), 2) as s:
                    s.settimeout(0.5)
                    try:
                        s.sendall(p)
                        s.recv(4096)
                    except OSError:
                        pass
        for node in self.c.ids:
            self.assertTrue(self.c.alive(node), f"node {node} died (seed {seed})")
            self.assertTrue(self.c.client(node).ping())


class CommandLineTest(unittest.TestCase):
    def run_raftkv(self, *args):
        return subprocess.run([os.environ["RAFTKV_BIN"], *args], capture_output=True,
                              text=True, timeout=10)

    def test_wrong_flags_exit_2_with_a_message(self):
        cases = [
            ["serve"],
            ["serve", "--id=1", "--data-dir=/tmp/x", "--listen-client=nope",
             "--listen-peer=127.0.0.1:1", "--initial-cluster=1=127.0.0.1:1"],
            ["serve", "--id=4", "--data-dir=/tmp/x", "--listen-client=127.0.0.1:1",
             "--listen-peer=127.0.0.1:2", "--initial-cluster=1=127.0.0.1:2"],
            ["serve", "--bogus"],
            ["frobnicate"],
        ]
        for args in cases:
            r = self.run_raftkv(*args)
            self.assertEqual(r.returncode, 2, f"{args}: {r.stdout} {r.stderr}")
            self.assertTrue(r.stderr.strip(), f"{args}: no message")

    def test_data_dir_of_another_node_is_refused(self):
        c = Cluster(1)
        try:
            c.stop(1)
            args = c.args(1)
            args[2] = "--id=2"
            args[-4] = args[-4]  # keep the rest
            args = [a if not a.startswith("--initial-cluster") else
                    "--initial-cluster=2=127.0.0.1:%d" % c.peer_port[1] for a in args]
            r = subprocess.run(args, capture_output=True, text=True, timeout=10)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("belongs to node 1", r.stderr + r.stdout)
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main()
