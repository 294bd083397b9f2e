"""Securing a cluster (issue 13, docs/security.md), with real raftkv processes on loopback:
clients over TLS (redis-cli --tls, redis-py with ssl=True, a TLS-only node whose plaintext
port is off), peers authenticated by a cluster secret or by mutual TLS (an intruder with a
wrong secret, a certificate from another CA, or a member's certificate used under another
id is refused, and the cluster is undisturbed), and rolling the cluster secret.

Certificates are made for each test with the openssl CLI in the cluster's temp directory."""
import json
import os
import subprocess
import tempfile
import shutil
import time
import unittest

import redis

from cluster import BINARY, Cluster, free_ports, log_tail, wait_for_log


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


class Certs:
    """A throwaway CA in `dir`, and certificates it signs (EC P-256: quick to make)."""

    def __init__(self, dir, name="ca"):
        self.dir = dir
        self.name = name
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2",
                "-subj", f"/CN=raftkv test {name}", cwd=dir)
        self.ca = os.path.join(dir, f"{name}.crt")

    def issue(self, name, dns=(), ip=("127.0.0.1",)):
        """(cert, key) paths of a certificate with CN `name` and these subjectAltNames."""
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
                cwd=self.dir)
        sans = [f"DNS:{d}" for d in dns] + [f"IP:{a}" for a in ip]
        ext = os.path.join(self.dir, f"{name}.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join(sans) + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{self.name}.crt", "-CAkey",
                f"{self.name}.key", "-CAcreateserial", "-out", f"{name}.crt", "-days", "2",
                "-extfile", ext, cwd=self.dir)
        return os.path.join(self.dir, f"{name}.crt"), os.path.join(self.dir, f"{name}.key")


def redis_cli(port, *args, tls=(), timeout=10):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *tls, *args],
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).strip()


