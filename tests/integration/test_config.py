"""CONFIG SET, RESETSTAT and REWRITE on real raftkv processes (issue 18): a new value is
enforced by the next command or connection (maxclients, proto-max-bulk-len, maxmemory,
slowlog-log-slower-than), CONFIG GET reflects it, a failed CONFIG SET changes nothing,
RESETSTAT clears INFO's statistics but not the slow log, and REWRITE writes the --config
file that a restarted node then reads."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import redis

from cluster import Cluster, env_port_range, free_ports
from test_client_limits import LimitsTestCase, command


def read_reply(s, timeout=5.0):
    s.settimeout(timeout)
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class ConfigTestCase(LimitsTestCase):
    def setUp(self):
        super().setUp()
        self.r = self.c.client(1)


class ConfigSetTest(ConfigTestCase):
    def test_lower_maxclients_refuses_the_next_connection(self):
        held = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(3)]
        self.addCleanup(lambda: [s.close() for s in held])
        for s in held:
            s.sendall(command("PING"))
            self.assertEqual(read_reply(s), b"+PONG\r\n")
        # 1 (self.r) + 3 held: already at the new limit, so the next one is refused.
        self.assertTrue(self.r.config_set("maxclients", 4))
        self.assertEqual(self.r.config_get("maxclients"), {"maxclients": "4"})
        extra = socket.create_connection(("127.0.0.1", self.port))
        self.assertEqual(read_reply(extra), b"-ERR max number of clients reached\r\n")
        extra.close()
        self.assertTrue(self.r.config_set("maxclients", 100))
        again = socket.create_connection(("127.0.0.1", self.port))
        again.sendall(command("PING"))
        self.assertEqual(read_reply(again), b"+PONG\r\n")
        again.close()

    def test_lower_proto_max_bulk_len_applies_to_the_next_command(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        self.addCleanup(s.close)
        s.sendall(command("SET", "k", "x" * 4096))
        self.assertEqual(read_reply(s), b"+OK\r\n")
        s.sendall(command("CONFIG", "SET", "proto-max-bulk-len", "2048"))
        self.assertEqual(read_reply(s), b"+OK\r\n")
        s.sendall(command("SET", "k", "x" * 4096))
        self.assertEqual(read_reply(s), b"-ERR Protocol error: invalid bulk length\r\n")

    def test_slowlog_threshold_changes_what_is_recorded(self):
        self.r.slowlog_reset()
        self.assertTrue(self.r.config_set("slowlog-log-slower-than", 0))
        self.r.set("recorded", "1")
        self.assertTrue(self.r.config_set("slowlog-log-slower-than", -1))
        self.r.set("not-recorded", "1")
        logged = [e["command"] for e in self.r.slowlog_get(100)]
        self.assertIn(b"SET recorded 1", logged)
        self.assertNotIn(b"SET not-recorded 1", logged)

    def test_maxmemory_refuses_writes_at_once_and_zero_lifts_it(self):
        # The limit is checked against jemalloc's count of allocated bytes; a sanitizer
        # build allocates through its own allocator, which raftkv does not count.
        if not str(self.r.info("memory")["mem_allocator"]).startswith("jemalloc"):
            self.skipTest("memory is counted only with jemalloc")
        self.assertTrue(self.r.set("before", "1"))
        self.assertTrue(self.r.config_set("maxmemory", 1))
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "^OOM command not allowed"):
            self.r.set("over", "1")
        self.assertEqual(self.r.get("before"), b"1")
        self.assertTrue(self.r.config_set("maxmemory", 0))
        self.assertTrue(self.r.set("over", "1"))

    def test_failed_set_changes_nothing(self):
        with self.assertRaisesRegex(redis.exceptions.ResponseError,
                                    "argument 'timeout'.*couldn't be parsed into an integer"):
            self.r.execute_command("CONFIG", "SET", "maxclients", "5", "timeout", "x")
        self.assertEqual(self.r.config_get("maxclients"), {"maxclients": "10000"})
        with self.assertRaisesRegex(redis.exceptions.ResponseError,
                                    "^Unknown option or number of arguments for CONFIG SET - "
                                    "'bogus'$"):
            self.r.execute_command("CONFIG", "SET", "bogus", "1")
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "can't set immutable config"):
            self.r.config_set("requirepass", "x")
        self.assertTrue(self.r.ping())

    def test_timeout_closes_idle_clients_after_set(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        self.addCleanup(s.close)
        s.sendall(command("PING"))
        self.assertEqual(read_reply(s), b"+PONG\r\n")
        self.assertTrue(self.r.config_set("timeout", 1))
        s.settimeout(8)
        self.assertEqual(s.recv(10), b"")  # closed within a few cron rounds

    def test_rewrite_without_a_config_file(self):
        with self.assertRaisesRegex(redis.exceptions.ResponseError,
                                    "^The server is running without a config file$"):
            self.r.config_rewrite()


class ResetStatTest(ConfigTestCase):
    def test_resetstat_clears_info_statistics_but_not_the_slow_log(self):
        self.r.config_set("slowlog-log-slower-than", 0)
        self.r.set("k", "v")
        with self.assertRaises(redis.exceptions.ResponseError):
            self.r.execute_command("INCR", "k")
        self.assertIn("cmdstat_set", self.r.info("commandstats"))
        self.assertIn("errorstat_ERR", self.r.info("errorstats"))
        slow_before = self.r.slowlog_len()
        self.assertGreater(slow_before, 0)
        self.assertTrue(self.r.config_resetstat())
        stats = self.r.info("commandstats")
        self.assertNotIn("cmdstat_set", stats)
        self.assertNotIn("errorstat_ERR", self.r.info("errorstats"))
        self.assertLessEqual(self.r.info("stats")["total_commands_processed"], 4)
        self.assertGreaterEqual(self.r.slowlog_len(), slow_before)


class RewriteTest(unittest.TestCase):
    def setUp(self):
        fd, self.path = tempfile.mkstemp(prefix="raftkv-config-", suffix=".toml")
        with os.fdopen(fd, "w") as f:
            f.write("# operator's notes stay\nslowlog-max-len = 50\n")
        self.addCleanup(os.unlink, self.path)
        self.c = Cluster(1, extra_args=(f"--config={self.path}",))
        self.addCleanup(self.c.close)
        self.c.leader()

    def test_rewrite_then_restart_reads_the_new_values(self):
        r = self.c.client(1)
        self.assertEqual(r.config_get("slowlog-max-len"), {"slowlog-max-len": "50"})
        self.assertTrue(r.config_set("maxclients", 33))
        r.execute_command("CONFIG", "SET", "slowlog-max-len", "7", "client-output-buffer-limit",
                          "pubsub 1mb 512kb 9", "snapshot-entries", "5000")
        self.assertTrue(r.config_rewrite())
        with open(self.path) as f:
            text = f.read()
        self.assertTrue(text.startswith("# operator's notes stay\nslowlog-max-len = 7\n"), text)
        self.assertIn("maxclients = 33\n", text)
        self.assertIn('client-output-buffer-limit-pubsub = "1048576 524288 9"\n', text)
        self.c.stop(1)
        self.c.start(1)
        self.c.leader()
        r = self.c.client(1)
        got = r.config_get("*")
        self.assertEqual(got["maxclients"], "33")
        self.assertEqual(got["slowlog-max-len"], "7")
        self.assertEqual(got["snapshot-entries"], "5000")
        self.assertEqual(got["client-output-buffer-limit"],
                         "normal 268435456 67108864 60 pubsub 1048576 524288 9")


# Redis INFO fields raftkv leaves out on purpose (docs/kv.md, "INFO and CLIENT LIST fields").
ABSENT_ON_PURPOSE = {
    "clients_in_timeout_table", "used_memory_overhead", "used_memory_startup",
    "used_memory_dataset", "used_memory_dataset_perc", "allocator_allocated",
    "allocator_active", "allocator_resident", "used_memory_lua", "used_memory_vm_eval",
    "used_memory_lua_human", "used_memory_scripts_eval", "number_of_cached_scripts",
    "number_of_functions", "number_of_libraries", "used_memory_vm_functions",
    "used_memory_vm_total", "used_memory_vm_total_human", "used_memory_functions",
    "used_memory_scripts", "used_memory_scripts_human", "allocator_frag_ratio",
    "allocator_frag_bytes", "allocator_rss_ratio", "allocator_rss_bytes", "rss_overhead_ratio",
    "rss_overhead_bytes", "mem_not_counted_for_evict", "mem_replication_backlog",
    "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
    "mem_cluster_links", "mem_aof_buffer", "active_defrag_running", "lazyfree_pending_objects",
    "lazyfreed_objects", "current_cow_peak", "current_cow_size", "current_cow_size_age",
    "current_fork_perc", "current_save_keys_processed", "current_save_keys_total",
    "rdb_current_bgsave_time_sec", "rdb_last_cow_size", "rdb_last_load_keys_expired",
    "rdb_last_load_keys_loaded", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
    "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status", "aof_rewrites",
    "aof_rewrites_consecutive_failures", "aof_last_cow_size", "module_fork_in_progress",
    "module_fork_last_cow_size", "instantaneous_ops_per_sec", "total_net_input_bytes",
    "total_net_output_bytes", "total_net_repl_input_bytes", "total_net_repl_output_bytes",
    "instantaneous_input_kbps", "instantaneous_output_kbps", "instantaneous_input_repl_kbps",
    "instantaneous_output_repl_kbps", "sync_full", "sync_partial_ok", "sync_partial_err",
    "expired_keys", "expired_stale_perc", "expired_time_cap_reached_count",
    "expire_cycle_cpu_milliseconds", "total_eviction_exceeded_time",
    "current_eviction_exceeded_time", "keyspace_hits", "keyspace_misses",
    "migrate_cached_sockets", "slave_expires_tracked_keys", "active_defrag_hits",
    "active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses",
    "total_active_defrag_time", "current_active_defrag_time", "tracking_total_items",
    "tracking_total_prefixes", "unexpected_error_replies", "dump_payload_sanitizations",
    "total_reads_processed", "total_writes_processed", "io_threaded_reads_processed",
    "io_threaded_writes_processed", "reply_buffer_shrinks", "reply_buffer_expands",
    "master_replid2", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
    "repl_backlog_first_byte_offset", "repl_backlog_histlen",
}
PER_ITEM_PREFIXES = ("cmdstat_", "errorstat_", "latency_percentiles_usec_", "db", "slave")
CLIENT_FIELDS = ("id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free "
                 "argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir "
                 "resp").split()


def info_fields(text):
    return {line.split(":", 1)[0] for line in text.splitlines()
            if line and not line.startswith("#")
            and not line.startswith(PER_ITEM_PREFIXES)}


class RedisServer:
    """A local redis-server 7.0 on a free port of the client range, to compare with."""

    def __init__(self, port):
        self.dir = tempfile.mkdtemp(prefix="raftkv-redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis.Redis(port=port)
        deadline = time.time() + 5
        while True:
            try:
                self.client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def close(self):
        self.proc.terminate()
        self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_resp(data, pos=0):
    """One RESP2/RESP3 value from `data` at `pos`: ((type, value), next position)."""
    eol = data.index(b"\r\n", pos)
    kind, line = data[pos:pos + 1], data[pos + 1:eol]
    pos = eol + 2
    if kind in b"$=":
        n = int(line)
        if n < 0:
            return (kind, None), pos
        return (kind, data[pos:pos + n]), pos + n + 2
    if kind in b"*%~>":
        n = int(line)
        if n < 0:
            return (kind, None), pos
        items = []
        for _ in range(n * (2 if kind == b"%" else 1)):
            item, pos = parse_resp(data, pos)
            items.append(item)
        return (kind, items), pos
    return (kind, line), pos


def exchange(port, *commands):
    """Sends the commands on one connection; returns their parsed replies."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"".join(command(*c) for c in commands))
        data, replies = b"", []
        while len(replies) < len(commands):
            data += s.recv(65536)
            replies, pos = [], 0
            try:
                while len(replies) < len(commands):
                    reply, pos = parse_resp(data, pos)
                    replies.append(reply)
            except (ValueError, IndexError):
                continue
        return replies
    finally:
        s.close()


