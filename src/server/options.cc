#include "server/options.h"
#include "server/cli_parse.h"

#include <charconv>
#include <iostream>
#include <sstream>

namespace raftkv::server {

std::string parse_cluster(const std::string& text, std::map<raft::NodeId, net::PeerAddress>* out) {
  out->clear();
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) return "member '" + item + "' is not of the form ID=HOST:PORT";
    raft::NodeId id = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + eq, id);
    if (ec != std::errc() || end != item.data() + eq || id == 0) {
      return "member id '" + item.substr(0, eq) + "' is not a positive integer";
    }
    auto addr = net::parse_peer_address(std::string_view(item).substr(eq + 1));
    if (!addr)
      return "member " + std::to_string(id) + " has a bad address '" + item.substr(eq + 1) + "'";
    if (!out->emplace(id, *addr).second) return "member " + std::to_string(id) + " is listed twice";
  }
  if (out->empty()) return "the cluster has no members";
  return "";
}

namespace {

// A CLI11 validator for host:port.
struct AddressValidator : CLI::Validator {
  AddressValidator() {
    name_ = "HOST:PORT";
    func_ = [](const std::string& s) {
      auto a = net::parse_peer_address(s);
      return a && a->port != 0 ? std::string() : "'" + s + "' is not HOST:PORT";
    };
  }
};

}  // namespace

int parse_serve_options(int argc, const char* const* argv, ServerOptions* out) {
  CLI::App app{"raftkv serve: run one node of a raftkv cluster", "raftkv serve"};
  app.set_config("--config", "", "read options from a TOML/INI file with the same keys");
  ServerOptions o;
  std::string listen_client, listen_peer, advertise_client, cluster;
  const AddressValidator address;
  app.add_option("--id", o.id, "this node's id (a member of --initial-cluster, or new with --join)")
      ->required();
  app.add_option("--data-dir", o.data_dir, "directory for the log, hard state and snapshots")
      ->required();
  app.add_option("--listen-client", listen_client, "address for Redis clients")
      ->required()
      ->check(address);
  app.add_option("--listen-peer", listen_peer, "address for other members")
      ->required()
      ->check(address);
  app.add_option("--advertise-client", advertise_client,
                 "client address announced to others (default: --listen-client)")
      ->check(address);
  std::string join;
  auto* initial = app.add_option("--initial-cluster", cluster,
                                 "peer addresses of a new cluster: 1=HOST:PORT,2=HOST:PORT,...");
  auto* join_opt = app.add_option("--join", join,
                                  "join an existing cluster: its members' peer addresses, "
                                  "1=HOST:PORT,...; then add this node with RAFT ADD-LEARNER");
  initial->excludes(join_opt);
  app.add_option("--promote-max-lag", o.promote_max_lag,
                 "RAFT PROMOTE refuses a learner more entries behind than this")
      ->capture_default_str();
  app.add_option("--cluster-id", o.cluster_id, "name shared by all members")->capture_default_str();
  app.add_option("--tick-ms", o.tick_ms, "milliseconds per Raft tick")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--heartbeat-ticks", o.heartbeat_ticks, "ticks between heartbeats")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--election-ticks", o.election_ticks,
                 "minimum election timeout in ticks (the actual one is in [T, 2T))")
      ->check(CLI::Range(2, 1000000))
      ->capture_default_str();
  app.add_option("--request-timeout-ms", o.request_timeout_ms,
                 "time before a pending client request is answered with an error")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  app.add_option("--clock-offset-ms", o.clock_offset_ms,
                 "for fault testing: shift this node's wall clock by this much, as clock skew "
                 "would (the server never trusts its wall clock for correctness)")
      ->check(CLI::Range(int64_t{-86400000}, int64_t{86400000}))
      ->capture_default_str();
  app.add_option("--snapshot-entries", o.snapshot_entries,
                 "snapshot and compact the log after this many applied entries (0: never)")
      ->capture_default_str();
  app.add_option("--snapshot-timeout-ms", o.snapshot_timeout_ms,
                 "kill a snapshot child still running after this long (the snapshot is retried)")
      ->check(CLI::Range(uint64_t{100}, uint64_t{86400000}))
      ->capture_default_str();
  app.add_option("--wal-segment-bytes", o.wal_segment_bytes,
                 "start a new log segment file at this size (compaction deletes whole segments)")
      ->check(CLI::Range(uint64_t{4096}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--snapshot-bytes", o.snapshot_bytes,
                 "snapshot and compact the log after this many bytes of applied entries, or "
                 "--snapshot-growth-percent of the last snapshot's size if more (0: never)")
      ->capture_default_str();
  app.add_option("--snapshot-growth-percent", o.snapshot_growth_percent,
                 "wait for applied entries of at least this percentage of the last snapshot's "
                 "size before the next one (see --snapshot-bytes; 0: no such wait)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{100000}))
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_flag("--repair-log", o.repair_log,
               "cut a damaged log at the damage instead of refusing to start (loses what "
               "follows it on this node; the cluster re-replicates what it still has)");

  if (auto exit_code = parse_command_line(app, argc, argv, "raftkv serve")) {
    return *exit_code == 0 ? -1 : *exit_code;  // -1: help was printed, exit 0
  }

  auto fail = [](const std::string& why) {
    std::cerr << "raftkv serve: " << why << "\n";
    return 2;
  };
  o.listen_client = *net::parse_peer_address(listen_client);
  o.listen_peer = *net::parse_peer_address(listen_peer);
  o.advertise_client =
      advertise_client.empty() ? o.listen_client : *net::parse_peer_address(advertise_client);
  if (cluster.empty() && join.empty()) {
    return fail("one of --initial-cluster (a new cluster) or --join (an existing one) is required");
  }
  if (!join.empty()) {
    if (auto err = parse_cluster(join, &o.initial_cluster); !err.empty()) {
      return fail("--join: " + err);
    }
    if (o.initial_cluster.count(o.id)) {
      return fail("--join lists --id " + std::to_string(o.id) +
                  " already; a joining node needs a new id");
    }
    o.initial_cluster[o.id] = o.listen_peer;
    o.join = true;
  } else {
    if (auto err = parse_cluster(cluster, &o.initial_cluster); !err.empty()) {
      return fail("--initial-cluster: " + err);
    }
    if (!o.initial_cluster.count(o.id)) {
      return fail("--id " + std::to_string(o.id) + " is not a member of --initial-cluster");
    }
  }
  if (o.heartbeat_ticks >= o.election_ticks) {
    return fail("--heartbeat-ticks must be smaller than --election-ticks");
  }
  *out = std::move(o);
  return 0;
}

}  // namespace raftkv::server
