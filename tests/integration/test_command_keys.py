"""Where commands' keys are (kv::command_keys): COMMAND GETKEYS and GETKEYSANDFLAGS, and
COMMAND INFO's key specifications and ACL categories, byte for byte against redis-server
7.0 (RESP2 and RESP3); a follower's -MOVED naming the first key's slot; and redis-py's
RedisCluster, which asks COMMAND GETKEYS where FCALL's and EVAL's keys are, routing them
to a raftkv cluster.

RAFTKV_IT_REDIS_PORT: compare with a redis-server already listening there instead of
starting one."""
import os
import re
import shutil
import time
import unittest
from pathlib import Path

from redis.cluster import RedisCluster
from redis.crc import key_slot

from cluster import ClusterTestCase
from test_resp3 import Resp3Connection
from test_transactions import RawConnection, RedisServer

# One command each, then its arguments: every shape of key position raftkv has.
GETKEYS_CASES = [
    # a single key, ranges, steps, a last key counted from the end
    ["GET", "k"], ["SET", "k", "v"], ["SET", "k", "v", "GET"], ["SET", "k", "v", "EX", "1", "get"],
    ["GETSET", "k", "v"], ["INCR", "k"], ["APPEND", "k", "v"], ["MGET", "a", "b", "c"],
    ["DEL", "a", "b"], ["UNLINK", "a"], ["EXISTS", "a", "b"], ["TOUCH", "a"], ["WATCH", "a", "b"],
    ["MSET", "a", "1", "b", "2"], ["MSET", "a", "1", "b"], ["MSETNX", "a", "1"],
    ["EXPIRE", "k", "10"], ["TTL", "k"], ["PERSIST", "k"], ["GETEX", "k", "PERSIST"],
    ["HSET", "h", "f", "v"], ["HGETALL", "h"], ["HDEL", "h", "f"], ["HINCRBY", "h", "f", "1"],
    ["LPUSH", "l", "a"], ["LPOP", "l"], ["LRANGE", "l", "0", "-1"], ["LSET", "l", "0", "x"],
    ["RPOPLPUSH", "a", "b"], ["LMOVE", "a", "b", "LEFT", "RIGHT"], ["LPOS", "l", "x"],
    ["BLPOP", "a", "b", "0"], ["BRPOP", "a", "0"], ["BRPOPLPUSH", "a", "b", "0"],
    ["BLMOVE", "a", "b", "LEFT", "LEFT", "0"], ["BZPOPMIN", "a", "b", "1"],
    ["SADD", "s", "m"], ["SMOVE", "a", "b", "m"], ["SINTER", "a", "b"],
    ["SINTERSTORE", "d", "a", "b"], ["SDIFFSTORE", "d", "a"], ["SMISMEMBER", "s", "a", "b"],
    ["ZADD", "z", "1", "m"], ["ZRANGESTORE", "d", "z", "0", "-1"], ["ZSCORE", "z", "m"],
    ["RENAME", "a", "b"], ["RENAMENX", "a", "b"], ["COPY", "a", "b"], ["COPY", "a", "b", "REPLACE"],
    ["GETRANGE", "k", "0", "1"], ["SETRANGE", "k", "0", "x"], ["LCS", "a", "b"],
    ["SETBIT", "k", "1", "1"], ["BITCOUNT", "k"], ["BITOP", "AND", "d", "a", "b"],
    ["BITFIELD", "k", "GET", "u8", "0"], ["BITFIELD", "k", "SET", "u8", "0", "1"],
    ["BITFIELD", "k", "OVERFLOW", "SAT", "GET", "u8", "0"], ["BITFIELD", "k"],
    ["BITFIELD", "k", "GET", "u8"], ["BITFIELD_RO", "k", "GET", "u8", "0"],
    ["PFADD", "h", "a"], ["PFCOUNT", "a", "b"], ["PFMERGE", "d", "a", "b"],
    ["DUMP", "k"], ["RESTORE", "k", "0", "x"], ["RESTORE-ASKING", "k", "0", "x"],
    ["XADD", "s", "*", "f", "v"], ["XLEN", "s"], ["XRANGE", "s", "-", "+"], ["XACK", "s", "g", "1"],
    ["XPENDING", "s", "g"], ["XCLAIM", "s", "g", "c", "0", "1"], ["XTRIM", "s", "MAXLEN", "1"],
    ["GEOADD", "g", "1", "2", "m"], ["GEODIST", "g", "a", "b"],
    ["GEOSEARCH", "g", "FROMMEMBER", "m", "BYRADIUS", "1", "m"],
    ["GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "m", "BYRADIUS", "1", "m"],
    # numkeys
    ["EVAL", "return 1", "2", "a", "b", "c"], ["EVAL", "return 1", "0"],
    ["EVAL", "return 1", "0", "a"], ["EVAL", "return 1", "5", "a"], ["EVAL", "return 1", "x", "a"],
    ["EVAL", "return 1", "-1", "a"], ["EVAL", "return 1", "2x", "a", "b"],
    ["EVALSHA", "abc", "1", "k"], ["EVAL_RO", "return 1", "1", "k"], ["EVALSHA_RO", "a", "1", "k"],
    ["FCALL", "f", "1", "a"], ["FCALL", "f", "2", "a"], ["FCALL_RO", "f", "2", "a", "b"],
    ["ZUNIONSTORE", "d", "2", "a", "b"], ["ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
    ["ZDIFFSTORE", "d", "1", "a"], ["ZINTERSTORE", "d", "0", "a"], ["ZUNIONSTORE", "d", "5", "a"],
    ["ZUNIONSTORE", "d", "2x", "a", "b"], ["ZUNIONSTORE", "d", "x", "a"],
    ["ZUNION", "2", "a", "b"], ["ZINTER", "1", "a", "WITHSCORES"], ["ZDIFF", "2x", "a", "b"],
    ["ZINTERCARD", "2", "a", "b"], ["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
    ["SINTERCARD", "0", "a"], ["SINTERCARD", "2x", "a", "b"],
    ["LMPOP", "2", "a", "b", "LEFT"], ["LMPOP", "5", "a", "b", "left"],
    ["LMPOP", "2x", "a", "b", "LEFT"], ["ZMPOP", "1", "z", "MIN"],
    ["BLMPOP", "0", "2", "a", "b", "LEFT"], ["BLMPOP", "0", "2x", "a", "b", "LEFT"],
    ["BZMPOP", "1", "1", "z", "MAX", "COUNT", "2"],
    # keys after a keyword
    ["XREAD", "STREAMS", "a", "b", "1", "2"], ["XREAD", "COUNT", "2", "STREAMS", "a", "b", "1", "2"],
    ["XREAD", "streams", "a", "b", "1"], ["XREAD", "STREAMS", "a"], ["XREAD", "COUNT", "1", "STREAMS", "a"],
    ["XREAD", "BLOCK", "0", "STREAMS", "a", "0"], ["XREAD", "COUNT", "1", "a", "b"],
    ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "1"],
    ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "a", "b", "1", "2"],
    ["SORT", "k"], ["SORT", "k", "STORE", "d"], ["SORT", "k", "store", "a", "STORE", "b"],
    ["SORT", "k", "LIMIT", "0", "STORE", "d"], ["SORT", "k", "BY", "w_*", "GET", "#", "STORE", "d"],
    ["SORT", "k", "STORE"], ["SORT_RO", "k"], ["SORT_RO", "k", "BY", "x"],
    ["GEORADIUS", "g", "1", "2", "3", "m"], ["GEORADIUS", "g", "1", "2", "3", "m", "STORE", "d"],
    ["GEORADIUS", "g", "1", "2", "3", "m", "STORE", "d", "STOREDIST", "e"],
    ["GEORADIUS", "g", "1", "2", "3", "m", "STORE"], ["GEORADIUS_RO", "g", "1", "2", "3", "m"],
    ["GEORADIUSBYMEMBER", "g", "m", "3", "m", "STOREDIST", "d"],
    # containers' subcommands
    ["OBJECT", "ENCODING", "k"], ["OBJECT", "FREQ", "k"], ["object", "idletime", "k"],
    ["OBJECT", "ENCODING"], ["OBJECT"], ["MEMORY", "USAGE", "k"], ["MEMORY", "USAGE", "k", "SAMPLES", "1"],
    ["XINFO", "STREAM", "s"], ["XINFO", "GROUPS", "s"], ["XINFO", "CONSUMERS", "s", "g"],
    ["XGROUP", "CREATE", "s", "g", "$"], ["XGROUP", "DESTROY", "s", "g"],
    ["XGROUP", "SETID", "s", "g", "0"], ["XGROUP", "CREATECONSUMER", "s", "g", "c"],
    ["XGROUP", "DELCONSUMER", "s", "g", "c"], ["XGROUP", "CREATE", "s"], ["CONFIG", "GET", "x"],
    ["OBJECT", "NOSUCH", "k"], ["OBJECT", "HELP"], ["OBJECT", "help", "x"], ["XINFO", "HELP"],
    ["CONFIG", "NOSUCH"], ["CLIENT", "ID"], ["CLIENT", "NOSUCH", "x"], ["MEMORY", "DOCTOR"],
    ["COMMAND", "GETKEYS", "GET", "k"], ["SCRIPT", "LOAD", "x"], ["ACL", "WHOAMI"],
    # no keys, unknown commands, wrong arity
    ["PING"], ["PING", "x"], ["ECHO", "x"], ["DBSIZE"], ["FLUSHALL"], ["KEYS", "*"], ["SCAN", "0"],
    ["PUBLISH", "c", "m"], ["SUBSCRIBE", "c"], ["MULTI"], ["EXEC"], ["INFO"], ["TIME"],
    ["RANDOMKEY"], ["NOSUCH", "k"], ["GET"], ["GET", "a", "b"], ["MSET", "a"], ["LPUSH", "l"],
    ["BLPOP", "a"], ["EVAL", "x"], ["ZUNIONSTORE", "d", "1"], ["XREAD", "STREAMS", "a"],
    [],
]


def redis_port_or_start():
    if os.environ.get("RAFTKV_IT_REDIS_PORT"):
        return int(os.environ["RAFTKV_IT_REDIS_PORT"]), None
    server = RedisServer()
    return server.port, server


def raftkv_command_names():
    table = Path(__file__).resolve().parents[2] / "src" / "kv" / "commands.cc"
    return re.findall(r'CommandSpec\{"([^"]+)"', table.read_text())


def info_fields(raw, fields, protocol):
    """The given elements of one raw COMMAND INFO entry (an array of 10), raw."""
    cls = Resp3Connection if protocol == 3 else RawConnection
    conn = cls.__new__(cls)  # reads `raw`, not a socket
    conn.buf = raw
    conn.sock = None
    header = conn._line()
    if header in (b"*-1\r\n", b"$-1\r\n", b"_\r\n"):
        return None
    elements = [conn._reply() for _ in range(int(header[1:-2]))]
    return [elements[i] for i in fields]


def connections(test, port, protocol):
    """A connection to raftkv's leader and one to redis-server, both speaking `protocol`."""
    conns = []
    for p in (test.c.client_port[test.c.leader()], port):
        conn = Resp3Connection(p) if protocol == 3 else RawConnection(p)
        if protocol == 3:
            conn.call("HELLO", "3")
        conns.append(conn)
    return conns


class CommandKeysTest(ClusterTestCase):
    nodes = 1

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_getkeys_matches_redis_byte_for_byte(self):
        port, server = redis_port_or_start()
        try:
            for protocol in (2, 3):
                ours, theirs = connections(self, port, protocol)
                for sub in ("GETKEYS", "GETKEYSANDFLAGS", "getkeys"):
                    for case in GETKEYS_CASES:
                        with self.subTest(protocol=protocol, sub=sub, case=case):
                            cmd = ["COMMAND", sub, *case]
                            self.assertEqual(ours.call(*cmd), theirs.call(*cmd))
                ours.close()
                theirs.close()
        finally:
            if server is not None:
                server.close()

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_command_info_key_specs_and_categories_match_redis(self):
        """Elements 7 (ACL categories) and 9 (key specifications) of every command both
        servers have, in RESP2 and RESP3; the flags and the tips differ by design
        (docs/kv.md, "Where keys are"), and containers' categories (below)."""
        port, server = redis_port_or_start()
        try:
            for protocol in (2, 3):
                ours, theirs = connections(self, port, protocol)
                for name in raftkv_command_names():
                    redis_entry = info_fields(theirs.call("COMMAND", "INFO", name)[4:],
                                              (0, 6, 8, 9), protocol)
                    if redis_entry is None:
                        continue  # raftkv's own (RAFT, SESSION, SEQ)
                    with self.subTest(protocol=protocol, command=name):
                        mine = info_fields(ours.call("COMMAND", "INFO", name)[4:], (0, 6, 8),
                                           protocol)
                        if redis_entry[3] not in (b"*0\r\n", b"~0\r\n"):
                            # A container (CONFIG, XINFO, ...): Redis's categories are its
                            # subcommands'; raftkv's ACL gives the container one set.
                            mine[1] = redis_entry[1]
                        self.assertEqual(mine, redis_entry[:3])
                ours.close()
                theirs.close()
        finally:
            if server is not None:
                server.close()


# Commands whose first key is not at a fixed position, and that key.
MOVED_CASES = [
    (["EVAL", "return 1", "2", "ek1", "ek2"], "ek1"),
    (["FCALL_RO", "f", "1", "fk"], "fk"),
    (["XREAD", "COUNT", "1", "STREAMS", "xs1", "xs2", "0", "0"], "xs1"),
    (["LMPOP", "2", "lm1", "lm2", "LEFT"], "lm1"),
    (["BZMPOP", "1", "1", "bz", "MIN"], "bz"),
    (["ZUNIONSTORE", "zdest", "1", "zsrc"], "zdest"),
    (["SINTERCARD", "1", "sc"], "sc"),
    (["OBJECT", "ENCODING", "ob"], "ob"),
    (["SET", "plain", "v"], "plain"),
]


class ClusterScriptRoutingTest(ClusterTestCase):
    def test_moved_names_the_first_keys_slot(self):
        """A follower's -MOVED names the slot of the key command_keys finds first."""
        follower = next(i for i in self.c.ids if i != self.c.leader())
        conn = RawConnection(self.c.client_port[follower])
        try:
            deadline = time.time() + 10
            while conn.call("GET", "x").startswith(b"-CLUSTERDOWN") and time.time() < deadline:
                time.sleep(0.05)  # until the follower knows the leader
            for cmd, key in MOVED_CASES:
                with self.subTest(cmd=cmd):
                    reply = conn.call(*cmd)
                    self.assertTrue(reply.startswith(b"-MOVED %d " % key_slot(key.encode())),
                                    reply)
        finally:
            conn.close()

    def test_redis_py_cluster_routes_fcall_and_eval_by_their_keys(self):
        """RedisCluster cannot tell FCALL's or EVAL's keys itself: it asks COMMAND GETKEYS,
        then sends the command to the node owning the first key's slot (the leader)."""
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        # Until the follower's CLUSTER SLOTS names the leader, RedisCluster finds no primary.
        deadline = time.time() + 10
        while True:
            slots = self.c.client(follower).execute_command("CLUSTER", "SLOTS")
            if slots and slots[0][2][1] == self.c.client_port[leader]:
                break
            self.assertLess(time.time(), deadline, "the follower does not know the leader")
            time.sleep(0.05)
        rc = RedisCluster(host="127.0.0.1", port=self.c.client_port[follower],
                          socket_timeout=5, cluster_error_retry_attempts=10)
        try:
            self.assertEqual(rc.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "{t}k", "v"),
                             b"OK")
            self.assertEqual(rc.eval("return redis.call('GET', KEYS[1])", 1, "{t}k"), b"v")
            self.assertEqual(rc.eval_ro("return redis.call('GET', KEYS[1])", 1, "{t}k"), b"v")
            code = ("#!lua name=lib\n"
                    "redis.register_function('setget', function(keys, args)\n"
                    "  redis.call('SET', keys[1], args[1])\n"
                    "  return redis.call('GET', keys[2]) end)\n"
                    "redis.register_function{function_name='get', callback=function(keys)\n"
                    "  return redis.call('GET', keys[1]) end, flags={'no-writes'}}")
            self.assertEqual(rc.function_load(code), b"lib")
            self.assertEqual(rc.fcall("setget", 2, "{t}x", "{t}k", "w"), b"v")
            self.assertEqual(rc.fcall_ro("get", 1, "{t}x"), b"w")
            self.assertEqual(self.c.client(self.c.leader()).get("{t}x"), b"w")
        finally:
            rc.close()


if __name__ == "__main__":
    unittest.main()
