"""MULTI/EXEC/WATCH on real processes: replies byte for byte as redis-server 7.0 gives them,
redis-py's transactional pipeline and its WATCH retry helper, and concurrent WATCH-based
counters that lose no increment while the leader is killed."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import redis

from cluster import ClusterTestCase, env_port_range, free_ports


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class RawConnection:
    """Sends commands and returns each reply's raw bytes (RESP2), to compare servers."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def _reply(self):
        line = self._line()
        if line[:1] in b"+-:":
            return line
        n = int(line[1:-2])
        if line[:1] == b"$":
            return line + self._body(n)
        return line + b"".join(self._reply() for _ in range(max(n, 0)))

    def _body(self, n):
        """A bulk string's n bytes and CRLF (nothing for a null, n < 0)."""
        if n < 0:
            return b""
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        body, self.buf = self.buf[: n + 2], self.buf[n + 2:]
        return body

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self._reply()

    def close(self):
        self.sock.close()


# Each script: a list of (connection, command...) run in order on both servers; connection
# 1 is a second client (another client's write between WATCH and EXEC).
SCRIPTS = {
    "queued replies and results": [
        (0, "MULTI"), (0, "SET", "t:a", "1"), (0, "INCR", "t:a"), (0, "GET", "t:a"),
        (0, "PING"), (0, "ECHO", "hi"), (0, "EXEC")],
    "empty transaction": [(0, "MULTI"), (0, "EXEC")],
    "nested MULTI is an error that keeps the transaction": [
        (0, "MULTI"), (0, "MULTI"), (0, "SET", "t:n", "1"), (0, "EXEC"), (0, "GET", "t:n")],
    "EXEC and DISCARD without MULTI": [(0, "EXEC"), (0, "DISCARD")],
    "a queueing error aborts EXEC": [
        (0, "MULTI"), (0, "SET", "t:q", "1"), (0, "SET", "t:q"), (0, "EXEC"), (0, "GET", "t:q")],
    "an unknown command aborts EXEC": [
        (0, "MULTI"), (0, "NOSUCH", "x"), (0, "SET", "t:u", "1"), (0, "EXEC"),
        (0, "EXISTS", "t:u")],
    "a bad argument is queued and is one element": [
        (0, "MULTI"), (0, "SET", "t:b", "1"), (0, "LPOP", "t:l", "-2"), (0, "INCR", "t:b"),
        (0, "ZRANGE", "t:z", "1.5", "2"), (0, "SET", "t:b2", "v", "EX", "0"),
        (0, "LPOS", "t:l", "x", "COUNT", "x"), (0, "EVAL", "return 1", "5"),
        (0, "SET", "t:b3", "v", "NX", "XX"), (0, "EXEC"), (0, "MGET", "t:b", "t:b2", "t:b3")],
    "an unknown subcommand or a subcommand's arity aborts EXEC": [
        (0, "MULTI"), (0, "SET", "t:sc", "1"), (0, "XGROUP", "DESTROY", "t:x", "g", "c"),
        (0, "EXEC"), (0, "MULTI"), (0, "OBJECT", "NOSUCH", "t:sc"), (0, "EXEC"),
        (0, "EXISTS", "t:sc")],
    "a runtime error is one element": [
        (0, "SET", "t:s", "x"), (0, "MULTI"), (0, "LPUSH", "t:s", "y"), (0, "INCR", "t:s"),
        (0, "SET", "t:s2", "ok"), (0, "EXEC")],
    "DISCARD drops the queue": [
        (0, "MULTI"), (0, "SET", "t:d", "1"), (0, "DISCARD"), (0, "EXEC"), (0, "EXISTS", "t:d")],
    "WATCH inside MULTI": [
        (0, "MULTI"), (0, "WATCH", "t:w"), (0, "SET", "t:w", "1"), (0, "EXEC")],
    "WATCH without keys": [(0, "WATCH"), (0, "UNWATCH")],
    "a watched key changed by another client": [
        (0, "SET", "t:c", "0"), (0, "WATCH", "t:c"), (1, "SET", "t:c", "9"), (0, "MULTI"),
        (0, "SET", "t:c", "1"), (0, "EXEC"), (0, "GET", "t:c")],
    "a watched key deleted by another client": [
        (0, "SET", "t:x", "0"), (0, "WATCH", "t:x"), (1, "DEL", "t:x"), (0, "MULTI"),
        (0, "SET", "t:x", "1"), (0, "EXEC"), (0, "EXISTS", "t:x")],
    "a watched key created by another client": [
        (0, "WATCH", "t:new"), (1, "SET", "t:new", "1"), (0, "MULTI"), (0, "GET", "t:new"),
        (0, "EXEC")],
    "own change before the WATCH does not abort": [
        (0, "SET", "t:o", "1"), (0, "WATCH", "t:o"), (0, "MULTI"), (0, "INCR", "t:o"),
        (0, "EXEC")],
    "UNWATCH inside MULTI is queued": [
        (0, "MULTI"), (0, "UNWATCH"), (0, "PING"), (0, "EXEC")],
    "UNWATCH forgets": [
        (0, "SET", "t:v", "0"), (0, "WATCH", "t:v"), (1, "SET", "t:v", "9"), (0, "UNWATCH"),
        (0, "MULTI"), (0, "INCR", "t:v"), (0, "EXEC")],
    "EXEC unwatches": [
        (0, "WATCH", "t:e"), (0, "MULTI"), (0, "EXEC"), (1, "SET", "t:e", "2"), (0, "MULTI"),
        (0, "GET", "t:e"), (0, "EXEC")],
    # Redis queues commands about the connection or the node, and runs them within EXEC;
    # raftkv runs them on the node, in their places in EXEC's reply.
    "connection commands are queued and run at EXEC": [
        (0, "MULTI"), (0, "CLIENT", "SETNAME", "tx"), (0, "SET", "t:cn", "1"),
        (0, "CLIENT", "GETNAME"), (0, "CONFIG", "GET", "maxmemory-policy"), (0, "INCR", "t:cn"),
        (0, "CLIENT", "SETNAME", "bad name"), (0, "EXEC"), (0, "CLIENT", "GETNAME")],
    "CLIENT with bad arguments inside MULTI": [
        (0, "MULTI"), (0, "CLIENT", "NOSUCH"), (0, "EXEC"), (0, "MULTI"), (0, "CLIENT", "SETNAME"),
        (0, "EXEC")],
    "a watched key that expires": [
        (0, "SET", "t:px", "1", "PX", "100"), (0, "WATCH", "t:px"), (0, "SLEEP 0.3"),
        (0, "MULTI"), (0, "SET", "t:px", "2"), (0, "EXEC")],
}


