"""Blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) and
LMPOP/ZMPOP on real processes: replies byte for byte as redis-server 7.0 gives them (CLIENT
UNBLOCK's too), wake-up
in the order clients blocked, timeouts that change nothing, and a producer with consumers
blocked in BLPOP on a 3-node cluster whose leader is killed in the middle: no element is
handed out twice, and none vanishes unless a pop's reply was an error."""
import shutil
import socket
import threading
import time
import unittest

import redis

from cluster import ClusterTestCase
from test_redis_differential import Server
from test_transactions import RawConnection, RedisServer, assert_scripts_match_redis, encode

SCRIPTS = {
    "pops from the first non-empty key": [
        (0, "RPUSH", "l2", "a", "b", "c"), (0, "BLPOP", "l1", "l2", "0"),
        (0, "BRPOP", "l1", "l2", "0"), (0, "BLPOP", "l1", "l2", "0"), (0, "EXISTS", "l2"),
        (0, "ZADD", "z", "1", "a", "2", "b", "3", "c"), (0, "BZPOPMIN", "nz", "z", "0"),
        (0, "BZPOPMAX", "z", "0"), (0, "ZADD", "z2", "5", "x"),
        (0, "BZMPOP", "0", "2", "z", "z2", "MAX", "COUNT", "5"), (0, "ZMPOP", "1", "z2", "MIN"),
        (0, "ZMPOP", "1", "z2", "MIN"), (0, "RPUSH", "m", "1", "2", "3", "4"),
        (0, "LMPOP", "2", "x", "m", "RIGHT", "COUNT", "3"), (0, "BLMPOP", "0", "1", "m", "LEFT"),
        (0, "LMPOP", "1", "m", "LEFT")],
    "moves": [
        (0, "RPUSH", "src", "a", "b", "c"), (0, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"),
        (0, "BRPOPLPUSH", "src", "dst", "0"), (0, "BLMOVE", "src", "src", "RIGHT", "LEFT", "0"),
        (0, "LRANGE", "src", "0", "-1"), (0, "LRANGE", "dst", "0", "-1"),
        (0, "SET", "str", "v"), (0, "BLMOVE", "src", "str", "LEFT", "LEFT", "0"),
        (0, "BLMOVE", "src", "dst", "UP", "LEFT", "0"), (0, "BRPOPLPUSH", "str", "dst", "0")],
    "timeouts answer nil and change nothing": [
        (0, "BLPOP", "e", "0.05"), (0, "BRPOP", "e", "f", "0.01"),
        (0, "BLMOVE", "e", "d", "LEFT", "LEFT", "0.01"), (0, "BRPOPLPUSH", "e", "d", "0.01"),
        (0, "BLMPOP", "0.01", "2", "e", "f", "RIGHT"), (0, "BZPOPMIN", "e", "0.01"),
        (0, "BZPOPMAX", "e", "0.01"), (0, "BZMPOP", "0.01", "1", "e", "MIN", "COUNT", "2"),
        (0, "BLPOP", "e", "0.0001"), (0, "DBSIZE")],
    "argument errors": [
        (0, "BLPOP", "e", "-1"), (0, "BLPOP", "e", "x"), (0, "BLPOP", "e", "1e400"),
        (0, "BLPOP", "e", "inf"), (0, "BLPOP", "e", "nan"), (0, "BLPOP", "e", " 1"),
        (0, "BLPOP", "e"), (0, "BZPOPMIN", "e"), (0, "BLMPOP", "0", "1"), (0, "LMPOP", "1", "a"),
        (0, "LMPOP", "0", "a", "LEFT"), (0, "LMPOP", "x", "a", "LEFT"),
        (0, "LMPOP", "2", "a", "LEFT"), (0, "LMPOP", "1", "a", "MIDDLE"),
        (0, "ZMPOP", "1", "a", "LEFT"), (0, "LMPOP", "1", "a", "LEFT", "COUNT", "0"),
        (0, "LMPOP", "1", "a", "LEFT", "COUNT", "x"),
        (0, "LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "2"),
        (0, "LMPOP", "1", "a", "LEFT", "COUNT"), (0, "BLMPOP", "-1", "1", "a", "LEFT"),
        (0, "BZMPOP", "x", "1", "a", "MIN"), (0, "SET", "s", "v"), (0, "BLPOP", "s", "0"),
        (0, "BZPOPMIN", "s", "0"), (0, "LMPOP", "1", "s", "LEFT"), (0, "ZMPOP", "1", "s", "MAX")],
    "inside MULTI and scripts nothing blocks": [
        (0, "MULTI"), (0, "BLPOP", "e", "0"), (0, "BLMOVE", "e", "d", "LEFT", "LEFT", "0"),
        (0, "BRPOPLPUSH", "e", "d", "0"), (0, "BZPOPMAX", "e", "0"),
        (0, "BLMPOP", "0", "1", "e", "LEFT"), (0, "BZMPOP", "0", "1", "e", "MIN"),
        (0, "RPUSH", "e", "x"), (0, "BLPOP", "e", "0"), (0, "EXEC"),
        (0, "EVAL", "return redis.call('blmpop', 0, 1, KEYS[1], 'left')", "1", "e"),
        (0, "RPUSH", "e", "y"),
        (0, "EVAL", "return redis.call('blmpop', 0, 1, KEYS[1], 'left')", "1", "e"),
        (0, "EVAL", "return redis.call('bzmpop', 0, 1, KEYS[1], 'min')", "1", "e")],
}


class BlockingRedisCompatTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, SCRIPTS)


def unblock_replies(port, protocol):
    """What CLIENT UNBLOCK answers, and what each kind of blocked client then gets, at
    `port`: its argument errors, then for each blocking command and reason the unblock's
    reply, the blocked client's, a second unblock's and the client's next reply."""
    out = []
    admin = RawConnection(port)
    try:
        for args in ((), ("x",), ("5", "nope"), ("x", "nope"), ("99999",), ("-1",),
                     ("1", "timeout", "extra")):
            out.append(admin.call("CLIENT", "UNBLOCK", *args))
        for cmd in (("BLPOP", "k", "0"), ("XREAD", "BLOCK", "0", "STREAMS", "x", "$"),
                    ("BZPOPMIN", "z", "0"), ("BLMPOP", "0", "1", "k", "LEFT"),
                    ("BRPOPLPUSH", "k", "d", "0"), ("WAIT", "3", "0")):
            for reason in ("TIMEOUT", "ERROR"):
                if cmd[0] == "WAIT" and reason == "TIMEOUT":
                    continue  # the count of replicas: raftkv has two, the server none
                blocked = Server(port, protocol)  # RESP2 or RESP3 (HELLO 3)
                try:
                    blocked.call("SET", "w", "1")  # WAIT waits for this write
                    client_id = blocked.call("CLIENT", "ID")[0][1:-2].decode()
                    blocked.sock.sendall(encode(*cmd))
                    time.sleep(0.1)
                    out += [admin.call("CLIENT", "UNBLOCK", client_id, reason),
                            blocked.reader.reply()[0], admin.call("CLIENT", "UNBLOCK", client_id),
                            blocked.call("PING")[0]]
                finally:
                    blocked.close()
    finally:
        admin.close()
    return out


class ClientUnblockTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_client_unblock_replies_match_redis_byte_for_byte(self):
        server = RedisServer()
        try:
            leader = self.c.client_port[self.c.leader()]
            for protocol in (2, 3):
                with self.subTest(protocol=protocol):
                    self.assertEqual(unblock_replies(leader, protocol),
                                     unblock_replies(server.port, protocol))
        finally:
            server.close()

    def test_an_unblocked_wait_answers_the_replicas_that_hold_the_write(self):
        port = self.c.client_port[self.c.leader()]
        admin, blocked = RawConnection(port), RawConnection(port)
        try:
            self.assertEqual(blocked.call("SET", "w", "1"), b"+OK\r\n")
            client_id = blocked.call("CLIENT", "ID")[1:-2].decode()
            blocked.sock.sendall(encode("WAIT", "3", "0"))  # two replicas: waits for ever
            time.sleep(0.2)
            self.assertEqual(admin.call("CLIENT", "UNBLOCK", client_id), b":1\r\n")
            self.assertEqual(blocked._reply(), b":2\r\n")
        finally:
            admin.close()
            blocked.close()


class Blocker(threading.Thread):
    """Sends one blocking command on a connection of its own and keeps its raw reply."""

    def __init__(self, port, *cmd):
        super().__init__(daemon=True)
        self.conn = RawConnection(port)
        self.conn.sock.settimeout(20)
        self.cmd = cmd
        self.reply = None
        self.error = None
        self.done_at = None

    def run(self):
        try:
            self.reply = self.conn.call(*self.cmd)
        except Exception as e:  # noqa: BLE001 - the test looks at it
            self.error = e
        self.done_at = time.time()
        self.conn.close()


def wait_blocked(client, n, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if client.info("clients")["blocked_clients"] == n:
            return
        time.sleep(0.01)
    raise AssertionError(f"not {n} blocked clients")


class BlockingTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.leader = self.c.leader()
        self.port = self.c.client_port[self.leader]
        self.r = self.c.client(self.leader)

    def test_clients_are_served_in_the_order_they_blocked(self):
        blockers = []
        for i in range(4):
            # Different key lists: the first key that has an element serves each.
            keys = ["q"] if i % 2 == 0 else ["other", "q"]
            b = Blocker(self.port, "BLPOP", *keys, "0")
            b.start()
            wait_blocked(self.r, i + 1)
            blockers.append(b)
        self.r.rpush("q", "a", "b", "c")
        for b in blockers[:3]:
            b.join(5)
        self.assertEqual([b.reply for b in blockers[:3]],
                         [b"*2\r\n$1\r\nq\r\n$1\r\n%s\r\n" % x for x in (b"a", b"b", b"c")])
        self.assertIsNone(blockers[3].reply, "the fourth still waits")
        self.r.rpush("other", "d")
        blockers[3].join(5)
        self.assertEqual(blockers[3].reply, b"*2\r\n$5\r\nother\r\n$1\r\nd\r\n")
        self.assertEqual(self.r.info("clients")["blocked_clients"], 0)
        self.c.wait_converged()

    def test_each_blocking_pop_wakes_for_its_type(self):
        cases = [
            (("BLMOVE", "s", "d", "RIGHT", "LEFT", "0"), ("RPUSH", "s", "x"), b"$1\r\nx\r\n"),
            (("BRPOPLPUSH", "s", "d", "0"), ("RPUSH", "s", "y"), b"$1\r\ny\r\n"),
            (("BLMPOP", "0", "2", "n", "s", "RIGHT", "COUNT", "2"), ("RPUSH", "s", "1", "2"),
             b"*2\r\n$1\r\ns\r\n*2\r\n$1\r\n2\r\n$1\r\n1\r\n"),
            (("BZPOPMIN", "z", "0"), ("ZADD", "z", "1.5", "m"), b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n$3\r\n1.5\r\n"),
            (("BZPOPMAX", "z", "0"), ("ZADD", "z", "2", "m"), b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n2\r\n"),
            (("BZMPOP", "0", "1", "z", "MIN"), ("ZADD", "z", "3", "m"),
             b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nm\r\n$1\r\n3\r\n"),
        ]
        for cmd, push, want in cases:
            with self.subTest(cmd[0]):
                b = Blocker(self.port, *cmd)
                b.start()
                wait_blocked(self.r, 1)
                self.r.execute_command(*push)
                b.join(5)
                self.assertEqual(b.reply, want)
        self.assertEqual(self.r.lrange("d", 0, -1), [b"y", b"x"])

    def test_an_element_blmove_moves_wakes_the_destination_s_waiter(self):
        a = Blocker(self.port, "BLPOP", "d", "0")
        a.start()
        wait_blocked(self.r, 1)
        b = Blocker(self.port, "BLMOVE", "s", "d", "LEFT", "LEFT", "0")
        b.start()
        wait_blocked(self.r, 2)
        self.r.rpush("s", "x")
        b.join(5)
        a.join(5)
        self.assertEqual(b.reply, b"$1\r\nx\r\n")
        self.assertEqual(a.reply, b"*2\r\n$1\r\nd\r\n$1\r\nx\r\n")
        self.assertEqual(self.r.dbsize(), 0)

    def quiet_commit_index(self):
        """The commit index once nothing else is being logged (a new cluster's leader
        records its members' client addresses, one entry at a time, in its first moments)."""
        index = self.r.info("raft")["raft_commit_index"]
        deadline = time.time() + 5
        while time.time() < deadline:
            time.sleep(0.5)
            now = self.r.info("raft")["raft_commit_index"]
            if now == index:
                return index
            index = now
        return index

    def test_a_timeout_answers_nil_and_changes_nothing(self):
        before = self.quiet_commit_index()
        start = time.time()
        self.assertIsNone(self.r.blpop(["t"], timeout=0.2))
        self.assertGreaterEqual(time.time() - start, 0.19)
        self.assertLess(time.time() - start, 2)
        b = Blocker(self.port, "BLMOVE", "t", "u", "LEFT", "LEFT", "0.1")
        b.start()
        b.join(5)
        self.assertEqual(b.reply, b"*-1\r\n")
        self.assertEqual(self.r.dbsize(), 0)
        # Only each command's first (nil) attempt went through the log.
        self.assertLessEqual(self.r.info("raft")["raft_commit_index"] - before, 3)

    def test_a_client_that_disconnects_while_blocked_gets_nothing_popped(self):
        b = Blocker(self.port, "BLPOP", "q", "0")
        b.start()
        wait_blocked(self.r, 1)
        b.conn.sock.shutdown(socket.SHUT_RDWR)
        b.conn.sock.close()
        time.sleep(0.3)  # the server notices the disconnection
        self.r.rpush("q", "kept")
        time.sleep(0.2)
        self.assertEqual(self.r.lrange("q", 0, -1), [b"kept"])
        self.assertEqual(self.r.info("clients")["blocked_clients"], 0)

    def test_later_commands_of_a_blocked_connection_wait_behind_it(self):
        c = RawConnection(self.port)
        c.sock.settimeout(5)
        c.sock.sendall(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        wait_blocked(self.r, 1)
        self.r.set("k", "v")
        self.r.rpush("q", "x")
        self.assertEqual(c._reply(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
        self.assertEqual(c._reply(), b"$1\r\nv\r\n")
        c.close()

    def test_blocked_clients_are_redirected_when_leadership_moves(self):
        b = Blocker(self.port, "BLPOP", "q", "0")
        b.start()
        wait_blocked(self.r, 1)
        other = next(i for i in self.c.ids if i != self.leader)
        self.r.execute_command("RAFT", "TRANSFER", str(other))
        b.join(10)
        self.assertIsNotNone(b.reply, "answered, not left hanging")
        self.assertRegex(b.reply, rb"^-(MOVED \d+ 127\.0\.0\.1:\d+|CLUSTERDOWN)")


class BlockingFailoverTest(ClusterTestCase):
    def leader_client(self, timeout=5):
        return self.c.client(self.c.leader(timeout=20), timeout=timeout)

    def test_consumers_blocked_in_blpop_through_a_leader_kill(self):
        n_items, n_consumers = 1000, 4
        acked, maybe = set(), set()  # pushed for sure; pushed or not (unknown outcome)
        popped, pop_errors = [], []
        lock = threading.Lock()
        producing = threading.Event()
        producing.set()

        def produce():
            r = self.leader_client()
            for i in range(n_items):
                item = b"item-%d" % i
                while True:
                    try:
                        r.rpush("jobs", item)
                        acked.add(item)
                        break
                    except redis.exceptions.ResponseError as e:
                        if str(e).startswith(("MOVED", "CLUSTERDOWN", "TRYAGAIN")):
                            time.sleep(0.05)  # not executed: push it again
                            r = self.leader_client()
                            continue
                        maybe.add(item)  # UNKNOWN: it may be in; not pushed again
                        r = self.leader_client()
                        break
                    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                        maybe.add(item)  # sent, maybe applied: not pushed again
                        time.sleep(0.05)
                        r = self.leader_client()
                        break
            producing.clear()

        def consume():
            r = None
            idle = 0
            while producing.is_set() or idle < 3:
                try:
                    r = r or self.leader_client(timeout=10)
                    got = r.blpop(["jobs"], timeout=0.5)
                except redis.exceptions.ResponseError as e:
                    r = None
                    if not str(e).startswith(("MOVED", "CLUSTERDOWN")):  # not executed
                        with lock:
                            pop_errors.append(str(e))
                    time.sleep(0.05)
                    continue
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as e:
                    r = None
                    with lock:
                        pop_errors.append(repr(e))
                    time.sleep(0.05)
                    continue
                if got is None:
                    idle += 0 if producing.is_set() else 1
                    continue
                idle = 0
                with lock:
                    popped.append(got[1])

        threads = [threading.Thread(target=produce, daemon=True)] + [
            threading.Thread(target=consume, daemon=True) for _ in range(n_consumers)]
        old = self.c.leader()
        self.c.kill_during(threads, old, after=1.0, join_timeout=45)
        self.assertFalse(any(t.is_alive() for t in threads), "the workload finished")
        self.c.start(old)
        self.c.wait_converged(timeout=20)

        left = self.leader_client().lrange("jobs", 0, -1)
        self.assertEqual(left, [], "consumers drained the list")
        self.assertEqual(len(popped), len(set(popped)), "no element handed out twice")
        self.assertTrue(set(popped) <= acked | maybe, "every popped element was pushed")
        lost = acked - set(popped)
        print(f"\n{len(acked)} pushed, {len(maybe)} unknown, {len(popped)} popped, "
              f"{len(pop_errors)} pop errors, {len(lost)} acked but never received")
        self.assertLessEqual(len(lost), len(pop_errors),
                             "an element vanishes only with a pop whose reply was an error")
        self.assertLessEqual(len(pop_errors), 3 * n_consumers, f"bounded: {pop_errors}")


if __name__ == "__main__":
    unittest.main()
