#include "kv/data_commands.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>
#include <variant>

#include "kv/bitmap_commands.h"
#include "kv/blocking_commands.h"
#include "kv/collection_scan.h"
#include "kv/geo_commands.h"
#include "kv/hash_commands.h"
#include "kv/hll_commands.h"
#include "kv/int_parse.h"
#include "kv/key_specs.h"
#include "kv/keyspace_commands.h"
#include "kv/list_commands.h"
#include "kv/memory_usage.h"
#include "kv/pubsub.h"
#include "kv/scan_args.h"
#include "kv/scripting.h"
#include "kv/set_commands.h"
#include "kv/set_options.h"
#include "kv/sort_command.h"
#include "kv/stream_commands.h"
#include "kv/string_commands.h"
#include "kv/zset_commands.h"

namespace raftkv::kv {

namespace {

ExpiryUnit unit_of(CommandId id) {
  switch (id) {
    case CommandId::kExpire:
    case CommandId::kSetex:
      return ExpiryUnit::kSeconds;
    case CommandId::kPexpire:
    case CommandId::kPsetex:
      return ExpiryUnit::kMilliseconds;
    case CommandId::kExpireat:
      return ExpiryUnit::kUnixSeconds;
    default:
      return ExpiryUnit::kUnixMilliseconds;  // kPexpireat
  }
}

// EXPIRE's Redis 7 condition flags.
struct ExpireFlags {
  bool nx = false, xx = false, gt = false, lt = false;
};

std::string parse_expire_flags(std::span<const std::string> argv, ExpireFlags* flags) {
  for (size_t i = 3; i < argv.size(); ++i) {
    if (equals_ci(argv[i], "nx")) {
      flags->nx = true;
    } else if (equals_ci(argv[i], "xx")) {
      flags->xx = true;
    } else if (equals_ci(argv[i], "gt")) {
      flags->gt = true;
    } else if (equals_ci(argv[i], "lt")) {
      flags->lt = true;
    } else {
      return "ERR Unsupported option " + argv[i];
    }
  }
  if (flags->nx && (flags->xx || flags->gt || flags->lt)) {
    return "ERR NX and XX, GT or LT options at the same time are not compatible";
  }
  if (flags->gt && flags->lt) return "ERR GT and LT options at the same time are not compatible";
  return {};
}

// WAIT numreplicas timeout, checked as Redis checks them (getLongFromObjectOrReply,
// getTimeoutFromObjectOrReply).
std::string validate_wait(std::span<const std::string> argv) {
  if (!parse_int64(argv[1])) return std::string(kNotInteger);
  const auto timeout = parse_int64(argv[2]);
  if (!timeout) return "ERR timeout is not an integer or out of range";
  if (*timeout < 0) return "ERR timeout is negative";
  return {};
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0 parses it.
std::string validate_shutdown(std::span<const std::string> argv) {
  bool nosave = false, save = false, abort = false, other = false;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (equals_ci(argv[i], "nosave")) {
      nosave = true;
    } else if (equals_ci(argv[i], "save")) {
      save = true;
    } else if (equals_ci(argv[i], "now") || equals_ci(argv[i], "force")) {
      other = true;
    } else if (equals_ci(argv[i], "abort")) {
      abort = true;
    } else {
      return std::string(kSyntaxError);
    }
  }
  if ((abort && (nosave || save || other)) || (nosave && save)) return std::string(kSyntaxError);
  return {};
}

// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type].
std::string parse_scan(std::span<const std::string> argv, uint64_t* cursor, ScanOptions* options) {
  const auto parsed = parse_scan_cursor(argv[1]);
  if (!parsed) return std::string(kInvalidCursor);
  *cursor = *parsed;
  return parse_scan_options(argv, 2, /*allow_type=*/true, options);
}

// INCR, INCRBY, DECR, DECRBY: the signed amount to add, from validated arguments.
int64_t increment_of(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kIncr:
      return 1;
    case CommandId::kDecr:
      return -1;
    case CommandId::kIncrby:
      return *parse_int64(argv[2]);
    default:
      return -*parse_int64(argv[2]);  // kDecrby; LLONG_MIN was rejected
  }
}

void execute_incr(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  RespWriter* out) {
  const int64_t increment = increment_of(spec, argv);
  Value* found = store.find(argv[1]);
  std::string* current = found == nullptr ? nullptr : std::get_if<StringValue>(found);
  if (found != nullptr && current == nullptr) return out->error(kWrongType);
  int64_t value = 0;
  if (current != nullptr) {
    const auto parsed = parse_int64(*current);
    if (!parsed) return out->error(kNotInteger);
    value = *parsed;
  }
  if ((increment < 0 && value < std::numeric_limits<int64_t>::min() - increment) ||
      (increment > 0 && value > std::numeric_limits<int64_t>::max() - increment)) {
    return out->error(kOverflow);
  }
  value += increment;
  store.set(argv[1], std::to_string(value));
  out->integer(value);
}

void execute_set(KvStore& store, std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  StringOptions opts;
  if (const auto error = parse_string_options(argv, 3, StringCommand::kSet, &opts);
      !error.empty()) {
    return out->error(error);
  }
  int64_t at = 0;
  if (opts.unit != ExpiryUnit::kNone) {
    // Validated before proposing; a relative time can still overflow once log time is added.
    if (const auto error = expiry_deadline(opts, "set", now, &at); !error.empty()) {
      return out->error(error);
    }
  }
  Value* current = store.find(argv[1]);
  const bool exists = current != nullptr;
  if (opts.get) {
    const auto* old = exists ? std::get_if<StringValue>(current) : nullptr;
    if (exists && old == nullptr) return out->error(kWrongType);  // before changing anything
    if (exists) {
      out->bulk(*old);
    } else {
      out->null_bulk();
    }
  }
  if ((opts.nx && exists) || (opts.xx && !exists)) {
    if (!opts.get) out->null_bulk();
    return;
  }
  if (auto* s = std::get_if<StringValue>(current)) {
    assign_string(s, argv[2]);  // no second lookup
    s->encoding = StringEncoding::kAsSet;
  } else if (exists) {
    *current = argv[2];  // replaces a value of another type
  } else {
    store.set(argv[1], argv[2]);
  }
  if (opts.unit != ExpiryUnit::kNone) {
    if (at <= static_cast<int64_t>(now)) {
      store.erase(argv[1]);  // an absolute time already past: the key is gone at once
    } else {
      store.set_expire(argv[1], static_cast<uint64_t>(at));
    }
  } else if (!opts.keep_ttl) {
    store.persist(argv[1]);  // a plain SET discards the old deadline, as in Redis
  }
  if (!opts.get) out->simple("OK");
}

void execute_scan(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                  RespWriter* out) {
  uint64_t cursor = 0;
  ScanOptions scan;
  if (const auto error = parse_scan(argv, &cursor, &scan); !error.empty()) {
    return out->error(error);
  }
  auto page = store.scan(cursor, scan.count, scan.pattern);
  if (store.expires() > 0 || !scan.type.empty()) {
    std::erase_if(page.keys, [&](const std::string& key) {
      const Value* value = store.find_live(key, now);
      return value == nullptr ||
             (!scan.type.empty() && !equals_ci(scan.type, type_name(type_of(*value))));
    });
  }
  out->array_header(2);
  out->bulk(std::to_string(page.next_cursor));
  out->array_header(page.keys.size());
  for (const auto& key : page.keys) out->bulk(key);
}

}  // namespace