class RedisServer:
    def __init__(self, *extra_args, port=None):
        self.dir = tempfile.mkdtemp(prefix="raftkv-it-redis-")
        # From the clients' range when one is given: a shared machine's other tests keep theirs.
        self.port = port or free_ports(1, env_port_range("RAFTKV_IT_CLIENT_PORTS"))[0]
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("redis-server did not start")

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_script(port, script):
    conns = [RawConnection(port), RawConnection(port)]
    conns[0].call("FLUSHALL")
    replies = []
    try:
        for who, *cmd in script:
            if cmd[0].startswith("SLEEP"):
                time.sleep(float(cmd[0].split()[1]))
                continue
            replies.append(conns[who].call(*cmd))
    finally:
        for c in conns:
            c.close()
    return replies


def assert_scripts_match_redis(test, scripts):
    """Runs each script on the cluster's leader and on a fresh redis-server, and compares
    the replies byte for byte (one subtest per script)."""
    server = RedisServer()
    try:
        leader_port = test.c.client_port[test.c.leader()]
        for name, script in scripts.items():
            with test.subTest(name):
                test.assertEqual(run_script(leader_port, script), run_script(server.port, script))
    finally:
        server.close()


class RedisCompatTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, SCRIPTS)


class ConnectionCommandsInMultiTest(ClusterTestCase):
    def test_client_info_and_list_are_queued_and_run_within_exec(self):
        """Redis queues CLIENT INFO and CLIENT LIST in MULTI like any command (raftkv used to
        answer them at once, and to refuse CLIENT SETNAME, INFO, CONFIG, ...)."""
        c = RawConnection(self.c.client_port[self.c.leader()])
        try:
            self.assertEqual(c.call("MULTI"), b"+OK\r\n")
            for cmd in (("CLIENT", "SETNAME", "in-tx"), ("CLIENT", "INFO"), ("CLIENT", "LIST"),
                        ("INFO", "server"), ("TIME",), ("SET", "m:k", "v")):
                self.assertEqual(c.call(*cmd), b"+QUEUED\r\n", cmd)
            reply = c.call("EXEC")
            self.assertTrue(reply.startswith(b"*6\r\n+OK\r\n$"), reply)
            self.assertIn(b"name=in-tx", reply)  # CLIENT INFO ran after SETNAME
            self.assertIn(b"cmd=exec", reply)
            self.assertIn(b"redis_version:", reply)
            self.assertTrue(reply.endswith(b"+OK\r\n"), reply)
            self.assertEqual(c.call("GET", "m:k"), b"$1\r\nv\r\n")
            self.assertEqual(c.call("CLIENT", "GETNAME"), b"$5\r\nin-tx\r\n")
        finally:
            c.close()


