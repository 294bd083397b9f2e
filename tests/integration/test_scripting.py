"""Lua scripts on real processes: replies byte for byte as redis-server 7.0 gives them,
redis-py's Lock (EVALSHA of registered scripts), and a registered script after a leader
failover and after SCRIPT FLUSH (the NOSCRIPT retry path). Functions (FUNCTION LOAD,
FCALL, FCALL_RO): replies as redis-server 7.0's, redis-cli -c started on a follower,
redis-cli's FUNCTION FLUSH, and the libraries after every node restarts."""
import shutil
import subprocess
import threading
import time
import unittest

import redis

from cluster import ClusterTestCase
from test_transactions import assert_scripts_match_redis

# Each script: (connection, command...) run in order on both servers (as in
# test_transactions). No math.random or TIME: those are seeded and timed by the log here.
SCRIPTS = {
    "conversions": [
        (0, "EVAL", "return {1, 2.9, -3.7, 'a', true, false, nil, 'after'}", "0"),
        (0, "EVAL", "return {1, {2, {3, 'x'}}, {ok='fine'}, {err='bad'}}", "0"),
        (0, "EVAL", "return 1e20", "0"),
        (0, "EVAL", "return redis.status_reply('FINE')", "0"),
        (0, "EVAL", "return redis.error_reply('My Error')", "0"),
        (0, "EVAL", "return redis.error_reply('oops')", "0"),
        (0, "EVAL", "return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}", "1", "k", "a", "b")],
    "calls and their replies": [
        (0, "EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "s:k", "v"),
        (0, "EVAL", "return redis.call('get', KEYS[1])", "1", "s:k"),
        (0, "EVAL", "return redis.call('get', 'nokey')", "0"),
        (0, "EVAL", "redis.call('rpush', 'l', 1, 2.5, 'x') return redis.call('lrange', 'l', 0, -1)",
         "0"),
        (0, "EVAL", "redis.call('set', 'f', 0.1) return redis.call('get', 'f')", "0"),
        (0, "EVAL", "return redis.call('hset', 'h', 'a', 1, 'b', 2)", "0"),
        (0, "EVAL", "return redis.pcall('incr', 'l')", "0"),
        (0, "EVAL", "return {pcall(redis.call, 'incr', 'l')}", "0"),
        (0, "EVAL", "return redis.call('zadd', 'z', 1.5, 'a') and redis.call('zrange', 'z', 0, -1, "
                    "'withscores')", "0"),
        (0, "EVAL", "return tostring(1e15) .. ' ' .. tostring(0.1) .. ' ' .. 2^53", "0"),
        (0, "EVAL", "local function f() return f() + 1 end return f()", "0"),
        (0, "EVAL", "return cjson.decode('{bad')", "0"),
        (0, "EVAL", "return type(redis.call('set', 'x', 1))", "0"),
        (0, "EVAL", "return redis.sha1hex('abc')", "0"),
        (0, "EVAL", "return cjson.encode({1, 2, 'x'})", "0"),
        (0, "EVAL", "return bit.tohex(255)", "0")],
    "struct": [
        (0, "EVAL", f"return {e}", "0") for e in [
            "struct.pack('<i4hBb', -2, 300, 255, -1)",
            "{struct.unpack('<i4hBb', struct.pack('<i4hBb', -2, 300, 255, -1))}",
            "{struct.unpack('>I2', struct.pack('>I2', 258))}", "struct.size('!8bd')",
            "struct.pack('!4bi', 1, 2)", "{struct.unpack('s', 'abc\\0def')}",
            "{struct.unpack('Bc0', struct.pack('Bc0', 3, 'xyz'))}", "struct.pack('d', 1.5)",
            "{struct.unpack('>f', struct.pack('>f', 2.25))}", "struct.pack('>i16', -3)",
            "struct.pack('q', 1)", "struct.size('s')", "struct.pack('i40', 1)",
            "{struct.unpack('i', 'ab')}"]],
    "errors": [
        (0, "SET", "s:str", "a"),
        (0, "EVAL", "return redis.call('incr', 's:str')", "0"),
        (0, "EVAL", "error('boom')", "0"),
        (0, "EVAL", "return 1 +", "0"),
        (0, "EVAL", "return x", "0"),
        (0, "EVAL", "x = 5", "0"),
        (0, "EVAL", "return redis.call('nosuch')", "0"),
        (0, "EVAL", "return redis.call('get')", "0"),
        (0, "EVAL", "return redis.call()", "0"),
        (0, "EVAL", "return redis.call('get', {})", "0"),
        (0, "EVAL", "return redis.call('multi')", "0"),
        (0, "EVAL", "return 1", "-1"),
        (0, "EVAL", "return 1", "2", "a"),
        (0, "EVAL", "return 1", "x"),
        (0, "EVAL", "#!python\nreturn 1", "0"),
        (0, "EVAL", "#!lua flags=bogus\nreturn 1", "0"),
        (0, "EVAL", "redis.call('set', 's:kept', 1) error('after a write')", "0"),
        (0, "GET", "s:kept")],
    "script cache": [
        (0, "SCRIPT", "FLUSH"),
        (0, "EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"),
        (0, "SCRIPT", "LOAD", "return 1"),
        (0, "EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"),
        (0, "SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "abc"),
        (0, "EVAL", "return 2", "0"),
        (0, "SCRIPT", "EXISTS", "7f923f79fe76194c868d7e1d0820de36700eb649"),
        (0, "SCRIPT", "LOAD", "return 1 +"),
        (0, "SCRIPT", "FLUSH", "x"),
        (0, "SCRIPT", "KILL"),
        (0, "SCRIPT", "FLUSH"),
        (0, "SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")],
    "read-only scripts": [
        (0, "SET", "s:r", "v"),
        (0, "EVAL_RO", "return redis.call('get', KEYS[1])", "1", "s:r"),
        (0, "EVAL_RO", "return redis.call('set', 'a', 'b')", "0"),
        (0, "EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", "0"),
        (0, "EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 's:r')", "0"),
        (0, "EXISTS", "a")],
    "scripts inside MULTI": [
        (0, "MULTI"), (0, "SET", "s:m", "1"),
        (0, "EVAL", "return redis.call('incr', KEYS[1])", "1", "s:m"),
        (0, "EXEC"),
        (0, "MULTI"), (0, "EVAL", "return redis.call('incr', KEYS[1])", "1", "s:m"),
        (0, "EXEC")],
}

SET_LIB = ("#!lua name=fnset\n"
           "redis.register_function('f_set', function(keys, args)\n"
           "  return redis.call('set', keys[1], args[1]) end)\n")
GET_LIB = ("#!lua name=fnget\n"
           "redis.register_function{function_name='f_get', callback=function(keys, args)\n"
           "  return {redis.call('get', keys[1]), #args} end, flags={'no-writes', 'allow-oom'},\n"
           "  description='reads a key'}\n")
# One function per library: FUNCTION LIST of several is in hash order on Redis.
FUNCTIONS = {
    "functions": [
        (0, "FUNCTION", "FLUSH"),
        (0, "FUNCTION", "LOAD", SET_LIB),
        (0, "FUNCTION", "LOAD", GET_LIB),
        (0, "FCALL", "f_set", "1", "fn:k", "v"),
        (0, "FCALL", "F_SET", "1", "fn:k", "w"),
        (0, "FCALL_RO", "f_get", "1", "fn:k", "a", "b"),
        (0, "FCALL", "f_get", "1", "fn:k"),
        (0, "FCALL_RO", "f_set", "1", "fn:k", "v"),
        (0, "FUNCTION", "LIST", "LIBRARYNAME", "fnget", "WITHCODE"),
        (0, "FUNCTION", "LIST", "LIBRARYNAME", "fnset"),
        (0, "FUNCTION", "STATS"),
        (0, "FUNCTION", "LOAD", SET_LIB),
        (0, "FUNCTION", "LOAD", "REPLACE", SET_LIB),
        (0, "FUNCTION", "DELETE", "fnset"),
        (0, "FCALL", "f_set", "1", "fn:k", "v"),
        (0, "FUNCTION", "DUMP"),  # one library: Redis's order of several is its hash order
        (0, "FUNCTION", "DELETE", "fnset"),
        (0, "FUNCTION", "FLUSH", "SYNC"),
        (0, "FUNCTION", "LIST")],
    "function errors": [
        (0, "FUNCTION", "FLUSH"),
        (0, "FUNCTION", "LOAD", "return 1"),
        (0, "FUNCTION", "LOAD", "#!lua name=x"),
        (0, "FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"),
        (0, "FUNCTION", "LOAD", "#!js name=x\nreturn 1"),
        (0, "FUNCTION", "LOAD", "#!lua name=bad-name\nreturn 1"),
        (0, "FUNCTION", "LOAD", "#!lua name=x\nreturn 1"),
        (0, "FUNCTION", "LOAD", "#!lua name=x\nreturn +"),
        (0, "FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"),
        (0, "FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('g', 5)"),
        (0, "FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='g',"
                                " callback=function() end, flags={'bogus'}}"),
        (0, "FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('g', function() end)\n"
                                "redis.register_function('g', function() end)"),
        (0, "FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('boom', function() "
                                "error('boom') end)"),
        (0, "FCALL", "boom", "0"),
        (0, "FCALL", "nosuch", "0"),
        (0, "FCALL", "boom", "x"),
        (0, "FCALL", "boom", "-1"),
        (0, "FCALL", "boom", "2", "a"),
        (0, "FUNCTION", "LOAD", "foo", "bar"),
        (0, "FUNCTION", "LIST", "bogus"),
        (0, "FUNCTION", "FLUSH", "bogus"),
        (0, "FUNCTION", "DELETE", "nosuch"),
        (0, "FUNCTION", "KILL"),
        (0, "FUNCTION", "bogus"),
        (0, "FUNCTION", "HELP"),
        (0, "FUNCTION", "RESTORE", "bad"),
        (0, "FUNCTION", "RESTORE", "x", "BOGUS"),
        (0, "FUNCTION", "RESTORE", "x", "y", "z"),
        (0, "FUNCTION", "RESTORE"),
        (0, "FUNCTION", "DUMP", "x"),
        (0, "FUNCTION", "FLUSH"),
        (0, "FUNCTION", "DUMP")],
}


class RedisCompatTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, SCRIPTS)

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_function_replies_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, FUNCTIONS)