std::string validate_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kWait:
      return validate_wait(argv);
    case CommandId::kShutdown:
      return validate_shutdown(argv);
    case CommandId::kSet: {
      StringOptions opts;
      auto error = parse_string_options(argv, 3, StringCommand::kSet, &opts);
      int64_t at = 0;
      if (error.empty() && opts.unit != ExpiryUnit::kNone)
        error = expiry_deadline(opts, "set", 0, &at);
      return error;
    }
    case CommandId::kIncrby:
    case CommandId::kDecrby: {
      const auto amount = parse_int64(argv[2]);
      if (!amount) return std::string(kNotInteger);
      if (spec.id == CommandId::kDecrby && *amount == std::numeric_limits<int64_t>::min()) {
        return "ERR decrement would overflow";
      }
      return {};
    }
    case CommandId::kMset:
    case CommandId::kMsetnx:
      if (argv.size() % 2 == 0) return wrong_arity_error(spec.name);
      return {};
    case CommandId::kMemory: {
      // Only USAGE key [SAMPLES count]; Redis's texts for the rest.
      if (!equals_ci(argv[1], "usage")) return unknown_subcommand_error(argv[1], spec.name);
      if (argv.size() < 3) return wrong_arity_error("memory|usage");
      if (argv.size() == 3) return {};
      if (argv.size() != 5 || !equals_ci(argv[3], "samples")) return std::string(kSyntaxError);
      const auto samples = parse_int64(argv[4]);
      if (!samples) return std::string(kNotInteger);
      if (*samples < 0) return std::string(kSyntaxError);
      return {};
    }
    case CommandId::kFlushall:
    case CommandId::kFlushdb:
      if (argv.size() > 2 ||
          (argv.size() == 2 && !equals_ci(argv[1], "sync") && !equals_ci(argv[1], "async"))) {
        return std::string(kSyntaxError);
      }
      return {};
    case CommandId::kScan: {
      uint64_t cursor = 0;
      ScanOptions scan;
      return parse_scan(argv, &cursor, &scan);
    }
    case CommandId::kSetex:
    case CommandId::kPsetex: {
      const auto amount = parse_int64(argv[2]);
      if (!amount) return std::string(kNotInteger);
      if (*amount <= 0 || !deadline_of(unit_of(spec.id), *amount, 0)) {
        return invalid_expire_time(spec.name);
      }
      return {};
    }
    case CommandId::kExpire:
    case CommandId::kPexpire:
    case CommandId::kExpireat:
    case CommandId::kPexpireat: {
      // Redis's order (expireGenericCommand): the flags, then the time.
      ExpireFlags flags;
      if (std::string error = parse_expire_flags(argv, &flags); !error.empty()) return error;
      const auto amount = parse_int64(argv[2]);
      if (!amount) return std::string(kNotInteger);
      if (!deadline_of(unit_of(spec.id), *amount, 0)) return invalid_expire_time(spec.name);
      return {};
    }
    case CommandId::kHscan:
    case CommandId::kSscan:
    case CommandId::kZscan:
      return validate_collection_scan(argv);
    case CommandId::kGetrange:
    case CommandId::kSubstr:
    case CommandId::kSetrange:
    case CommandId::kGetex:
      return validate_string_arguments(spec, argv);
    case CommandId::kEval:
    case CommandId::kEvalsha:
    case CommandId::kEvalRo:
    case CommandId::kEvalshaRo:
    case CommandId::kScript:
    case CommandId::kFcall:
    case CommandId::kFcallRo:
    case CommandId::kFunction:
      return validate_script_arguments(spec, argv);
    case CommandId::kSetbit:
    case CommandId::kGetbit:
    case CommandId::kBitpos:
    case CommandId::kBitop:
    case CommandId::kBitfield:
    case CommandId::kBitfieldRo:
      return validate_bitmap_arguments(spec, argv);
    case CommandId::kCopy:
      return validate_copy(argv);
    case CommandId::kGeoadd:
    case CommandId::kGeodist:
      return validate_geo_arguments(spec, argv);
    case CommandId::kSort:
    case CommandId::kSortRo:
      return validate_sort(spec, argv);
    case CommandId::kObject:
      return validate_object(argv);
    case CommandId::kRestore:
    case CommandId::kRestoreAsking:
      return validate_restore(argv);
    case CommandId::kBlpop:
    case CommandId::kBrpop:
    case CommandId::kBrpoplpush:
    case CommandId::kBlmove:
    case CommandId::kBlmpop:
    case CommandId::kLmpop:
    case CommandId::kBzpopmin:
    case CommandId::kBzpopmax:
    case CommandId::kBzmpop:
    case CommandId::kZmpop:
      return validate_pop_arguments(spec, argv);
    case CommandId::kDebug:
      if (!equals_ci(argv[1], "digest")) return unknown_subcommand_error(argv[1], spec.name);
      if (argv.size() != 2) return wrong_arity_error("debug|digest");
      return {};
    default:
      break;
  }
  switch (command_value_type(spec.id)) {
    case ValueType::kHash:
      return validate_hash_arguments(spec, argv);
    case ValueType::kList:
      return validate_list_arguments(spec, argv);
    case ValueType::kSet:
      return validate_set_arguments(spec, argv);
    case ValueType::kZSet:
      return validate_zset_arguments(spec, argv);
    case ValueType::kStream:
      return validate_stream_arguments(spec, argv);
    case ValueType::kString:
      break;
  }
  return {};
}

