"""Streams on real processes: replies byte for byte as redis-server 7.0 gives them (explicit
IDs, so that both servers make the same ones; `*` IDs come from log time and are checked by
shape), and a redis-py producer and consumer group on a 3-node cluster whose leader is killed
in the middle: every entry added is kept, every acknowledged entry stays acknowledged, and
entries delivered but not acknowledged are still pending after the failover."""
import random
import re
import shutil
import threading
import time
import unittest

import redis

from cluster import ClusterTestCase
from test_transactions import RawConnection, RedisServer, assert_scripts_match_redis

S = "st"  # the stream key most scripts use

SCRIPTS = {
    "XSETID: options, checks and errors": [
        (0, "XSETID", S, "1-1"), (0, "XSETID", S, "1-1", "MAXDELETEDID", "2-0"),
        (0, "XADD", S, "5-5", "a", "1"), (0, "XSETID", S, "1-1"), (0, "XSETID", S, "5"),
        (0, "XSETID", S, "10-0", "ENTRIESADDED", "-1"),
        (0, "XSETID", S, "10-0", "ENTRIESADDED", "0"),
        (0, "XSETID", S, "10-0", "ENTRIESADDED", "x"), (0, "XSETID", S, "10-0", "ENTRIESADDED"),
        (0, "XSETID", S, "10-0", "FOO", "1"), (0, "XSETID", S, "+"), (0, "XSETID", S),
        (0, "XSETID", S, "10-0", "MAXDELETEDID", "1-*"), (0, "SET", "str", "v"),
        (0, "XSETID", "str", "1-1"),
        (0, "XSETID", S, "10-0", "entriesadded", "5", "maxdeletedid", "7-1"),
        (0, "XINFO", "STREAM", S), (0, "XADD", S, "9-0", "a", "1"), (0, "XADD", S, "10-*", "a", "1"),
        (0, "XSETID", S, "10-1"), (0, "XSETID", S, "7-0"), (0, "XTRIM", S, "MAXLEN", "0"),
        (0, "XSETID", S, "0-0"), (0, "XADD", S, "1-1", "a", "1"), (0, "XINFO", "STREAM", S),
        (0, "XSETID", S, "18446744073709551615-18446744073709551615", "ENTRIESADDED",
         "9223372036854775807"), (0, "XADD", S, "*", "a", "1"), (0, "XINFO", "STREAM", S)],
    "explicit IDs, ms-* and their errors": [
        (0, "XADD", S, "1-1", "a", "1"), (0, "XADD", S, "1-*", "b", "2"),
        (0, "XADD", S, "1-1", "a", "1"), (0, "XADD", S, "0-0", "a", "1"),
        (0, "XADD", S, "5", "c", "3"), (0, "XADD", S, "03-01", "x", "y"),
        (0, "XADD", S, "abc", "a", "1"), (0, "XADD", S, "2-1", "a"),
        (0, "XADD", "max", "18446744073709551615-18446744073709551615", "a", "1"),
        (0, "XADD", "max", "18446744073709551615-*", "a", "1"),
        (0, "XLEN", S), (0, "XLEN", "nokey"), (0, "TYPE", S)],
    "options: NOMKSTREAM, MAXLEN, MINID, LIMIT": [
        (0, "XADD", S, "NOMKSTREAM", "1-1", "a", "1"), (0, "EXISTS", S),
        (0, "XADD", S, "MAXLEN", "1", "MINID", "0", "1-1", "a", "1"),
        (0, "XADD", S, "MAXLEN", "2", "LIMIT", "5", "1-1", "a", "1"),
        (0, "XADD", S, "LIMIT", "5", "1-1", "a", "1"),
        (0, "XADD", S, "MAXLEN", "-1", "1-1", "a", "1"),
        (0, "XADD", S, "MAXLEN", "~", "1", "LIMIT", "-1", "1-1", "a", "1"),
        (0, "XADD", S, "1-1", "a", "1"), (0, "XADD", S, "2-1", "a", "2"),
        (0, "XADD", S, "MAXLEN", "=", "2", "3-1", "a", "3"),
        (0, "XADD", S, "MAXLEN", "~", "1", "4-1", "a", "4"),
        (0, "XADD", S, "MINID", "4", "5-1", "a", "5"), (0, "XRANGE", S, "-", "+"),
        (0, "XADD", S, "MAXLEN", "0", "6-1", "a", "6"), (0, "XLEN", S), (0, "EXISTS", S),
        (0, "XINFO", "STREAM", S)],
    "ranges, COUNT and exclusive bounds": [
        (0, "XADD", S, "1-1", "f", "1"), (0, "XADD", S, "1-2", "f", "2"),
        (0, "XADD", S, "3-0", "f", "3", "g", "4"), (0, "XRANGE", S, "-", "+"),
        (0, "XRANGE", S, "1", "1"), (0, "XRANGE", S, "(1-1", "+"),
        (0, "XREVRANGE", S, "+", "-", "COUNT", "2"), (0, "XREVRANGE", S, "(3-0", "-"),
        (0, "XRANGE", S, "-", "+", "COUNT", "0"), (0, "XRANGE", S, "-", "+", "COUNT", "-1"),
        (0, "XRANGE", S, "+", "-"), (0, "XRANGE", "nokey", "-", "+"),
        (0, "XRANGE", S, "(", "+"), (0, "XRANGE", S, "-", "+", "COUNT"),
        (0, "XRANGE", S, "-", "+", "FOO", "1"),
        (0, "XRANGE", S, "(18446744073709551615-18446744073709551615", "+"),
        (0, "XREVRANGE", S, "(0-0", "-"),
        (0, "XRANGE", S, "-", "+", "COUNT", "1", "COUNT", "2")],
    "XDEL and XTRIM": [
        (0, "XADD", S, "1-1", "f", "1"), (0, "XADD", S, "2-1", "f", "2"),
        (0, "XADD", S, "3-1", "f", "3"), (0, "XDEL", S, "2-1", "9-9", "2-1"),
        (0, "XDEL", S, "x"), (0, "XDEL", "nokey", "1-1"), (0, "XTRIM", "nokey", "MAXLEN", "1"),
        (0, "XTRIM", "nokey", "MAXLEN", "x"), (0, "XTRIM", S, "MAXLEN", "2", "FOO"),
        (0, "XTRIM", S, "MAXLEN", "5", "LIMIT", "10"),
        (0, "XTRIM", S, "MINID", "~", "0", "LIMIT", "10"),
        (0, "XTRIM", S, "MAXLEN", "~", "1"), (0, "XTRIM", S, "MAXLEN", "=", "1"),
        (0, "XINFO", "STREAM", S), (0, "XTRIM", S, "MINID", "10"), (0, "XINFO", "STREAM", S)],
    "XREAD": [
        (0, "XADD", S, "1-1", "f", "1"), (0, "XADD", S, "2-1", "f", "2"),
        (0, "XREAD", "STREAMS", S, "0"), (0, "XREAD", "COUNT", "1", "STREAMS", S, "nokey", "0", "0"),
        (0, "XREAD", "STREAMS", S, "$"), (0, "XREAD", "STREAMS", "nokey", "0"),
        (0, "XREAD", "STREAMS", S, ">"), (0, "XREAD", "COUNT", "x", "STREAMS", S, "0"),
        (0, "XREAD", "COUNT", "-1", "STREAMS", S, "1-1"),
        (0, "XREAD", "FOO", "STREAMS", S, "0"), (0, "XREAD", "STREAMS", S, "nokey", "0"),
        (0, "XREAD", "GROUP", "g", "c", "STREAMS", S, "0"),
        (0, "XREAD", "BLOCK", "-1", "STREAMS", S, "0"), (0, "SET", "str", "v"),
        (0, "XREAD", "STREAMS", "str", "0"), (0, "XREAD", "STREAMS", S, "bad")],
    "groups: create, read, ack, pending": [
        (0, "XADD", S, "1-1", "a", "1"), (0, "XADD", S, "1-2", "b", "2", "c", "3"),
        (0, "XADD", S, "2-1", "d", "4"), (0, "XGROUP", "CREATE", S, "g", "0"),
        (0, "XGROUP", "CREATE", S, "g", "0"), (0, "XGROUP", "CREATE", S, "g2", "$"),
        (0, "XGROUP", "CREATE", "nokey", "g", "$"),
        (0, "XGROUP", "CREATE", S, "g3", "$", "FOO"),
        (0, "XGROUP", "CREATE", S, "g3", "$", "ENTRIESREAD", "-5"),
        (0, "XGROUP", "CREATECONSUMER", S, "g", "c0"),
        (0, "XGROUP", "CREATECONSUMER", S, "g", "c0"),
        (0, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", S, ">"),
        (0, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", S, "0"),
        (0, "XREADGROUP", "GROUP", "g", "c2", "NOACK", "STREAMS", S, ">"),
        (0, "XREADGROUP", "GROUP", "g", "c2", "STREAMS", S, ">"),
        (0, "XREADGROUP", "GROUP", "g", "c2", "STREAMS", S, "$"),
        (0, "XREADGROUP", "GROUP", "nog", "c", "STREAMS", S, ">"),
        (0, "XINFO", "GROUPS", S), (0, "XPENDING", S, "g"), (0, "XPENDING", S, "g2"),
        (0, "XPENDING", "nokey", "g"), (0, "XPENDING", S, "g", "-", "+", "x"),
        (0, "XPENDING", S, "g", "IDLE", "1"),
        (0, "XACK", S, "g", "1-1", "1-1", "9-9"), (0, "XACK", S, "g", "x"),
        (0, "XACK", "nokey", "g", "1-1"), (0, "XPENDING", S, "g"),
        (0, "XDEL", S, "1-2"), (0, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", S, "0"),
        (0, "XINFO", "STREAM", S)],
    "groups: claims, setid, destroy, consumers": [
        (0, "XADD", S, "1-1", "a", "1"), (0, "XADD", S, "1-2", "b", "2"),
        (0, "XADD", S, "2-1", "d", "4"), (0, "XGROUP", "CREATE", S, "g", "0"),
        (0, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", S, ">"), (0, "XDEL", S, "1-2"),
        (0, "XCLAIM", S, "g", "c3", "0", "1-1", "1-2", "5-5"),
        (0, "XCLAIM", S, "g", "c3", "0", "1-1", "JUSTID"),
        (0, "XCLAIM", S, "g", "c4", "0", "2-1", "FORCE", "LASTID", "9-9", "RETRYCOUNT", "7"),
        (0, "XCLAIM", S, "g", "c3", "x", "1-1"), (0, "XCLAIM", S, "g", "c3", "0", "1-1", "FOO"),
        (0, "XCLAIM", S, "g", "c3", "0", "1-1", "IDLE", "x"),
        (0, "XCLAIM", S, "nog", "c3", "0", "1-1"), (0, "XINFO", "GROUPS", S),
        (0, "XAUTOCLAIM", S, "g", "c5", "0", "0", "COUNT", "1"),
        (0, "XAUTOCLAIM", S, "g", "c5", "0", "0", "JUSTID"),
        (0, "XAUTOCLAIM", S, "g", "c5", "0", "0", "COUNT", "0"),
        (0, "XAUTOCLAIM", S, "g", "c5", "x", "0"), (0, "XAUTOCLAIM", S, "nog", "c", "0", "0"),
        (0, "XPENDING", S, "g"), (0, "XGROUP", "DELCONSUMER", S, "g", "c5"),
        (0, "XGROUP", "DELCONSUMER", S, "g", "nobody"),
        (0, "XGROUP", "SETID", S, "g", "0", "ENTRIESREAD", "1"), (0, "XINFO", "GROUPS", S),
        (0, "XGROUP", "SETID", S, "nog", "0"), (0, "XGROUP", "SETID", S, "g", ">"),
        (0, "XGROUP", "DESTROY", S, "g"), (0, "XGROUP", "DESTROY", S, "g"),
        (0, "XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM", "ENTRIESREAD", "3"),
        (0, "XINFO", "GROUPS", "s2"), (0, "XINFO", "STREAM", "s2"),
        (0, "XGROUP", "FOO", S, "g"), (0, "XGROUP", "HELP"), (0, "XINFO", "HELP"),
        (0, "XINFO", "STREAM"), (0, "XINFO", "FOO", S), (0, "XINFO", "STREAM", "nokey"),
        (0, "XINFO", "STREAM", S, "FOO"), (0, "XINFO", "GROUPS", S, "x"),
        (0, "XINFO", "CONSUMERS", S, "nog"), (0, "SET", "str", "v"),
        (0, "XLEN", "str"), (0, "XGROUP", "CREATE", "str", "g", "$")],
}


# Random stream commands (explicit IDs, every option, valid and not) for a seeded
# comparison with redis-server. Outputs that show times (idle, delivery and seen times) are
# left out: they depend on when each server ran the command.
KEYS, GROUPS, CONSUMERS = ["s1", "s2"], ["g1", "g2"], ["c1", "c2", "c3"]


def random_id(rnd):
    r = rnd.random()
    if r < 0.1:
        return rnd.choice(["-", "+", "0", "(0-0", "x", "0-0"])
    ms, seq = rnd.randint(0, 30), rnd.randint(0, 3)
    if r < 0.3:
        return str(ms)
    return ("(%d-%d" if r < 0.4 else "%d-%d") % (ms, seq)


def random_xadd(rnd, k):
    args = ["XADD", k]
    if rnd.random() < 0.2:
        args.append("NOMKSTREAM")
    if rnd.random() < 0.2:
        args += ["MAXLEN"] + rnd.choice([["="], ["~"], []]) + [str(rnd.randint(0, 6))]
    elif rnd.random() < 0.1:
        args += ["MINID", rnd.choice(["=", "~"]), random_id(rnd)]
    ms = rnd.randint(0, 30)
    args.append(rnd.choice(["%d-%d" % (ms, rnd.randint(0, 3)), "%d-*" % ms, str(ms)]))
    return args + ["f", str(rnd.randint(0, 9))] * rnd.randint(1, 2)


def random_reads(rnd, args, ids):
    if rnd.random() < 0.5:
        args += ["COUNT", str(rnd.randint(0, 3))]
    keys = rnd.sample(KEYS, rnd.randint(1, 2))
    return args + ["STREAMS"] + keys + [rnd.choice(ids + [random_id(rnd)]) for _ in keys]


def random_xgroup(rnd, k, g, c):
    sub = rnd.choice(["CREATE", "CREATE", "SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER"])
    if sub == "DESTROY":
        return ["XGROUP", sub, k, g]
    if sub not in ("CREATE", "SETID"):
        return ["XGROUP", sub, k, g, c]
    args = ["XGROUP", sub, k, g, rnd.choice(["$", "0", random_id(rnd)])]
    if sub == "CREATE" and rnd.random() < 0.3:
        args.append("MKSTREAM")
    if rnd.random() < 0.25:
        args += ["ENTRIESREAD", str(rnd.randint(-1, 5))]
    return args


def random_claim(rnd, k, g, c):
    if rnd.random() < 0.5:
        args = ["XAUTOCLAIM", k, g, c, "0", random_id(rnd)]
        if rnd.random() < 0.5:
            args += ["COUNT", str(rnd.randint(1, 3))]
        return args + (["JUSTID"] if rnd.random() < 0.3 else [])
    args = ["XCLAIM", k, g, c, "0"] + [random_id(rnd) for _ in range(rnd.randint(1, 3))]
    args += [opt for opt in ("FORCE", "JUSTID") if rnd.random() < 0.3]
    if rnd.random() < 0.2:
        args += ["RETRYCOUNT", str(rnd.randint(0, 5))]
    if rnd.random() < 0.2:
        args += ["LASTID", random_id(rnd)]
    return args


def random_command(rnd):
    k, g, c = rnd.choice(KEYS), rnd.choice(GROUPS), rnd.choice(CONSUMERS)
    op = rnd.randint(0, 15)
    if op <= 3:
        return random_xadd(rnd, k)
    if op == 4:
        return ["XDEL", k] + [random_id(rnd) for _ in range(rnd.randint(1, 3))]
    if op == 5:
        return ["XTRIM", k, rnd.choice(["MAXLEN", "MINID"]), rnd.choice(["=", "~"]),
                str(rnd.randint(0, 5))]
    if op == 6:
        args = [rnd.choice(["XRANGE", "XREVRANGE"]), k, random_id(rnd), random_id(rnd)]
        return args + (["COUNT", str(rnd.randint(-1, 4))] if rnd.random() < 0.4 else [])
    if op == 7:
        return random_reads(rnd, ["XREAD"], ["$"])
    if op == 8:
        return random_xgroup(rnd, k, g, c)
    if op in (9, 10):
        args = ["XREADGROUP", "GROUP", g, c] + (["NOACK"] if rnd.random() < 0.2 else [])
        return random_reads(rnd, args, [">", ">", "0"])
    if op == 11:
        return ["XACK", k, g] + [random_id(rnd) for _ in range(rnd.randint(1, 3))]
    if op == 12:
        return random_claim(rnd, k, g, c)
    if op == 13:
        return ["XPENDING", k, g]
    if op == 14:
        return ["XINFO", rnd.choice(["STREAM", "GROUPS"]), k]
    return ["XLEN", k]


class StreamRedisCompatTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, SCRIPTS)

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_random_commands_match_redis(self):
        assert_random_commands_match(self, RawConnection, (1, 2, 3), 600)

    def test_automatic_ids_are_log_time(self):
        r = self.c.client(self.c.leader())
        before = int(time.time() * 1000)
        first = r.xadd("auto", {"f": "1"}).decode()
        second = r.xadd("auto", {"f": "2"}).decode()
        self.assertRegex(first, r"^\d+-\d+$")
        ms = int(first.split("-")[0])
        self.assertLess(abs(ms - before), 60_000, "IDs are the leader's clock, via the log")
        self.assertLess(tuple(map(int, first.split("-"))), tuple(map(int, second.split("-"))))
        # Followers apply these later than the leader: equal digests mean they made the
        # same IDs, from the entries' log time rather than their own clocks.
        for i in range(50):
            r.xadd("auto", {"f": str(i)})
        self.c.wait_converged()


def assert_random_commands_match(test, connection, seeds, count, setup=(),
                                 normalize=lambda reply: reply):
    """Sends the same random commands to the test's leader and to a fresh redis-server over
    `connection`s, after `setup` commands and FLUSHALL for each seed; the replies (after
    `normalize`) must be equal."""
    server = RedisServer()
    ours = connection(test.c.client_port[test.c.leader()])
    theirs = connection(server.port)
    try:
        for seed in seeds:
            rnd = random.Random(seed)
            for conn in (ours, theirs):
                for cmd in (*setup, ("FLUSHALL",)):
                    conn.call(*cmd)
            for i in range(count):
                cmd = random_command(rnd)
                test.assertEqual(normalize(ours.call(*cmd)), normalize(theirs.call(*cmd)),
                                 f"seed {seed}, command {i}: {' '.join(cmd)}")
    finally:
        ours.close()
        theirs.close()
        server.close()


def retry(fn, attempts=100):
    """Calls fn until it stops failing for lack of a leader (each failure means not
    executed, or an unknown outcome the caller checks afterwards)."""
    for _ in range(attempts):
        try:
            return fn()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                redis.exceptions.ResponseError) as e:
            if isinstance(e, redis.exceptions.ResponseError) and not re.match(
                    r"(MOVED|CLUSTERDOWN|TRYAGAIN|UNKNOWN)", str(e)):
                raise
            time.sleep(0.1)
    raise AssertionError("no leader to serve the request")


class StreamFailoverTest(ClusterTestCase):
    def leader_client(self):
        return self.c.client(self.c.leader(timeout=20), timeout=5)

    def test_consumer_group_survives_a_leader_kill(self):
        r = self.leader_client()
        r.xgroup_create("jobs", "workers", id="0", mkstream=True)
        added, acked, pending = [], set(), set()

        def produce(n):
            for i in range(n):
                added.append(retry(lambda: self.leader_client().xadd(
                    "jobs", {"job": str(len(added))}, id=f"{len(added) + 1}-0")))

        def consume(count, ack):
            client = self.leader_client()
            reply = retry(lambda: client.xreadgroup("workers", "w1", {"jobs": ">"}, count=count))
            ids = [entry_id for _, entries in reply for entry_id, _ in entries]
            for entry_id in ids:
                if ack:
                    self.assertEqual(retry(lambda: client.xack("jobs", "workers", entry_id)), 1)
                    acked.add(entry_id)
                else:
                    pending.add(entry_id)
            return ids

        produce(40)
        consume(15, ack=True)
        consume(5, ack=False)
        old = self.c.leader()
        self.c.kill(old)
        produce(20)
        consume(20, ack=True)
        consume(5, ack=False)
        self.c.start(old)
        self.c.wait_converged(timeout=20)

        for node in self.c.ids:  # every node agrees on the stream and the group
            client = self.c.client(node)
            self.assertEqual(client.execute_command("DEBUG", "DIGEST"),
                             self.c.client(self.c.leader()).execute_command("DEBUG", "DIGEST"))
        r = self.leader_client()
        self.assertEqual(r.xlen("jobs"), len(added), "no added entry lost")
        entries = [entry_id for entry_id, _ in r.xrange("jobs")]
        self.assertEqual(entries, [a if isinstance(a, bytes) else a.encode() for a in added])
        still_pending = {p["message_id"] for p in r.xpending_range("jobs", "workers", "-", "+", 1000)}
        self.assertEqual(still_pending, pending, "acked entries stay acked, pending survive")
        summary = r.xpending("jobs", "workers")
        self.assertEqual(summary["pending"], len(pending))
        # The next read carries on after the last delivered entry, on the new leader.
        self.assertEqual(r.xreadgroup("workers", "w2", {"jobs": ">"}, count=100)[0][1][0][0],
                         entries[len(acked) + len(pending)])


class StreamBlockingTest(ClusterTestCase):
    def test_block_waits_for_an_append_or_the_timeout(self):
        leader = self.c.leader()
        r, other = self.c.client(leader, timeout=10), self.c.client(leader)
        start = time.time()
        self.assertEqual(r.xread({"b": "$"}, block=200), [], "the timeout's nil array")
        self.assertGreaterEqual(time.time() - start, 0.19, "waited for the timeout")
        got = {}
        reader = threading.Thread(target=lambda: got.setdefault("r", r.xread({"b": "$"}, block=0)))
        reader.start()
        time.sleep(0.3)
        self.assertNotIn("r", got, "still blocked: nothing was added")
        other.xadd("b", {"f": "v"}, id="5-1")
        reader.join(10)
        self.assertEqual(got["r"], [[b"b", [(b"5-1", {b"f": b"v"})]]])

    def test_xreadgroup_block_delivers_each_entry_to_one_consumer(self):
        leader = self.c.leader()
        self.c.client(leader).xgroup_create("q", "g", id="$", mkstream=True)
        got = {}

        def consume(name):
            client = self.c.client(leader, timeout=10)
            got[name] = client.xreadgroup("g", name, {"q": ">"}, count=1, block=5000)

        consumers = [threading.Thread(target=consume, args=(n,)) for n in ("c1", "c2")]
        for t in consumers:
            t.start()
        time.sleep(0.3)
        producer = self.c.client(leader)
        producer.xadd("q", {"job": "1"}, id="1-1")
        producer.xadd("q", {"job": "2"}, id="2-1")
        for t in consumers:
            t.join(10)
        delivered = sorted(entries[0][1][0][0] for entries in got.values())
        self.assertEqual(delivered, [b"1-1", b"2-1"], "each entry to exactly one consumer")
        self.assertEqual(producer.xpending("q", "g")["pending"], 2)

    def test_leadership_moving_unblocks_with_a_redirect(self):
        leader = self.c.leader()
        r = self.c.client(leader, timeout=10)
        got = {}

        def read():
            try:
                got["reply"] = r.xread({"moved": "$"}, block=0)
            except redis.exceptions.ResponseError as e:
                got["error"] = str(e)

        reader = threading.Thread(target=read)
        reader.start()
        time.sleep(0.3)
        target = next(i for i in self.c.ids if i != leader)
        self.assertEqual(self.c.client(leader).execute_command("RAFT", "TRANSFER", target), b"OK")
        reader.join(10)
        self.assertFalse(reader.is_alive(), "the blocked client was answered")
        self.assertRegex(got.get("error", ""), r"^(MOVED|CLUSTERDOWN)")


if __name__ == "__main__":
    unittest.main()
