"""Membership changes on a real cluster under a steady write load: grow 3 -> 5 and shrink
back, and replace the leader's machine. No acknowledged write may be lost; every node ends
with the same DEBUG DIGEST; the longest write stall during each change is printed. And a
member that was cut off while a new one joined and came to lead still answers that leader."""
import re
import threading
import time
import unittest

import redis

from cluster import Cluster, ClusterTestCase


class Writer:
    """Writes k<n> = v<n> to whoever leads, recording acknowledged writes and stalls."""

    def __init__(self, cluster):
        self.c = cluster
        self.acked = {}
        self.stop = threading.Event()
        self.max_gap = 0.0
        self.gaps = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n, last_ok, target = 0, time.time(), None
        deadline = time.time() + 120  # bounded whatever happens
        while not self.stop.is_set() and time.time() < deadline:
            try:
                if target is None:
                    target = self.c.leader(timeout=5)
                key, value = f"k{n}", f"v{n}"
                if self.c.client(target, timeout=2).set(key, value):
                    self.acked[key] = value.encode()
                    now = time.time()
                    self.gaps.append(now - last_ok)
                    last_ok = now
                n += 1
            except (redis.exceptions.ResponseError, redis.exceptions.ConnectionError,
                    redis.exceptions.TimeoutError, TimeoutError):
                target = None
                n += 1  # the outcome of k<n> may be unknown: never reuse the key
                time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)

    def window_stall(self):
        """Longest gap between acknowledgements since the last call."""
        gaps, self.gaps = self.gaps, []
        return max(gaps, default=0.0)


def retry(fn, timeout=20.0):
    deadline = time.time() + timeout
    while True:
        code, out = fn()
        if code == 0:
            return out
        if time.time() > deadline:
            raise AssertionError(out)
        time.sleep(0.1)


class MembershipTest(ClusterTestCase):
    def add_voter(self, i):
        self.c.add_node(i)
        retry(lambda: self.c.member("add-learner", i, f"127.0.0.1:{self.c.peer_port[i]}",
                                    f"127.0.0.1:{self.c.client_port[i]}"))
        retry(lambda: self.c.member("promote", i))  # refused until it caught up

    def check(self, writer, nodes):
        leader = self.c.leader(among=nodes)
        values = self.c.client(leader, timeout=10).mget(list(writer.acked))
        lost = [k for k, v in zip(writer.acked, values) if v != writer.acked[k]]
        self.assertEqual(lost, [], "acknowledged writes lost")
        digests = self.c.wait_converged(ids=nodes, timeout=20)
        self.assertEqual(len(set(digests.values())), 1)

    def test_grow_to_five_and_shrink_back_under_load(self):
        with Writer(self.c) as w:
            time.sleep(0.5)
            w.window_stall()
            for i in (4, 5):
                self.add_voter(i)
            grow = w.window_stall()
            out = retry(lambda: self.c.member("list"))
            for i in range(1, 6):
                self.assertRegex(out, rf"id={i} role=(leader|voter)")
            time.sleep(0.5)
            w.window_stall()
            retry(lambda: self.c.member("set-voters", 1, 2, 3))
            shrink = w.window_stall()
            time.sleep(0.5)
        print(f"longest write stall: grow 3->5 {grow * 1000:.0f} ms, "
              f"shrink 5->3 {shrink * 1000:.0f} ms; {len(w.acked)} writes acknowledged")
        self.assertGreater(len(w.acked), 50)
        info = self.c.info_raft(self.c.leader(among=[1, 2, 3]))
        self.assertEqual(info["raft_members"], "1,2,3")
        self.check(w, [1, 2, 3])

    def test_replace_the_leaders_machine(self):
        old = self.c.leader()
        with Writer(self.c) as w:
            time.sleep(0.5)
            self.add_voter(4)
            w.window_stall()
            retry(lambda: self.c.member("remove", old))  # the leader removes itself
            stall = w.window_stall()
            time.sleep(0.5)
        self.c.kill(old)
        remaining = [i for i in self.c.ids if i != old]
        new = self.c.leader(among=remaining)
        self.assertNotEqual(new, old)
        print(f"longest write stall while replacing the leader: {stall * 1000:.0f} ms; "
              f"{len(w.acked)} writes acknowledged")
        members = self.c.info_raft(new)["raft_members"]
        self.assertEqual(members, ",".join(str(i) for i in sorted(remaining)))
        self.check(w, remaining)

    def test_a_cut_off_founder_answers_a_leader_added_while_it_was_away(self):
        # The founder misses every entry naming node 4, so only node 4's handshake tells it
        # where node 4 listens. Without that it could never answer node 4, never catch up,
        # and the cluster could not commit without the founder's vote.
        leader = self.c.leader()
        away = next(i for i in self.c.ids if i != leader)
        self.c.isolate(away)
        self.add_voter(4)
        retry(lambda: self.c.member("transfer", 4, node=leader))
        self.assertEqual(self.c.leader(among=[4]), 4)
        self.assertTrue(self.c.client(4).set("while-away", "1"))
        # Node 4 dials the founder at the address the member directory gives (a founder's
        # proxy): let that one link through, so that the founder hears only node 4, and can
        # answer only by dialling node 4 directly.
        port = int(re.search(rf"peer {away} is at 127\.0\.0\.1:(\d+)",
                             self.c.log_all(4)).group(1))
        (link,) = [k for k, p in self.c.proxy_port.items() if p == port]
        self.c.proxies[link].set_cut(False)
        other = next(i for i in (1, 2, 3) if i not in (leader, away))
        self.c.wait_converged(ids=[away, 4], timeout=20)
        self.assertIn(f"peer 4 listens for peers at 127.0.0.1:{self.c.peer_port[4]}",
                      self.c.log_all(away))
        # Now the founder's vote is needed: with one of four voters gone, a write commits
        # only if the three left, the founder away among them, answer.
        self.c.kill(other)
        writer = self.c.leader(among=[leader, away, 4], timeout=20)
        self.assertTrue(self.c.client(writer, timeout=10).set("after", "2"))
        self.c.wait_converged(ids=[leader, away, 4], timeout=20)

if __name__ == "__main__":
    unittest.main()