def mask_hello(reply):
    """HELLO's map (ids and versions differ between servers): only its keys and type."""
    kind, value = reply
    if kind in (b"%", b"*") and value and value[0] == (b"$", b"server"):
        return kind, [v if i % 2 == 0 else None for i, v in enumerate(value)]
    if kind in (b"*", b"%", b"~") and value is not None:
        return kind, [mask_hello(v) for v in value]
    return reply


class CompareWithRedisTest(ConfigTestCase):
    """INFO's fields and CLIENT LIST's against a real redis-server 7.0, and HELLO in MULTI."""

    def setUp(self):
        super().setUp()
        if shutil.which("redis-server") is None:
            self.skipTest("no redis-server to compare with")
        taken = set(self.c.client_port.values())
        port = next(p for p in free_ports(5, env_port_range("RAFTKV_IT_CLIENT_PORTS"))
                    if p not in taken)
        self.redis = RedisServer(port)
        self.addCleanup(self.redis.close)

    def test_info_has_every_redis_field_not_left_out_on_purpose(self):
        self.r.set("k", "v")
        self.redis.client.set("k", "v")
        redis_port = self.redis.client.connection_pool.connection_kwargs["port"]
        ours = info_fields(exchange(self.port, ("INFO", "everything"))[0][1].decode())
        theirs = info_fields(exchange(redis_port, ("INFO", "everything"))[0][1].decode())
        self.assertEqual(sorted(theirs - ours - ABSENT_ON_PURPOSE), [])
        self.assertEqual(sorted(ABSENT_ON_PURPOSE & ours), [])  # the list is up to date
        info = self.r.info("everything")
        self.assertEqual(info["process_id"], self.c.procs[1].pid)
        self.assertEqual(info["tcp_port"], self.port)
        self.assertEqual(len(info["run_id"]), 40)
        self.assertEqual(info["role"], "master")
        self.assertGreater(info["used_cpu_user"] + info["used_cpu_sys"], 0)
        self.assertTrue(info["executable"].endswith("raftkv"), info["executable"])
        self.assertEqual(info["maxclients"], 10000)

    def test_client_list_has_redis_fields_in_redis_order(self):
        other = self.c.client(1)
        other.client_setname("other")
        pipe = other.pipeline(transaction=False)
        pipe.execute_command("MULTI")
        pipe.execute_command("SET", "a", "1")
        pipe.execute()
        for server in (self.r, self.redis.client):
            line = server.execute_command("CLIENT", "INFO")
            line = line.decode() if isinstance(line, bytes) else line
            self.assertEqual([f.split("=", 1)[0] for f in line.split()], CLIENT_FIELDS)
        listed = self.r.client_list()  # redis-py's parser
        me = next(c for c in listed if c["id"] == str(self.r.client_id()))
        them = next(c for c in listed if c["name"] == "other")
        self.assertEqual(list(me), CLIENT_FIELDS)
        self.assertEqual(me["cmd"], "client|list")
        self.assertEqual(me["laddr"], f"127.0.0.1:{self.port}")
        self.assertGreater(int(me["fd"]), 2)
        self.assertEqual(me["multi"], "-1")
        self.assertEqual((them["flags"], them["multi"], them["cmd"]), ("x", "1", "set"))
        self.assertGreater(int(them["multi-mem"]), 0)
        self.assertEqual(me["user"], "default")

    def test_hello_inside_multi_as_redis(self):
        sequence = [("MULTI",), ("GET", "nokey"), ("HELLO", "3"), ("HGETALL", "nohash"),
                    ("EXEC",), ("HGETALL", "nohash"), ("HELLO", "2"), ("MULTI",),
                    ("HELLO", "3", "SETNAME", "x"), ("EXEC",), ("CLIENT", "GETNAME")]
        ours = [mask_hello(r) for r in exchange(self.port, *sequence)]
        theirs = [mask_hello(r) for r in exchange(self.redis.client.connection_pool
                                                  .connection_kwargs["port"], *sequence)]
        self.assertEqual(ours, theirs)
        self.assertEqual(ours[4][1][2], (b"%", []))  # HGETALL after HELLO 3: a RESP3 map


if __name__ == "__main__":
    unittest.main()
