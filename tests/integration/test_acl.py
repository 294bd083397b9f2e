"""ACL users on real processes: replies byte for byte as redis-server 7.0 gives them for the
same script of ACL commands, wrong and missing passwords refused, a user kept inside its key
pattern on the leader and, since users are replicated, on the new leader after a failover;
a deleted user's connections are closed."""
import shutil
import time
import unittest

import redis

from cluster import ClusterTestCase
from test_transactions import RawConnection, assert_scripts_match_redis

APP = ("ACL", "SETUSER", "app", "on", ">app-pw", "~app:*", "+@all", "-@dangerous")
SCRIPT_SET_OTHER = "return redis.call('set', 'other', '1')"

# Each script: (connection, command...) steps; connection 1 authenticates as a user.
# Commands rules name at most one single command beyond categories: with more, Redis's
# order of them depends on a per-process hash seed (raftkv's is the command table's).
SCRIPTS = {
    "setuser, getuser, list, users": [
        (0, "ACL", "LIST"),
        (0, "ACL", "GETUSER", "default"),
        (0, "ACL", "SETUSER", "alice", "on", ">pw", "~app:*", "+@hash", "-hdel"),
        (0, "ACL", "SETUSER", "carol", "+set", "-@all", "+mget", "+@string", "-append", "+@list",
         "-@list"),
        (0, "ACL", "SETUSER", "dave", "+@all", "-@dangerous", "-get", "~a", "~b", "%R~c",
         "%W~d", "%RW~e", "allchannels"),
        (0, "ACL", "SETUSER", "erin", "%R~a", "%W~a", "~b", "%R~b", "&x", "&y"),
        (0, "ACL", "SETUSER", "bob"),
        (0, "ACL", "GETUSER", "alice"),
        (0, "ACL", "GETUSER", "dave"),
        (0, "ACL", "GETUSER", "erin"),
        (0, "ACL", "GETUSER", "bob"),
        (0, "ACL", "GETUSER", "nosuch"),
        (0, "ACL", "LIST"),
        (0, "ACL", "USERS"),
        (0, "ACL", "SETUSER", "y", ">a", ">b", ">a", "<b"),
        (0, "ACL", "GETUSER", "y"),
        (0, "ACL", "SETUSER", "y", "nopass"),
        (0, "ACL", "SETUSER", "y", "reset"),
        (0, "ACL", "GETUSER", "y"),
        (0, "ACL", "DELUSER", "alice", "carol", "dave", "erin", "bob", "nosuch"),
        (0, "ACL", "USERS"),
        (0, "ACL", "CAT"),
        (0, "ACL", "WHOAMI"),
    ],
    "errors": [
        (0, "ACL", "SETUSER", "x", "foo"),
        (0, "ACL", "SETUSER", "x", "+nosuch"),
        (0, "ACL", "SETUSER", "x", "-@nosuch"),
        (0, "ACL", "SETUSER", "x", "allkeys", "~foo"),
        (0, "ACL", "SETUSER", "x", "allchannels", "&foo"),
        (0, "ACL", "SETUSER", "x", "#abc"),
        (0, "ACL", "SETUSER", "x", "%X~a"),
        (0, "ACL", "SETUSER", "a b"),
        (0, "ACL", "DELUSER", "default"),
        (0, "ACL", "USERS"),
        (0, "ACL"),
        (0, "ACL", "FOO"),
        (0, "ACL", "GETUSER"),
        (0, "ACL", "USERS", "x"),
        (0, "ACL", "CAT", "nosuch"),
        (0, "ACL", "LOAD"),
        (0, "ACL", "HELP"),
        (0, "ACL", "DRYRUN", "nosuch", "get", "x"),
        (0, "ACL", "DRYRUN", "default", "nosuchcmd", "x"),
    ],
    "rules changed between MULTI and EXEC": [
        (0, "ACL", "SETUSER", "tx", "on", ">p", "~app:*", "+@all"),
        (1, "AUTH", "tx", "p"),
        (1, "MULTI"),
        (1, "SET", "app:1", "1"),
        (1, "GET", "app:1"),
        (1, "INCR", "app:n"),
        (0, "ACL", "SETUSER", "tx", "-set", "resetkeys", "~app:n"),
        (1, "EXEC"),
        (0, "ACL", "DELUSER", "tx"),
    ],
    "a restricted user": [
        (0, *APP),
        (1, "AUTH", "app", "wrong"),
        (1, "AUTH", "nosuch", "app-pw"),
        (1, "AUTH", "app-pw"),
        (1, "AUTH", "app", "app-pw"),
        (1, "ACL", "WHOAMI"),
        (1, "SET", "other", "1"),
        (1, "SET", "app:1", "1"),
        (1, "GET", "app:1"),
        (1, "MGET", "app:1", "other"),
        (1, "FLUSHALL"),
        (1, "KEYS", "*"),
        (1, "CLIENT", "KILL", "ID", "999999"),
        (1, "CONFIG", "GET", "maxclients"),
        (1, "ACL", "SETUSER", "app", "allkeys"),
        (1, "EVAL", SCRIPT_SET_OTHER, "0"),
        (1, "EVAL", "return redis.call('flushall')", "0"),
        (1, "EVAL", "return redis.pcall('set', 'other', '1')", "0"),
        (1, "EVAL", "return redis.call('set', KEYS[1], '2')", "1", "app:2"),
        (1, "EVAL", "return redis.call('get', KEYS[1])", "1", "other"),
        (1, "EVAL_RO", "return redis.call('get', 'other')", "0"),
        (1, "EVAL_RO", "return redis.call('get', 'app:1')", "0"),
        (1, "MULTI"),
        (1, "SET", "app:3", "3"),
        (1, "SET", "other", "3"),
        (1, "EXEC"),
        (1, "GET", "app:3"),
        (0, "ACL", "DRYRUN", "app", "get", "other"),
        (0, "ACL", "DRYRUN", "app", "get", "app:1"),
        (0, "ACL", "DRYRUN", "app", "flushall"),
        (0, "ACL", "SETUSER", "app", "+flushall"),
        (1, "FLUSHALL"),
        (0, "ACL", "SETUSER", "app", "off"),
        (1, "GET", "app:1"),  # disabled, but already authenticated: still served
        (1, "AUTH", "app", "app-pw"),
        (0, "ACL", "LOG", "x"),
        (0, "ACL", "LOG", "1", "2"),
        (0, "ACL", "LOG", "RESET"),
        (0, "ACL", "LOG"),
        (0, "ACL", "DELUSER", "app"),
    ],
}


