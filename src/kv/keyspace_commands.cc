#include "kv/keyspace_commands.h"

#include <cstdlib>
#include <utility>

#include "kv/command_support.h"
#include "kv/random_pick.h"
#include "kv/value.h"
#include "kv/value_codec.h"
#include "kv/value_encoding.h"

namespace raftkv::kv {

void execute_rename(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                    RespWriter* out) {
  const bool nx = spec.id == CommandId::kRenamenx;
  const std::string& source = argv[1];
  const std::string& destination = argv[2];
  Value* value = store.find(source);
  if (value == nullptr) return out->error("ERR no such key");
  // Renaming a key to itself changes nothing; RENAMENX reports that it did not rename.
  if (source == destination) return nx ? out->integer(0) : out->simple("OK");
  if (nx && store.find(destination) != nullptr) return out->integer(0);
  const uint64_t deadline = store.expire_at(source);
  Value moved = std::move(*value);
  store.erase(source);  // and its deadline
  store.put(destination, std::move(moved));
  store.persist(destination);  // the destination's old deadline goes with its old value
  if (deadline != 0) store.set_expire(destination, deadline);
  return nx ? out->integer(1) : out->simple("OK");
}

void execute_randomkey(const KvStore& store, uint64_t now, RespWriter* out) {
  // A read may use local randomness; writes never do (docs/kv.md).
  const std::string* key = store.random_key(
      local_random(), [&](std::string_view k) { return store.find_live(k, now) != nullptr; });
  if (key == nullptr) return out->null_bulk();
  out->bulk(*key);
}

namespace {

// A copy of any value: through its canonical encoding (value_codec.h), which every type has.
Value clone(const Value& value) {
  std::string bytes;
  ByteWriter writer(&bytes);
  encode_value(value, &writer);
  ByteReader reader(bytes);
  Value copy = std::move(*decode_value(type_of(value), &reader, false));
  // COPY keeps the source's encoding; the state of a value with these contents always fits.
  if (!restore_encoding_state(encoding_state(value), &copy)) std::abort();
  return copy;
}

constexpr std::string_view kObjectHelp[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
};

}  // namespace

std::string validate_copy(std::span<const std::string> argv) {
  for (size_t i = 3; i < argv.size(); ++i) {
    if (equals_ci(argv[i], "replace")) continue;
    if (equals_ci(argv[i], "db") && i + 1 < argv.size()) {
      const auto db = parse_int64(argv[++i]);
      if (!db || *db < INT32_MIN || *db > INT32_MAX) return std::string(kNotInteger);
      if (*db != 0) return "ERR DB index is out of range";
      continue;
    }
    return std::string(kSyntaxError);
  }
  if (argv[1] == argv[2]) return "ERR source and destination objects are the same";
  return {};
}

void execute_copy(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  bool replace = false;
  for (size_t i = 3; i < argv.size(); ++i) replace = replace || equals_ci(argv[i], "replace");
  const Value* source = store.find(argv[1]);
  if (source == nullptr) return out->integer(0);
  if (store.find(argv[2]) != nullptr && !replace) return out->integer(0);
  const uint64_t deadline = store.expire_at(argv[1]);
  store.put(argv[2], clone(*source));  // the source's node stays where it is
  store.persist(argv[2]);
  if (deadline != 0) store.set_expire(argv[2], deadline);
  out->integer(1);
}

std::string validate_object(std::span<const std::string> argv) {
  const std::string& sub = argv[1];
  if (equals_ci(sub, "help")) return argv.size() == 2 ? "" : wrong_arity_error("object|help");
  for (const char* name : {"encoding", "freq", "idletime", "refcount"}) {
    if (equals_ci(sub, name)) {
      return argv.size() == 3 ? "" : wrong_arity_error(std::string("object|") + name);
    }
  }
  return unknown_subcommand_error(sub, "object");
}

void execute_object(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                    RespWriter* out) {
  if (equals_ci(argv[1], "help")) {
    out->help_lines(kObjectHelp);
    return;
  }
  const Value* value = store.find_live(argv[2], now);
  if (value == nullptr) return out->null_bulk();
  if (equals_ci(argv[1], "encoding")) return out->bulk(encoding_of(*value));
  if (equals_ci(argv[1], "freq")) {
    return out->error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
  }
  if (equals_ci(argv[1], "idletime")) return out->integer(0);
  // REFCOUNT: Redis shares the integers 0 to 9999 among all keys (reported as INT_MAX).
  const auto* s = std::get_if<StringValue>(value);
  const auto n = s != nullptr && is_int_string(*s) ? parse_int64(*s) : std::nullopt;
  out->integer(n && *n >= 0 && *n < 10000 ? 2147483647 : 1);
}

}  // namespace raftkv::kv
