"""Real raftkv processes on loopback for integration tests.

Every peer link goes through its own TCP proxy (node i reaches node j at proxy port P(i,j)),
so a test can partition any pair of nodes, isolate a leader, and heal, without root,
iptables or tc. Processes, proxies and data directories are cleaned up on close, also
when a test fails.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import redis

BINARY = os.environ.get("RAFTKV_BIN", "")


def env_port_range(name):
    """(low, high + 1) from an environment variable "LOW-HIGH", or None when it is unset: lets
    a machine shared with other clusters give tests ports of their own, e.g.
    RAFTKV_IT_CLIENT_PORTS=36379-36999 RAFTKV_IT_PEER_PORTS=37379-37999."""
    value = os.environ.get(name)
    if not value:
        return None
    low, high = (int(p) for p in value.split("-"))
    return (low, high + 1)


def free_ports(n, port_range=None):
    """n distinct free TCP ports on 127.0.0.1, from `port_range` (low, high exclusive) or else
    below the kernel's ephemeral range: ports the kernel hands out itself (bind to 0) can be
    taken meanwhile by some outgoing connection's local end, which made a node fail with
    "Address already in use"."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_low = int(f.read().split()[0])
    except OSError:
        ephemeral_low = 32768
    low, high = port_range or (10000, ephemeral_low)
    rng = random.Random()
    ports = []
    while len(ports) < n:
        port = rng.randrange(low, high)
        if port in ports:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    return ports


class LinkProxy:
    """Forwards one directed peer link; can be cut (existing connections dropped, new ones
    accepted but black-holed) and healed."""

    def __init__(self, listen_port, target_port):
        self.target_port = target_port
        self.cut = False
        self.conns = []
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", listen_port))
        self.server.listen(16)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.cut:
                # Hold it open and silent: a partition, not a refusal.
                with self.lock:
                    self.conns.append(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=1)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data or self.cut:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def set_cut(self, cut):
        was_cut, self.cut = self.cut, cut
        # Cutting drops live connections; healing drops the black-holed ones, so both ends
        # notice and reconnect (as TCP would after a real partition outlasts its timeouts).
        if cut or was_cut:
            with self.lock:
                conns, self.conns = self.conns, []
            for s in conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        self.closed = True
        self.set_cut(True)
        self.server.close()


