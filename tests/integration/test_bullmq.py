"""BullMQ (Node.js, pinned in node/package.json) on a 3-node cluster: a Queue, a Worker and
a QueueEvents (node/bullmq_jobs.js) process 1,000 jobs while the leader is killed with
SIGKILL in the middle. They connect as a BullMQ user with Redis Cluster does: ioredis's
cluster client, seeded with every node, and the hash-tagged queue prefix "{bull}".

What is asserted, per job (BullMQ is at-least-once):
  - none is lost: every added job is found in the completed state with its result, and
    QueueEvents saw it complete;
  - none runs more often than BullMQ allows: the processor ran each job at most as often as
    BullMQ started it (its attemptsStarted counter, raised by each move to active), and
    BullMQ started it again only after finding it stalled (attemptsStarted <= 1 +
    stalledCounter, the job's own count of stalls; attempts is 1, so no retries);
  - a job that ran more than once was reported stalled as often (by the worker's "stalled"
    event or QueueEvents').
A job may run twice only that way: when a move to active applied but its reply was lost
with the killed leader, or a worker lost a job's lock, BullMQ's stalled check (every 2 s
here, locks of 4 s) finds the job and moves it back to wait.
"""
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from cluster import ClusterTestCase

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
JOBS = 1000


def have_bullmq():
    return shutil.which("node") and os.path.isdir(os.path.join(NODE_DIR, "node_modules", "bullmq"))


@unittest.skipUnless(have_bullmq(), "node and bullmq are not installed (scripts/setup.sh)")
class BullMqFailoverTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.proc = None
        self.stderr = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()
        if self.stderr is not None:
            self.stderr.close()
        super().tearDown()

    def start_jobs(self):
        ports = ",".join(str(self.c.client_port[i]) for i in self.c.ids)
        self.stderr_path = os.path.join(self.c.dir, "bullmq.stderr")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            ["node", "bullmq_jobs.js", ports, str(JOBS)], cwd=NODE_DIR, stdout=subprocess.PIPE,
            stderr=self.stderr, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(self.proc.stdout), daemon=True)
        reader.start()
        return lines, reader

    @staticmethod
    def completed(lines):
        done = [json.loads(x)["completed"] for x in list(lines) if '"completed"' in x]
        return max(done, default=0)

    def test_1000_jobs_through_a_leader_kill(self):
        self.c.leader()
        t0 = time.time()
        lines, reader = self.start_jobs()
        deadline = time.time() + 40
        while self.completed(lines) < JOBS // 3 and time.time() < deadline:
            self.assertIsNone(self.proc.poll(), self.node_failure())
            time.sleep(0.02)
        self.assertGreaterEqual(self.completed(lines), JOBS // 3, self.node_failure())
        victim = self.c.leader()
        self.c.kill(victim)  # SIGKILL, a third of the way through
        t_kill = time.time() - t0
        self.proc.wait(timeout=90)
        reader.join(5)
        self.assertEqual(self.proc.returncode, 0, self.node_failure())
        results = [json.loads(x)["result"] for x in lines if '"result"' in x]
        self.assertEqual(len(results), 1, self.node_failure())
        result = results[0]
        self.check(result)
        runs = sum(j["executions"] for j in result["perJob"])
        stalled = sum(1 for j in result["perJob"] if j["stalledCounter"])
        print(f"\n{runs} runs of {JOBS} jobs, {stalled} stalled; leader {victim} killed at "
              f"{t_kill:.1f} s, done at {time.time() - t0:.1f} s; "
              f"{len(result['errors'])} client errors reported: {result['errors'][:3]}")

    def check(self, result):
        per_job = result["perJob"]
        self.assertEqual(len(per_job), JOBS)
        self.assertEqual(result["counts"]["completed"], JOBS, result["counts"])
        for job in per_job:
            i = int(job["id"].split("-")[1])
            self.assertTrue(job["found"], job)
            self.assertEqual(job["returnvalue"], 2 * i, job)
            self.assertIsNone(job["failedReason"], job)
            self.assertIsNotNone(job["finishedOn"], job)
            self.assertGreaterEqual(job["executions"], 1, job)
            self.assertLessEqual(job["executions"], job["attemptsStarted"], job)
            self.assertLessEqual(job["attemptsStarted"], 1 + (job["stalledCounter"] or 0), job)
            if job["executions"] > 1:  # and BullMQ said so when it moved the job back
                self.assertGreaterEqual(max(job["workerStalled"], job["eventsStalled"]),
                                        job["executions"] - 1, job)
        self.assertEqual(result["eventsCompleted"], JOBS, "QueueEvents saw every completion")

    def node_failure(self):
        with open(self.stderr_path) as f:
            return "bullmq_jobs.js: " + f.read()[-4000:]


if __name__ == "__main__":
    unittest.main()
