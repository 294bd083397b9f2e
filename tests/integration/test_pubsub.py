"""Pub/sub on a 3-node cluster: a message published on the leader reaches the subscribers of
every node, in the same order on all of them; push frames and errors are Redis 7.0's byte for
byte; redis-py's PubSub works unchanged; a subscriber that does not read is disconnected at the
pubsub output buffer limit."""

import shutil
import socket
import threading
import time
import unittest

import redis

from cluster import ClusterTestCase
from test_snapshots import persistence, write_batch
from test_resp3 import Resp3Connection, normalize
from test_transactions import RawConnection, RedisServer, encode


def read_frames(conn, n):
    return [conn._reply() for _ in range(n)]


# Each step: (connection, replies to read, command...). A command of "READ" sends nothing and
# reads pushed frames. Connection 1 publishes while connection 0 is subscribed.
SCRIPTS = {
    "subscribe and unsubscribe frames": [
        (0, 2, "SUBSCRIBE", "a", "b"), (0, 1, "SUBSCRIBE", "a"), (0, 1, "UNSUBSCRIBE", "a"),
        (0, 1, "UNSUBSCRIBE", "nosuch"), (0, 1, "UNSUBSCRIBE"), (0, 1, "UNSUBSCRIBE"),
        (0, 1, "PUNSUBSCRIBE"), (0, 1, "GET", "k")],
    "pattern subscriptions count with channels": [
        (0, 1, "PSUBSCRIBE", "n*"), (0, 1, "SUBSCRIBE", "c"), (0, 1, "PUNSUBSCRIBE", "n*"),
        (0, 1, "PUNSUBSCRIBE"), (0, 1, "UNSUBSCRIBE")],
    "message and pmessage": [
        (0, 1, "SUBSCRIBE", "news"), (0, 1, "PSUBSCRIBE", "n?ws"),
        (1, 1, "PUBLISH", "news", "hi"), (0, 2, "READ"),
        (1, 1, "PUBLISH", "nows", "1"), (0, 1, "READ"),
        (1, 1, "PUBLISH", "other", "z"),
        (1, 1, "PUBLISH", "news", b"bin\x00\r\nary"), (0, 2, "READ")],
    "subscribed mode": [
        (0, 1, "SUBSCRIBE", "s"), (0, 1, "PING"), (0, 1, "PING", "hello"), (0, 1, "PING", "a", "b"),
        (0, 1, "GET", "k"), (0, 1, "SET", "k", "v"), (0, 1, "PUBLISH", "s", "x"),
        (0, 1, "MULTI"), (0, 1, "CLIENT", "ID"), (0, 1, "SUBSCRIBE"), (0, 1, "NOSUCH"),
        (0, 1, "AUTH", "x"), (0, 1, "AUTH", "default", "x"), (0, 1, "SELECT", "0"),
        (0, 1, "ECHO", "x"), (0, 1, "EVAL", "return 1", "0"),
        (0, 1, "RESET"), (0, 1, "PING"), (0, 1, "GET", "k"), (1, 1, "PUBLISH", "s", "x")],
    "PUBSUB": [
        (0, 1, "SUBSCRIBE", "ch1"), (1, 1, "PUBSUB", "HELP"), (1, 1, "PUBSUB", "foo"),
        (1, 1, "PUBSUB"), (1, 1, "PUBSUB", "NUMPAT", "x"), (1, 1, "PUBSUB", "CHANNELS", "a", "b"),
        (1, 1, "PUBSUB", "NUMSUB"), (1, 1, "PUBSUB", "NUMSUB", "ch1", "ch2"),
        (1, 1, "PUBSUB", "CHANNELS"), (1, 1, "PUBSUB", "CHANNELS", "ch*"),
        (1, 1, "PUBSUB", "CHANNELS", "x*"), (1, 1, "PUBSUB", "NUMPAT"),
        (0, 1, "PSUBSCRIBE", "p*"), (1, 1, "PUBSUB", "NUMPAT"), (1, 1, "PUBSUB", "HELP", "x"),
        (1, 1, "PUBLISH", "a"), (1, 1, "PUBLISH", "ch1", "m"), (0, 1, "READ")],
    "ACL channel permissions": [
        (1, 1, "ACL", "SETUSER", "psu", "on", "nopass", "+@all", "~*", "resetchannels",
         "&news*"),
        (1, 1, "ACL", "DRYRUN", "psu", "PUBLISH", "other", "x"),
        (1, 1, "ACL", "DRYRUN", "psu", "PUBLISH", "newsx", "x"),
        (0, 1, "AUTH", "psu", "x"), (0, 1, "PUBLISH", "other", "m"),
        (0, 1, "PUBLISH", "newsx", "m"),
        (0, 1, "EVAL", "return redis.call('publish', 'other', 'x')", "0"),
        (0, 1, "MULTI"), (0, 1, "PUBLISH", "other", "x"), (0, 1, "EXEC"),
        (0, 1, "SUBSCRIBE", "news1", "other"), (0, 1, "PSUBSCRIBE", "news1*"),
        (0, 1, "PSUBSCRIBE", "news*"), (0, 1, "UNSUBSCRIBE", "other"),
        (0, 1, "PUNSUBSCRIBE"), (1, 1, "ACL", "DELUSER", "psu")],
    # Redis 7.0's sharded pub/sub: shard channels are a namespace of their own, and their
    # frames count shard channels alone.
    "sharded pub/sub": [
        (0, 2, "SSUBSCRIBE", "a", "b"), (0, 1, "SUBSCRIBE", "a"), (0, 1, "SSUBSCRIBE", "a"),
        (0, 1, "GET", "k"), (0, 1, "PING"), (1, 1, "SPUBLISH", "a", "m1"), (0, 1, "READ"),
        (1, 1, "PUBLISH", "a", "m2"), (0, 1, "READ"), (1, 1, "SPUBLISH", "zz", "m3"),
        (1, 1, "PUBSUB", "SHARDNUMSUB", "a", "b", "c"), (1, 1, "PUBSUB", "SHARDCHANNELS", "a*"),
        (1, 1, "PUBSUB", "NUMSUB", "a"), (1, 1, "SPUBLISH", "a"), (0, 1, "SUNSUBSCRIBE", "a"),
        (0, 1, "UNSUBSCRIBE"), (0, 1, "SUNSUBSCRIBE"), (0, 1, "SUNSUBSCRIBE"),
        (0, 1, "GET", "k"), (1, 1, "SSUBSCRIBE", "c"), (0, 1, "SPUBLISH", "c", "x"),
        (1, 1, "READ"), (1, 1, "MULTI"), (1, 1, "SPUBLISH", "c", "y")],
}


