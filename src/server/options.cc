#include "server/options.h"
#include "server/cli_parse.h"

#include <charconv>
#include <filesystem>
#include <iostream>
#include <limits>
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

// A CLI11 validator for host:port (port 0 only where it means "no such port").
struct AddressValidator : CLI::Validator {
  explicit AddressValidator(bool allow_port_zero = false) {
    name_ = "HOST:PORT";
    func_ = [allow_port_zero](const std::string& s) {
      auto a = net::parse_peer_address(s);
      return a && (a->port != 0 || allow_port_zero) ? std::string()
                                                    : "'" + s + "' is not HOST:PORT";
    };
  }
};

// The security options as typed, before files are read and combinations checked.
struct SecurityFlags {
  std::string tls_auth_clients = "yes";
  std::string cluster_secret_file;
};

void add_security_options(CLI::App& app, ServerOptions& o, SecurityFlags& f) {
  app.add_option("--tls-port", o.tls_port,
                 "also serve clients over TLS on this port, on --listen-client's host (0: no)")
      ->capture_default_str();
  app.add_option("--tls-cert-file", o.tls.cert_file, "PEM certificate (chain) for TLS clients");
  app.add_option("--tls-key-file", o.tls.key_file, "PEM private key of --tls-cert-file");
  app.add_option("--tls-ca-cert-file", o.tls.ca_cert_file,
                 "PEM CA certificates that client certificates must chain to");
  app.add_option("--tls-auth-clients", f.tls_auth_clients,
                 "yes: TLS clients need a certificate from --tls-ca-cert-file; optional: "
                 "checked if presented; no: not asked for")
      ->check(CLI::IsMember({"yes", "no", "optional"}))
      ->capture_default_str();
  app.add_option("--cluster-secret-file", f.cluster_secret_file,
                 "file of cluster secrets, one a line (the current one, and during a roll the "
                 "previous one): peers must prove they know one");
  app.add_option("--peer-tls-cert-file", o.peer_tls.cert_file,
                 "mutual TLS between members: this node's PEM certificate, naming "
                 "raftkv-node-<id> (DNS subjectAltName or CN)");
  app.add_option("--peer-tls-key-file", o.peer_tls.key_file,
                 "PEM private key of --peer-tls-cert-file");
  app.add_option("--peer-tls-ca-cert-file", o.peer_tls.ca_cert_file,
                 "PEM certificate of the cluster's CA, which every member's certificate must "
                 "chain to");
}

// Empty, or what is wrong with the security flags. Reads the secret file and loads the
// TLS files once, so that --check-config and a bad file fail before anything starts.
std::string apply_security_flags(const SecurityFlags& f, ServerOptions* o) {
  o->tls_auth_clients = f.tls_auth_clients == "yes"        ? net::ClientCertPolicy::kRequire
                        : f.tls_auth_clients == "optional" ? net::ClientCertPolicy::kOptional
                                                           : net::ClientCertPolicy::kNone;
  if (o->listen_client.port == 0 && o->tls_port == 0) {
    return "--listen-client with port 0 turns the plaintext port off; it needs --tls-port";
  }
  std::shared_ptr<asio::ssl::context> ctx;
  if (o->tls_port != 0) {
    if (o->tls.cert_file.empty() || o->tls.key_file.empty()) {
      return "--tls-port needs --tls-cert-file and --tls-key-file";
    }
    if (o->tls_auth_clients != net::ClientCertPolicy::kNone && o->tls.ca_cert_file.empty()) {
      return "--tls-auth-clients yes/optional needs --tls-ca-cert-file";
    }
    if (auto err = net::make_tls_server_context(o->tls, o->tls_auth_clients, &ctx); !err.empty()) {
      return "client TLS: " + err;
    }
  }
  const net::TlsFiles& p = o->peer_tls;
  if (!p.cert_file.empty() || !p.key_file.empty() || !p.ca_cert_file.empty()) {
    if (p.cert_file.empty() || p.key_file.empty() || p.ca_cert_file.empty()) {
      return "peer TLS needs all of --peer-tls-cert-file, --peer-tls-key-file and "
             "--peer-tls-ca-cert-file";
    }
    if (auto err = net::make_tls_client_context(p, &ctx); !err.empty()) return "peer TLS: " + err;
  }
  if (!f.cluster_secret_file.empty()) {
    if (auto err = net::load_cluster_secrets(f.cluster_secret_file, &o->cluster_secrets);
        !err.empty()) {
      return "--cluster-secret-file: " + err;
    }
  }
  return "";
}

