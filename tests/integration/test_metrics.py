"""Integration tests of --listen-metrics: a real 3-node cluster serving /metrics (parsed
with prometheus_client's own parser, so the exposition must be valid), /health and /ready.
Each test is bounded in time and cleans up its processes."""
import json
import time
import unittest
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from cluster import ClusterTestCase

# etcd's disk buckets, which the WAL histograms share: 0.001 * 2^k s, k = 0..13, and +Inf.
ETCD_DISK_BUCKETS = [0.001 * 2 ** k for k in range(14)] + [float("inf")]


def get(c, i, path):
    """(status, body) of GET http://<node i's metrics address><path>."""
    url = f"http://127.0.0.1:{c.metrics_port[i]}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(c, i):
    """Node i's samples: {(sample name, ((label, value), ...)): value}."""
    status, body = get(c, i, "/metrics")
    assert status == 200, (status, body)
    samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class MetricsTest(ClusterTestCase):
    cluster_args = {"metrics": True}

    def test_health_and_ready_on_every_node_with_a_leader(self):
        leader = self.c.leader()
        for i in self.c.ids:
            # Followers learn the leader from its heartbeats: wait for that, then all agree.
            wait_for(lambda: get(self.c, i, "/health")[0] == 200, what=f"node {i} healthy")
            status, body = get(self.c, i, "/health")
            self.assertEqual(json.loads(body), {"health": "true", "reason": ""})
            self.assertEqual(get(self.c, i, "/ready")[0], 200)
            samples = scrape(self.c, i)
            self.assertEqual(value(samples, "raftkv_server_has_leader"), 1)
            self.assertEqual(value(samples, "raftkv_server_is_leader"), 1 if i == leader else 0)
            self.assertEqual(value(samples, "raftkv_server_leader_id"), leader)
            self.assertGreaterEqual(value(samples, "raftkv_server_leader_changes_seen_total"), 1)
            self.assertEqual(value(samples, "raftkv_disk_failed"), 0)
        self.assertEqual(get(self.c, leader, "/nothing")[0], 404)

    def test_values_move_with_load(self):
        leader = self.c.leader()
        followers = [i for i in self.c.ids if i != leader]
        before = scrape(self.c, leader)
        r = self.c.client(leader)
        pipe = r.pipeline(transaction=False)
        for k in range(200):
            pipe.set(f"m:{k}", "v")
        pipe.execute()
        for k in range(50):
            self.assertEqual(r.get(f"m:{k}"), b"v")
        with self.assertRaises(Exception):
            r.execute_command("INCR", "m:0")  # not an integer: the command's own error
        after = scrape(self.c, leader)

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertGreaterEqual(delta("raftkv_commands_total", command="set", result="ok"), 200)
        self.assertGreaterEqual(delta("raftkv_commands_total", command="get", result="ok"), 50)
        self.assertEqual(delta("raftkv_commands_total", command="incr", result="error"), 1)
        self.assertGreaterEqual(delta("raftkv_server_proposals_committed_total"), 200)
        self.assertGreaterEqual(delta("raftkv_server_proposals_applied_total"), 200)
        self.assertGreater(delta("raftkv_disk_wal_fsync_duration_seconds_count"), 0)
        self.assertGreater(delta("raftkv_disk_wal_write_bytes_total"), 200 * 4)
        self.assertEqual(value(after, "raftkv_keys"), 200)
        for f in followers:
            self.assertGreater(delta("raftkv_network_peer_sent_bytes_total", peer=str(f)), 0)
            self.assertIn(("raftkv_raft_follower_lag_entries", (("peer", str(f)),)), after)
        # The fsync histogram has etcd's buckets, cumulative up to the count.
        bounds = sorted(float(dict(labels)["le"]) for (name, labels) in after
                        if name == "raftkv_disk_wal_fsync_duration_seconds_bucket")
        self.assertEqual(len(bounds), len(ETCD_DISK_BUCKETS))
        for got, want in zip(bounds, ETCD_DISK_BUCKETS):
            self.assertAlmostEqual(got, want)
        self.assertEqual(
            value(after, "raftkv_disk_wal_fsync_duration_seconds_bucket", le="+Inf"),
            value(after, "raftkv_disk_wal_fsync_duration_seconds_count"))

        # Followers apply the same writes, and count what they redirect.
        f = followers[0]
        wait_for(lambda: value(scrape(self.c, f), "raftkv_keys") == 200, what="follower keys")
        with self.assertRaises(Exception):
            self.c.client(f).set("m:x", "v")  # -MOVED
        self.assertEqual(
            value(scrape(self.c, f), "raftkv_commands_total", command="set", result="redirect"), 1)
        self.assertGreater(
            value(scrape(self.c, f), "raftkv_network_peer_received_bytes_total", peer=str(leader)),
            0)

    def test_health_fails_without_a_leader(self):
        self.c.leader()
        survivor = self.c.ids[0]
        for i in self.c.ids[1:]:
            self.c.kill(i)
        # Alone, it loses (or never regains) the leader within an election timeout or two.
        wait_for(lambda: get(self.c, survivor, "/health")[0] == 503, what="health 503")
        status, body = get(self.c, survivor, "/health")
        self.assertEqual(json.loads(body), {"health": "false", "reason": "no leader"})
        self.assertEqual(get(self.c, survivor, "/ready")[0], 503)
        self.assertEqual(value(scrape(self.c, survivor), "raftkv_server_has_leader"), 0)


if __name__ == "__main__":
    unittest.main()
