"""Integration tests of `raftkv status` against a real 3-node cluster: one row per member
with what the nodes report, the lag from the leader's progress, a row with the error for
a member that is down or does not answer, and --cluster discovering the members."""
import json
import socket
import subprocess
import time
import unittest

from cluster import BINARY, ClusterTestCase


class StatusTest(ClusterTestCase):
    def status(self, *args, endpoints=None):
        endpoints = endpoints or [f"127.0.0.1:{self.c.client_port[i]}" for i in self.c.ids]
        r = subprocess.run([BINARY, "status", "--endpoints", ",".join(endpoints), *args],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def json_rows(self, *args, **kwargs):
        code, out, err = self.status("-w", "json", *args, **kwargs)
        return code, json.loads(out)

    def test_one_row_per_member(self):
        leader = self.c.leader()
        r = self.c.client(leader)
        pipe = r.pipeline(transaction=False)
        for k in range(100):
            pipe.set(f"s:{k}", "v")
        pipe.execute()
        self.c.wait_converged()
        # Converged on applied index; the leader's progress catches up with the next
        # heartbeat round, so allow a moment for lag 0 everywhere.
        deadline = time.time() + 10
        while True:
            code, rows = self.json_rows()
            if all(row.get("lag") == 0 for row in rows) or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(code, 0)
        self.assertEqual([row["id"] for row in rows], self.c.ids)
        info = self.c.info_raft(leader)
        for i, row in zip(self.c.ids, rows):
            self.assertEqual(row["endpoint"], f"127.0.0.1:{self.c.client_port[i]}")
            self.assertEqual(row["peer"], f"127.0.0.1:{self.c.peer_port[i]}")
            self.assertEqual(row["role"], "leader" if i == leader else "follower")
            self.assertEqual(row["leader"], leader)
            self.assertEqual(row["term"], info["raft_term"])
            self.assertGreaterEqual(row["commit_index"], 100)
            self.assertEqual(row["applied_index"], row["commit_index"])
            self.assertGreaterEqual(row["log_entries"], 100)
            self.assertEqual(row["keys"], 100)
            self.assertGreater(row["used_memory"], 0)
            self.assertEqual(row["lag"], 0)
            self.assertNotIn("error", row)

        code, out, _ = self.status()
        lines = out.splitlines()
        self.assertEqual(code, 0)
        self.assertEqual(lines[0].split()[:4], ["ENDPOINT", "ID", "PEER", "ROLE"])
        self.assertEqual(len(lines), 4)
        self.assertEqual(lines[leader].split()[3], "leader")

    def test_a_member_that_is_down_or_silent_gets_an_error_row(self):
        self.c.leader()
        self.c.kill(3)
        # A socket that accepts connections (the kernel's backlog) but never answers.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        try:
            endpoints = [f"127.0.0.1:{self.c.client_port[i]}" for i in self.c.ids]
            endpoints.append(f"127.0.0.1:{silent.getsockname()[1]}")
            t0 = time.time()
            code, rows = self.json_rows("--timeout-ms", "500", endpoints=endpoints)
            self.assertLess(time.time() - t0, 10)
        finally:
            silent.close()
        self.assertEqual(code, 1)
        self.assertEqual([("error" in row) for row in rows], [False, False, True, True])
        self.assertIn("refused", rows[2]["error"])
        self.assertIn("no reply within 500 ms", rows[3]["error"])

        # --cluster asks one endpoint for the members, and still shows the one that is down.
        code, rows = self.json_rows("--cluster", endpoints=endpoints[:1])
        self.assertEqual(code, 1)
        self.assertEqual([row["endpoint"] for row in rows],
                         [f"127.0.0.1:{self.c.client_port[i]}" for i in self.c.ids])
        self.assertIn("error", rows[2])


if __name__ == "__main__":
    unittest.main()
