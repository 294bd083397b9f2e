"""Redis's administration and connection commands that raftkv answers itself: WAIT,
ROLE, LASTSAVE, SAVE, SHUTDOWN, CLIENT REPLY, LATENCY and CLIENT GETREDIR/TRACKINGINFO
(3-node clusters; CLIENT REPLY, LATENCY and tracking's replies byte for byte against
redis-server 7.0)."""
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from cluster import BINARY, ClusterTestCase, env_port_range, free_ports
from test_redis_differential import Server
from test_transactions import RawConnection, RedisServer, assert_scripts_match_redis


def pipelined(port, commands, settle=0.5):
    """Sends `commands` in one write and returns every byte received within `settle` s."""
    data = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in c)
                    for c in ([a.encode() for a in cmd] for cmd in commands))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        s.settimeout(settle)
        received = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            pass
    return received


class ClientReplyTest(ClusterTestCase):
    SCRIPT = [["CLIENT", "REPLY", "OFF"], ["SET", "r:a", "1"], ["GET", "r:a"], ["INCR", "r:a"],
              ["CLIENT", "REPLY", "ON"], ["GET", "r:a"], ["CLIENT", "REPLY", "SKIP"],
              ["GET", "r:a"], ["GET", "r:a"], ["CLIENT", "REPLY", "SKIP"],
              ["CLIENT", "REPLY", "SKIP"], ["GET", "r:a"], ["PING"], ["CLIENT", "REPLY", "x"],
              ["CLIENT", "REPLY"]]

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_client_reply_off_on_skip_as_redis(self):
        server = RedisServer()
        try:
            theirs = pipelined(server.port, self.SCRIPT)
        finally:
            server.close()
        ours = pipelined(self.c.client_port[self.c.leader()], self.SCRIPT)
        self.assertEqual(ours, theirs)
        self.assertEqual(ours, b"+OK\r\n$1\r\n2\r\n$1\r\n2\r\n+PONG\r\n-ERR syntax error\r\n"
                               b"-ERR wrong number of arguments for 'client|reply' command\r\n")


def resp3_call(port, *cmd):
    """The raw RESP3 reply to one command on a new connection."""
    conn = Server(port, 3)
    try:
        return conn.call(*cmd)[0]
    finally:
        conn.close()


class LatencyTest(ClusterTestCase):
    # raftkv has no latency monitor (as Redis with latency-monitor-threshold 0, its default)
    # and no client-side caching (tracking off).
    SCRIPTS = {
        "latency monitor off": [
            (0, "LATENCY", "LATEST"), (0, "LATENCY", "HISTORY", "command"),
            (0, "LATENCY", "RESET"), (0, "LATENCY", "RESET", "a", "b"), (0, "LATENCY", "DOCTOR"),
            (0, "LATENCY", "GRAPH", "command"), (0, "LATENCY", "HELP"),
            (0, "LATENCY", "HISTOGRAM", "nosuch"), (0, "LATENCY"), (0, "LATENCY", "NOPE"),
            (0, "LATENCY", "LATEST", "x"), (0, "LATENCY", "HISTORY"),
            (0, "LATENCY", "DOCTOR", "x"), (0, "LATENCY", "GRAPH"), (0, "LATENCY", "HELP", "x"),
            (0, "MULTI"), (0, "LATENCY", "LATEST"), (0, "LATENCY", "NOPE"), (0, "EXEC"),
            (0, "EVAL", "return redis.call('latency', 'latest')", "0")],
        "tracking off": [
            (0, "CLIENT", "GETREDIR"), (0, "CLIENT", "TRACKINGINFO"),
            (0, "CLIENT", "GETREDIR", "x"), (0, "CLIENT", "TRACKINGINFO", "x")],
    }

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, self.SCRIPTS)
        server = RedisServer()
        try:  # RESP3: DOCTOR a verbatim string, TRACKINGINFO a map with a set of flags
            for cmd in (("LATENCY", "DOCTOR"), ("CLIENT", "TRACKINGINFO")):
                self.assertEqual(resp3_call(self.c.client_port[self.c.leader()], *cmd),
                                 resp3_call(server.port, *cmd))
        finally:
            server.close()

    def test_histogram_counts_each_call_at_redis_steps(self):
        port = self.c.client_port[self.c.leader()]
        c = RawConnection(port)
        try:
            for i in range(50):
                c.call("SET", f"lat:{i}", "v")
        finally:
            c.close()
        r = self.c.client(self.c.leader())
        hist = r.execute_command("LATENCY", "HISTOGRAM", "set", "config")
        self.assertEqual(hist[0], b"set")
        calls, steps = hist[1][1], hist[1][3]
        self.assertGreaterEqual(calls, 50)
        labels, counts = steps[0::2], steps[1::2]
        redis_steps = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908,
                       33816, 67633, 135266, 270532, 541065]
        self.assertTrue(set(labels) <= set(redis_steps), labels)
        self.assertEqual(counts, sorted(counts))  # cumulative
        self.assertEqual(counts[-1], calls)
        raw = resp3_call(port, "LATENCY", "HISTOGRAM", "set")
        self.assertTrue(raw.startswith(b"%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:"), raw)
        self.assertIn(b"$14\r\nhistogram_usec\r\n%", raw)