def auth(port, user, password):
    c = RawConnection(port)
    assert c.call("AUTH", user, password) == b"+OK\r\n"
    return c


class AclRedisCompatTest(ClusterTestCase):
    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        assert_scripts_match_redis(self, SCRIPTS)


class AclTest(ClusterTestCase):
    def test_wrong_or_missing_passwords_are_refused(self):
        port = self.c.client_port[self.c.leader()]
        r = redis.Redis(port=port)
        r.execute_command(*APP)
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "^WRONGPASS"):
            redis.Redis(port=port, username="app", password="wrong").get("app:x")
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "^WRONGPASS"):
            redis.Redis(port=port, username="app").get("app:x")
        ok = redis.Redis(port=port, username="app", password="app-pw")
        self.assertTrue(ok.set("app:x", "1"))
        # The default user with a password: new connections must authenticate.
        r.execute_command("ACL", "SETUSER", "default", "resetpass", ">root-pw")
        with self.assertRaises(redis.exceptions.AuthenticationError):
            redis.Redis(port=port).get("app:x")
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "^WRONGPASS"):
            redis.Redis(port=port, password="wrong").get("app:x")
        self.assertEqual(redis.Redis(port=port, password="root-pw").get("app:x"), b"1")

    def check_confined(self, port, key):
        c = auth(port, "app", "app-pw")
        try:
            self.assertEqual(c.call("SET", "other", "x"), b"-NOPERM this user has no permissions "
                             b"to access one of the keys used as arguments\r\n")
            self.assertEqual(c.call("EVAL", SCRIPT_SET_OTHER, "0")[:60],
                             b"-ERR The user executing the script can't access at least one")
            self.assertEqual(c.call("SET", key, "x"), b"+OK\r\n")
        finally:
            c.close()

    def test_a_user_stays_in_its_key_pattern_after_a_failover(self):
        leader = self.c.leader()
        r = self.c.client(leader)
        r.execute_command(*APP)
        self.check_confined(self.c.client_port[leader], "app:1")
        self.c.kill(leader)
        new_leader = self.c.leader(among=[i for i in self.c.ids if i != leader], timeout=20)
        self.assertNotEqual(new_leader, leader)
        self.check_confined(self.c.client_port[new_leader], "app:2")
        self.assertIsNone(self.c.client(new_leader).get("other"))

    def app_connection(self):
        """A default-user client and a connection authenticated as `app`, which has written."""
        port = self.c.client_port[self.c.leader()]
        r = redis.Redis(port=port)
        r.execute_command(*APP)
        c = auth(port, "app", "app-pw")
        self.addCleanup(c.close)
        self.assertEqual(c.call("SET", "app:1", "1"), b"+OK\r\n")
        return r, c

    def test_connections_of_a_deleted_user_are_closed(self):
        r, c = self.app_connection()
        self.assertEqual(r.execute_command("ACL", "DELUSER", "app"), 1)
        with self.assertRaises((ConnectionError, OSError)):
            c.call("GET", "app:1")
            c.call("GET", "app:1")

    def test_changed_rules_apply_to_open_connections(self):
        r, c = self.app_connection()
        r.execute_command("ACL", "SETUSER", "app", "-set")
        self.assertEqual(c.call("SET", "app:1", "1"), b"-NOPERM this user has no "
                         b"permissions to run the 'set' command\r\n")

    def test_acl_log_records_refusals_as_redis_groups_them(self):
        r, c = self.app_connection()
        for _ in range(2):
            c.call("SET", "other", "x")
        c.call("FLUSHALL")
        self.assertTrue(c.call("AUTH", "app", "wrong").startswith(b"-WRONGPASS"))
        log = r.execute_command("ACL", "LOG")
        entries = [dict(zip(e[::2], e[1::2])) for e in log]
        got = [(e[b"count"], e[b"reason"], e[b"context"], e[b"object"], e[b"username"])
               for e in entries]
        self.assertEqual(got, [(1, b"auth", b"toplevel", b"AUTH", b"app"),
                               (1, b"command", b"toplevel", b"flushall", b"app"),
                               (2, b"key", b"toplevel", b"other", b"app")])
        self.assertIn(b"user=app", entries[0][b"client-info"])
        self.assertEqual(len(r.execute_command("ACL", "LOG", "1")), 1)
        self.assertEqual(r.execute_command("ACL", "LOG", "RESET"), b"OK")
        self.assertEqual(r.execute_command("ACL", "LOG"), [])


if __name__ == "__main__":
    unittest.main()
