// BullMQ (unmodified, pinned in package.json) on a raftkv cluster, through ioredis's cluster
// client as a BullMQ user with Redis Cluster connects: a Queue, a Worker and a QueueEvents
// under the hash-tagged prefix "{bull}" (BullMQ's requirement for Redis Cluster: every key
// of a queue in one slot). Jobs get their own ids ("job-<i>"), so that adding again after
// a lost reply cannot make a second job.
//
// Usage: node bullmq_jobs.js PORT[,PORT...] JOBS
// Prints JSON lines: {"added": n} once everything is added, {"completed": n} as the worker
// finishes jobs, and last {"result": {...}} with what the test checks (or exits 1).
"use strict";
const Redis = require("ioredis");
const { Queue, Worker, QueueEvents } = require("bullmq");

const ports = process.argv[2].split(",").map(Number);
const total = Number(process.argv[3]);
const prefix = "{bull}";
const queueName = "jobs";

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function connect() {
  // What BullMQ asks of a connection: blocking commands are not cut off by a retry limit.
  return new Redis.Cluster(
    ports.map((port) => ({ host: "127.0.0.1", port })),
    {
      redisOptions: { maxRetriesPerRequest: null, connectTimeout: 2000 },
      retryDelayOnClusterDown: 100,
      retryDelayOnFailover: 200,
      retryDelayOnTryAgain: 100,
      clusterRetryStrategy: () => 200,
    }
  );
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Adds jobs [from, to) in batches; a batch that fails is sent again (same ids: no duplicates).
async function addJobs(queue, from, to) {
  for (let i = from; i < to; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + 50); ++j) {
      batch.push({ name: "work", data: { i: j }, opts: { jobId: `job-${j}` } });
    }
    for (let attempt = 0; ; ++attempt) {
      try {
        await queue.addBulk(batch);
        break;
      } catch (e) {
        if (attempt >= 100) throw e;
        await sleep(100);
      }
    }
  }
}

async function main() {
  const errors = [];
  const note = (what) => (e) => errors.length < 50 && errors.push(what + ": " + e.message);
  const executions = new Map(); // job id -> how many times the processor ran it
  const workerStalled = new Map();
  const eventsCompleted = new Set();
  const eventsStalled = new Map();
  const count = (map, id) => map.set(id, (map.get(id) || 0) + 1);

  const queue = new Queue(queueName, { connection: connect(), prefix });
  const events = new QueueEvents(queueName, { connection: connect(), prefix });
  events.on("completed", ({ jobId }) => eventsCompleted.add(jobId));
  events.on("stalled", ({ jobId }) => count(eventsStalled, jobId));
  events.on("error", note("events"));
  queue.on("error", note("queue"));
  await events.waitUntilReady();

  await addJobs(queue, 0, total / 2);
  let completed = 0;
  const worker = new Worker(
    queueName,
    async (job) => {
      count(executions, job.id);
      await sleep(2);
      return job.data.i * 2;
    },
    {
      connection: connect(),
      prefix,
      concurrency: 8,
      // Short enough that a job whose worker lost track of it in the failover is found
      // and run again within the test's time.
      lockDuration: 4000,
      stalledInterval: 2000,
    }
  );
  worker.on("completed", () => {
    completed += 1;
    if (completed % 25 === 0) emit({ completed });
  });
  worker.on("stalled", (jobId) => count(workerStalled, jobId));
  worker.on("error", note("worker"));
  await addJobs(queue, total / 2, total);
  emit({ added: total });

  const deadline = Date.now() + 80000;
  const ids = Array.from({ length: total }, (_, i) => `job-${i}`);
  let jobs = [];
  for (;;) {
    const finished = await queue.getJobCounts("completed", "failed", "wait", "active", "delayed");
    if (finished.completed + finished.failed >= total && eventsCompleted.size >= total) break;
    if (Date.now() > deadline) {
      errors.push("timeout: " + JSON.stringify(finished) + " events " + eventsCompleted.size);
      break;
    }
    await sleep(250);
  }
  for (let i = 0; i < ids.length; i += 100) {
    jobs = jobs.concat(await Promise.all(ids.slice(i, i + 100).map((id) => queue.getJob(id))));
  }
  const perJob = jobs.map((job, i) => ({
    id: ids[i],
    found: !!job,
    returnvalue: job ? job.returnvalue : null,
    failedReason: job ? job.failedReason || null : null,
    finishedOn: job ? job.finishedOn || null : null,
    attemptsStarted: job ? job.attemptsStarted : null,
    stalledCounter: job ? job.stalledCounter : null,
    executions: executions.get(ids[i]) || 0,
    workerStalled: workerStalled.get(ids[i]) || 0,
    eventsStalled: eventsStalled.get(ids[i]) || 0,
  }));
  const counts = await queue.getJobCounts("completed", "failed", "wait", "active", "delayed");
  await worker.close();
  await events.close();
  await queue.close();
  const result = { counts, eventsCompleted: eventsCompleted.size, errors, perJob };
  // Exits once the (large) line is written: stdout to a pipe is asynchronous.
  await new Promise((resolve) => process.stdout.write(JSON.stringify({ result }) + "\n", resolve));
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
