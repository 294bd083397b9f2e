"""Reply orders and OBJECT ENCODING that follow Redis 7.0's encodings, byte for byte against
redis-server 7.0.15: small hashes (listpacks) list their fields in insertion order, sets of
integers (intsets) their members in ascending order, and a string's encoding follows how
it was made. Only replies that do not depend on chance are compared: hashtables' orders
are Redis's random ones."""
import shutil
import unittest

from cluster import ClusterTestCase
from test_transactions import assert_scripts_match_redis

LONG = "v" * 65
SCRIPTS = {
    "hash fields in insertion order": [
        (0, "HSET", "h", "f3", "0"), (0, "HSET", "h", "a", ""), (0, "HSET", "h", "zz", ""),
        (0, "HKEYS", "h"), (0, "HGETALL", "h"), (0, "HVALS", "h"),
        (0, "HSET", "h", "a", "1", "b", "2"), (0, "HDEL", "h", "f3"), (0, "HSET", "h", "f3", "x"),
        (0, "HINCRBY", "h", "n", "5"), (0, "HINCRBYFLOAT", "h", "m", "1.5"),
        (0, "HINCRBY", "h", "a", "1"), (0, "HSETNX", "h", "zz", "y"), (0, "HSETNX", "h", "c", "y"),
        (0, "HMSET", "h", "d", "1", "b", "3"),
        (0, "HGETALL", "h"), (0, "HKEYS", "h"), (0, "HVALS", "h"),
        (0, "HSCAN", "h", "0"), (0, "HSCAN", "h", "0", "COUNT", "2"),
        (0, "HSCAN", "h", "0", "MATCH", "*z*"),
        (0, "HRANDFIELD", "h", "100"), (0, "HRANDFIELD", "h", "8", "WITHVALUES"),
        (0, "DUMP", "h"), (0, "OBJECT", "ENCODING", "h"),
        (0, "EVAL", "return redis.call('HGETALL', KEYS[1])", "1", "h"),
        (0, "COPY", "h", "h2"), (0, "HGETALL", "h2"), (0, "RENAME", "h2", "h3"),
        (0, "HKEYS", "h3"),
        (0, "SORT", "h3"),
    ],
    "hash encodings": [
        (0, "HSET", "h", "a", "1", "b", "v" * 64), (0, "OBJECT", "ENCODING", "h"),
        (0, "HSET", "h", "b", LONG), (0, "OBJECT", "ENCODING", "h"),
        (0, "HDEL", "h", "b"), (0, "OBJECT", "ENCODING", "h"),
        (0, "HSET", "n", "a", "1"), (0, "HSETNX", "n", "a", LONG), (0, "OBJECT", "ENCODING", "n"),
        (0, "HSETNX", "n", "b", LONG), (0, "OBJECT", "ENCODING", "n"),
        (0, "HSET", "u", "a", "1"), (0, "HSET", "u", "a", LONG), (0, "OBJECT", "ENCODING", "u"),
        (0, "HINCRBY", "i", "f" * 65, "1"), (0, "OBJECT", "ENCODING", "i"),
        (0, "HSET", "big", *[x for i in range(512) for x in (f"f{i}", "v")]),
        (0, "HKEYS", "big"), (0, "HSCAN", "big", "0", "COUNT", "3"),
        (0, "OBJECT", "ENCODING", "big"), (0, "HSET", "big", "one", "more"),
        (0, "OBJECT", "ENCODING", "big"), (0, "HDEL", "big", "one"),
        (0, "OBJECT", "ENCODING", "big"),
    ],
    "integer sets in ascending order": [
        (0, "SADD", "s", "3", "1", "20", "2", "-7", "9223372036854775807",
         "-9223372036854775808"),
        (0, "SMEMBERS", "s"), (0, "SSCAN", "s", "0"), (0, "SSCAN", "s", "0", "COUNT", "1"),
        (0, "SSCAN", "s", "0", "MATCH", "2*"), (0, "SRANDMEMBER", "s", "7"),
        (0, "SRANDMEMBER", "s", "100"), (0, "SORT", "s", "BY", "nosort"),
        (0, "DUMP", "s"), (0, "OBJECT", "ENCODING", "s"),
        (0, "SADD", "t", "20", "5", "3", "100"),
        (0, "SINTER", "s", "t"), (0, "SINTER", "t", "s"), (0, "SUNION", "t", "s"),
        (0, "SDIFF", "s", "t"), (0, "SDIFF", "t", "s"),
        (0, "SUNIONSTORE", "u", "t", "s"), (0, "SMEMBERS", "u"), (0, "OBJECT", "ENCODING", "u"),
        (0, "SINTERSTORE", "i", "t", "s"), (0, "SMEMBERS", "i"),
        (0, "SDIFFSTORE", "d", "t", "s"), (0, "SMEMBERS", "d"),
        (0, "SMOVE", "t", "m", "100"), (0, "SMOVE", "s", "m", "-7"), (0, "SMEMBERS", "m"),
        (0, "OBJECT", "ENCODING", "m"),
        (0, "SPOP", "u", "100"),
        (0, "EVAL", "return redis.call('SMEMBERS', KEYS[1])", "1", "s"),
        (0, "COPY", "s", "c"), (0, "SMEMBERS", "c"),
    ],
    "set encodings": [
        (0, "SADD", "s", "5", "3", "x", "1"), (0, "OBJECT", "ENCODING", "s"),
        (0, "SREM", "s", "x"), (0, "OBJECT", "ENCODING", "s"),
        (0, "SUNION", "s"), (0, "SUNIONSTORE", "u", "s"), (0, "OBJECT", "ENCODING", "u"),
        (0, "SMEMBERS", "u"), (0, "SPOP", "s", "3"),
        (0, "SADD", "n", "01", "+1", " 1", "1.0", "-0"), (0, "OBJECT", "ENCODING", "n"),
        (0, "SADD", "big", *[str(i) for i in range(512)]), (0, "OBJECT", "ENCODING", "big"),
        (0, "SSCAN", "big", "0", "MATCH", "51?"),
        (0, "SADD", "big", "512"), (0, "OBJECT", "ENCODING", "big"),
        (0, "SREM", "big", "512"), (0, "OBJECT", "ENCODING", "big"),
        (0, "SMOVE", "s", "new", "5"), (0, "OBJECT", "ENCODING", "new"),
        (0, "SMOVE", "n", "new2", "01"), (0, "OBJECT", "ENCODING", "new2"),
    ],
    "string encodings": [
        (0, "SET", "a", "10"), (0, "OBJECT", "ENCODING", "a"), (0, "APPEND", "a", ""),
        (0, "OBJECT", "ENCODING", "a"), (0, "INCR", "a"), (0, "OBJECT", "ENCODING", "a"),
        (0, "APPEND", "new", "42"), (0, "OBJECT", "ENCODING", "new"),
        (0, "SETRANGE", "r", "2", "x y"), (0, "OBJECT", "ENCODING", "r"),
        (0, "SET", "d", "10"), (0, "SETRANGE", "d", "0", ""), (0, "OBJECT", "ENCODING", "d"),
        (0, "SETRANGE", "d", "0", "2"), (0, "OBJECT", "ENCODING", "d"),
        (0, "MSET", "m", "10", "n", "abc", "o", "x" * 45), (0, "OBJECT", "ENCODING", "m"),
        (0, "OBJECT", "ENCODING", "n"), (0, "OBJECT", "ENCODING", "o"),
        (0, "MSETNX", "m2", "12"), (0, "OBJECT", "ENCODING", "m2"),
        (0, "INCRBYFLOAT", "f", "3"), (0, "OBJECT", "ENCODING", "f"),
        (0, "INCRBYFLOAT", "f", "1e50"), (0, "OBJECT", "ENCODING", "f"),
        (0, "SET", "b", "10"), (0, "SETBIT", "b", "0", "0"), (0, "OBJECT", "ENCODING", "b"),
        (0, "BITOP", "OR", "op", "b"), (0, "OBJECT", "ENCODING", "op"),
        (0, "SET", "bf", "10"), (0, "BITFIELD", "bf", "GET", "u8", "0"),
        (0, "OBJECT", "ENCODING", "bf"), (0, "BITFIELD", "bf", "SET", "u8", "0", "1"),
        (0, "OBJECT", "ENCODING", "bf"), (0, "PFADD", "hll", "x"), (0, "OBJECT", "ENCODING", "hll"),
        (0, "GETSET", "g", "10"), (0, "OBJECT", "ENCODING", "g"), (0, "SETNX", "g2", "-3"),
        (0, "OBJECT", "ENCODING", "g2"), (0, "SETEX", "g3", "100", "7"),
        (0, "OBJECT", "ENCODING", "g3"), (0, "PSETEX", "g4", "100000", "7"),
        (0, "OBJECT", "ENCODING", "g4"),
        (0, "SET", "huge", "12345678901234567890"), (0, "OBJECT", "ENCODING", "huge"),
        (0, "SET", "s44", "x" * 44), (0, "OBJECT", "ENCODING", "s44"),
        (0, "SET", "s45", "x" * 45), (0, "OBJECT", "ENCODING", "s45"),
        (0, "SET", "lead", "010"), (0, "OBJECT", "ENCODING", "lead"),
        (0, "COPY", "r", "r2"), (0, "OBJECT", "ENCODING", "r2"),
        (0, "RENAME", "r2", "r3"), (0, "OBJECT", "ENCODING", "r3"),
        (0, "DUMP", "r3"),
        (0, "GETEX", "a", "PERSIST"), (0, "OBJECT", "ENCODING", "a"),
        (0, "EVAL", "redis.call('SET', KEYS[1], '10') return redis.call('OBJECT', 'ENCODING', "
            "KEYS[1])", "1", "lua"),
        (0, "SET", "r", "7"), (0, "OBJECT", "ENCODING", "r"),
    ],
    "other encodings": [
        (0, "RPUSH", "l", "a"), (0, "OBJECT", "ENCODING", "l"),
        (0, "ZADD", "z", "1", "a"), (0, "OBJECT", "ENCODING", "z"),
        (0, "ZADD", "z", "2", "m" * 65), (0, "OBJECT", "ENCODING", "z"),
        (0, "ZADD", "z2", *[x for i in range(129) for x in (str(i), f"m{i}")]),
        (0, "OBJECT", "ENCODING", "z2"),
        (0, "XADD", "x", "1-1", "f", "v"), (0, "OBJECT", "ENCODING", "x"),
        (0, "ZADD", "t", "1", "b", "1", "a", "1", "c", "5", "e", "0", "d"),
        (0, "ZRANDMEMBER", "t", "10"), (0, "ZRANDMEMBER", "t", "5", "WITHSCORES"),
        (0, "ZRANDMEMBER", "z2", "129"),
        (0, "ZREMRANGEBYRANK", "z2", "0", "125"), (0, "OBJECT", "ENCODING", "z2"),
        (0, "ZUNIONSTORE", "zu", "1", "z2"), (0, "OBJECT", "ENCODING", "zu"),
        (0, "ZRANGESTORE", "zr", "z2", "0", "-1"), (0, "OBJECT", "ENCODING", "zr"),
        (0, "ZINTERSTORE", "zi", "2", "z2", "zu"), (0, "OBJECT", "ENCODING", "zi"),
        (0, "COPY", "z2", "zc"), (0, "OBJECT", "ENCODING", "zc"), (0, "DUMP", "zu"),
        (0, "ZADD", "l2", "1", "a"), (0, "ZINCRBY", "l2", "1", "m" * 65), (0, "ZPOPMAX", "l2"),
        (0, "OBJECT", "ENCODING", "l2"), (0, "ZADD", "g", "1", "a"),
        (0, "GEOADD", "g", "1", "1", "m" * 65), (0, "ZREM", "g", "m" * 65),
        (0, "OBJECT", "ENCODING", "g"),
        (0, "GEOADD", "geo", "1", "1", "a", "2", "2", "b"),
        (0, "GEOSEARCHSTORE", "gs", "geo", "FROMLONLAT", "1", "1", "BYRADIUS", "500", "km"),
        (0, "OBJECT", "ENCODING", "gs"),
    ],
}


class CompatOrderTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_orders_and_encodings_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, SCRIPTS)


if __name__ == "__main__":
    unittest.main()