// The client-limit options as typed, before their units are parsed.
struct ClientLimitFlags {
  std::string query_buffer_limit = "1gb";
  std::string proto_max_bulk_len = "64mb";
  std::string output_buffer_limit = "normal 256mb 64mb 60";
  std::string pubsub_output_buffer_limit = "32mb 8mb 60";
  std::string protected_mode = "yes";
  std::string maxmemory = "0";
  std::string maxmemory_policy = "noeviction";
};

void add_client_limit_options(CLI::App& app, ServerOptions& o, ClientLimitFlags& f) {
  app.add_option("--maxclients", o.maxclients,
                 "refuse clients beyond this many (-ERR max number of clients reached)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1000000}))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_seconds,
                 "close a client idle for this many seconds (0: never)")
      ->capture_default_str();
  app.add_option("--protected-mode", f.protected_mode,
                 "yes: with no requirepass, serve clients on loopback addresses only")
      ->check(CLI::IsMember({"yes", "no"}))
      ->capture_default_str();
  app.add_option("--client-query-buffer-limit", f.query_buffer_limit,
                 "close a client whose unparsed input exceeds this (1gb, 64mb, bytes...)")
      ->capture_default_str();
  app.add_option("--proto-max-bulk-len", f.proto_max_bulk_len,
                 "largest argument accepted (at most 64mb: a command must fit a peer frame)")
      ->capture_default_str();
  app.add_option("--client-output-buffer-limit", f.output_buffer_limit,
                 "'normal <hard> <soft> <soft-seconds>': close a client whose unsent replies "
                 "exceed hard, or soft for soft-seconds (0: off)")
      ->capture_default_str();
  app.add_option("--client-output-buffer-limit-pubsub", f.pubsub_output_buffer_limit,
                 "'<hard> <soft> <soft-seconds>': the same for a client subscribed to a "
                 "channel or pattern (Redis's pubsub class)")
      ->capture_default_str();
  app.add_option("--requirepass", o.requirepass,
                 "the default user's password: clients must AUTH first (-NOAUTH); empty: none "
                 "(prefer the config file: a flag shows in ps)");
  app.add_option("--maxmemory", f.maxmemory,
                 "refuse writes that may grow the data (-OOM) while the heap is over this "
                 "(0: no limit)")
      ->capture_default_str();
  app.add_option("--maxmemory-policy", f.maxmemory_policy,
                 "only noeviction: a replicated store never evicts keys")
      ->check(CLI::IsMember({"noeviction"}))
      ->capture_default_str();
}

// Empty, or what is wrong with the client-limit flags.
std::string apply_client_limit_flags(const ClientLimitFlags& f, ServerOptions* o) {
  o->protected_mode = f.protected_mode == "yes";
  auto query = parse_memory_size(f.query_buffer_limit);
  if (!query || *query < 1024 * 1024) {
    return "--client-query-buffer-limit: '" + f.query_buffer_limit +
           "' is not a size of at least 1mb";
  }
  auto bulk = parse_memory_size(f.proto_max_bulk_len);
  if (!bulk || *bulk < 1024 || *bulk > (uint64_t{64} << 20)) {
    return "--proto-max-bulk-len: '" + f.proto_max_bulk_len + "' is not a size in [1kb, 64mb]";
  }
  if (*bulk >= *query) {
    return "--proto-max-bulk-len must be smaller than --client-query-buffer-limit";
  }
  auto maxmemory = parse_memory_size(f.maxmemory);
  if (!maxmemory) return "--maxmemory: '" + f.maxmemory + "' is not a size (0, 100mb, 2gb...)";
  o->maxmemory = *maxmemory;
  o->client_query_buffer_limit = *query;
  o->proto_max_bulk_len = *bulk;
  if (auto err = parse_output_buffer_limit(f.output_buffer_limit, &o->client_output_buffer_limit);
      !err.empty()) {
    return "--client-output-buffer-limit: " + err;
  }
  if (auto err = parse_output_buffer_sizes(f.pubsub_output_buffer_limit,
                                           &o->client_output_buffer_limit_pubsub);
      !err.empty()) {
    return "--client-output-buffer-limit-pubsub: " + err;
  }
  return "";
}

}  // namespace

