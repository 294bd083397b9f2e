// The settings CONFIG GET reports and CONFIG SET changes at run time, with Redis 7.0's
// names, syntax and errors, and CONFIG RESETSTAT and CONFIG REWRITE.
//
// Every settable parameter is node-local, as in Redis (where each replica has its own
// limits): it is applied on the node that received CONFIG SET, at once, and is not
// replicated. That is safe because none of them takes part in applying the log:
//   - client limits (maxclients, timeout, client-output-buffer-limit, client-query-buffer-
//     limit, proto-max-bulk-len) and the slow log concern this node's connections;
//   - maxmemory refuses *proposals* on the node that receives a write, measured against
//     that node's own heap (memory_limit.h); followers apply every committed entry whatever
//     their memory, so the limit never decides an entry's outcome and replicas cannot diverge;
//   - the snapshot policy (snapshot-entries, -bytes, -growth-percent) decides when this node
//     writes an image; the image of a given index is the same whenever it is taken.
// To change a setting cluster-wide, run CONFIG SET on every node (and CONFIG REWRITE to keep
// it over a restart). docs/kv.md, "CONFIG", says the same.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/local_commands.h"
#include "kv/resp_writer.h"
#include "server/client_limits.h"
#include "server/slow_log.h"

namespace raftkv::server {

struct ServerOptions;

// The values CONFIG SET may change (the rest of ServerOptions is fixed at start).
struct RuntimeSettings {
  uint64_t maxclients = 10000;
  uint64_t timeout_seconds = 0;
  uint64_t client_query_buffer_limit = uint64_t{1} << 30;
  uint64_t proto_max_bulk_len = uint64_t{64} << 20;
  OutputBufferLimit output;
  OutputBufferLimit pubsub = kDefaultPubSubOutputLimit;
  SlowLogSettings slowlog;
  uint64_t maxmemory = 0;
  uint64_t snapshot_entries = 1000000;
  uint64_t snapshot_bytes = 64ull << 20;
  uint64_t snapshot_growth_percent = 100;
  // Reported, not settable here.
  bool protected_mode = true;
  std::string requirepass;

  static RuntimeSettings from(const ServerOptions& options);
};

// "key = value" lines of a --config file for the settable parameters, in the file's key
// names (the `raftkv serve` flags without "--") and TOML literals.
std::vector<std::pair<std::string, std::string>> config_file_entries(const RuntimeSettings& s);

// CONFIG REWRITE's text: `old_text` with each line that sets one of `entries` replaced by
// the entry (a key set twice keeps its first line), and the entries it did not set but that
// `changed` says differ from the defaults appended. Comments and other keys stay as they are.
std::string rewrite_config_text(std::string_view old_text,
                                const std::vector<std::pair<std::string, std::string>>& entries,
                                const std::function<bool(std::string_view key)>& changed);

// Writes `text` to `path` atomically: a temporary file beside it, fsync, rename, fsync of
// the directory. Empty, or why not.
std::string write_file_atomically(const std::string& path, std::string_view text);

class RuntimeConfig : public kv::ConfigHandler {
 public:
  struct Hooks {
    // Called after CONFIG SET changed the settings (all of them at once).
    std::function<void(const RuntimeSettings&)> on_change;
    // maxclients: the largest number of clients the file-descriptor limit allows for
    // `wanted` (reserve_file_descriptors); null: any.
    std::function<uint64_t(uint64_t wanted)> reserve_clients;
    // CONFIG RESETSTAT.
    std::function<void()> reset_stats;
  };

  RuntimeConfig(RuntimeSettings settings, std::string config_file, Hooks hooks);

  const RuntimeSettings& settings() const { return settings_; }
  const std::string& config_file() const { return config_file_; }

  // CONFIG GET, SET, RESETSTAT, REWRITE and HELP (argv[0] is CONFIG).
  void config(std::span<const std::string> argv, kv::RespWriter* out) override;

  // CONFIG SET's name/value pairs: all applied or, on the first error, none. Empty, or the
  // error reply without '-'.
  std::string set(std::span<const std::string> pairs);
  // CONFIG GET's matches for glob patterns (name, value), each parameter once.
  std::vector<std::pair<std::string, std::string>> get(std::span<const std::string> patterns) const;
  // CONFIG REWRITE: empty, or the error reply without '-'.
  std::string rewrite() const;

 private:
  RuntimeSettings settings_;
  std::string config_file_;
  Hooks hooks_;
};

}  // namespace raftkv::server
