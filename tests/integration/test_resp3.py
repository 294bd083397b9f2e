"""RESP3 and HELLO on real processes: after HELLO 3 the replies are byte for byte those of
redis-server 7.0 (maps, sets, doubles, nulls, verbatim strings), per connection, with RESP2
the default; HELLO's AUTH and SETNAME; a cluster with a password."""
import re
import shutil
import subprocess
import time
import unittest

from cluster import ClusterTestCase
from test_streams import assert_random_commands_match
from test_transactions import RawConnection, RedisServer

PASSWORD = "resp3-secret"


class Resp3Connection(RawConnection):
    """RawConnection that also reads RESP3's types (maps, sets, doubles, nulls, verbatim)."""

    def _reply(self):
        line = self._line()
        kind = line[:1]
        if kind in b"+-:_,#(":
            return line
        n = int(line[1:-2])
        if kind in b"$=!":
            return line + self._body(n)
        if kind in b"%|":
            n *= 2
        return line + b"".join(self._reply() for _ in range(max(n, 0)))


def normalize(reply):
    """Masks what differs between any two servers: HELLO's version, id and mode; times."""
    reply = re.sub(rb"(\$7\r\nversion\r\n)\$\d+\r\n[0-9.]+\r\n", rb"\1V", reply)
    reply = re.sub(rb"(\$2\r\nid\r\n):\d+\r\n", rb"\1I", reply)
    reply = re.sub(rb"(\$4\r\nmode\r\n)\$\d+\r\n[a-z]+\r\n", rb"\1M", reply)
    reply = re.sub(rb"(\$4\r\nidle\r\n):\d+\r\n", rb"\1I", reply)
    return re.sub(rb":\d{12,}\r\n", b":T\r\n", reply)  # milliseconds since the epoch


STREAM = [("XADD", "st", "1-1", "a", "1", "b", "2"), ("XADD", "st", "2-1", "c", "3"),
          ("XGROUP", "CREATE", "st", "g", "0")]