int parse_serve_options(int argc, const char* const* argv, ServerOptions* out) {
  CLI::App app{"raftkv serve: run one node of a raftkv cluster", "raftkv serve"};
  app.set_config("--config", "", "read options from a TOML/INI file with the same keys");
  // A misspelt key in the file is an error, as a misspelt flag is, not silently a default.
  app.allow_config_extras(CLI::config_extras_mode::error);
  ServerOptions o;
  std::string listen_client, listen_peer, advertise_client, cluster;
  const AddressValidator address;
  const AddressValidator address_or_off(true);
  app.add_option("--id", o.id, "this node's id (a member of --initial-cluster, or new with --join)")
      ->required();
  app.add_option("--data-dir", o.data_dir, "directory for the log, hard state and snapshots")
      ->required();
  app.add_option("--listen-client", listen_client,
                 "address for Redis clients (port 0: none, with --tls-port)")
      ->required()
      ->check(address_or_off);
  app.add_option("--listen-peer", listen_peer, "address for other members")
      ->required()
      ->check(address);
  std::string listen_metrics;
  app.add_option("--listen-metrics", listen_metrics,
                 "address for HTTP /metrics (Prometheus), /health and /ready (default: none)")
      ->check(address);
  app.add_option("--advertise-client", advertise_client,
                 "client address announced to others (default: --listen-client, or the TLS port "
                 "when the plaintext port is off)")
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

  ClientLimitFlags limit_flags;
  add_client_limit_options(app, o, limit_flags);
  SecurityFlags security_flags;
  add_security_options(app, o, security_flags);
  app.add_option("--slowlog-log-slower-than", o.slowlog.log_slower_than_us,
                 "SLOWLOG records commands slower than this many microseconds (-1: none)")
      ->check(CLI::Range(int64_t{-1}, std::numeric_limits<int64_t>::max()))
      ->capture_default_str();
  // Bounded: every entry holds up to 32 arguments of 128 bytes.
  app.add_option("--slowlog-max-len", o.slowlog.max_len, "SLOWLOG keeps this many entries")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1000000}))
      ->capture_default_str();
  app.add_option("--key-load-delay", o.key_load_delay_us,
                 "wait this many microseconds before applying each entry of the log replay "
                 "after a restart (for tests, as Redis's key-load-delay)")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}))
      ->capture_default_str();
  app.add_flag("--check-config", o.check_only,
               "check the options and the --config file, print 'configuration ok' and exit")
      ->configurable(false);

  if (auto exit_code = parse_command_line(app, argc, argv, "raftkv serve")) {
    return *exit_code == 0 ? -1 : *exit_code;  // -1: help was printed, exit 0
  }

  auto fail = [](const std::string& why) {
    std::cerr << "raftkv serve: " << why << "\n";
    return 2;
  };
  if (const CLI::Option* config = app.get_config_ptr(); config != nullptr && config->count() > 0) {
    o.config_file = std::filesystem::absolute(config->as<std::string>()).string();
  }
  o.listen_client = *net::parse_peer_address(listen_client);
  o.listen_peer = *net::parse_peer_address(listen_peer);
  // Without a plaintext port, clients are redirected to the TLS one.
  o.advertise_client = !advertise_client.empty() ? *net::parse_peer_address(advertise_client)
                       : o.listen_client.port != 0
                           ? o.listen_client
                           : net::PeerAddress{o.listen_client.host, o.tls_port};
  if (!listen_metrics.empty()) o.listen_metrics = net::parse_peer_address(listen_metrics);
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
  if (auto err = apply_client_limit_flags(limit_flags, &o); !err.empty()) return fail(err);
  if (auto err = apply_security_flags(security_flags, &o); !err.empty()) return fail(err);
  *out = std::move(o);
  return 0;
}

}  // namespace raftkv::server
