// DUMP, RESTORE and RESTORE-ASKING (keyspace_commands.h), with Redis 7.0's replies.
#include <limits>

#include "kv/command_support.h"
#include "kv/dump_payload.h"
#include "kv/int_parse.h"
#include "kv/keyspace_commands.h"
#include "kv/rdb_codec.h"

namespace raftkv::kv {

namespace {

struct RestoreOptions {
  bool replace = false;
  bool absttl = false;
};

// Redis's option loop (restoreCommand): IDLETIME and FREQ exclude each other, and a
// bad number is reported as soon as it is met.
std::string parse_restore_options(std::span<const std::string> argv, RestoreOptions* options) {
  bool idletime = false;
  bool freq = false;
  for (size_t i = 4; i < argv.size(); ++i) {
    const bool has_value = i + 1 < argv.size();
    if (equals_ci(argv[i], "replace")) {
      options->replace = true;
    } else if (equals_ci(argv[i], "absttl")) {
      options->absttl = true;
    } else if (equals_ci(argv[i], "idletime") && has_value && !freq) {
      const auto idle = parse_int64(argv[++i]);
      if (!idle) return std::string(kNotInteger);
      if (*idle < 0) return "ERR Invalid IDLETIME value, must be >= 0";
      idletime = true;
    } else if (equals_ci(argv[i], "freq") && has_value && !idletime) {
      const auto f = parse_int64(argv[++i]);
      if (!f) return std::string(kNotInteger);
      if (*f < 0 || *f > 255) return "ERR Invalid FREQ value, must be >= 0 and <= 255";
      freq = true;
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

}  // namespace

void execute_dump(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                  RespWriter* out) {
  const Value* value = store.find_live(argv[1], now);
  if (value == nullptr) return out->null_bulk();
  out->bulk(frame_dump_payload(encode_rdb_value(*value)));
}

std::string validate_restore(std::span<const std::string> argv) {
  RestoreOptions options;
  return parse_restore_options(argv, &options);
}

void execute_restore(KvStore& store, std::span<const std::string> argv, uint64_t now,
                     RespWriter* out) {
  RestoreOptions options;
  (void)parse_restore_options(argv, &options);  // validated already
  // Redis's order: the key, then the TTL, then the payload.
  if (!options.replace && store.find(argv[1]) != nullptr) {
    return out->error("BUSYKEY Target key name already exists.");
  }
  const auto ttl = parse_int64(argv[2]);
  if (!ttl) return out->error(kNotInteger);
  if (*ttl < 0) return out->error("ERR Invalid TTL value, must be >= 0");
  const auto body = unframe_dump_payload(argv[3]);
  if (!body) return out->error(body.error());
  auto value = decode_rdb_value(body.value());
  if (!value) return out->error("ERR Bad data format");
  if (options.replace) store.erase(argv[1]);
  // A relative TTL counts from log time; one past the int64 range has expired, as the
  // wrapped sum has in Redis.
  int64_t at = *ttl;
  if (at != 0 && !options.absttl) {
    at = at > std::numeric_limits<int64_t>::max() - static_cast<int64_t>(now)
             ? -1
             : at + static_cast<int64_t>(now);
  }
  if (at != 0 && at <= static_cast<int64_t>(now)) return out->simple("OK");  // expired already
  store.put(argv[1], std::move(*value));
  if (at != 0) store.set_expire(argv[1], static_cast<uint64_t>(at));
  out->simple("OK");
}

}  // namespace raftkv::kv