void execute_read(const KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  uint64_t now, RespWriter* out, bool in_script) {
  if (const auto error = validate_arguments(spec, argv); !error.empty()) return out->error(error);
  // A key whose deadline has passed reads as absent even before a write purges it.
  const auto live = [&](const std::string& key) { return store.find_live(key, now); };
  if (spec.id == CommandId::kHscan || spec.id == CommandId::kSscan ||
      spec.id == CommandId::kZscan) {
    return execute_collection_scan(store, spec, argv, now, out);
  }
  switch (command_value_type(spec.id)) {
    case ValueType::kHash:
      return execute_hash_read(store, spec, argv, now, out);
    case ValueType::kList:
      return execute_list_read(store, spec, argv, now, out);
    case ValueType::kSet:
      return execute_set_read(store, spec, argv, now, out);
    case ValueType::kZSet:
      return execute_zset_read(store, spec, argv, now, out);
    case ValueType::kStream:
      return execute_stream_read(store, spec, argv, now, out);
    case ValueType::kString:
      break;
  }
  switch (spec.id) {
    case CommandId::kGet: {
      const Value* value = live(argv[1]);
      if (value == nullptr) return out->null_bulk();
      if (const auto* s = std::get_if<StringValue>(value)) return out->bulk(*s);
      return out->error(kWrongType);
    }
    case CommandId::kMget:
      // Keys holding other types read as nil here, as in Redis.
      out->array_header(argv.size() - 1);
      for (size_t i = 1; i < argv.size(); ++i) {
        const Value* value = live(argv[i]);
        const auto* s = value == nullptr ? nullptr : std::get_if<StringValue>(value);
        if (s != nullptr) {
          out->bulk(*s);
        } else {
          out->null_bulk();
        }
      }
      return;
    case CommandId::kExists: {
      int64_t count = 0;
      for (size_t i = 1; i < argv.size(); ++i) count += live(argv[i]) != nullptr ? 1 : 0;
      return out->integer(count);
    }
    case CommandId::kStrlen: {
      const Value* value = live(argv[1]);
      if (value == nullptr) return out->integer(0);
      if (const auto* s = std::get_if<StringValue>(value)) {
        return out->integer(static_cast<int64_t>(s->size()));
      }
      return out->error(kWrongType);
    }
    case CommandId::kType: {
      const Value* value = live(argv[1]);
      return out->simple(value == nullptr ? "none" : type_name(type_of(*value)));
    }
    case CommandId::kTtl:
    case CommandId::kPttl:
    case CommandId::kExpiretime:
    case CommandId::kPexpiretime: {
      if (live(argv[1]) == nullptr) return out->integer(-2);
      const uint64_t at = store.expire_at(argv[1]);
      if (at == 0) return out->integer(-1);
      const bool absolute = spec.id == CommandId::kExpiretime || spec.id == CommandId::kPexpiretime;
      const int64_t ms = static_cast<int64_t>(absolute ? at : at - now);
      // Redis rounds seconds to the nearest one.
      const bool in_ms = spec.id == CommandId::kPttl || spec.id == CommandId::kPexpiretime;
      return out->integer(in_ms ? ms : (ms + 500) / 1000);
    }
    case CommandId::kGetrange:
    case CommandId::kSubstr:
      return execute_getrange(store, argv, now, out);
    case CommandId::kRandomkey:
      return execute_randomkey(store, now, out);
    case CommandId::kGetbit:
    case CommandId::kBitcount:
    case CommandId::kBitpos:
    case CommandId::kBitfieldRo:
      return execute_bitmap_read(store, spec, argv, now, out);
    case CommandId::kLcs:
      return execute_lcs(store, argv, now, out);
    case CommandId::kPfcount:
      return execute_hll_read(store, argv, now, out);
    case CommandId::kGeopos:
    case CommandId::kGeodist:
    case CommandId::kGeohash:
    case CommandId::kGeosearch:
    case CommandId::kGeoradiusRo:
    case CommandId::kGeoradiusbymemberRo:
      return execute_geo_read(store, spec, argv, now, out);
    case CommandId::kSortRo:
      return execute_sort(store, spec, argv, now, nullptr, out, in_script);
    case CommandId::kTouch: {
      int64_t count = 0;
      for (size_t i = 1; i < argv.size(); ++i) count += live(argv[i]) != nullptr ? 1 : 0;
      return out->integer(count);
    }
    case CommandId::kObject:
      return execute_object(store, argv, now, out);
    case CommandId::kDump:
      return execute_dump(store, argv, now, out);
    case CommandId::kMemory: {
      const Value* value = live(argv[2]);
      if (value == nullptr) return out->null_bulk();
      // Redis samples 5 elements unless told otherwise; 0 means all of them.
      const uint64_t samples = argv.size() == 5 ? static_cast<uint64_t>(*parse_int64(argv[4])) : 5;
      return out->integer(static_cast<int64_t>(approximate_memory_usage(argv[2], *value, samples)));
    }
    case CommandId::kKeys: {
      // Every key matching the pattern, like SCAN without a cursor (O(n), as in Redis).
      const std::string_view pattern = argv[1] == "*" ? std::string_view() : argv[1];
      auto all = store.scan(0, std::max<size_t>(store.size(), 1), pattern);
      std::erase_if(all.keys, [&](const std::string& key) { return live(key) == nullptr; });
      out->array_header(all.keys.size());
      for (const auto& key : all.keys) out->bulk(key);
      return;
    }
    case CommandId::kDbsize:
      // Like Redis, counts keys whose deadline passed but that no write has purged yet.
      return out->integer(static_cast<int64_t>(store.size()));
    case CommandId::kScan:
      return execute_scan(store, argv, now, out);
    case CommandId::kDebug:
      return out->simple(store.digest_hex());
    default:
      return out->error("ERR internal error: not a read command");
  }
}

