#!/usr/bin/env python3
"""Snapshot figures for docs/snapshots.md, with real raftkv processes (3 nodes, loopback).

  RAFTKV_BIN=build-release/src/server/raftkv /usr/bin/python3 bench/snapshot_bench.py \
      [--keys 1000000] [--value-bytes 100] [--window-s 4]

Measures, for `--keys` keys: the snapshot's fork pause, write time and file size (BGSAVE);
write throughput and p99 latency of closed-loop SET clients with no snapshot, while a
snapshot is being taken, and while one is being sent to a follower that missed compacted
entries; and the restart time of a node with and without a snapshot. Not a unit test: the
numbers depend on the machine. Prints one table in Markdown.
"""
import argparse
import glob
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from cluster import Cluster  # noqa: E402


def load(c, leader, n, value_bytes, threads=4):
    value = "v" * value_bytes

    def worker(lo, hi):
        cl = c.client(leader, timeout=30)
        for start in range(lo, hi, 1000):
            p = cl.pipeline(transaction=False)
            for k in range(start, min(start + 1000, hi)):
                p.set(f"key:{k:08d}", value)
            p.execute()

    step = (n + threads - 1) // threads
    ts = [threading.Thread(target=worker, args=(i * step, min(n, (i + 1) * step)))
          for i in range(threads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.time() - t0


def closed_loop(c, leader, seconds, clients=8, value_bytes=100):
    """SETs from `clients` threads, one at a time each: (ops/s, p50 ms, p99 ms, errors)."""
    lat, errors = [], [0]
    lock = threading.Lock()
    stop = time.time() + seconds
    value = "w" * value_bytes

    def worker(w):
        cl = c.client(leader, timeout=10)
        mine, k = [], 0
        while time.time() < stop:
            t0 = time.perf_counter()
            try:
                cl.set(f"load:{w}:{k % 1000}", value)
                mine.append(time.perf_counter() - t0)
            except Exception:
                errors[0] += 1
            k += 1
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat.sort()
    if not lat:
        return 0, 0, 0, errors[0]
    return (len(lat) / seconds, 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99)],
            errors[0])


def persistence(c, i):
    return c.client(i, timeout=10).info("persistence")


def wait_snapshot_done(c, i, above, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = persistence(c, i)
        if p["last_snapshot_index"] > above and p["snapshot_in_progress"] == 0:
            return p
        time.sleep(0.02)
    raise TimeoutError("snapshot did not finish")


def caught_up(c, timeout=300):
    """Waits until every live node has applied the leader's commit index."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        infos = [c.info_raft(i) for i in c.ids if c.alive(i)]
        if all(infos) and min(x["raft_applied_index"] for x in infos) >= max(
                x["raft_commit_index"] for x in infos):
            return
        time.sleep(0.05)
    raise TimeoutError("nodes did not catch up")


def restart_time(c, i):
    """Seconds from starting the process until it has applied everything committed before
    it stopped (recovery, snapshot restore and log replay)."""
    target = c.info_raft(i)["raft_commit_index"]
    c.stop(i)
    t0 = time.time()
    c.start(i)  # returns once the node answers PING
    while True:
        info = c.info_raft(i)
        if info and info["raft_applied_index"] >= target:
            return time.time() - t0
        time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--value-bytes", type=int, default=100)
    ap.add_argument("--window-s", type=float, default=4.0)
    a = ap.parse_args()
    rows = []

    class Rows(list):
        def append(self, row):  # print as we go: a long run that fails keeps its figures
            print(f"| {row[0]} | {row[1]} |", flush=True)
            super().append(row)
    rows = Rows()

    # Snapshots only on demand, so each measurement controls when one happens.
    c = Cluster(3, extra_args=["--snapshot-entries=0", "--snapshot-bytes=0"],
                election_ticks=50, heartbeat_ticks=5)
    try:
        leader = c.leader()
        secs = load(c, leader, a.keys, a.value_bytes)
        rows.append(("load: keys / s (pipelined, 4 clients)", f"{a.keys / secs:,.0f}"))
        caught_up(c)
        term0 = c.info_raft(leader)["raft_term"]

        rt_nosnap = restart_time(c, next(i for i in c.ids if i != leader))
        rows.append((f"restart of a follower, no snapshot ({a.keys:,} entries replayed)",
                     f"{rt_nosnap:.2f} s"))
        leader = c.leader()

        ops, p50, p99, err = closed_loop(c, leader, a.window_s)
        rows.append(("writes, idle: ops/s | p50 | p99", f"{ops:,.0f} | {p50:.2f} ms | {p99:.2f} ms"))

        # While a snapshot is being taken: BGSAVE, then the same load.
        before = persistence(c, leader)["last_snapshot_index"]
        t0 = time.time()
        c.client(leader).execute_command("BGSAVE")
        ops, p50, p99, err = closed_loop(c, leader, a.window_s)
        p = wait_snapshot_done(c, leader, before)
        total = time.time() - t0
        snap = max(glob.glob(f"{c.dir}/node{leader}/raft/snap-*.snap"), key=os.path.getmtime)
        rows.append((f"snapshot of {a.keys:,} keys: fork pause", f"{p['last_snapshot_fork_usec'] / 1000:.1f} ms"))
        rows.append(("snapshot: serialize + write + fsync (child)", f"{p['last_snapshot_write_ms']} ms"))
        rows.append(("snapshot: log compaction (disk thread)", f"{p['last_snapshot_compact_ms']} ms"))
        rows.append(("snapshot: file size", f"{os.path.getsize(snap) / 2**20:.1f} MiB"))
        rows.append(("writes during the snapshot: ops/s | p50 | p99",
                     f"{ops:,.0f} | {p50:.2f} ms | {p99:.2f} ms (snapshot took {total:.1f} s)"))

        # Restart with a snapshot (each node took its own? only the leader did: use it).
        for i in c.ids:
            if i != leader:
                c.client(i).execute_command("BGSAVE")
        for i in c.ids:
            wait_snapshot_done(c, i, 0)
        follower = next(i for i in c.ids if i != leader)
        rt_snap = restart_time(c, follower)
        rows.append(("restart of a follower with the snapshot", f"{rt_snap:.2f} s"))
        caught_up(c)

        # While a snapshot is being sent: the follower misses entries the leader compacts.
        leader = c.leader()
        follower = next(i for i in c.ids if i != leader)
        c.kill(follower)
        load(c, leader, 2000, a.value_bytes, threads=1)
        before = persistence(c, leader)["last_snapshot_index"]
        c.client(leader).execute_command("BGSAVE")
        wait_snapshot_done(c, leader, before)
        sent0 = persistence(c, leader)["snapshot_transfers_completed"]
        c.start(follower)
        t0 = time.time()
        ops, p50, p99, err = closed_loop(c, leader, a.window_s)
        deadline = time.time() + 300
        while persistence(c, leader)["snapshot_transfers_completed"] <= sent0:
            if time.time() > deadline:
                raise TimeoutError("transfer did not complete")
            time.sleep(0.05)
        xfer = time.time() - t0
        caught_up(c)
        rows.append(("writes while the snapshot is sent: ops/s | p50 | p99",
                     f"{ops:,.0f} | {p50:.2f} ms | {p99:.2f} ms (transfer + install {xfer:.1f} s)"))
        terms = {c.info_raft(i)["raft_term"] for i in c.ids}
        rows.append(("elections during all of the above", f"term {term0} -> {sorted(terms)}"))
    finally:
        c.close()

    print("\n| measurement | value |\n| --- | --- |")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