def until_ok(fn, timeout=20.0):
    """fn() once the cluster answers it: retried while a node answers MOVED, CLUSTERDOWN or
    TRYAGAIN, or is not reachable yet."""
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                redis.exceptions.ResponseError) as e:
            if isinstance(e, redis.exceptions.ResponseError) and not str(e).startswith(
                    ("MOVED", "CLUSTERDOWN", "TRYAGAIN")):
                raise
            if time.time() > deadline:
                raise
            time.sleep(0.1)


class FunctionClusterTest(ClusterTestCase):
    def follower_error(self, follower):
        """The follower's answer to FCALL_RO once it knows the leader (CLUSTERDOWN before)."""
        deadline = time.time() + 10
        while True:
            try:
                self.c.client(follower).fcall_ro("f_get", 1, "fn:k")
                return ""
            except redis.exceptions.ResponseError as e:
                if not str(e).startswith("CLUSTERDOWN") or time.time() > deadline:
                    return str(e)
                time.sleep(0.1)

    def test_functions_on_a_cluster_and_after_restarts(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        # Redis's test harness starts with FUNCTION FLUSH from redis-cli.
        cli = subprocess.run(["redis-cli", "-p", str(self.c.client_port[leader]), "FUNCTION",
                              "FLUSH"], capture_output=True, text=True, timeout=10)
        self.assertEqual(cli.stdout.strip(), "OK")
        r = self.c.client(leader)
        self.assertEqual(r.function_load(SET_LIB), b"fnset")
        self.assertEqual(r.function_load(GET_LIB), b"fnget")
        self.assertEqual(r.fcall("f_set", 1, "fn:k", "v1"), b"OK")
        # A follower redirects FCALL and FCALL_RO by their first key, as for EVAL.
        self.assertRegex(self.follower_error(follower), "^MOVED ")
        # redis-cli -c started on the follower follows the redirect. (redis-py's RedisCluster,
        # which asks COMMAND GETKEYS for FCALL's keys: test_command_keys.py.)
        def cli_on_follower(*args):
            return subprocess.run(["redis-cli", "-c", "-p", str(self.c.client_port[follower]),
                                   *args], capture_output=True, text=True, timeout=10).stdout

        self.assertEqual(cli_on_follower("FCALL_RO", "f_get", "1", "fn:k", "x").split(),
                         ["v1", "1"])
        self.assertEqual(cli_on_follower("FCALL", "f_set", "1", "fn:k", "v2").strip(), "OK")
        self.assertEqual(cli_on_follower("FCALL_RO", "f_set", "1", "fn:k", "v").strip(),
                         "ERR Can not execute a script with write flag using *_ro command.")
        # Every node restarts (from its own disk): the libraries are still there.
        self.c.wait_converged()
        for i in self.c.ids:
            self.c.stop(i)
        for i in self.c.ids:
            self.c.start(i)
        leader = self.c.leader(timeout=20)
        r = self.c.client(leader, timeout=5)
        self.assertEqual(until_ok(lambda: r.fcall_ro("f_get", 1, "fn:k")), [b"v2", 0])
        self.assertEqual(until_ok(lambda: r.fcall("f_set", 1, "fn:k", "v3")), b"OK")
        listed = until_ok(lambda: r.function_list(library="fn*"))
        self.assertEqual(sorted(lib[1] for lib in listed), [b"fnget", b"fnset"])
        self.assertIn(r.function_delete("fnset"), (True, b"OK"))
        with self.assertRaises(redis.exceptions.ResponseError) as caught:
            r.fcall("f_set", 1, "fn:k", "v4")
        self.assertEqual(str(caught.exception), "Function not found")


class ClientLibraryTest(ClusterTestCase):
    def test_redis_py_lock_acquire_extend_release(self):
        r = self.c.client(self.c.leader())
        first = r.lock("s:lock", timeout=5)
        second = r.lock("s:lock", timeout=5)
        self.assertTrue(first.acquire(blocking=False))
        self.assertFalse(second.acquire(blocking=False), "held by the first")
        self.assertTrue(first.extend(10))  # LUA_EXTEND_SCRIPT
        self.assertGreater(r.pttl("s:lock"), 10_000)
        second.local.token = b"not the owner"
        with self.assertRaises(redis.exceptions.LockNotOwnedError):
            second.release()  # LUA_RELEASE_SCRIPT refuses another owner's token
        self.assertEqual(r.exists("s:lock"), 1)
        first.release()
        self.assertTrue(second.acquire(blocking=False))
        self.assertTrue(second.reacquire())  # LUA_REACQUIRE_SCRIPT
        second.release()
        self.assertEqual(r.exists("s:lock"), 0)

    def test_registered_script_after_failover_and_flush(self):
        first = self.c.leader()
        incr_by = "return redis.call('incrby', KEYS[1], ARGV[1])"
        script = self.c.client(first).register_script(incr_by)
        self.assertEqual(script(keys=["s:n"], args=[2]), 2)  # NOSCRIPT, SCRIPT LOAD, EVALSHA
        self.c.kill(first)
        leader = self.c.leader()
        r = self.c.client(leader, timeout=5)
        # The cache is replicated: the new leader has the script without a retry.
        self.assertEqual(r.script_exists(script.sha), [True])
        self.assertEqual(script(keys=["s:n"], args=[3], client=r), 5)
        r.script_flush()
        self.assertEqual(r.script_exists(script.sha), [False])
        self.assertEqual(script(keys=["s:n"], args=[4], client=r), 9)  # the NOSCRIPT path
        self.assertEqual(r.script_exists(script.sha), [True])


class LockUnderLeaderKillTest(ClusterTestCase):
    """redis-py's Lock (SET NX PX to take it, Lua scripts to release it) from four clients
    while the leader is killed: no two holders ever own the lock at once. Each holds it
    for 20 ms, far below its 5 s TTL, so an overlap could only come from the cluster
    forgetting an acknowledged acquisition or release."""

    def test_no_two_holders_at_once(self):
        first = self.c.leader()
        held = []  # (acquired, released, who) by the clients' clock
        stop = time.time() + 8

        def worker(who):
            while time.time() < stop:
                for i in self.c.ids:
                    if not self.c.alive(i) or time.time() >= stop:
                        continue
                    client = self.c.client(i, timeout=2)
                    lock = client.lock("lk", timeout=5, blocking_timeout=0.5, sleep=0.01)
                    try:
                        if not lock.acquire():
                            continue
                    except redis.exceptions.RedisError:
                        continue  # redirected, or the outcome is unknown: not held
                    acquired = time.monotonic()
                    time.sleep(0.02)
                    released = time.monotonic()
                    held.append((acquired, released, who))
                    try:
                        lock.release()
                    except (redis.exceptions.RedisError, redis.exceptions.LockError):
                        pass  # not confirmed released: it expires with its TTL
                    break

        ts = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
        self.c.kill_during(ts, first)
        held.sort()
        self.assertGreater(len(held), 10, "the lock was hardly ever taken")
        for (a0, r0, w0), (a1, r1, w1) in zip(held, held[1:]):
            self.assertLessEqual(r0, a1, f"holder {w1} took the lock at {a1:.3f} while "
                                         f"holder {w0} held it until {r0:.3f}")


if __name__ == "__main__":
    unittest.main()