class WaitTest(ClusterTestCase):
    def test_wait_counts_the_followers_that_hold_the_connections_writes(self):
        leader = self.c.leader()
        follower, lagging = [i for i in self.c.ids if i != leader]
        c = RawConnection(self.c.client_port[leader])
        try:
            self.assertEqual(c.call("SET", "w:k", "1"), b"+OK\r\n")
            self.assertEqual(c.call("WAIT", "2", "2000"), b":2\r\n")
            self.c.cut(leader, lagging)  # it hears nothing more from the leader
            self.assertEqual(c.call("SET", "w:k", "2"), b"+OK\r\n")  # on a majority
            t0 = time.time()
            self.assertEqual(c.call("WAIT", "2", "300"), b":1\r\n")
            self.assertGreaterEqual(time.time() - t0, 0.29, "WAIT waited out its timeout")
            self.assertEqual(c.call("WAIT", "1", "0"), b":1\r\n")  # at once: enough hold it
            self.assertEqual(c.call("MULTI"), b"+OK\r\n")
            self.assertEqual(c.call("WAIT", "2", "0"), b"+QUEUED\r\n")
            self.assertEqual(c.call("EXEC"), b"*1\r\n:1\r\n", "inside EXEC, WAIT never blocks")
            self.assertEqual(c.call("WAIT", "x", "0"),
                             b"-ERR value is not an integer or out of range\r\n")
            self.assertEqual(c.call("WAIT", "1", "-1"), b"-ERR timeout is negative\r\n")
            self.c.heal()
            self.assertEqual(c.call("WAIT", "2", "5000"), b":2\r\n", "the follower caught up")
        finally:
            c.close()
        f = RawConnection(self.c.client_port[follower])
        try:
            self.assertTrue(f.call("WAIT", "1", "0").startswith(b"-MOVED"))
        finally:
            f.close()


class RoleSaveShutdownTest(ClusterTestCase):
    def test_role_on_the_leader_and_a_follower(self):
        leader = self.c.leader()
        self.c.client(leader).set("role:k", "v")
        followers = sorted(self.c.client_port[i] for i in self.c.ids if i != leader)
        # A follower is listed once the leader has recorded the client address its
        # handshake announced (a log entry after the election): wait for that.
        deadline = time.time() + 10
        while True:
            role = self.c.client(leader).execute_command("ROLE")
            ports = sorted(int(r[1]) for r in role[2])
            if ports == followers or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(role[0], b"master")
        self.assertGreater(role[1], 0)
        self.assertEqual(ports, followers)
        follower = next(i for i in self.c.ids if i != leader)
        role = self.c.client(follower).execute_command("ROLE")
        self.assertEqual(role[:4], [b"slave", b"127.0.0.1", self.c.client_port[leader],
                                    b"connected"])

    def test_save_takes_a_snapshot_and_lastsave_tells_when(self):
        r = self.c.client(self.c.leader())
        before = r.lastsave()
        saves = r.info("persistence")["rdb_saves"]
        r.set("save:k", "v")
        time.sleep(1.1)  # LASTSAVE counts seconds
        self.assertTrue(r.save())
        self.assertEqual(r.info("persistence")["rdb_saves"], saves + 1)
        self.assertGreater(r.lastsave(), before)
        self.assertTrue(r.save(), "nothing new: answered at once")

    def test_shutdown_stops_the_node_and_the_cluster_goes_on(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        c = RawConnection(self.c.client_port[follower])
        try:
            self.assertEqual(c.call("SHUTDOWN", "ABORT"),
                             b"-ERR Errors trying to abort SHUTDOWN. Check logs.\r\n")
            self.assertEqual(c.call("SHUTDOWN", "NOW", "BOGUS"), b"-ERR syntax error\r\n")
            c.sock.sendall(b"*1\r\n$8\r\nSHUTDOWN\r\n")
            self.assertEqual(c.sock.recv(100), b"", "no reply: the connection closes")
        finally:
            c.close()
        deadline = time.time() + 10
        while self.c.alive(follower) and time.time() < deadline:
            time.sleep(0.05)
        self.assertFalse(self.c.alive(follower))
        self.assertEqual(self.c.procs[follower].returncode, 0)
        self.assertTrue(self.c.client(self.c.leader()).set("after:shutdown", "1"))


def consecutive_free_ports(n, port_range):
    """A base port with n free ports from it (`raftkv cluster` numbers its nodes' ports)."""
    for _ in range(200):
        base = free_ports(1, port_range)[0]
        try:
            socks = []
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no consecutive free ports")


class LocalClusterCommandTest(unittest.TestCase):
    """`raftkv cluster` (the README's first command runs it): a node stopped with SHUTDOWN
    leaves the others serving; SIGTERM stops them all, with exit status 0."""

    def test_shutdown_of_one_node_leaves_the_others_running(self):
        client = consecutive_free_ports(3, env_port_range("RAFTKV_IT_CLIENT_PORTS"))
        peer = consecutive_free_ports(3, env_port_range("RAFTKV_IT_PEER_PORTS"))
        data = tempfile.mkdtemp(prefix="raftkv-it-local-")
        proc = subprocess.Popen(
            [BINARY, "cluster", f"--client-port={client}", f"--peer-port={peer}",
             f"--data-dir={data}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            def set_on_leader(value, deadline=20):
                end = time.time() + deadline
                while time.time() < end:
                    for port in range(client, client + 3):
                        try:
                            c = RawConnection(port)
                            try:
                                if c.call("SET", "lc:k", value) == b"+OK\r\n":
                                    return True
                            finally:
                                c.close()
                        except OSError:
                            pass
                    time.sleep(0.1)
                return False

            self.assertTrue(set_on_leader("1"))
            c = RawConnection(client + 2)
            c.sock.sendall(b"*1\r\n$8\r\nSHUTDOWN\r\n")
            self.assertEqual(c.sock.recv(100), b"")
            c.close()
            time.sleep(1)
            self.assertIsNone(proc.poll(), "the supervisor and the other nodes go on")
            self.assertTrue(set_on_leader("2"), "two of three nodes still serve")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0, proc.stderr.read())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