# Each script runs on a fresh connection after FLUSHALL; most start with HELLO 3.
SCRIPTS = {
    "hello and its errors": [
        ("HELLO",), ("HELLO", "3"), ("HELLO",), ("HELLO", "4"), ("HELLO", "1"), ("HELLO", "abc"),
        ("HELLO", "3", "AUTH", "default"), ("HELLO", "3", "FOO"), ("HELLO", "3", "SETNAME"),
        ("HELLO", "3", "SETNAME", "a", "b"), ("CLIENT", "GETNAME"),
        ("HELLO", "2", "SETNAME", "bad name"),
        ("HELLO", "2", "SETNAME", "myname"), ("CLIENT", "GETNAME"), ("HGETALL", "nokey")],
    "nulls": [
        ("HELLO", "3"), ("GET", "nokey"), ("MGET", "nokey", "k"), ("SET", "k", "v"),
        ("MGET", "nokey", "k"), ("HMGET", "nokey", "f"), ("LPOP", "nokey"),
        ("LPOP", "nokey", "2"), ("RPOP", "nokey", "2"), ("LPOS", "nokey", "a"),
        ("LINDEX", "nokey", "0"), ("GETDEL", "nokey"), ("GETEX", "nokey"),
        ("SET", "nk", "v", "GET"), ("RPOPLPUSH", "nokey", "x"),
        ("LMOVE", "nokey", "x", "LEFT", "LEFT"), ("SRANDMEMBER", "nokey"),
        ("ZRANK", "nokey", "m"), ("ZSCORE", "nokey", "m"), ("CLIENT", "GETNAME"),
        ("MEMORY", "USAGE", "nokey"), ("GET", "k"), ("SET", "k", "w"), ("INCR", "n"),
        ("INCRBYFLOAT", "f", "1.5"), ("HINCRBYFLOAT", "h", "x", "1.5"), ("TYPE", "h")],
    "maps": [
        ("HELLO", "3"), ("HSET", "h", "f1", "v1", "f2", "v2"), ("HGETALL", "h"),
        ("HGETALL", "nokey"), ("HMGET", "h", "f1", "nope"), ("HKEYS", "h"), ("HVALS", "h"),
        ("CONFIG", "GET", "save"), ("CONFIG", "GET", "nosuch"), ("COMMAND", "DOCS", "nosuch"),
        ("HSET", "h1", "f", "v"), ("HSCAN", "h1", "0")],
    "sets": [
        ("HELLO", "3"), ("SADD", "s", "a"), ("SADD", "s2", "a"), ("SMEMBERS", "s"),
        ("SINTER", "s", "s2"), ("SUNION", "s", "s2"), ("SDIFF", "s", "nokey"),
        ("SINTER", "s", "nokey"), ("SMEMBERS", "nokey"), ("SPOP", "nokey", "2"),
        ("SPOP", "s2", "1"), ("SPOP", "s"), ("SADD", "s", "b"), ("SRANDMEMBER", "s", "1"),
        ("SRANDMEMBER", "nokey", "3"), ("SMISMEMBER", "s", "b", "z"), ("SSCAN", "s", "0"),
        ("SINTERSTORE", "d", "s", "nokey"), ("SMOVE", "s", "s3", "b"), ("SMEMBERS", "s3")],
    "doubles and scores": [
        ("HELLO", "3"), ("ZADD", "z", "1", "a", "2.5", "b"), ("ZADD", "z", "INCR", "1", "a"),
        ("ZADD", "z", "NX", "INCR", "1", "a"), ("ZADD", "z", "XX", "INCR", "1", "nope"),
        ("ZSCORE", "z", "a"), ("ZSCORE", "z", "nope"), ("ZINCRBY", "z", "0.1", "b"),
        ("ZMSCORE", "z", "a", "nope", "b"), ("ZADD", "z", "inf", "c"), ("ZSCORE", "z", "c"),
        ("ZRANGE", "z", "0", "-1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZREVRANGE", "z", "0", "-1", "withscores"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"),
        ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "0", "1"),
        ("ZRANGE", "z", "(0", "+inf", "BYSCORE", "LIMIT", "0", "5", "WITHSCORES"),
        ("ZRANGE", "nokey", "0", "-1", "WITHSCORES"), ("ZADD", "z1", "1.5", "m"), ("ZSCAN", "z1", "0"),
        ("ZRANGESTORE", "dst", "z", "0", "-1"), ("ZPOPMIN", "nokey"), ("ZPOPMIN", "z"),
        ("ZPOPMAX", "z", "2"), ("ZPOPMIN", "nokey", "2"), ("ZADD", "z", "1", "a", "2", "b"),
        ("ZPOPMIN", "z", "1"), ("ZPOPMIN", "z", "0"), ("ZPOPMAX", "z"),
        ("ZADD", "zm", "-inf", "a", "1.5", "b", "2", "c"), ("ZMPOP", "1", "zm", "MIN"),
        ("ZMPOP", "2", "nokey", "zm", "MAX", "COUNT", "5"), ("ZMPOP", "1", "zm", "MIN"),
        ("ZADD", "zm", "3", "d"), ("BZMPOP", "0.1", "1", "zm", "MIN"),
        ("BZMPOP", "0.01", "1", "zm", "MIN"), ("ZADD", "zm", "4", "e"),
        ("BZPOPMIN", "zm", "0.1")],
    # The Redis 7.0 families merged later; the random picks on one member, so that the
    # replies do not depend on the draw.
    "newer families": [("HELLO", "3"), ("ZADD", "u1", "1", "a", "2", "b"),
        ("ZADD", "u2", "3", "b", "4", "c"), ("ZUNION", "2", "u1", "u2", "WITHSCORES"),
        ("ZINTER", "2", "u1", "u2", "WITHSCORES"), ("ZDIFF", "2", "u1", "u2", "WITHSCORES"),
        ("ZUNION", "2", "u1", "u2"), ("ZADD", "one", "1.5", "m"),
        ("ZRANDMEMBER", "one", "-2", "WITHSCORES"), ("ZRANDMEMBER", "one"),
        ("ZRANDMEMBER", "nokey"), ("HSET", "h1", "f", "v"),
        ("HRANDFIELD", "h1", "-2", "WITHVALUES"), ("HRANDFIELD", "h1"),
        ("SET", "k1", "ohmytext"), ("SET", "k2", "mynewtext"), ("LCS", "k1", "k2"),
        ("LCS", "k1", "k2", "IDX"), ("LCS", "k1", "k2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "2"),
        ("ZRANGEBYLEX", "u1", "-", "+"), ("BITFIELD", "bf", "INCRBY", "u8", "0", "300"),
        ("SINTERCARD", "1", "nos"), ("SORT", "nokey")],
    "streams": [("HELLO", "3"), *STREAM,
        ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "st", ">"),
        ("XRANGE", "st", "-", "+"), ("XREAD", "STREAMS", "st", "0"),
        ("XREAD", "STREAMS", "st", "nokey", "0", "0"), ("XREAD", "STREAMS", "st", "9-9"),
        ("XINFO", "STREAM", "st"), ("XINFO", "GROUPS", "st"), ("XINFO", "CONSUMERS", "st", "g"),
        ("XPENDING", "st", "g"), ("XINFO", "STREAM", "st", "FULL"), ("XINFO", "HELP"),
        ("XAUTOCLAIM", "st", "g", "c2", "0", "0"), ("XCLAIM", "st", "g", "c3", "0", "1-1", "JUSTID"),
        ("XINFO", "STREAM", "st", "FULL", "COUNT", "1"), ("XREVRANGE", "st", "+", "-", "COUNT", "1"), ("XINFO", "STREAM", "nokey"),
        ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", ">"),
        ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", ">"),
        ("XREAD", "COUNT", "1", "BLOCK", "10", "STREAMS", "st", "$")],
    "transactions": [
        ("HELLO", "3"), ("HSET", "h", "f", "v"), ("SADD", "s", "m"), ("ZADD", "z", "1", "a"),
        ("MULTI",), ("HGETALL", "h"), ("SMEMBERS", "s"), ("GET", "nokey"), ("ZSCORE", "z", "a"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("INCR", "n"), ("EXEC",),
        ("WATCH", "h"), ("HSET", "h", "f", "w"), ("MULTI",), ("HGETALL", "h"), ("EXEC",)],
    "scripts": [
        ("HELLO", "3"), ("HSET", "h", "f", "v"), ("EVAL", "return {1,2}", "0"),
        ("EVAL", "return redis.call('hgetall', KEYS[1])", "1", "h"),
        ("EVAL", "return nil", "0"), ("EVAL", "return true", "0"), ("EVAL", "return false", "0"),
        ("EVAL", "return redis.call('get', 'nokey')", "0"), ("EVAL", "return {1, false, 3}", "0"),
        ("EVAL", "return redis.pcall('nosuch')", "0")],
    "acl": [
        ("ACL", "SETUSER", "alice", "on", ">pw", "+@all", "~*"),
        # A failed HELLO changes nothing: still RESP2.
        ("HELLO", "3", "AUTH", "alice", "wrong"), ("HELLO", "3", "AUTH", "nobody", "x"),
        ("HELLO", "3", "SETNAME", "bad name"), ("GET", "nokey"), ("CLIENT", "GETNAME"),
        ("HELLO", "3", "AUTH", "alice", "pw", "FOO"), ("ACL", "WHOAMI"), ("GET", "nokey"),
        ("HELLO", "3"), ("ACL", "GETUSER", "default"), ("ACL", "GETUSER", "nosuch"),
        ("ACL", "WHOAMI"), ("HELLO", "2", "AUTH", "alice", "pw", "SETNAME", "nm"),
        ("ACL", "WHOAMI"), ("CLIENT", "GETNAME"), ("HGETALL", "nokey"), ("HELLO",),
        # HELLO is allowed whatever the user's rules, like AUTH.
        ("ACL", "SETUSER", "bob", "on", ">pw", "-@all"), ("AUTH", "bob", "pw"), ("HELLO", "3"),
        ("GET", "k"), ("HELLO", "2", "AUTH", "alice", "pw"), ("ACL", "DELUSER", "alice", "bob")],
    "back to RESP2": [
        ("HELLO", "3"), ("HSET", "h", "f", "v"), ("HGETALL", "h"), ("HELLO", "2"),
        ("HGETALL", "h"), ("GET", "nokey"), ("ZADD", "z", "1", "a"), ("ZSCORE", "z", "a")],
}


# Scripts in RESP3 (redis.setresp(3)) and RESP3-typed results, run in RESP2 and in RESP3.
LUA = [
    ("HSET", "h", "f", "v"), ("SADD", "s", "m"), ("ZADD", "z", "1.5", "a"),
    ("EVAL", "redis.setresp(3); return redis.call('hgetall', 'h')", "0"),
    ("EVAL", "redis.setresp(3); local r = redis.call('hgetall', 'h'); return r.map.f", "0"),
    ("EVAL", "redis.setresp(3); return redis.call('smembers', 's')", "0"),
    ("EVAL", "redis.setresp(3); return redis.call('zscore', 'z', 'a')", "0"),
    ("EVAL", "redis.setresp(3); local d = redis.call('zscore', 'z', 'a'); return tostring(d.double)", "0"),
    ("EVAL", "redis.setresp(3); return redis.call('get', 'nokey')", "0"),
    ("EVAL", "redis.setresp(3); return redis.call('get', 'nokey') == nil", "0"),
    ("EVAL", "redis.setresp(3); return true", "0"),
    ("EVAL", "redis.setresp(3); return false", "0"),
    ("EVAL", "return true", "0"), ("EVAL", "return false", "0"),
    ("EVAL", "return {double=3.5}", "0"), ("EVAL", "return {map={a=1}}", "0"),
    ("EVAL", "return {set={x=true}}", "0"), ("EVAL", "return {big_number='123'}", "0"),
    ("EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"),
    ("EVAL", "return {1, {double=2}, {map={k={set={'m'}}}}}", "0"),
    ("EVAL", "redis.setresp(3); return redis.call('zrange', 'z', 0, -1, 'withscores')", "0"),
    ("EVAL", "redis.setresp(3); return {redis.call('zscore', 'z', 'a'), redis.call('hgetall', 'nokey')}", "0"),
    ("EVAL", "redis.setresp(4)", "0"),
]


def run_script(port, script):
    c = Resp3Connection(port)
    try:
        c.call("FLUSHALL")
        return [normalize(c.call(*cmd)) for cmd in script]
    finally:
        c.close()


class Resp3RedisCompatTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        server = RedisServer()
        try:
            port = self.c.client_port[self.c.leader()]
            for name, script in SCRIPTS.items():
                with self.subTest(name):
                    ours, theirs = run_script(port, script), run_script(server.port, script)
                    for cmd, a, b in zip(script, ours, theirs):
                        self.assertEqual(a, b, " ".join(cmd))
        finally:
            server.close()

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_script_types_match_redis_in_both_protocols(self):
        server = RedisServer()
        try:
            port = self.c.client_port[self.c.leader()]
            for protocol in ("2", "3"):
                script = [("HELLO", protocol), *LUA]
                ours, theirs = run_script(port, script), run_script(server.port, script)
                for cmd, a, b in zip(script, ours, theirs):
                    self.assertEqual(a, b, f"RESP{protocol}: {' '.join(cmd)}")
        finally:
            server.close()

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_random_stream_commands_match_redis(self):
        """test_streams' random commands (every option, valid and not), in RESP3."""
        assert_random_commands_match(self, Resp3Connection, (1, 2), 400, setup=[("HELLO", "3")],
                                     normalize=normalize)

    def test_hello_reply_and_per_connection_protocol(self):
        leader = self.c.leader()
        a = Resp3Connection(self.c.client_port[leader])
        b = Resp3Connection(self.c.client_port[leader])
        try:
            client_id = int(a.call("CLIENT", "ID")[1:-2])
            hello = a.call("HELLO", "3")
            self.assertEqual(hello, (
                b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n"
                b"$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:" + str(client_id).encode() + b"\r\n"
                b"$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                b"$7\r\nmodules\r\n*0\r\n"))
            a.call("HSET", "h", "f", "v")
            self.assertEqual(a.call("HGETALL", "h"), b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n")
            self.assertEqual(b.call("HGETALL", "h"), b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
            self.assertEqual(b.call("GET", "nokey"), b"$-1\r\n")
            self.assertEqual(a.call("GET", "nokey"), b"_\r\n")
            # Verbatim text: INFO, CLIENT LIST, CLUSTER INFO and NODES.
            for cmd in (("INFO", "server"), ("CLIENT", "LIST"), ("CLUSTER", "INFO"),
                        ("CLUSTER", "NODES")):
                reply = a.call(*cmd)
                self.assertTrue(reply.startswith(b"="), cmd)
                header, body = reply.split(b"\r\n", 1)
                self.assertEqual(int(header[1:]), len(body) - 2, cmd)
                self.assertTrue(body.startswith(b"txt:"), cmd)
            # CLIENT LIST's resp= field: each connection's protocol.
            listing = a.call("CLIENT", "LIST").decode()
            self.assertRegex(listing, rf"id={client_id} .* resp=3\n")
            self.assertRegex(listing, r"resp=2\n")
            # CLUSTER SHARDS: maps, each shard's nodes maps (Redis 7.0's layout; the nodes
            # list is empty until this node has learned the members' client addresses).
            self.assertRegex(a.call("CLUSTER", "SHARDS"),
                             rb"^\*1\r\n%2\r\n\$5\r\nslots\r\n\*2\r\n:0\r\n:16383\r\n"
                             rb"\$5\r\nnodes\r\n\*(0\r\n$|\d\r\n%7\r\n\$2\r\nid\r\n)")
            # COMMAND INFO: flags and the other lists are sets.
            self.assertRegex(a.call("COMMAND", "INFO", "get"),
                             rb"^\*1\r\n\*10\r\n\$3\r\nget\r\n:2\r\n~\d+\r\n")
            # A follower's redirect is the same error in both protocols.
            follower = next(i for i in self.c.ids if i != leader)
            f = Resp3Connection(self.c.client_port[follower])
            try:
                self.assertTrue(f.call("HELLO", "3").startswith(b"%7\r\n"))
                # (Until it learns the leader from the log, a follower answers CLUSTERDOWN.)
                deadline = time.time() + 5
                reply = f.call("HGETALL", "h")
                while reply.startswith(b"-CLUSTERDOWN") and time.time() < deadline:
                    time.sleep(0.05)
                    reply = f.call("HGETALL", "h")
                self.assertRegex(reply, rb"^-MOVED ")
                self.assertIn(b"$4\r\nrole\r\n$7\r\nreplica\r\n", f.call("HELLO"))
            finally:
                f.close()
        finally:
            a.close()
            b.close()

    def test_failed_hello_auth_is_in_the_acl_log(self):
        c = Resp3Connection(self.c.client_port[self.c.leader()])
        try:
            c.call("HELLO", "3")
            self.assertEqual(c.call("HELLO", "3", "AUTH", "nobody", "x"),
                             b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
            log = c.call("ACL", "LOG")
            self.assertTrue(log.startswith(b"*1\r\n%"), log)
            for field in (b"$6\r\nreason\r\n$4\r\nauth\r\n", b"$6\r\nobject\r\n$5\r\nHELLO\r\n",
                          b"$8\r\nusername\r\n$6\r\nnobody\r\n"):
                self.assertIn(field, log)
            self.assertRegex(log, rb"\$11\r\nage-seconds\r\n,[0-9.e-]+\r\n")
        finally:
            c.close()


class RedisCliResp3Test(ClusterTestCase):
    """redis-cli -3 (a RESP3 client: it sends HELLO 3) shows what it shows for redis-server."""
    COMMANDS = [("HSET", "h", "f", "v", "g", "w"), ("HGETALL", "h"), ("SADD", "s", "m"),
                ("SMEMBERS", "s"), ("ZADD", "z", "1.5", "a", "2", "b"), ("ZSCORE", "z", "a"),
                ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZPOPMIN", "z"), ("GET", "nokey"),
                ("SMEMBERS", "nokey"), ("CONFIG", "GET", "save")]

    @staticmethod
    def outputs(port):
        run = lambda *args: subprocess.run(["redis-cli", "-3", "--no-raw", "-p", str(port), *args],
                                           capture_output=True, text=True, timeout=10).stdout
        run("FLUSHALL")
        return [run(*cmd) for cmd in RedisCliResp3Test.COMMANDS]

    @unittest.skipUnless(shutil.which("redis-server") and shutil.which("redis-cli"),
                         "redis-server or redis-cli is not installed")
    def test_redis_cli_shows_the_same(self):
        server = RedisServer()
        try:
            ours = self.outputs(self.c.client_port[self.c.leader()])
            theirs = self.outputs(server.port)
            for cmd, a, b in zip(self.COMMANDS, ours, theirs):
                self.assertEqual(a, b, " ".join(cmd))
            self.assertIn("(double) 1.5", ours[5])
        finally:
            server.close()


class RedisBenchmarkResp3Test(ClusterTestCase):
    nodes = 1

    @unittest.skipUnless(shutil.which("redis-benchmark"), "redis-benchmark is not installed")
    def test_redis_benchmark_runs_in_resp3(self):
        port = self.c.client_port[self.c.leader()]
        out = subprocess.run(["redis-benchmark", "-3", "-p", str(port), "-n", "2000", "-c", "4",
                              "-q", "-t", "ping,set,get,incr,lpush,sadd,hset,spop,zadd,zpopmin,"
                              "lrange_100,mset"], capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        done = [l for l in out.stdout.replace("\r", "\n").splitlines() if "requests per second" in l]
        self.assertGreaterEqual(len(done), 12, out.stdout[-2000:])
        self.assertNotIn("ERR", out.stdout + out.stderr)


class Resp3AuthTest(ClusterTestCase):
    cluster_args = {"password": PASSWORD}
    SCRIPT = [
        ("HELLO",), ("HELLO", "3"), ("HELLO", "3", "SETNAME", "x"),
        ("HELLO", "3", "AUTH", "default", "wrong"), ("HELLO", "4", "AUTH", "default", PASSWORD),
        ("GET", "k"), ("AUTH", PASSWORD), ("GET", "k"), ("CLIENT", "GETNAME"),
        ("HELLO", "3", "AUTH", "default", PASSWORD, "SETNAME", "n"),
        ("CLIENT", "GETNAME"), ("GET", "k"), ("HELLO",)]

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        server = RedisServer("--requirepass", PASSWORD)
        try:
            ours = run_script_unauthenticated(self.c.client_port[self.c.leader()], self.SCRIPT)
            theirs = run_script_unauthenticated(server.port, self.SCRIPT)
            for cmd, a, b in zip(self.SCRIPT, ours, theirs):
                self.assertEqual(a, b, " ".join(cmd))
        finally:
            server.close()


def run_script_unauthenticated(port, script):
    c = Resp3Connection(port)
    try:
        return [normalize(c.call(*cmd)) for cmd in script]
    finally:
        c.close()


if __name__ == "__main__":
    unittest.main()
