"""Redis-side introspection against a real node, with Redis 7.0's formats and texts (each
expected reply below was taken from redis-server 7.0.15): INFO commandstats, errorstats
and latencystats, SLOWLOG, CLIENT KILL and NO-EVICT, MONITOR (bounded by the output
buffer limit), and redis-cli --stat and --latency."""
import re
import shutil
import socket
import subprocess
import time
import unittest

import redis

from cluster import Cluster


def resp(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def bulk_complete(d):
    if b"\r\n" not in d:
        return False
    head = d.index(b"\r\n")
    return len(d) >= head + 2 + int(d[1:head]) + 2


def read_until(sock, predicate, timeout=5.0):
    sock.settimeout(timeout)
    data = b""
    deadline = time.time() + timeout
    while not predicate(data) and time.time() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class IntrospectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Every command is slow (threshold 0), the slow log keeps 5; a monitor that does not
        # read is closed past 1 MiB.
        cls.c = Cluster(1, extra_args=["--slowlog-log-slower-than=0", "--slowlog-max-len=5",
                                       "--client-output-buffer-limit=normal 1mb 512kb 5"])
        cls.c.leader()
        cls.port = cls.c.client_port[1]

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def client(self):
        return redis.Redis(port=self.port, socket_timeout=5, decode_responses=True)

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.addCleanup(s.close)
        return s

    def call(self, sock, *args):
        sock.sendall(resp(args))
        return read_until(sock, lambda d: d.endswith(b"\r\n"))

    def test_commandstats_errorstats_latencystats(self):
        r = self.client()
        s = self.raw()

        def info(*args):
            s.sendall(resp(["INFO", *args]))
            return read_until(s, bulk_complete).split(b"\r\n", 1)[1].decode()

        def errorstats():
            return {m[0]: int(m[1]) for m in
                    re.findall(r"^errorstat_(\w+):count=(\d+)\r$", info("errorstats"), re.M)}

        before = errorstats()
        r.set("cs:str", "1")
        r.get("cs:str")
        with self.assertRaises(redis.ResponseError):
            r.hget("cs:str", "f")  # WRONGTYPE: executed, failed
        with self.assertRaises(redis.ResponseError):
            r.execute_command("STRLEN")  # wrong arity: rejected
        with self.assertRaises(redis.ResponseError):
            r.execute_command("NOSUCHCOMMAND")
        r.execute_command("CONFIG", "GET", "maxclients")  # counted by subcommand, as Redis 7
        text = info("commandstats")
        self.assertTrue(text.startswith("# Commandstats\r\n"), text)
        line = re.compile(r"^cmdstat_([\w|-]+):calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),"
                          r"rejected_calls=(\d+),failed_calls=(\d+)$")
        stats = {}
        for l in text.splitlines()[1:]:
            if not l:
                continue
            m = line.match(l)
            self.assertIsNotNone(m, l)
            stats[m.group(1)] = [int(m.group(i)) for i in (2, 5, 6)]
        self.assertGreaterEqual(stats["set"][0], 1)
        self.assertEqual(stats["hget"][2], 1)  # failed
        self.assertEqual(stats["strlen"][1:], [1, 0])  # rejected, not failed
        self.assertNotIn("nosuchcommand", stats)
        self.assertGreaterEqual(stats["config|get"][0], 1)
        self.assertNotIn("config", stats)
        after = errorstats()
        self.assertEqual(after["WRONGTYPE"] - before.get("WRONGTYPE", 0), 1)
        self.assertEqual(after["ERR"] - before.get("ERR", 0), 2)  # arity, unknown command
        lat = info("latencystats")
        self.assertTrue(lat.startswith("# Latencystats\r\n"), lat)
        self.assertRegex(lat, r"\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},"
                              r"p99\.9=\d+\.\d{3}\r\n")
        self.assertNotIn("latency_percentiles_usec_strlen", lat)  # never executed
        # Which sections INFO, INFO all and INFO everything include, as Redis 7.0.
        headers = lambda *section: re.findall(r"^# (\w+)", info(*section), re.M)
        self.assertIn("Errorstats", headers())
        self.assertNotIn("Commandstats", headers())
        for section in ("all", "everything"):
            h = headers(section)
            self.assertLess(h.index("Commandstats"), h.index("Errorstats"))
            self.assertLess(h.index("Errorstats"), h.index("Latencystats"))
        self.assertEqual(r.info("stats")["total_error_replies"] >= 3, True)

    def test_slowlog(self):
        r = self.client()
        self.assertEqual(r.config_get("slowlog-*"), {"slowlog-log-slower-than": "0",
                                                     "slowlog-max-len": "5"})
        r.execute_command("SLOWLOG", "RESET")
        r.delete("sl:list")
        r.rpush("sl:list", "x" * 130, *range(40))
        s = self.raw()
        self.call(s, "CLIENT", "SETNAME", "slowpoke")
        self.call(s, "RPUSH", "sl:list2", "x" * 130, *range(40))
        got = self.call(s, "SLOWLOG", "GET", "1")
        # As redis-server 7.0.15 answers: 32 arguments, the last counting the rest, long
        # ones cut at 128 bytes; then the client's address and name.
        local = "%s:%d" % s.getsockname()
        expected_args = [b"rpush", b"sl:list2", b"x" * 128 + b"... (2 more bytes)"] + \
            [str(i).encode() for i in range(28)] + [b"... (12 more arguments)"]
        body = b"*32\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in
                                     [b"RPUSH"] + expected_args[1:]) + \
            b"$%d\r\n%s\r\n$8\r\nslowpoke\r\n" % (len(local), local.encode())
        self.assertTrue(got.startswith(b"*1\r\n*6\r\n:"), got)
        self.assertTrue(got.endswith(body), (got, body))
        entries = r.execute_command("SLOWLOG", "GET", "-1")
        self.assertEqual(len(entries), 5)  # slowlog-max-len
        ids = [e[0] for e in entries]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(r.execute_command("SLOWLOG", "LEN"), 5)
        self.assertEqual(self.call(s, "SLOWLOG", "GET", "-2"),
                         b"-ERR count should be greater than or equal to -1\r\n")
        self.assertEqual(self.call(s, "SLOWLOG", "GET", "1", "2"),
                         b"-ERR unknown subcommand or wrong number of arguments for 'GET'. "
                         b"Try SLOWLOG HELP.\r\n")
        self.assertEqual(self.call(s, "SLOWLOG", "LEN", "x"),
                         b"-ERR wrong number of arguments for 'slowlog|len' command\r\n")
        self.assertEqual(self.call(s, "SLOWLOG", "FOO"),
                         b"-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n")
        self.assertEqual(len(r.execute_command("SLOWLOG", "HELP")), 12)
        self.assertEqual(self.call(s, "SLOWLOG", "RESET"), b"+OK\r\n")
        self.assertEqual(self.call(s, "SLOWLOG", "LEN"), b":1\r\n")  # the RESET itself

    def test_client_kill_and_no_evict(self):
        r = self.client()
        victim = self.raw()
        vid = int(self.call(victim, "CLIENT", "ID")[1:-2])
        vaddr = "%s:%d" % victim.getsockname()
        s = self.raw()
        self.assertEqual(self.call(s, "CLIENT", "KILL", "ID", vid), b":1\r\n")
        self.assertEqual(read_until(victim, lambda d: False, timeout=2), b"")  # closed
        cases = [
            (["CLIENT", "KILL"], b"-ERR wrong number of arguments for 'client|kill' command\r\n"),
            (["CLIENT", "KILL", vaddr], b"-ERR No such client\r\n"),
            (["CLIENT", "KILL", "ID", "999999"], b":0\r\n"),
            (["CLIENT", "KILL", "ID", "x"], b"-ERR client-id should be greater than 0\r\n"),
            (["CLIENT", "KILL", "LADDR", "1.2.3.4:5"], b":0\r\n"),
            (["CLIENT", "KILL", "SKIPME", "maybe"], b"-ERR syntax error\r\n"),
            (["CLIENT", "KILL", "USER", "bob"], b"-ERR No such user 'bob'\r\n"),
            (["CLIENT", "KILL", "TYPE", "bogus"], b"-ERR Unknown client type 'bogus'\r\n"),
            (["CLIENT", "KILL", "TYPE", "pubsub", "ID", "1"], b":0\r\n"),
            (["CLIENT", "KILL", "MAXAGE", "1"], b"-ERR syntax error\r\n"),
            (["CLIENT", "NO-EVICT", "on"], b"+OK\r\n"),
            (["CLIENT", "NO-EVICT", "OFF"], b"+OK\r\n"),
            (["CLIENT", "NO-EVICT", "maybe"], b"-ERR syntax error\r\n"),
            (["CLIENT", "NO-EVICT"],
             b"-ERR wrong number of arguments for 'client|no-evict' command\r\n"),
        ]
        for args, expected in cases:
            self.assertEqual(self.call(s, *args), expected, args)
        # The filters: ADDR and LADDR of another connection, USER default; SKIPME yes
        # (the default) spares the caller, and the old form kills even the caller, after
        # its reply.
        other = self.raw()
        self.call(other, "PING")
        peer = "%s:%d" % other.getsockname()
        laddr = "%s:%d" % other.getpeername()
        self.assertEqual(self.call(s, "CLIENT", "KILL", "ADDR", peer, "LADDR", laddr, "USER",
                                   "default"), b":1\r\n")
        self.assertEqual(read_until(other, lambda d: False, timeout=2), b"")  # closed
        me = "%s:%d" % s.getsockname()
        self.assertEqual(self.call(s, "CLIENT", "KILL", "ADDR", me), b":0\r\n")
        s.sendall(resp(["CLIENT", "KILL", me]) + resp(["PING"]))
        self.assertEqual(read_until(s, lambda d: False, timeout=2), b"+OK\r\n")
        self.assertTrue(r.ping())

    def test_monitor(self):
        m = self.raw()
        self.assertEqual(self.call(m, "MONITOR"), b"+OK\r\n")
        w = self.raw()
        self.call(w, "SET", "mon key", b'a\nb"\\\x01')
        self.call(w, "CONFIG", "GET", "maxclients")  # admin: not shown, as in Redis
        self.call(w, "GET", "x", "y")  # refused for its arity, never run: not shown either
        self.call(w, "GET", "mon key")
        me = "%s:%d" % w.getsockname()
        data = read_until(m, lambda d: d.count(b"\r\n") >= 2)
        lines = data.split(b"\r\n")
        pattern = rb'^\+\d{10}\.\d{6} \[0 ' + re.escape(me.encode()) + rb'\] '
        self.assertRegex(lines[0], pattern + rb'"SET" "mon key" "a\\nb\\"\\\\\\x01"$')
        shown = b"\n".join(lines)
        self.assertNotIn(b'"config"', shown)
        self.assertNotIn(b'"GET" "x" "y"', shown)
        self.assertIn(b'"GET" "mon key"', shown)
        # A monitor may not touch the key space; MONITOR again gets no reply at all.
        m.sendall(resp(["GET", "x"]) + resp(["MONITOR"]) + resp(["PING"]))
        got = read_until(m, lambda d: b"+PONG\r\n" in d)
        self.assertIn(b"-ERR Replica can't interact with the keyspace\r\n+PONG\r\n", got)

    def test_monitor_output_is_bounded(self):
        # A monitor that never reads is closed once its output passes the hard limit (1 MiB
        # here), instead of holding the node's memory.
        m = self.raw()
        m.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.assertEqual(self.call(m, "MONITOR"), b"+OK\r\n")
        r = self.client()
        for chunk in range(10):  # 20 MB fed, more than the kernel's socket buffers take
            p = r.pipeline(transaction=False)
            for i in range(20):
                p.set(f"big{i}", "v" * 100000)
            p.execute()
        deadline = time.time() + 10
        closed = False
        while time.time() < deadline and not closed:
            closed = "over the hard output buffer limit" in self.c.log_text(1)
            time.sleep(0.1)
        self.assertTrue(closed, self.c.log_text(1))
        self.assertLess(len(read_until(m, lambda d: False, timeout=5)), 20 * 1000 * 1000)

    def test_redis_cli_monitor_stat_latency(self):
        cli = shutil.which("redis-cli")
        if not cli:
            self.skipTest("redis-cli not installed")
        mon = subprocess.Popen(["stdbuf", "-o0", cli, "-p", str(self.port), "monitor"],
                               stdout=subprocess.PIPE)
        try:
            time.sleep(0.3)
            self.client().set("cli:monitored", "1")
            line = b""
            deadline = time.time() + 5
            while b"cli:monitored" not in line and time.time() < deadline:
                line = mon.stdout.readline()
            self.assertIn(b'"SET" "cli:monitored" "1"', line)
        finally:
            mon.kill()
            mon.wait()
            mon.stdout.close()
        stat = subprocess.run(["timeout", "1.5", "stdbuf", "-o0", cli, "-p", str(self.port),
                               "--stat", "-i", "0.5"], capture_output=True, text=True)
        rows = stat.stdout.splitlines()
        self.assertTrue(rows and rows[0].startswith("------- data ------"), stat)
        self.assertRegex(rows[2], r"^\d+\s+[\d.]+[KMG]?\s+\d+\s+0\s+\d+ \(\+\d+\)\s+\d+")
        lat = subprocess.run([cli, "-p", str(self.port), "--latency", "-i", "0.3"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(lat.returncode, 0, lat)
        self.assertRegex(lat.stdout, r"^\d+ \d+ [\d.]+ \d+$")


class MonitorIdleTimeoutTest(unittest.TestCase):
    """--timeout closes idle clients, but not a monitor that only listens (as in Redis)."""

    def setUp(self):
        self.c = Cluster(1, extra_args=["--timeout=1"])
        self.addCleanup(self.c.close)
        self.c.leader()

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.c.client_port[1]), timeout=5)
        self.addCleanup(s.close)
        return s

    def test_monitor_outlives_the_idle_timeout(self):
        m, idle = self.connect(), self.connect()
        m.sendall(resp(["MONITOR"]))
        self.assertEqual(read_until(m, lambda d: d.endswith(b"\r\n")), b"+OK\r\n")
        idle.sendall(resp(["PING"]))
        self.assertEqual(read_until(idle, lambda d: d.endswith(b"\r\n")), b"+PONG\r\n")
        time.sleep(3)  # the cron checks once a second
        self.assertEqual(read_until(idle, lambda d: False, timeout=1), b"")  # closed
        w = self.connect()
        w.sendall(resp(["SET", "still", "watched"]))
        got = read_until(m, lambda d: b"watched" in d)
        self.assertIn(b'"SET" "still" "watched"', got)


if __name__ == "__main__":
    unittest.main()
