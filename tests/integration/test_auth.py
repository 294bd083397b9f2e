"""requirepass and AUTH on real processes: replies byte for byte as redis-server 7.0 gives
them with the same password, unmodified clients (redis-py, redis-cli -a) that authenticate,
and the shell tools taking the password from REDISCLI_AUTH."""
import json
import os
import shutil
import subprocess
import unittest

import redis

from cluster import BINARY, ClusterTestCase
from test_transactions import RawConnection, RedisServer

PASSWORD = "s3cret-pw"

# Each step on one fresh connection, in order.
SCRIPT = [
    ("GET", "k"),                       # NOAUTH
    ("NOSUCHCMD",),                     # unknown command comes before NOAUTH
    ("GET",),                           # so does a wrong arity
    ("AUTH", "wrong"),                  # WRONGPASS
    ("AUTH", "default", "wrong"),       # WRONGPASS
    ("AUTH", "someone", PASSWORD),      # WRONGPASS: no such user
    ("AUTH", "a", "b", "c"),            # syntax error
    ("AUTH",),                          # arity
    ("AUTH", PASSWORD),                 # OK
    ("SET", "k", "v"),
    ("GET", "k"),
    ("AUTH", "default", PASSWORD),      # OK again
]


class AuthTest(ClusterTestCase):
    cluster_args = {"password": PASSWORD}

    def replies(self, port):
        c = RawConnection(port)
        try:
            return [c.call(*step) for step in SCRIPT]
        finally:
            c.close()

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_replies_match_redis_byte_for_byte(self):
        server = RedisServer("--requirepass", PASSWORD)
        try:
            self.assertEqual(self.replies(self.c.client_port[self.c.leader()]),
                             self.replies(server.port))
        finally:
            server.close()

    def test_clients_that_authenticate_work_and_others_are_refused(self):
        port = self.c.client_port[self.c.leader()]
        with self.assertRaises(redis.exceptions.AuthenticationError):
            redis.Redis(port=port).get("k")
        # WRONGPASS: redis-py 4.3 raises it as a plain ResponseError.
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "^WRONGPASS"):
            redis.Redis(port=port, password="wrong").get("k")
        r = redis.Redis(port=port, password=PASSWORD)
        self.assertTrue(r.set("py", "1"))
        self.assertEqual(r.get("py"), b"1")
        cli = subprocess.run(["redis-cli", "-p", str(port), "-a", PASSWORD, "--no-auth-warning",
                              "GET", "py"], capture_output=True, text=True, timeout=10)
        self.assertEqual(cli.stdout.strip(), "1")
        # A follower asks for the password too before it redirects.
        follower = next(i for i in self.c.ids if i != self.c.leader())
        with self.assertRaises(redis.exceptions.AuthenticationError):
            redis.Redis(port=self.c.client_port[follower]).get("k")
        # Membership through the shell tool, with REDISCLI_AUTH (Cluster.member sets it).
        code, out = self.c.member("list")
        self.assertEqual(code, 0, out)

    def test_shell_tools_take_the_password_from_the_environment(self):
        self.c.leader()
        endpoints = ",".join(f"127.0.0.1:{self.c.client_port[i]}" for i in self.c.ids)
        run = lambda env: subprocess.run([BINARY, "status", "--endpoints", endpoints, "-w", "json"],
                                         capture_output=True, text=True, timeout=30, env=env)
        without = dict(os.environ)
        without.pop("REDISCLI_AUTH", None)
        refused = run(without)
        self.assertIn("NOAUTH", refused.stdout + refused.stderr)
        ok = run(dict(without, REDISCLI_AUTH=PASSWORD))
        self.assertEqual(ok.returncode, 0, ok.stderr)
        rows = json.loads(ok.stdout)
        self.assertEqual(len(rows), 3)
        self.assertEqual(sum(1 for r in rows if r.get("role") == "leader"), 1, rows)


if __name__ == "__main__":
    unittest.main()
