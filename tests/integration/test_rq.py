"""Python RQ (Debian's python3-rq) on a 3-node cluster: 1,000 jobs, a worker
(rq.SimpleWorker, which dequeues with BLPOP) in a subprocess, and the leader killed with
SIGKILL in the middle. The worker reaches the cluster through a proxy that connects each new
connection to the current leader (as a deployment's load balancer or a cluster-aware client
would). No job is lost, and none runs more often than RQ allows: once, or once more after
RQ's own recovery requeues a job whose worker lost the connection while running it."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import redis

from cluster import ClusterTestCase, LinkProxy, env_port_range, free_ports

try:
    import rq
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
except ImportError:  # scripts/setup.sh installs python3-rq
    rq = None

JOBS_MODULE = '''
def run(path, i):
    with open(path, "a") as f:
        f.write("%d\\n" % i)
    return i
'''

# The worker process: restarts RQ's work loop when it quits on a lost connection (RQ's
# own loop retries only while dequeuing), until told to stop.
WORKER = r'''
import os, sys, threading, time
import redis, rq
# RQ's command listener needs SUBSCRIBE, which raftkv does not serve yet: its thread dies
# quietly instead of printing a traceback; the worker does not depend on it.
threading.excepthook = lambda args: None
port, stop_file = int(sys.argv[1]), sys.argv[2]
while not os.path.exists(stop_file):
    try:
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, socket_connect_timeout=5)
        worker = rq.SimpleWorker([rq.Queue("jobs", connection=r)], connection=r,
                                 default_worker_ttl=16)  # dequeue: BLPOP with a 1 s timeout
        worker.work(burst=False, logging_level="WARNING")
    except Exception as e:
        print("worker restarts after:", repr(e), file=sys.stderr)
    time.sleep(0.2)
'''


class LeaderProxy(LinkProxy):
    """Connects each accepted connection to the node that leads at that moment."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.port = free_ports(1, env_port_range("RAFTKV_IT_CLIENT_PORTS"))[0]
        super().__init__(self.port, None)

    @property
    def target_port(self):
        return self.cluster.client_port[self.cluster.leader(timeout=10)]

    @target_port.setter
    def target_port(self, _):
        pass