void execute_expire(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                    uint64_t now, RespWriter* out) {
  // Validated before proposing with log time 0; adding this entry's log time can still
  // overflow, which Redis refuses before looking at the key.
  const auto deadline = deadline_of(unit_of(spec.id), *parse_int64(argv[2]), now);
  if (!deadline) return out->error(invalid_expire_time(spec.name));
  if (store.find(argv[1]) == nullptr) return out->integer(0);
  ExpireFlags flags;
  (void)parse_expire_flags(argv, &flags);  // validated already
  const int64_t at = *deadline;
  const uint64_t current = store.expire_at(argv[1]);  // 0: none, i.e. infinite
  if (flags.nx && current != 0) return out->integer(0);
  if (flags.xx && current == 0) return out->integer(0);
  if (flags.gt && (current == 0 || at <= static_cast<int64_t>(current))) return out->integer(0);
  if (flags.lt && current != 0 && at >= static_cast<int64_t>(current)) return out->integer(0);
  if (at <= static_cast<int64_t>(now)) {
    store.erase(argv[1]);  // a deadline in the past deletes the key now, as in Redis
  } else {
    store.set_expire(argv[1], static_cast<uint64_t>(at));
  }
  return out->integer(1);
}

void execute_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                   const WriteContext& context, RespWriter* out) {
  const uint64_t now = context.now_ms;
  if (const auto error = validate_arguments(spec, argv); !error.empty()) return out->error(error);
  // Keys this command names whose deadline has passed are gone before it runs, so that it
  // sees exactly what a read at the same log time would.
  if (store.expires() > 0 && spec.first_key > 0) {
    const size_t last = spec.last_key < 0 ? argv.size() - 1 : static_cast<size_t>(spec.last_key);
    for (size_t i = static_cast<size_t>(spec.first_key); i <= last && i < argv.size();
         i += static_cast<size_t>(std::max(spec.key_step, 1))) {
      // Only present keys have deadlines.
      if (const uint64_t at = store.expire_at(argv[i]); at != 0 && at <= now) store.erase(argv[i]);
    }
  } else if (store.expires() > 0 && (spec.flags & kFlagMovableKeys) != 0) {
    // LMPOP, ZMPOP, BLMPOP, BZMPOP: their keys follow numkeys.
    if (const KeyRange keys = numkeys_key_range(spec, argv); keys.first > 0) {
      for (size_t i = keys.first; i <= keys.last; ++i) {
        if (const uint64_t at = store.expire_at(argv[i]); at != 0 && at <= now)
          store.erase(argv[i]);
      }
    }
  }
  switch (command_value_type(spec.id)) {
    case ValueType::kHash:
      return execute_hash_write(store, spec, argv, out);
    case ValueType::kList:
      return execute_list_write(store, spec, argv, out);
    case ValueType::kSet:
      return execute_set_write(store, spec, argv, context, out);
    case ValueType::kZSet:
      return execute_zset_write(store, spec, argv, now, out);
    case ValueType::kStream:
      return execute_stream_write(store, spec, argv, context, out);
    case ValueType::kString:
      break;
  }
  switch (spec.id) {
    case CommandId::kSet:
      return execute_set(store, argv, now, out);
    case CommandId::kPublish:  // delivered by the node; the store is not touched
      return out->integer(context.publish ? context.publish->publish(argv[1], argv[2]) : 0);
    case CommandId::kSpublish:
      return out->integer(context.publish ? context.publish->spublish(argv[1], argv[2]) : 0);
    case CommandId::kSetex:
    case CommandId::kPsetex: {
      const auto at = deadline_of(unit_of(spec.id), *parse_int64(argv[2]), now);
      if (!at) return out->error(invalid_expire_time(spec.name));  // overflow with log time
      store.set(argv[1], argv[3]);
      store.set_expire(argv[1], static_cast<uint64_t>(*at));
      return out->simple("OK");
    }
    case CommandId::kExpire:
    case CommandId::kPexpire:
    case CommandId::kExpireat:
    case CommandId::kPexpireat:
      return execute_expire(store, spec, argv, now, out);
    case CommandId::kPersist:
      return out->integer(store.find(argv[1]) != nullptr && store.persist(argv[1]) ? 1 : 0);
    case CommandId::kGetset: {
      const Value* found = store.find(argv[1]);
      const auto* current = found == nullptr ? nullptr : std::get_if<StringValue>(found);
      if (found != nullptr && current == nullptr) return out->error(kWrongType);
      if (current != nullptr) {
        out->bulk(*current);
      } else {
        out->null_bulk();
      }
      store.set(argv[1], argv[2]);
      store.persist(argv[1]);  // GETSET discards the deadline, as in Redis
      return;
    }
    case CommandId::kSetnx:
      if (store.find(argv[1]) != nullptr) return out->integer(0);
      store.set(argv[1], argv[2]);
      return out->integer(1);
    case CommandId::kGetdel: {
      const Value* found = store.find(argv[1]);
      if (found == nullptr) return out->null_bulk();
      const auto* current = std::get_if<StringValue>(found);
      if (current == nullptr) return out->error(kWrongType);
      out->bulk(*current);
      store.erase(argv[1]);
      return;
    }
    case CommandId::kMsetnx:
      // All or nothing: set none if any key exists.
      for (size_t i = 1; i + 1 < argv.size(); i += 2) {
        if (store.find(argv[i]) != nullptr) return out->integer(0);
      }
      for (size_t i = 1; i + 1 < argv.size(); i += 2) store.set(argv[i], argv[i + 1]);
      return out->integer(1);
    case CommandId::kDel:
    case CommandId::kUnlink: {
      int64_t deleted = 0;
      for (size_t i = 1; i < argv.size(); ++i) deleted += store.erase(argv[i]) ? 1 : 0;
      return out->integer(deleted);
    }
    case CommandId::kIncr:
    case CommandId::kIncrby:
    case CommandId::kDecr:
    case CommandId::kDecrby:
      return execute_incr(store, spec, argv, out);
    case CommandId::kAppend: {
      Value* found = store.find(argv[1]);
      StringValue* current = found == nullptr ? nullptr : std::get_if<StringValue>(found);
      if (found != nullptr && current == nullptr) return out->error(kWrongType);
      const size_t old_size = current == nullptr ? 0 : current->size();
      if (old_size + argv[2].size() > kMaxValueSize) {
        return out->error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      }
      if (current == nullptr) {
        store.set(argv[1], argv[2]);
      } else {
        current->append(argv[2]);
        current->encoding = StringEncoding::kRaw;  // Redis unshares it first: raw
      }
      return out->integer(static_cast<int64_t>(old_size + argv[2].size()));
    }
    case CommandId::kMset:
      for (size_t i = 1; i + 1 < argv.size(); i += 2) {
        store.set(argv[i], argv[i + 1]);
        store.persist(argv[i]);
      }
      return out->simple("OK");
    case CommandId::kFlushall:
    case CommandId::kFlushdb:  // one database: the same
      store.clear();
      return out->simple("OK");
    case CommandId::kRename:
    case CommandId::kRenamenx:
      return execute_rename(store, spec, argv, out);
    case CommandId::kIncrbyfloat:
    case CommandId::kSetrange:
    case CommandId::kGetex:
      return execute_string_write(store, spec, argv, context, out);
    case CommandId::kSetbit:
    case CommandId::kBitop:
    case CommandId::kBitfield:
      return execute_bitmap_write(store, spec, argv, out);
    case CommandId::kCopy:
      return execute_copy(store, argv, out);
    case CommandId::kRestore:
    case CommandId::kRestoreAsking:
      return execute_restore(store, argv, now, out);
    case CommandId::kSort:
      return execute_sort(store, spec, argv, now, &store, out, context.in_script);
    case CommandId::kPfadd:
    case CommandId::kPfmerge:
      return execute_hll_write(store, spec, argv, out);
    case CommandId::kGeoadd:
    case CommandId::kGeosearchstore:
    case CommandId::kGeoradius:
    case CommandId::kGeoradiusbymember:
      return execute_geo_write(store, spec, argv, out);
    default:
      return out->error("ERR internal error: not a data write command");
  }
}

}  // namespace raftkv::kv
