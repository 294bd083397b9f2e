"""A 3-node cluster on a real (virtual) network: each node in its own network namespace,
joined by veth pairs to a bridge in a switch namespace, clients in a namespace of their own.
A partition is a blackhole route, as on a real network: no proxy in the path.

The isolated leader must stop serving (no stale read, no acknowledged write), the majority
must elect a new leader and take writes, and after the partition heals the old leader must
rejoin and converge. Needs root and `ip netns` (iproute2); everything created here (the
namespaces, and with them their links and routes, and the processes) is removed in
tearDown, also when the test fails."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from cluster import ClusterTestCase, log_tail

BINARY = os.environ.get("RAFTKV_BIN")
SUBNET = "10.77.0"


def run(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=20)


def netns_available():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    name = f"rkvprobe{os.getpid()}"
    if run("ip", "netns", "add", name, check=False).returncode != 0:
        return False
    run("ip", "netns", "del", name, check=False)
    return True


class NetnsCluster:
    def __init__(self, n=3):
        self.n = n
        self.ids = list(range(1, n + 1))
        self.tag = f"rkv{os.getpid() % 100000}"
        self.switch = f"{self.tag}sw"
        self.client_ns = f"{self.tag}cl"
        self.node_ns = {i: f"{self.tag}n{i}" for i in self.ids}
        self.created = []
        self.procs = {}
        self.dir = tempfile.mkdtemp(prefix="raftkv-netns-")
        try:
            self._build_network()
            for i in self.ids:
                self.start(i)
        except Exception:
            self.close()
            raise

    def ip_of(self, i):
        return f"{SUBNET}.{i}"

    def _netns(self, name):
        run("ip", "netns", "add", name)
        self.created.append(name)
        run("ip", "-n", name, "link", "set", "lo", "up")

    def _build_network(self):
        self._netns(self.switch)
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")
        hosts = [(self.node_ns[i], self.ip_of(i), f"p{i}") for i in self.ids]
        hosts.append((self.client_ns, f"{SUBNET}.100", "pc"))
        for ns, address, port in hosts:
            self._netns(ns)
            # One veth pair, created directly in the two namespaces (nothing in the host's).
            run("ip", "link", "add", "eth0", "netns", ns, "type", "veth",
                "peer", "name", port, "netns", self.switch)
            run("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", self.switch, "link", "set", port, "master", "br0")
            run("ip", "-n", self.switch, "link", "set", port, "up")

    def start(self, i):
        members = ",".join(f"{j}={self.ip_of(j)}:7379" for j in self.ids)
        log = open(f"{self.dir}/node{i}.log", "ab")
        self.procs[i] = subprocess.Popen(
            ["ip", "netns", "exec", self.node_ns[i], BINARY, "serve", f"--id={i}",
             f"--data-dir={self.dir}/node{i}", f"--listen-client={self.ip_of(i)}:6379",
             f"--listen-peer={self.ip_of(i)}:7379", f"--initial-cluster={members}",
             "--tick-ms=10", "--election-ticks=30", "--heartbeat-ticks=3",
             # The test's clients reach the nodes from another namespace, not on loopback.
             "--protected-mode=no"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def cli(self, i, *args, timeout=3):
        """redis-cli from the client namespace; returns its output (stripped)."""
        try:
            r = subprocess.run(["ip", "netns", "exec", self.client_ns, "redis-cli", "-h",
                                self.ip_of(i), "-p", "6379", *[str(a) for a in args]],
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "(timeout)"
        return (r.stdout + r.stderr).strip()

    def info_raft(self, i):
        out = self.cli(i, "INFO", "raft")
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        return fields if "raft_role" in fields else None

    def leader(self, among=None, timeout=10.0):
        among = among or self.ids
        deadline = time.time() + timeout
        while time.time() < deadline:
            best = None
            for i in among:
                info = self.info_raft(i)
                if info and info["raft_role"] == "leader":
                    term = int(info["raft_term"])
                    if best is None or term > best[1]:
                        best = (i, term)
            if best:
                return best[0]
            time.sleep(0.05)
        raise TimeoutError(f"no leader among {among} within {timeout}s")

    def blackhole(self, a, b):
        """Drops everything between nodes a and b, in both directions."""
        run("ip", "-n", self.node_ns[a], "route", "add", "blackhole", f"{self.ip_of(b)}/32")
        run("ip", "-n", self.node_ns[b], "route", "add", "blackhole", f"{self.ip_of(a)}/32")

    def heal(self):
        for i in self.ids:
            for j in self.ids:
                if i != j:
                    run("ip", "-n", self.node_ns[i], "route", "del", "blackhole",
                        f"{self.ip_of(j)}/32", check=False)

    def log_text(self, i):
        return log_tail(f"{self.dir}/node{i}.log")

    def close(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=10)
        for name in reversed(self.created):
            run("ip", "netns", "del", name, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(BINARY and netns_available(), "needs RAFTKV_BIN, root and ip netns")
class NetnsPartitionTest(ClusterTestCase):
    def setUp(self):
        self.c = NetnsCluster(3)

    def tearDown(self):
        super().tearDown()  # prints the logs of a failed test, then closes the cluster
        leftovers = run("ip", "netns", "list").stdout
        self.assertNotIn(self.c.tag, leftovers, "namespaces left behind")

    def test_isolated_leader_stops_serving_and_the_majority_goes_on(self):
        c = self.c
        old = c.leader()
        self.assertEqual(c.cli(old, "SET", "k", "before"), "OK")
        others = [i for i in c.ids if i != old]
        for j in others:
            c.blackhole(old, j)

        new = c.leader(among=others, timeout=10)
        self.assertNotEqual(new, old)
        self.assertEqual(c.cli(new, "SET", "k", "after"), "OK")

        # The old leader steps down (CheckQuorum) and never serves the stale value, nor
        # acknowledges a write. It may take an election timeout to notice.
        deadline = time.time() + 5
        while c.info_raft(old)["raft_role"] == "leader":
            self.assertLess(time.time(), deadline, "the isolated leader did not step down")
            time.sleep(0.05)
        for _ in range(5):
            self.assertNotEqual(c.cli(old, "GET", "k"), "before", "stale read")
            self.assertNotEqual(c.cli(old, "SET", "k", "lost"), "OK", "write acknowledged")

        c.heal()
        deadline = time.time() + 15
        while True:
            infos = {i: c.info_raft(i) for i in c.ids}
            applied = {i: int(v["raft_applied_index"]) for i, v in infos.items() if v}
            digests = {i: c.cli(i, "DEBUG", "DIGEST") for i in c.ids}
            if (len(applied) == 3 and len(set(applied.values())) == 1 and
                    len(set(digests.values())) == 1):
                break
            self.assertLess(time.time(), deadline, f"no convergence: {applied} {digests}")
            time.sleep(0.1)
        self.assertEqual(infos[old]["raft_role"], "follower")
        leader = c.leader()
        self.assertEqual(c.cli(leader, "GET", "k"), "after")


if __name__ == "__main__":
    unittest.main()
