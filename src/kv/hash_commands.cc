#include "kv/hash_commands.h"

#include <cmath>
#include <limits>

#include "kv/command_support.h"
#include "kv/float_format.h"
#include "kv/int_parse.h"
#include "kv/random_reply.h"

namespace raftkv::kv {

namespace {

void write_hash(const HashValue* hash, bool fields, bool values, RespWriter* out) {
  if (hash == nullptr) return out->array_header(0);
  out->array_header(hash->size() * ((fields ? 1 : 0) + (values ? 1 : 0)));
  for (const auto& [field, value] : *hash) {
    if (fields) out->bulk(field);
    if (values) out->bulk(value);
  }
}

// HRANDFIELD key count [WITHVALUES] on a hash: Redis 7.0 returns the whole hash, in its
// order, when count >= its size.
void write_random_fields(const HashValue& hash, int64_t count, bool with_values, RespWriter* out) {
  const size_t per_field = with_values ? 2 : 1;
  const auto write = [&](HashValue::const_iterator it) {
    out->bulk(it->first);
    if (with_values) out->bulk(it->second);
  };
  if (count >= static_cast<int64_t>(hash.size())) {
    out->array_header(hash.size() * per_field);
    for (auto it = hash.begin(); it != hash.end(); ++it) write(it);
    return;
  }
  write_random_picks(hash, count, per_field, out, write);
}

void execute_hincrby(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  const int64_t increment = *parse_int64(argv[3]);
  auto [hash, wrong_type] = find_or_create<HashValue>(store, argv[1]);
  if (wrong_type) return out->error(kWrongType);
  auto it = hash->find(argv[2]);
  int64_t value = 0;
  if (it != hash->end()) {
    const auto parsed = parse_int64(it->second);
    if (!parsed) return out->error("ERR hash value is not an integer");
    value = *parsed;
  }
  if ((increment < 0 && value < 0 && increment < std::numeric_limits<int64_t>::min() - value) ||
      (increment > 0 && value > 0 && increment > std::numeric_limits<int64_t>::max() - value)) {
    return out->error(kOverflow);  // only an existing field can overflow: no empty hash left
  }
  value += increment;
  hash->set(argv[2], std::to_string(value));
  out->integer(value);
}

void execute_hincrbyfloat(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  const long double increment = *parse_long_double(argv[3]);
  Typed<HashValue> found = as_type<HashValue>(store.find(argv[1]));
  if (found.wrong_type) return out->error(kWrongType);
  long double value = 0;
  if (found.collection != nullptr) {
    auto it = found.collection->find(argv[2]);
    if (it != found.collection->end()) {
      const auto parsed = parse_long_double(it->second);
      if (!parsed) return out->error("ERR hash value is not a float");
      value = *parsed;
    }
  }
  value += increment;
  if (std::isnan(value) || std::isinf(value)) {
    return out->error("ERR increment would produce NaN or Infinity");
  }
  // Created only now, so that a refused increment leaves no empty hash behind.
  HashValue* hash = found.collection != nullptr
                        ? found.collection
                        : find_or_create<HashValue>(store, argv[1]).collection;
  const std::string printed = format_long_double(value);
  hash->set(argv[2], printed);
  out->bulk(printed);
}

}  // namespace

std::string validate_hash_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kHset:
    case CommandId::kHmset:
      if (argv.size() % 2 != 0) return wrong_arity_error(spec.name);
      return {};
    case CommandId::kHincrby:
      if (!parse_int64(argv[3])) return std::string(kNotInteger);
      return {};
    case CommandId::kHrandfield:
      return validate_random_count(argv, "withvalues");
    case CommandId::kHincrbyfloat: {
      const auto increment = parse_long_double(argv[3]);
      if (!increment) return std::string(kNotFloat);
      if (std::isinf(*increment)) return "ERR value is NaN or Infinity";
      return {};
    }
    default:
      return {};
  }
}

void execute_hash_read(const KvStore& store, const CommandSpec& spec,
                       std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  const auto [hash, wrong_type] = as_type<HashValue>(store.find_live(argv[1], now));
  if (wrong_type) return out->error(kWrongType);
  const auto field = [&](std::string_view name) -> const std::string* {
    if (hash == nullptr) return nullptr;
    auto it = hash->find(name);
    return it == hash->end() ? nullptr : &it->second;
  };
  switch (spec.id) {
    case CommandId::kHget:
      if (const std::string* value = field(argv[2])) return out->bulk(*value);
      return out->null_bulk();
    case CommandId::kHmget:
      out->array_header(argv.size() - 2);
      for (size_t i = 2; i < argv.size(); ++i) {
        if (const std::string* value = field(argv[i])) {
          out->bulk(*value);
        } else {
          out->null_bulk();
        }
      }
      return;
    case CommandId::kHgetall:
      return write_hash(hash, true, true, out);
    case CommandId::kHkeys:
      return write_hash(hash, true, false, out);
    case CommandId::kHvals:
      return write_hash(hash, false, true, out);
    case CommandId::kHlen:
      return out->integer(hash == nullptr ? 0 : static_cast<int64_t>(hash->size()));
    case CommandId::kHexists:
      return out->integer(field(argv[2]) != nullptr ? 1 : 0);
    case CommandId::kHstrlen: {
      const std::string* value = field(argv[2]);
      return out->integer(value == nullptr ? 0 : static_cast<int64_t>(value->size()));
    }
    case CommandId::kHrandfield: {
      if (argv.size() == 2) {
        if (hash == nullptr) return out->null_bulk();
        return out->bulk(pick_uniform(*hash, local_random())->first);
      }
      const int64_t count = *parse_int64(argv[2]);
      if (hash == nullptr || count == 0) return out->array_header(0);
      return write_random_fields(*hash, count, argv.size() == 4, out);
    }
    default:
      return out->error("ERR internal error: not a hash read");
  }
}

void execute_hash_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        RespWriter* out) {
  switch (spec.id) {
    case CommandId::kHset:
    case CommandId::kHmset: {
      auto [hash, wrong_type] = find_or_create<HashValue>(store, argv[1]);
      if (wrong_type) return out->error(kWrongType);
      int64_t added = 0;
      for (size_t i = 2; i + 1 < argv.size(); i += 2) {
        added += hash->set(argv[i], argv[i + 1]) ? 1 : 0;
      }
      if (spec.id == CommandId::kHmset) return out->simple("OK");
      return out->integer(added);
    }
    case CommandId::kHsetnx: {
      auto [hash, wrong_type] = find_or_create<HashValue>(store, argv[1]);
      if (wrong_type) return out->error(kWrongType);
      return out->integer(hash->try_emplace(argv[2], argv[3]).second ? 1 : 0);
    }
    case CommandId::kHdel: {
      auto [hash, wrong_type] = as_type<HashValue>(store.find(argv[1]));
      if (wrong_type) return out->error(kWrongType);
      if (hash == nullptr) return out->integer(0);
      int64_t deleted = 0;
      for (size_t i = 2; i < argv.size(); ++i)
        deleted += static_cast<int64_t>(hash->erase(argv[i]));
      erase_if_empty(store, argv[1], *hash);
      return out->integer(deleted);
    }
    case CommandId::kHincrby:
      return execute_hincrby(store, argv, out);
    case CommandId::kHincrbyfloat:
      return execute_hincrbyfloat(store, argv, out);
    default:
      return out->error("ERR internal error: not a hash write");
  }
}

}  // namespace raftkv::kv