@unittest.skipIf(rq is None, "python3-rq is not installed")
class RqWorkerFailoverTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="raftkv-it-rq-")
        with open(os.path.join(self.tmp, "rq_it_jobs.py"), "w") as f:
            f.write(JOBS_MODULE)
        sys.path.insert(0, self.tmp)
        self.runs = os.path.join(self.tmp, "runs")
        open(self.runs, "w").close()
        self.proxy = LeaderProxy(self.c)
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        self.proxy.close()
        sys.path.remove(self.tmp)
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def runs_by_job(self):
        with open(self.runs) as f:
            ids = [int(line) for line in f if line.strip()]
        counts = {}
        for i in ids:
            counts[i] = counts.get(i, 0) + 1
        return counts

    def start_worker(self, stop_file, k):
        env = dict(os.environ, PYTHONPATH=self.tmp)
        with open(os.path.join(self.tmp, f"worker{k}.log"), "w") as log:
            return subprocess.Popen(
                [sys.executable, "-c", WORKER, str(self.proxy.port), stop_file], cwd=self.tmp,
                env=env, stdout=log, stderr=subprocess.STDOUT)  # RQ logs to stdout

    def connection(self):
        return redis.Redis(host="127.0.0.1", port=self.proxy.port, socket_timeout=5)

    def test_1000_jobs_through_a_leader_kill(self):
        n = 1000
        r = self.connection()
        for _ in range(100):  # a leader serves through the proxy (PING: safe to repeat)
            try:
                r.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        q = rq.Queue("jobs", connection=r)
        with r.pipeline() as pipe:  # enqueue_many: one MULTI/EXEC per 100 jobs
            for start in range(0, n, 100):
                q.enqueue_many([rq.Queue.prepare_data("rq_it_jobs.run", (self.runs, i),
                                                      job_id=f"job-{i}", result_ttl=600)
                                for i in range(start, start + 100)], pipeline=pipe)
                pipe.execute()
        self.assertEqual(q.count, n)
        t0 = time.time()

        stop_file = os.path.join(self.tmp, "stop")
        # Four workers: each job is some 20 commands, most of them writes through the log.
        self.workers = [self.start_worker(stop_file, k) for k in range(4)]
        deadline = time.time() + 30
        while sum(self.runs_by_job().values()) < n // 3 and time.time() < deadline:
            time.sleep(0.05)
        self.c.kill(self.c.leader())  # SIGKILL, a third of the way through
        t_kill = time.time() - t0

        def settled(last=[None]):  # the queue is empty and no job has run for a second
            try:
                c = self.connection()
                state = (q.count, len(StartedJobRegistry("jobs", connection=c)),
                         sum(self.runs_by_job().values()))
            except redis.exceptions.RedisError:
                return False
            done, last[0] = state[:2] == (0, 0) and state == last[0], state
            return done

        deadline = time.time() + 40
        while not settled() and time.time() < deadline:
            time.sleep(1)
        t_settled = time.time() - t0
        open(stop_file, "w").close()
        for w in self.workers:
            w.send_signal(signal.SIGTERM)  # RQ's warm shutdown
        for w in self.workers:
            w.wait(20)

        # RQ's recovery: jobs whose worker lost the connection while running them stay in
        # the started registry (or went to the failed one): requeued, they run again.
        r = self.connection()
        requeued = set()
        for registry in (StartedJobRegistry("jobs", connection=r),
                         FailedJobRegistry("jobs", connection=r)):
            for job_id in registry.get_job_ids():
                requeued.add(int(job_id.split("-")[1]))
                if isinstance(registry, StartedJobRegistry):
                    registry.remove(job_id)
                    q.enqueue_job(rq.job.Job.fetch(job_id, connection=r))
                else:
                    registry.requeue(job_id)
        # A job whose BLPOP was applied but whose reply died with the killed leader's
        # connection (or whose worker failed before recording it as started) is in no list
        # or registry: RQ has no record that a worker took it, as with Redis when a
        # connection drops just after a pop. Found by its status, counted against the
        # workers' connection errors, and requeued as an operator would.
        queued_ids = set(q.get_job_ids())
        orphans = [i for i in range(n) if f"job-{i}" not in queued_ids and i not in requeued and
                   rq.job.Job.fetch(f"job-{i}", connection=r).get_status() == "queued"]
        worker_errors = 0  # connection errors in a dequeue, or that stopped RQ's loop
        for k in range(len(self.workers)):
            with open(os.path.join(self.tmp, f"worker{k}.log")) as f:
                text = f.read()
            worker_errors += sum(text.count(e) for e in (
                "Could not connect to Redis instance", "unhandled exception, quitting",
                "Redis connection timeout, quitting", "worker restarts after"))
        self.assertLessEqual(len(orphans), worker_errors,
                             "a job leaves the queue unrecorded only with a worker's error")
        for i in orphans:
            requeued.add(i)
            q.enqueue_job(rq.job.Job.fetch(f"job-{i}", connection=r))
        if requeued:
            rq.SimpleWorker([q], connection=r).work(burst=True, logging_level="WARNING")

        runs = self.runs_by_job()
        finished = set(FinishedJobRegistry("jobs", connection=r).get_job_ids())
        print(f"\n{len(requeued)} jobs requeued ({len(orphans)} orphaned, {worker_errors} worker errors), "
              f"{sum(runs.values())} runs of {len(runs)} jobs; killed at {t_kill:.1f} s, "
              f"settled at {t_settled:.1f} s, done at {time.time() - t0:.1f} s")
        self.assertEqual(finished, {f"job-{i}" for i in range(n)}, "no job lost")
        for i in range(n):
            allowed = 2 if i in requeued else 1
            self.assertLessEqual(runs.get(i, 0), allowed, f"job-{i} ran {runs.get(i)} times")
            self.assertGreaterEqual(runs.get(i, 0), 1, f"job-{i} never ran")
        self.assertLessEqual(len(requeued), 5, "a kill costs a few jobs' runs, not more")
        self.c.start(next(i for i in self.c.ids if not self.c.alive(i)))
        self.c.wait_converged(timeout=20)


if __name__ == "__main__":
    unittest.main()