class SessionTransactionTest(ClusterTestCase):
    def test_a_session_tagged_exec_applies_once(self):
        c = RawConnection(self.c.client_port[self.c.leader()])
        try:
            session = c.call("SESSION", "OPEN")[1:-2].decode()
            for _ in range(2):  # the retry of seq 1 answers as the first time
                self.assertEqual(c.call("MULTI"), b"+OK\r\n")
                self.assertEqual(c.call("INCR", "s:n"), b"+QUEUED\r\n")
                self.assertEqual(c.call("SEQ", session, "1", "EXEC"), b"*1\r\n:1\r\n")
            self.assertEqual(c.call("GET", "s:n"), b"$1\r\n1\r\n")
        finally:
            c.close()


class ClientLibraryTest(ClusterTestCase):
    def test_redis_py_transactional_pipeline(self):
        r = self.c.client(self.c.leader())
        pipe = r.pipeline(transaction=True)
        pipe.set("p:a", 1).incr("p:a").lpush("p:l", "x").lrange("p:l", 0, -1)
        self.assertEqual(pipe.execute(), [True, 2, 1, [b"x"]])

    def test_redis_py_watch_retry_helper_loses_no_increment(self):
        leader = self.c.leader()
        r = self.c.client(leader, timeout=10)
        r.set("p:counter", 0)
        threads, per_thread = 4, 60

        def bump(pipe):
            value = int(pipe.get("p:counter"))
            pipe.multi()
            pipe.set("p:counter", value + 1)

        def worker():
            client = self.c.client(leader, timeout=10)
            for _ in range(per_thread):
                client.transaction(bump, "p:counter")

        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertEqual(int(r.get("p:counter")), threads * per_thread)


class IoredisTest(ClusterTestCase):
    """ioredis (Node.js, pinned in node/package.json): multi(), a WATCH retry loop from three
    clients, and multi() through its cluster client started from a follower."""

    def test_ioredis_multi_watch_and_cluster_client(self):
        node_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
        if not shutil.which("node") or not os.path.isdir(
                os.path.join(node_dir, "node_modules", "ioredis")):
            self.skipTest("node and ioredis are not installed (scripts/setup.sh installs them)")
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        run = subprocess.run(
            ["node", "transactions.js", str(self.c.client_port[leader]),
             str(self.c.client_port[follower])],
            cwd=node_dir, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        got = json.loads(run.stdout)
        self.assertEqual(got["multi"], [[None, "OK"], [None, 2], [None, "2"]])
        self.assertIsNone(got["aborted"])
        self.assertEqual(got["counter"], got["expected"])
        self.assertEqual(got["cluster"], [[None, "OK"], [None, 2]])


class LeaderKillTest(ClusterTestCase):
    """WATCH/MULTI/EXEC counters from several clients while the leader is killed: the final
    counter equals the number of increments whose EXEC was acknowledged."""

    def test_acknowledged_increments_survive_a_leader_kill(self):
        first = self.c.leader()
        self.c.client(first).set("k:counter", 0)
        acked = []
        stop = time.time() + 8

        def worker():
            n = 0
            while time.time() < stop:
                for i in self.c.ids:
                    if not self.c.alive(i):
                        continue
                    try:
                        client = self.c.client(i, timeout=2)
                        with client.pipeline(transaction=True) as pipe:
                            pipe.watch("k:counter")
                            value = int(pipe.get("k:counter"))
                            pipe.multi()
                            pipe.set("k:counter", value + 1)
                            pipe.execute()
                            n += 1
                    except (redis.exceptions.WatchError, redis.exceptions.ResponseError,
                            redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                        # Not acknowledged. (An UNKNOWN outcome may still have applied: the
                        # workload tolerates that by counting only acknowledged EXECs, and
                        # the final value must be at least that and at most one more per
                        # unknown outcome; redirects and aborts did nothing.)
                        pass
            acked.append(n)

        ts = [threading.Thread(target=worker) for _ in range(3)]
        self.c.kill_during(ts, first)
        final = int(self.c.client(self.c.leader()).get("k:counter"))
        self.assertGreater(sum(acked), 0)
        # Every acknowledged increment is there; an unacknowledged one (UNKNOWN outcome at
        # the kill) may be too, but a WATCH transaction never double-applies.
        self.assertGreaterEqual(final, sum(acked))
        self.assertLessEqual(final, sum(acked) + 3)


if __name__ == "__main__":
    unittest.main()