class Cluster:
    def __init__(self, n=3, extra_args=(), tick_ms=10, election_ticks=30, heartbeat_ticks=3,
                 node_extra_args=None, metrics=False, password=None):
        # node_extra_args: {id: [flags]} for that node only (e.g. a skewed clock).
        self.node_extra_args = node_extra_args or {}
        # --requirepass for every node; clients made by client() authenticate with it.
        self.password = password
        if password:
            extra_args = list(extra_args) + [f"--requirepass={password}"]
        if not BINARY or not os.path.exists(BINARY):
            raise RuntimeError("set RAFTKV_BIN to the raftkv binary")
        self.n = n
        self.ids = list(range(1, n + 1))
        self.dir = tempfile.mkdtemp(prefix="raftkv-it-")
        client_range = env_port_range("RAFTKV_IT_CLIENT_PORTS")
        peer_range = env_port_range("RAFTKV_IT_PEER_PORTS")
        if client_range or peer_range:
            clients = free_ports(n, client_range)
            ports = clients + free_ports(n + n * n, peer_range)
        else:
            ports = free_ports(2 * n + n * n)
        self.client_port = {i: ports[i - 1] for i in self.ids}
        # --listen-metrics (HTTP /metrics, /health, /ready) on every node, if asked for.
        self.metrics_port = {}
        if metrics:
            taken = set(ports)
            extra = [p for p in free_ports(3 * n, client_range) if p not in taken][:n]
            self.metrics_port = dict(zip(self.ids, extra))
        self.peer_port = {i: ports[n + i - 1] for i in self.ids}
        self.proxy_port = {}
        k = 2 * n
        for i in self.ids:
            for j in self.ids:
                self.proxy_port[(i, j)] = ports[k]
                k += 1
        self.proxies = {}
        for i in self.ids:
            for j in self.ids:
                if i != j:
                    self.proxies[(i, j)] = LinkProxy(self.proxy_port[(i, j)], self.peer_port[j])
        self.extra_args = list(extra_args) + [
            f"--tick-ms={tick_ms}",
            f"--election-ticks={election_ticks}",
            f"--heartbeat-ticks={heartbeat_ticks}",
        ]
        self.procs = {}
        self.logs = {}
        try:
            for i in self.ids:
                self.start(i)
        except BaseException:
            # The caller never gets this object to close: stop what did start (a node
            # that failed to come up would otherwise leave its siblings running).
            self.close()
            raise

    # -- processes ------------------------------------------------------------------
    def args(self, i):
        members = []
        for j in self.ids:
            port = self.peer_port[j] if i == j else self.proxy_port[(i, j)]
            members.append(f"{j}=127.0.0.1:{port}")
        return [
            BINARY, "serve",
            f"--id={i}",
            f"--data-dir={self.dir}/node{i}",
            f"--listen-client=127.0.0.1:{self.client_port[i]}",
            f"--listen-peer=127.0.0.1:{self.peer_port[i]}",
            "--initial-cluster=" + ",".join(members),
        ] + ([f"--listen-metrics=127.0.0.1:{self.metrics_port[i]}"] if i in self.metrics_port
             else []) + self.extra_args

    def start(self, i):
        joined = getattr(self, "joined_args", {})
        self._spawn(i, joined[i] if i in joined else self.args(i))

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs.get(i)
        if p and p.poll() is None:
            p.send_signal(sig)
            p.wait(timeout=10)

    def stop(self, i):
        self.kill(i, signal.SIGTERM)

    def kill_during(self, threads, i, after=2.5, join_timeout=30):
        """Starts `threads`, kills node `i` (SIGKILL) `after` seconds in, and joins them:
        a workload running through a crash of, usually, the leader."""
        for t in threads:
            t.start()
        time.sleep(after)
        self.kill(i)
        for t in threads:
            t.join(join_timeout)

    def alive(self, i):
        p = self.procs.get(i)
        return p is not None and p.poll() is None

    def log_text(self, i):
        return log_tail(f"{self.dir}/node{i}.log")

    def log_all(self, i):
        """A node's whole log, every run of it: for a line logged at start, which a busy node
        (slow under the sanitizers, retrying its peers) soon pushes out of log_text's tail."""
        return log_tail(f"{self.dir}/node{i}.log", size=None)

    def close(self):
        for i in self.ids:
            try:
                self.kill(i)
            except Exception:
                pass
        for i in list(self.procs):
            try:
                self.kill(i)
            except Exception:
                pass
        for p in self.proxies.values():
            p.close()
        for log in self.logs.values():
            log.close()
        if os.environ.get("RAFTKV_KEEP_DATA"):
            print(f"data kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def add_node(self, i):
        """Starts node `i` with --join (direct peer addresses, no proxies); an operator
        still has to add it (RAFT ADD-LEARNER i peer client)."""
        client_range = env_port_range("RAFTKV_IT_CLIENT_PORTS")
        peer_range = env_port_range("RAFTKV_IT_PEER_PORTS")
        if client_range or peer_range:
            (client_port,) = free_ports(1, client_range)
            (peer_port,) = free_ports(1, peer_range)
        else:
            client_port, peer_port = free_ports(2)
        self.client_port[i], self.peer_port[i] = client_port, peer_port
        join = ",".join(f"{j}=127.0.0.1:{self.peer_port[j]}" for j in self.ids)
        self.ids.append(i)
        args = [
            BINARY, "serve", f"--id={i}", f"--data-dir={self.dir}/node{i}",
            f"--listen-client=127.0.0.1:{client_port}",
            f"--listen-peer=127.0.0.1:{peer_port}", f"--join={join}",
        ] + self.extra_args
        self.joined_args = getattr(self, "joined_args", {})
        self.joined_args[i] = args
        self._spawn(i, args)

    def _spawn(self, i, args):
        if i in self.logs:
            self.logs[i].close()
        log = open(f"{self.dir}/node{i}.log", "ab")
        self.logs[i] = log
        self.procs[i] = subprocess.Popen(args + self.node_extra_args.get(i, []), stdout=log,
                                         stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.procs[i].poll() is not None:
                raise RuntimeError(f"node {i} exited at start:\n{self.log_text(i)}")
            try:
                if self.client(i).ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError(f"node {i} did not start listening:\n{self.log_text(i)}")

    def member(self, *args, node=None):
        """Runs `raftkv member -s <node> ...`; returns (exit code, output)."""
        node = node or self.leader()
        env = dict(os.environ, REDISCLI_AUTH=self.password) if self.password else None
        r = subprocess.run([BINARY, "member", "-s", f"127.0.0.1:{self.client_port[node]}",
                            *[str(a) for a in args]], capture_output=True, text=True,
                           timeout=20, env=env)
        return r.returncode, (r.stdout + r.stderr).strip()

    # -- network --------------------------------------------------------------------
    def cut(self, a, b):
        self.proxies[(a, b)].set_cut(True)
        self.proxies[(b, a)].set_cut(True)

    def isolate(self, a):
        for j in self.ids:
            if j != a:
                self.cut(a, j)

    def heal(self):
        for p in self.proxies.values():
            p.set_cut(False)

    # -- clients --------------------------------------------------------------------
    def client(self, i, timeout=2.0):
        return redis.Redis(host="127.0.0.1", port=self.client_port[i], socket_timeout=timeout,
                           socket_connect_timeout=timeout, password=self.password)

    def info_raft(self, i):
        try:
            return self.client(i, timeout=1).info("raft")
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            return None

    def leader(self, among=None, timeout=10.0):
        """The node that reports itself leader (of the highest term) and that the majority
        of reachable nodes agree on; waits up to `timeout` seconds."""
        among = among or [i for i in self.ids if self.alive(i)]
        deadline = time.time() + timeout
        while time.time() < deadline:
            best = None
            for i in among:
                info = self.info_raft(i)
                if info and info.get("raft_role") == "leader":
                    if best is None or info["raft_term"] > best[1]:
                        best = (i, info["raft_term"])
            if best is not None:
                return best[0]
            time.sleep(0.05)
        raise TimeoutError("no leader within %.1fs" % timeout)

    def digests(self, ids=None):
        out = {}
        for i in ids or self.ids:
            out[i] = self.client(i).execute_command("DEBUG", "DIGEST")
        return out

    def wait_converged(self, ids=None, timeout=10.0):
        """Waits until the given nodes have equal applied index and equal DEBUG DIGEST."""
        ids = ids or [i for i in self.ids if self.alive(i)]
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            infos = {i: self.info_raft(i) for i in ids}
            if all(infos.values()):
                applied = {infos[i]["raft_applied_index"] for i in ids}
                commit = max(infos[i]["raft_commit_index"] for i in ids)
                if len(applied) == 1 and applied.pop() >= commit:
                    d = self.digests(ids)
                    if len(set(d.values())) == 1:
                        return d
                    last = d
            time.sleep(0.05)
        raise AssertionError(f"nodes did not converge: {last}")


def wait_for_log(path, text, timeout=10.0, size=4000):
    """The tail of a node's log once it holds `text` (the node may log an event just after
    the client saw its effect, e.g. a closed connection), or the tail at the timeout."""
    deadline = time.time() + timeout
    while text not in log_tail(path, size) and time.time() < deadline:
        time.sleep(0.05)
    return log_tail(path, size)


def log_tail(path, size=4000):
    """The last `size` characters of a node's log file, all of it for None ("" if there is
    none)."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
            return text if size is None else text[-size:]
    except OSError:
        return ""


class ClusterTestCase(unittest.TestCase):
    """A test with a fresh cluster of `nodes` nodes, whose logs are printed if it fails."""

    nodes = 3
    cluster_args = {}

    def setUp(self):
        self.c = Cluster(self.nodes, **self.cluster_args)

    def tearDown(self):
        result = self._outcome.result
        if any(t is self for t, _ in result.failures + result.errors):
            for i in self.c.ids:
                print(f"--- node {i} log tail ---\n{self.c.log_text(i)}")
        self.c.close()


def seeded_random():
    seed = int(os.environ.get("RAFTKV_SEED", str(random.randrange(1 << 30))))
    print(f"RAFTKV_SEED={seed}")
    return random.Random(seed), seed
