// INFO: Redis 7.0's sections and fields, with this node's real values, plus raftkv's own
// (the Raft section, snapshot transfers). docs/kv.md lists the Redis fields left out on
// purpose (they describe machinery raftkv does not have: RDB/AOF files, replicas that
// PSYNC, eviction, defragmentation, modules, I/O threads).
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <ctime>
#include <random>

#include "kv/ascii.h"
#include "kv/resp3.h"
#include "net/peer_transport.h"
#include "raftkv/raft/version.h"
#include "server/heap_stats.h"
#include "server/server.h"

namespace raftkv::server {

namespace {

// "name:value\r\n" lines.
struct InfoText {
  std::string out;
  template <typename T>
  void add(std::string_view key, const T& value) {
    out += key;
    out += ':';
    if constexpr (std::is_arithmetic_v<T>) {
      out += std::to_string(value);
    } else {
      out += value;
    }
    out += "\r\n";
  }
};

// Redis's bytesToHuman: "1.50M", "12.00K", "900B".
std::string human(uint64_t bytes) {
  const double d = static_cast<double>(bytes);
  if (bytes < 1024) return std::to_string(bytes) + "B";
  if (bytes < (1ull << 20)) return fmt::format("{:.2f}K", d / 1024);
  if (bytes < (1ull << 30)) return fmt::format("{:.2f}M", d / (1 << 20));
  if (bytes < (1ull << 40)) return fmt::format("{:.2f}G", d / (1ull << 30));
  return fmt::format("{:.2f}T", d / (1ull << 40));
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

std::string executable_path() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string os_name() {
  utsname u{};
  if (::uname(&u) != 0) return "";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

bool wanted(std::span<const std::string> sections, std::string_view name, bool by_default) {
  if (sections.empty()) return by_default;
  for (const std::string& s : sections) {
    const std::string lowered = kv::ascii_lower(s);
    if (lowered == name || lowered == "all" || lowered == "everything") return true;
    if (lowered == "default" && by_default) return true;
  }
  return false;
}

}  // namespace

std::string Server::info(std::span<const std::string> sections) const {
  std::string out;
  auto section = [&](std::string_view name, bool by_default, auto&& text) {
    if (!wanted(sections, name, by_default)) return;
    if (!out.empty()) out += "\r\n";
    out += text();
  };
  section("server", true, [&] { return info_server(); });
  section("clients", true, [&] { return info_clients(); });
  section("memory", true, [&] { return info_memory(); });
  section("persistence", true, [&] { return info_persistence(); });
  section("stats", true, [&] { return info_stats(); });
  section("replication", true, [&] { return info_replication(); });
  section("cpu", true, [&] {
    rusage self{}, children{}, thread{};
    ::getrusage(RUSAGE_SELF, &self);
    ::getrusage(RUSAGE_CHILDREN, &children);
    ::getrusage(RUSAGE_THREAD, &thread);  // INFO runs on the event loop: the main thread
    return fmt::format(
        "# CPU\r\nused_cpu_sys:{:.6f}\r\nused_cpu_user:{:.6f}\r\nused_cpu_sys_children:{:.6f}"
        "\r\nused_cpu_user_children:{:.6f}\r\nused_cpu_sys_main_thread:{:.6f}\r\n"
        "used_cpu_user_main_thread:{:.6f}\r\n",
        seconds(self.ru_stime), seconds(self.ru_utime), seconds(children.ru_stime),
        seconds(children.ru_utime), seconds(thread.ru_stime), seconds(thread.ru_utime));
  });
  section("raft", true, [&] { return info_raft(); });
  // As Redis: errorstats is a default section, commandstats and latencystats are not.
  section("commandstats", false, [&] { return info_commandstats(stats_.commands); });
  section("errorstats", true, [&] { return info_errorstats(stats_.error_counts); });
  section("latencystats", false, [&] { return info_latencystats(stats_.commands); });
  // Cluster-mode clients check this before asking CLUSTER SLOTS.
  section("cluster", true, [] { return std::string("# Cluster\r\ncluster_enabled:1\r\n"); });
  section("keyspace", true, [&] { return info_keyspace(); });
  return out;
}

std::string Server::info_server() const {
  using std::chrono::duration_cast;
  const auto uptime =
      duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  const auto now_us =
      duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int hz = 1000 / std::max(options_.tick_ms, 1);  // Raft ticks a second
  InfoText t{"# Server\r\n"};
  t.add("redis_version", kv::kRedisVersion);
  t.add("raftkv_version", std::string_view(raft::kVersionString));
  t.add("redis_git_sha1", "00000000");
  t.add("redis_git_dirty", 0);
  t.add("redis_build_id", "0");
  t.add("redis_mode", "cluster");
  t.add("os", os_name());
  t.add("arch_bits", static_cast<int>(sizeof(void*) * 8));
  t.add("monotonic_clock", "POSIX clock_gettime");
  t.add("multiplexing_api", "epoll");
  t.add("atomicvar_api", "c11-builtin");
  t.add("gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
  t.add("process_id", static_cast<int64_t>(::getpid()));
  t.add("process_supervised", "no");
  t.add("run_id", run_id_);
  t.add("tcp_port", static_cast<int64_t>(options_.listen_client.port));
  t.add("server_time_usec", static_cast<int64_t>(now_us));
  t.add("uptime_in_seconds", static_cast<int64_t>(uptime));
  t.add("uptime_in_days", static_cast<int64_t>(uptime / 86400));
  t.add("hz", hz);
  t.add("configured_hz", hz);
  t.add("lru_clock", static_cast<int64_t>((now_us / 1000000) & ((1 << 24) - 1)));
  t.add("executable", executable_path());
  t.add("config_file", options_.config_file);
  t.add("io_threads_active", 0);
  return t.out;
}

std::string Server::info_clients() const {
  uint64_t max_in = 0, max_out = 0;
  for (const auto& [id, conn] : clients_) {
    const ClientConnection::Usage u = conn->usage();
    max_in = std::max(max_in, u.qbuf);
    max_out = std::max(max_out, u.omem);
  }
  InfoText t{"# Clients\r\n"};
  t.add("connected_clients", stats_.connected_clients);
  t.add("cluster_connections", transport_ ? transport_->stats().peers.size() : 0);
  t.add("maxclients", options_.maxclients);
  t.add("client_recent_max_input_buffer", max_in);
  t.add("client_recent_max_output_buffer", max_out);
  t.add("blocked_clients", stats_.blocked_clients);
  t.add("tracking_clients", 0);  // no CLIENT TRACKING
  return t.out;
}

std::string Server::info_memory() const {
  // Heap bytes the allocator has handed out (Redis's used_memory), and the resident set.
  // Under an allocator that reports nothing (a sanitizer's, say) both are the resident set.
  const uint64_t rss = resident_bytes();
  uint64_t used = heap_used_bytes();
  if (used == 0) used = rss;
  peak_memory_ = std::max(peak_memory_, used);
  const uint64_t total = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                         static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  InfoText t{"# Memory\r\n"};
  t.add("used_memory", used);
  t.add("used_memory_human", human(used));
  t.add("used_memory_rss", rss);
  t.add("used_memory_rss_human", human(rss));
  t.add("used_memory_peak", peak_memory_);
  t.add("used_memory_peak_human", human(peak_memory_));
  t.add("used_memory_peak_perc",
        fmt::format("{:.2f}%", 100.0 * static_cast<double>(used) /
                                   static_cast<double>(std::max<uint64_t>(peak_memory_, 1))));
  t.add("total_system_memory", total);
  t.add("total_system_memory_human", human(total));
  t.add("maxmemory", options_.maxmemory);
  t.add("maxmemory_human", human(options_.maxmemory));
  t.add("maxmemory_policy", "noeviction");
  t.add("mem_fragmentation_ratio",
        fmt::format("{:.2f}",
                    static_cast<double>(rss) / static_cast<double>(std::max<uint64_t>(used, 1))));
  t.add("mem_fragmentation_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
  t.add("mem_allocator", allocator_name());
  return t.out;
}

std::string Server::info_persistence() const {
  // Redis's names for what raftkv has: snapshots stand for RDB saves, the Raft log for the
  // AOF (always on); then raftkv's own snapshot fields (snapshot_info).
  const bool saving = taker_->busy();
  const int64_t last_save = last_save_unix();
  InfoText t{"# Persistence\r\n"};
  t.add("async_loading", 0);
  t.add("rdb_changes_since_last_save", entries_since_snapshot_);
  t.add("rdb_bgsave_in_progress", saving ? 1 : 0);
  t.add("rdb_last_save_time", last_save);
  t.add("rdb_last_bgsave_status", snapshot_stats_.last_status == "err" ? "err" : "ok");
  t.add("rdb_last_bgsave_time_sec",
        snapshot_stats_.taken == 0 ? -1
                                   : static_cast<int64_t>(snapshot_stats_.last_duration_ms / 1000));
  t.add("rdb_saves", snapshot_stats_.taken);
  t.add("aof_enabled", 1);
  t.add("aof_rewrite_in_progress", 0);
  t.add("aof_last_write_status", driver_->failed() ? "err" : "ok");
  std::string own = snapshot_info();  // "# Persistence\r\n" ... "\r\n"
  own.erase(0, own.find('\n') + 1);
  if (own.ends_with("\r\n\r\n")) own.resize(own.size() - 2);
  return t.out + own;
}

std::string Server::info_stats() const {
  InfoText t{"# Stats\r\n"};
  t.add("total_connections_received", stats_.total_connections - stats_.total_connections_at_reset);
  t.add("total_commands_processed", stats_.total_commands);
  t.add("rejected_connections", stats_.rejected_connections);  // maxclients, protected mode
  t.add("evicted_keys", 0);                                    // noeviction
  t.add("evicted_clients", 0);
  t.add("pubsub_channels", pubsub_.channels());  // this node's subscriptions
  t.add("pubsub_patterns", pubsub_.patterns());
  t.add("pubsubshard_channels", pubsub_.shard_channels());
  t.add("latest_fork_usec", snapshot_stats_.last_fork_usec);
  t.add("total_forks", snapshot_stats_.taken + snapshot_stats_.failed);
  t.add("tracking_total_keys", 0);
  t.add("total_error_replies", stats_.error_counts.total());
  // raftkv's own.
  t.add("writes_ok", stats_.writes_ok);
  t.add("reads_ok", stats_.reads_ok);
  t.add("redirects", stats_.redirects);
  t.add("errors", stats_.errors);
  t.add("unknown_outcomes", stats_.unknown_outcomes);
  t.add("pending_writes", driver_->pending_writes());
  t.add("pending_reads", driver_->pending_reads());
  return t.out;
}

std::string Server::info_replication() const {
  // The Raft leader is the master, the other members its replicas; the offset is the
  // applied log index.
  const raft::Status st = driver_->status();
  InfoText t{"# Replication\r\n"};
  const bool leader = st.role == raft::Role::kLeader;
  t.add("role", leader ? "master" : "slave");
  if (!leader) {
    const auto addr = members().client_address(st.leader);
    const auto parsed = addr ? net::parse_peer_address(*addr) : std::nullopt;
    t.add("master_host", parsed ? parsed->host : std::string("?"));
    t.add("master_port", parsed ? static_cast<int64_t>(parsed->port) : 0);
    t.add("master_link_status", st.leader != raft::kNoNode ? "up" : "down");
  }
  size_t replicas = 0;
  for (const auto& [id, pr] : st.progress) {
    if (id == st.id || !leader) continue;
    const auto addr = members().client_address(id);
    const auto parsed = addr ? net::parse_peer_address(*addr) : std::nullopt;
    t.add(
        fmt::format("slave{}", replicas++),
        fmt::format("ip={},port={},state=online,offset={},lag=0",
                    parsed ? parsed->host : std::string("?"), parsed ? parsed->port : 0, pr.match));
  }
  t.add("connected_slaves", replicas);
  t.add("master_failover_state", "no-failover");
  t.add("master_replid", fmt::format("{:040x}", std::hash<std::string>{}(options_.cluster_id)));
  t.add("master_repl_offset", st.applied);
  return t.out;
}

std::string Server::info_raft() const {
  const raft::Status st = driver_->status();
  InfoText t{"# Raft\r\n"};
  t.add("raft_node_id", st.id);
  t.add("raft_role", std::string(raft::to_string(st.role)));
  t.add("raft_term", st.term);
  t.add("raft_leader_id", st.leader);
  t.add("raft_commit_index", st.commit);
  t.add("raft_applied_index", st.applied);
  t.add("raft_last_log_index", st.last_index);
  t.add("raft_members", MembershipService::join_ids(st.conf.voters));
  t.add("raft_learners", MembershipService::join_ids(st.conf.learners));
  t.add("raft_joint", static_cast<int64_t>(st.conf.joint()));
  t.add("raft_storage_failed", static_cast<int64_t>(driver_->failed()));
  // Ready batches that needed the disk, and the writes (at most one fdatasync each) that
  // carried them: entries per write is the group-commit factor.
  t.add("raft_log_batches_persisted", driver_->persisted_batches());
  t.add("raft_log_entries_persisted", driver_->persisted_entries());
  t.add("raft_log_writes", driver_->disk_saves());
  for (const net::PeerStats& p : transport_->stats().peers) {
    t.add("raft_peer_" + std::to_string(p.id),
          fmt::format("state={},address={},sent={},received={},dropped={},queued={}",
                      net::to_string(p.state), p.address, p.sent.messages_sent,
                      p.received.messages_received, p.sent.messages_dropped, p.queued_messages));
  }
  return t.out;
}

std::string Server::info_keyspace() const {
  InfoText t{"# Keyspace\r\n"};
  if (machine_.key_count() > 0) {
    t.add("db0", "keys=" + std::to_string(machine_.key_count()) +
                     ",expires=" + std::to_string(machine_.expiring_key_count()) + ",avg_ttl=0");
  }
  return t.out;
}

}  // namespace raftkv::server