# The same in RESP3 (connection 0 says HELLO 3 first): confirmations and messages are pushes
# (`>`), a missing channel is `_`, and a subscribed connection may run any command. (Not
# compared: a connection publishing to its own channel gets PUBLISH's reply first and then
# its message, where Redis sends the message first; docs/kv.md, "Pub/sub".)
RESP3_SCRIPTS = {
    "RESP3 subscribe and unsubscribe pushes": [
        (0, 1, "HELLO", "3"), (0, 2, "SUBSCRIBE", "a", "b"), (0, 1, "SUBSCRIBE", "a"),
        (0, 1, "UNSUBSCRIBE", "a"), (0, 1, "UNSUBSCRIBE", "nosuch"), (0, 1, "UNSUBSCRIBE"),
        (0, 1, "UNSUBSCRIBE"), (0, 1, "PUNSUBSCRIBE"), (0, 2, "PSUBSCRIBE", "n*", "m*"),
        (0, 2, "PUNSUBSCRIBE", "n*", "m*"), (0, 1, "PUNSUBSCRIBE")],
    "RESP3 messages and commands while subscribed": [
        (0, 1, "HELLO", "3"), (0, 1, "SUBSCRIBE", "news"), (0, 1, "PSUBSCRIBE", "n?ws"),
        (0, 1, "GET", "k"), (0, 1, "SET", "k", "v"), (0, 1, "HGETALL", "nokey"), (0, 1, "PING"),
        (0, 1, "PING", "x"), (0, 1, "ECHO", "e"), (1, 1, "PUBLISH", "news", "hi"),
        (0, 2, "READ"), (0, 1, "MULTI"), (0, 1, "GET", "k"), (0, 1, "EXEC"),
        (0, 1, "PUBLISH", "other", "x"), (0, 1, "RESET"), (0, 1, "GET", "k")],
}


def run_script(port, script, connection=RawConnection):
    conns = [connection(port), connection(port)]
    replies = []
    try:
        for who, n, *cmd in script:
            if cmd[0] != "READ":
                conns[who].sock.sendall(encode(*cmd))
            replies.append(normalize(b"".join(read_frames(conns[who], n))))
    finally:
        for c in conns:
            c.close()
    return replies


class PubSubRedisCompatTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_frames_and_errors_match_redis_byte_for_byte(self):
        server = RedisServer()
        try:
            leader_port = self.c.client_port[self.c.leader()]
            for name, script in SCRIPTS.items():
                with self.subTest(name):
                    self.assertEqual(run_script(leader_port, script),
                                     run_script(server.port, script))
            for name, script in RESP3_SCRIPTS.items():
                with self.subTest(name):
                    ours = run_script(leader_port, script, Resp3Connection)
                    theirs = run_script(server.port, script, Resp3Connection)
                    for step, a, b in zip(script, ours, theirs):
                        self.assertEqual(a, b, step)
        finally:
            server.close()


class PubSubClusterTest(ClusterTestCase):
    def test_every_node_delivers_every_message_in_one_order(self):
        leader = self.c.leader()
        subscribers = []
        for i in self.c.ids:
            channel = RawConnection(self.c.client_port[i])
            channel.call("SUBSCRIBE", "orders")
            pattern = RawConnection(self.c.client_port[i])
            pattern.call("PSUBSCRIBE", "ord*")
            subscribers += [(i, channel), (i, pattern)]
        # Two publishers at once on the leader: their messages interleave, and every node
        # must see the one interleaving the log chose.
        per_publisher = 500

        def publish(tag):
            r = self.c.client(leader)
            p = r.pipeline(transaction=False)
            for n in range(per_publisher):
                p.publish("orders", f"{tag}:{n}")
                if n % 50 == 49:
                    receivers = p.execute()
                    # The leader's own subscribers: one channel and one pattern subscriber.
                    self.assertTrue(all(x == 2 for x in receivers), receivers)
            p.execute()

        threads = [threading.Thread(target=publish, args=(t,)) for t in ("x", "y")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = 2 * per_publisher
        sequences = []
        for node, conn in subscribers:
            got = []
            for _ in range(total):
                frame = conn._reply()
                got.append(frame.split(b"\r\n")[-2])  # the message, last element
            sequences.append(got)
            conn.sock.settimeout(0.3)
            with self.assertRaises(socket.timeout, msg=f"node {node}: nothing more"):
                conn._reply()
            conn.close()
        for tag in (b"x", b"y"):
            mine = [m for m in sequences[0] if m.startswith(tag)]
            self.assertEqual(mine, [b"%s:%d" % (tag, n) for n in range(per_publisher)])
        for seq in sequences[1:]:
            self.assertEqual(seq, sequences[0], "every node delivers in log order")

    def test_a_subscriber_whose_user_loses_the_channel_is_closed(self):
        leader = self.c.leader()
        r = self.c.client(leader)
        r.execute_command("ACL", "SETUSER", "rev", "on", "nopass", "+@all", "~*",
                          "resetchannels", "&news*")
        sub = RawConnection(self.c.client_port[leader])
        self.assertEqual(sub.call("AUTH", "rev", "x"), b"+OK\r\n")
        sub.call("SUBSCRIBE", "news1")
        self.assertEqual(r.publish("news1", "a"), 1)
        self.assertTrue(sub._reply().endswith(b"$1\r\na\r\n"))
        r.execute_command("ACL", "SETUSER", "rev", "resetchannels", "&other")
        self.assertEqual(r.publish("news1", "b"), 0)
        with self.assertRaises(ConnectionError):
            sub._reply()
        sub.close()

    def test_subscribe_inside_multi_is_refused(self):
        """Redis 7.0 queues SUBSCRIBE in MULTI and subscribes at EXEC (its EXEC array then
        counts commands, not frames). raftkv refuses it when queued, as documented in
        docs/kv.md ("Pub/sub"), so EXEC aborts and the connection stays unsubscribed."""
        leader = self.c.leader()
        for protocol in ("2", "3"):
            c = Resp3Connection(self.c.client_port[leader])
            self.assertIn(c.call("HELLO", protocol)[:1], b"*%")
            self.assertEqual(c.call("MULTI"), b"+OK\r\n")
            for cmd in (("SUBSCRIBE", "m"), ("PSUBSCRIBE", "m*"), ("UNSUBSCRIBE",)):
                self.assertEqual(c.call(*cmd),
                                 b"-ERR Command not allowed inside a transaction\r\n", cmd)
            self.assertEqual(c.call("SET", "k", "v"), b"+QUEUED\r\n")
            self.assertEqual(
                c.call("EXEC"),
                b"-EXECABORT Transaction discarded because of previous errors.\r\n")
            self.assertEqual(c.call("PUBSUB", "NUMSUB", "m"), b"*2\r\n$1\r\nm\r\n:0\r\n")
            self.assertEqual(c.call("GET", "k")[:1], b"$" if protocol == "2" else b"_")
            c.close()

    def test_a_resp3_subscriber_gets_pushes_and_may_run_any_command(self):
        leader = self.c.leader()
        sub = socket.create_connection(("127.0.0.1", self.c.client_port[leader]), timeout=5)

        def exchange(*cmd):
            sub.sendall(encode(*cmd))
            time.sleep(0.3)
            return sub.recv(65536)

        self.assertTrue(exchange("HELLO", "3").startswith(b"%"))
        self.assertEqual(exchange("SUBSCRIBE", "r3"), b">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n")
        self.assertEqual(exchange("GET", "k"), b"_\r\n")  # RESP3 has no subscribed mode
        self.c.client(leader).publish("r3", "m")
        time.sleep(0.3)
        self.assertEqual(sub.recv(65536), b">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$1\r\nm\r\n")
        sub.close()

    def test_spublish_reaches_shard_subscribers_on_every_node(self):
        leader = self.c.leader()
        subs = {i: RawConnection(self.c.client_port[i]) for i in self.c.ids}
        pub = RawConnection(self.c.client_port[leader])
        try:
            for i, c in subs.items():
                self.assertEqual(c.call("SSUBSCRIBE", "{s}orders"),
                                 b"*3\r\n$10\r\nssubscribe\r\n$9\r\n{s}orders\r\n:1\r\n")
            self.assertEqual(pub.call("SPUBLISH", "{s}orders", "o1"), b":1\r\n")
            for i, c in subs.items():
                self.assertEqual(c._reply(),
                                 b"*3\r\n$8\r\nsmessage\r\n$9\r\n{s}orders\r\n$2\r\no1\r\n", i)
            follower = next(i for i in self.c.ids if i != leader)
            f = RawConnection(self.c.client_port[follower])
            try:  # a write: redirected, with the channel's hash slot as a key's
                # (CLUSTERDOWN until the follower has the leader's client address from the
                # log, as for any write: see test_publish_on_a_follower_redirects)
                deadline = time.time() + 5
                reply = f.call("SPUBLISH", "{s}orders", "o2")
                while reply.startswith(b"-CLUSTERDOWN") and time.time() < deadline:
                    time.sleep(0.05)
                    reply = f.call("SPUBLISH", "{s}orders", "o2")
                self.assertTrue(reply.startswith(b"-MOVED 3828 "), reply)
            finally:
                f.close()
        finally:
            pub.close()
            for c in subs.values():
                c.close()

    def test_publish_on_a_follower_redirects(self):
        follower = next(i for i in self.c.ids if i != self.c.leader())
        # A follower learns the leader (and its client address) from the log: until then
        # it answers CLUSTERDOWN, as for any write.
        deadline = time.time() + 5
        while True:
            with self.assertRaises(redis.exceptions.ResponseError) as caught:
                self.c.client(follower).publish("c", "m")
            if str(caught.exception).startswith("MOVED") or time.time() > deadline:
                break
            self.assertRegex(str(caught.exception), "^CLUSTERDOWN")
            time.sleep(0.05)
        self.assertRegex(str(caught.exception), "^MOVED")

    def test_redis_py_pubsub_object(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        p = self.c.client(follower).pubsub()
        p.subscribe("events")
        p.psubscribe("ev*")
        confirmations = [p.get_message(timeout=5) for _ in range(2)]
        self.assertEqual([m["type"] for m in confirmations], ["subscribe", "psubscribe"])
        publisher = self.c.client(leader)
        self.assertEqual(publisher.publish("events", "one"), 0)  # no subscriber on the leader
        got = []
        deadline = time.time() + 10
        while len(got) < 2 and time.time() < deadline:
            m = p.get_message(timeout=1)
            if m:
                got.append(m)
        self.assertEqual(got[0], {"type": "message", "pattern": None, "channel": b"events",
                                  "data": b"one"})
        self.assertEqual(got[1], {"type": "pmessage", "pattern": b"ev*", "channel": b"events",
                                  "data": b"one"})
        p.ping()
        self.assertEqual(p.get_message(timeout=5)["type"], "pong")
        self.assertEqual(self.c.client(follower).pubsub_numsub("events"), [(b"events", 1)])
        p.unsubscribe()
        p.punsubscribe()
        p.close()

    def test_info_and_client_list(self):
        node = self.c.ids[0]
        sub = RawConnection(self.c.client_port[node])
        sub.call("SUBSCRIBE", "a")
        sub.call("SUBSCRIBE", "b")
        sub.call("PSUBSCRIBE", "p*")
        r = self.c.client(node)
        stats = r.info("stats")
        self.assertEqual((stats["pubsub_channels"], stats["pubsub_patterns"]), (2, 1))
        line = next(c for c in r.client_list() if c["flags"] == "P")
        self.assertEqual((line["sub"], line["psub"]), ("2", "1"))
        sub.close()
        deadline = time.time() + 5
        while r.info("stats")["pubsub_channels"] != 0 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(r.info("stats")["pubsub_channels"], 0, "a disconnect unsubscribes")


class MonitorInterplayTest(ClusterTestCase):
    nodes = 1

    def test_reset_ends_monitor_and_subscriptions(self):
        port = self.c.client_port[self.c.leader()]
        mon, other = RawConnection(port), RawConnection(port)
        self.assertEqual(mon.call("MONITOR"), b"+OK\r\n")
        mon.sock.sendall(encode("SUBSCRIBE", "ch"))
        self.assertEqual(mon._reply(), b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
        self.assertTrue(mon._reply().endswith(b'"SUBSCRIBE" "ch"\r\n'))  # fed after it ran
        self.assertEqual(mon.call("RESET"), b"+RESET\r\n")  # not fed to itself, as Redis
        other.call("PUBLISH", "ch", "m")
        other.call("PING")
        self.assertEqual(mon.call("GET", "k"), b"$-1\r\n", "neither monitor nor subscribed")
        mon.close()
        other.close()


class PubSubAfterInstallSnapshotTest(ClusterTestCase):
    cluster_args = {"extra_args": ("--snapshot-entries=2000", "--snapshot-bytes=0",
                                   "--wal-segment-bytes=262144")}

    def test_a_follower_that_installed_a_snapshot_still_delivers(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        self.c.kill(follower)
        leader = write_batch(self.c, leader, "k:", 6000)
        deadline = time.time() + 20
        while persistence(self.c, leader)["log_first_index"] <= 3000 and time.time() < deadline:
            time.sleep(0.1)
        self.c.start(follower)
        self.c.wait_converged(timeout=30)
        self.assertGreaterEqual(persistence(self.c, follower)["snapshots_installed"], 1)
        sub = RawConnection(self.c.client_port[follower])
        sub.call("SUBSCRIBE", "after")
        self.c.client(self.c.leader()).publish("after", "m")
        self.assertEqual(sub._reply(), b"*3\r\n$7\r\nmessage\r\n$5\r\nafter\r\n$1\r\nm\r\n")
        sub.close()


class SlowSubscriberTest(ClusterTestCase):
    cluster_args = {"extra_args": ("--client-output-buffer-limit-pubsub=1mb 256kb 60",)}

    def test_a_subscriber_that_does_not_read_is_disconnected(self):
        leader = self.c.leader()
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", self.c.client_port[leader]))
        slow.sendall(encode("SUBSCRIBE", "firehose"))
        fast = RawConnection(self.c.client_port[leader])
        fast.call("SUBSCRIBE", "firehose")
        count = 150  # 15 MB: more than the kernel's buffers hold for the slow one
        received = []

        def read_all():
            for _ in range(count):
                received.append(fast._reply())

        reader = threading.Thread(target=read_all)
        reader.start()
        r = self.c.client(leader)
        payload = "x" * 100_000
        receivers = [r.publish("firehose", payload) for _ in range(count)]
        reader.join(30)
        self.assertEqual(receivers[0], 2)
        self.assertEqual(receivers[-1], 1, "the slow subscriber was disconnected")
        self.assertEqual(r.pubsub_numsub("firehose"), [(b"firehose", 1)])
        self.assertEqual(len(received), count, "the one that reads got everything")
        self.assertTrue(all(f.endswith(payload.encode() + b"\r\n") for f in received))
        fast.close()
        slow.close()


if __name__ == "__main__":
    unittest.main()