class TestClientTls(unittest.TestCase):
    """One node with a plaintext port and a TLS port that requires client certificates."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="raftkv-tls-")
        self.certs = Certs(self.tmp)
        cert, key = self.certs.issue("server", dns=("localhost",))
        self.client_cert, self.client_key = self.certs.issue("client")
        (self.tls_port,) = free_ports(1)
        self.c = Cluster(1, extra_args=[
            f"--tls-port={self.tls_port}", f"--tls-cert-file={cert}", f"--tls-key-file={key}",
            f"--tls-ca-cert-file={self.certs.ca}", "--tls-auth-clients=yes"])
        self.c.leader()

    def tearDown(self):
        self.c.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_redis_cli_over_tls(self):
        tls = ["--tls", "--cacert", self.certs.ca, "--cert", self.client_cert,
               "--key", self.client_key]
        self.assertEqual(redis_cli(self.tls_port, "SET", "greeting", "hello", tls=tls),
                         (0, "OK"))
        self.assertEqual(redis_cli(self.tls_port, "GET", "greeting", tls=tls), (0, "hello"))
        # The same data on the plaintext port.
        self.assertEqual(self.c.client(1).get("greeting"), b"hello")
        log = f"{self.c.dir}/node1.log"
        # tls-auth-clients yes: no client certificate, no service.
        code, out = redis_cli(self.tls_port, "PING", tls=["--tls", "--cacert", self.certs.ca])
        self.assertEqual((code, out), (1, "Error: Server closed the connection"))
        self.assertIn("TLS handshake failed: peer did not return a certificate",
                      wait_for_log(log, "peer did not return a certificate"))
        # A plaintext client on the TLS port gets nothing either.
        code, out = redis_cli(self.tls_port, "PING")
        self.assertEqual((code, out), (1, "Error: Server closed the connection"))
        self.assertIn("TLS handshake failed: wrong version number",
                      wait_for_log(log, "wrong version number"))
        # And a client that does not trust our CA refuses the server.
        other = Certs(self.tmp, name="other-ca")
        code, out = redis_cli(self.tls_port, "PING", tls=["--tls", "--cacert", other.ca,
                                                          "--cert", self.client_cert,
                                                          "--key", self.client_key])
        self.assertEqual(code, 1)
        self.assertIn("certificate verify failed", out)
        self.assertEqual(self.c.client(1).ping(), True)  # the node is fine

    def test_redis_py_with_ssl(self):
        r = redis.Redis(host="127.0.0.1", port=self.tls_port, ssl=True,
                        ssl_ca_certs=self.certs.ca, ssl_certfile=self.client_cert,
                        ssl_keyfile=self.client_key, socket_timeout=5)
        self.assertTrue(r.set("k", "v" * 100000))
        pipe = r.pipeline(transaction=False)
        for i in range(500):
            pipe.set(f"p{i}", i)
            pipe.get(f"p{i}")
        replies = pipe.execute()
        self.assertEqual(replies[1::2], [str(i).encode() for i in range(500)])
        self.assertEqual(r.get("k"), b"v" * 100000)
        self.assertEqual(self.c.client(1).get("p499"), b"499")
        r.close()


    def test_ioredis_with_tls_as_an_acl_user(self):
        node_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
        if not shutil.which("node") or not os.path.isdir(
                os.path.join(node_dir, "node_modules", "ioredis")):
            self.skipTest("node and ioredis are not installed (scripts/setup.sh installs them)")
        self.c.client(1).execute_command("ACL", "SETUSER", "app", "on", ">app-pw", "~app:*",
                                         "+@all", "-@dangerous")
        run = subprocess.run(["node", "tls.js", str(self.tls_port), self.certs.ca,
                              self.client_cert, self.client_key, "app", "app-pw"],
                             cwd=node_dir, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        got = json.loads(run.stdout)
        self.assertEqual(got["set"], "OK")
        self.assertEqual(got["get"], 50000)
        self.assertEqual(got["whoami"], "app")
        self.assertEqual(got["pipeline"], [[None, 1], [None, 2], [None, "2"]])
        self.assertTrue(got["denied"].startswith("NOPERM"), got["denied"])

    def test_shell_tools_over_tls_with_credentials(self):
        self.c.client(1).execute_command("ACL", "SETUSER", "ops", "on", ">ops-pw", "+@all",
                                         "allkeys")
        self.c.client(1).execute_command("ACL", "SETUSER", "app", "on", ">app-pw", "~app:*",
                                         "+@all", "-@admin")
        tls = ["--tls", "--cacert", self.certs.ca, "--cert", self.client_cert,
               "--key", self.client_key]
        env = {k: v for k, v in os.environ.items() if k != "REDISCLI_AUTH"}
        tool = lambda *args: subprocess.run([BINARY, *args], capture_output=True, text=True,
                                            timeout=30, env=env)
        server = f"127.0.0.1:{self.tls_port}"
        ok = tool("member", "-s", server, *tls, "--user", "ops", "--pass", "ops-pw", "list")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("leader", ok.stdout)
        status = tool("status", "--endpoints", server, "-w", "json", *tls, "--user", "ops",
                      "-a", "ops-pw")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertEqual(json.loads(status.stdout)[0]["role"], "leader")
        denied = tool("member", "-s", server, *tls, "--user", "app", "--pass", "app-pw", "list")
        self.assertEqual(denied.returncode, 1)
        self.assertIn("NOPERM this user has no permissions to run the 'raft' command",
                      denied.stderr)
        wrong = tool("member", "-s", server, *tls, "--user", "ops", "--pass", "nope", "list")
        self.assertIn("WRONGPASS", wrong.stderr)
        no_cert = tool("member", "-s", server, "--tls", "--cacert", self.certs.ca, "list")
        self.assertEqual(no_cert.returncode, 1)
        plain = tool("member", "-s", f"127.0.0.1:{self.c.client_port[1]}", "--user", "ops",
                     "--pass", "ops-pw", "list")
        self.assertEqual(plain.returncode, 0, plain.stderr)


class TlsOnlyCluster(Cluster):
    """Every node serves clients over TLS only (--listen-client port 0); client_port[i] is
    its TLS port, and every helper of Cluster talks TLS."""

    def __init__(self, certs, cert, key, **kwargs):
        self.certs = certs
        self.tls_args = [f"--tls-cert-file={cert}", f"--tls-key-file={key}",
                         "--tls-auth-clients=no"]
        super().__init__(**kwargs)

    def args(self, i):
        out = [a for a in super().args(i) if not a.startswith("--listen-client=")]
        return out + ["--listen-client=127.0.0.1:0", f"--tls-port={self.client_port[i]}",
                      *self.tls_args]

    def client(self, i, timeout=2.0):
        return redis.Redis(host="127.0.0.1", port=self.client_port[i], ssl=True,
                           ssl_ca_certs=self.certs.ca, socket_timeout=timeout,
                           socket_connect_timeout=timeout)


class TestTlsOnly(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="raftkv-tls-")
        self.certs = Certs(self.tmp)
        cert, key = self.certs.issue("server")
        self.c = TlsOnlyCluster(self.certs, cert, key, n=3)

    def tearDown(self):
        self.c.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_plaintext_port_off_and_redirects_go_to_tls_ports(self):
        leader = self.c.leader()
        follower = next(i for i in self.c.ids if i != leader)
        # redis-cli -c on a follower follows MOVED to the leader's TLS port.
        tls = ["--tls", "--cacert", self.certs.ca, "-c"]
        self.assertEqual(redis_cli(self.c.client_port[follower], "SET", "a", "1", tls=tls),
                         (0, "OK"))
        self.assertEqual(self.c.client(leader).get("a"), b"1")
        self.c.wait_converged()
        # Nothing listens on plaintext: the log says where clients are served.
        self.assertIn("no plaintext port, TLS on port",
                      log_tail(f"{self.c.dir}/node{leader}.log", 100000))
        code, out = redis_cli(self.c.client_port[leader], "PING")
        self.assertNotEqual(out, "PONG")


def intruder(c, claimed_id, extra):
    """A raftkv process claiming member id `claimed_id`, dialing every member's peer port
    directly: it campaigns at once (its own one-node view elects it after its election
    timeout), so any vote it got through would disturb the cluster's term."""
    client_port, peer_port = free_ports(2)
    members = [f"{j}=127.0.0.1:{c.peer_port[j]}" for j in c.ids if j != claimed_id]
    members.append(f"{claimed_id}=127.0.0.1:{peer_port}")
    data = tempfile.mkdtemp(prefix="raftkv-intruder-", dir=c.dir)
    log = open(os.path.join(c.dir, "intruder.log"), "ab")
    p = subprocess.Popen([BINARY, "serve", f"--id={claimed_id}", f"--data-dir={data}",
                          f"--listen-client=127.0.0.1:{client_port}",
                          f"--listen-peer=127.0.0.1:{peer_port}",
                          "--initial-cluster=" + ",".join(members), "--tick-ms=10",
                          "--election-ticks=5", "--heartbeat-ticks=1", *extra],
                         stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return p


class PeerAuthCase(unittest.TestCase):
    nodes = 3

    def make_cluster(self, node_args):
        self.c = Cluster(self.nodes, node_extra_args=node_args)

    def tearDown(self):
        for p in getattr(self, "intruders", []):
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        result = self._outcome.result
        if any(t is self for t, _ in result.failures + result.errors):
            for i in self.c.ids:
                print(f"--- node {i} log tail ---\n{self.c.log_text(i)}")
            print(f"--- intruder ---\n{log_tail(os.path.join(self.c.dir, 'intruder.log'))}")
        self.c.close()
        if hasattr(self, "tmp"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def assert_refused_and_undisturbed(self, extra, claimed_id, reason, intruder_reason=None):
        """Starts an intruder with `extra` flags; every member it dials logs `reason` for
        it (and the intruder `intruder_reason`, if given) while the leader and term stay,
        and writes keep committing."""
        leader = self.c.leader()
        term = self.c.info_raft(leader)["raft_term"]
        self.intruders = getattr(self, "intruders", [])
        self.intruders.append(intruder(self.c, claimed_id, extra))
        deadline = time.time() + 10
        for i in range(20):
            self.assertTrue(self.c.client(leader).set(f"during{i}", i))
            time.sleep(0.05)
        while time.time() < deadline:
            logs = {i: self.c.log_text(i) for i in self.c.ids if i != claimed_id}
            if all("refusing peer connection" in t and reason in t for t in logs.values()):
                break
            time.sleep(0.1)
        for i, text in logs.items():
            self.assertIn(reason, text, f"node {i}")
        if intruder_reason:
            self.assertIn(intruder_reason, log_tail(os.path.join(self.c.dir, "intruder.log")))
        self.assertEqual(self.intruders[-1].poll(), None, "the intruder kept trying")
        self.assertEqual(self.c.leader(), leader)
        self.assertEqual(self.c.info_raft(leader)["raft_term"], term)
        self.c.wait_converged()
        self.assertEqual(self.c.client(leader).get("during19"), b"19")


def write_secret(path, *secrets):
    with open(path, "w") as f:
        f.write("# cluster secrets, current first\n" + "".join(s + "\n" for s in secrets))
    os.chmod(path, 0o600)


# The dialer checks the acceptor's proof first; with a wrong secret it refuses and hangs up,
# which is what the member (the acceptor) sees.
WRONG_SECRET_AT_MEMBER = "node 2 hung up before answering our challenge"
OLD = "old-secret-" + "a" * 32
NEW = "new-secret-" + "b" * 32


class TestClusterSecret(PeerAuthCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="raftkv-secret-")
        self.files = {i: os.path.join(self.tmp, f"secret{i}") for i in range(1, 5)}
        for i in range(1, 4):
            write_secret(self.files[i], OLD)
        self.make_cluster({i: [f"--cluster-secret-file={self.files[i]}"] for i in range(1, 4)})

    def test_wrong_secret_is_refused_and_the_cluster_is_undisturbed(self):
        write_secret(self.files[4], NEW)
        self.assert_refused_and_undisturbed([f"--cluster-secret-file={self.files[4]}"], 2,
                                            WRONG_SECRET_AT_MEMBER, "wrong cluster secret")

    def test_no_secret_is_refused(self):
        self.assert_refused_and_undisturbed([], 3, "offers no proof of the cluster secret")

    def test_rolling_the_secret(self):
        """Each node in turn restarts with NEW and OLD, then each with NEW only; the cluster
        serves writes throughout, and the old secret no longer gets in."""
        written = 0
        for secrets in ((NEW, OLD), (NEW,)):
            for i in self.c.ids:
                write_secret(self.files[i], *secrets)
                self.c.stop(i)
                self.c.start(i)
                leader = self.c.leader()
                self.assertTrue(self.c.client(leader).set(f"roll{written}", written))
                written += 1
                self.c.wait_converged()
        digests = self.c.wait_converged()
        self.assertEqual(len(set(digests.values())), 1)
        self.assertEqual(self.c.client(self.c.leader()).get(f"roll{written - 1}"),
                         str(written - 1).encode())
        write_secret(self.files[4], OLD)
        self.assert_refused_and_undisturbed([f"--cluster-secret-file={self.files[4]}"], 2,
                                            WRONG_SECRET_AT_MEMBER, "wrong cluster secret")


def peer_tls_args(cert, key, ca):
    return [f"--peer-tls-cert-file={cert}", f"--peer-tls-key-file={key}",
            f"--peer-tls-ca-cert-file={ca}"]


class TestPeerTls(PeerAuthCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="raftkv-mtls-")
        self.certs = Certs(self.tmp)
        self.node_certs = {i: self.certs.issue(f"raftkv-node-{i}", dns=(f"raftkv-node-{i}",))
                           for i in range(1, 4)}
        self.make_cluster({i: peer_tls_args(*self.node_certs[i], self.certs.ca)
                           for i in range(1, 4)})

    def test_rolling_to_a_new_ca(self):
        """Every node trusts both CAs, then moves to a certificate from the new CA, then
        trusts only the new CA, each restarted in turn with writes in between; then a
        certificate from the old CA is refused."""
        new = Certs(self.tmp, name="new-ca")
        both = os.path.join(self.tmp, "both-cas.crt")
        with open(both, "w") as f:
            f.write(open(self.certs.ca).read() + open(new.ca).read())
        new_certs = {i: new.issue(f"new-node-{i}", dns=(f"raftkv-node-{i}",))
                     for i in range(1, 4)}
        steps = [lambda i: peer_tls_args(*self.node_certs[i], both),
                 lambda i: peer_tls_args(*new_certs[i], both),
                 lambda i: peer_tls_args(*new_certs[i], new.ca)]
        written = 0
        for step in steps:
            for i in self.c.ids:
                self.c.node_extra_args[i] = step(i)
                self.c.stop(i)
                self.c.start(i)
                self.assertTrue(self.c.client(self.c.leader()).set(f"roll{written}", written))
                written += 1
                self.c.wait_converged()
        old_cert = self.certs.issue("raftkv-node-2-old", dns=("raftkv-node-2",))
        self.assert_refused_and_undisturbed(peer_tls_args(*old_cert, new.ca), 2,
                                            "TLS handshake failed")

    def test_certificate_from_another_ca_is_refused(self):
        other = Certs(self.tmp, name="other-ca")
        cert, key = other.issue("raftkv-node-2-forged", dns=("raftkv-node-2",))
        self.assert_refused_and_undisturbed(peer_tls_args(cert, key, self.certs.ca), 2,
                                            "TLS handshake failed")

    def test_member_certificate_under_another_id_is_refused(self):
        # A genuine certificate from the cluster's CA, for node 4, claiming to be node 2.
        cert, key = self.certs.issue("raftkv-node-4", dns=("raftkv-node-4",))
        self.assert_refused_and_undisturbed(peer_tls_args(cert, key, self.certs.ca), 2,
                                            "its certificate does not name raftkv-node-2")


if __name__ == "__main__":
    unittest.main()
