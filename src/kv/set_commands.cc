#include "kv/set_commands.h"

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

// SplitMix64's finalizer: spreads consecutive inputs (log indexes) over all 64 bits.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The member at or after hash `r`, wrapping around: members are in hash order, so a random
// `r` picks a pseudo-random member in O(log n). The set must not be empty.
SetValue::const_iterator member_at(const SetValue& set, uint64_t r) {
  auto it = set.lower_bound(HashedKeyRef{r, std::string_view()});
  return it == set.end() ? set.begin() : it;
}

bool contains(const SetValue* set, std::string_view member) {
  return set != nullptr && set->find(HashedKeyRef::of(member)) != set->end();
}

// Read-only randomness (SRANDMEMBER) may differ between replicas: a local generator.
uint64_t local_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

// SRANDMEMBER key count: distinct members for count > 0, |count| picks with repeats for
// count < 0.
void write_random_members(const SetValue& set, int64_t count, RespWriter* out) {
  if (count < 0) {
    const uint64_t n = 0 - static_cast<uint64_t>(count);
    out->array_header(n);
    for (uint64_t i = 0; i < n; ++i) out->bulk(member_at(set, local_random())->name);
    return;
  }
  const auto n = std::min(static_cast<size_t>(count), set.size());
  std::vector<const std::string*> members;
  members.reserve(set.size());
  for (const auto& member : set) members.push_back(&member.name);
  // A partial Fisher-Yates shuffle of the first n.
  for (size_t i = 0; i < n; ++i) {
    std::swap(members[i], members[i + local_random() % (members.size() - i)]);
  }
  out->array_header(n);
  for (size_t i = 0; i < n; ++i) out->bulk(*members[i]);
}

// SINTER, SUNION, SDIFF over `keys` into `result`: a missing key is an empty set; any key
// of another type is an error (false), as in Redis.
bool set_algebra(const KvStore& store, CommandId id, std::span<const std::string> keys,
                 uint64_t now, SetValue* result) {
  std::vector<const SetValue*> sets;
  for (const std::string& key : keys) {
    const auto [set, wrong_type] = as_type<SetValue>(store.find_live(key, now));
    if (wrong_type) return false;
    sets.push_back(set);
  }
  const auto in = [](const SetValue* set, const HashedKey& member) {
    return set != nullptr && set->find(HashedKeyRef{member.hash, member.name}) != set->end();
  };
  if (id == CommandId::kSunion || id == CommandId::kSunionstore) {
    for (const SetValue* set : sets) {
      if (set != nullptr) result->insert(set->begin(), set->end());
    }
    return true;
  }
  if (sets[0] == nullptr) return true;
  const bool inter = id == CommandId::kSinter || id == CommandId::kSinterstore;
  for (const auto& member : *sets[0]) {
    const bool keep = inter
                          ? std::all_of(sets.begin() + 1, sets.end(),
                                        [&](const SetValue* other) { return in(other, member); })
                          : std::none_of(sets.begin() + 1, sets.end(),
                                         [&](const SetValue* other) { return in(other, member); });
    if (keep) result->insert(result->end(), member);  // in order: appended at the end
  }
  return true;
}

void execute_set_algebra(const KvStore& store, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  SetValue result;
  if (!set_algebra(store, spec.id, argv.subspan(1), now, &result)) return out->error(kWrongType);
  out->array_header(result.size());
  for (const auto& member : result) out->bulk(member.name);
}

// SINTERSTORE, SUNIONSTORE, SDIFFSTORE destination key...: the destination (of any type)
// is replaced by the result, or deleted when it is empty; its deadline is dropped.
void execute_set_store(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       uint64_t now, RespWriter* out) {
  auto result = std::make_unique<SetValue>();
  if (!set_algebra(store, spec.id, argv.subspan(2), now, result.get())) {
    return out->error(kWrongType);
  }
  out->integer(store_collection(store, argv[1], std::move(result)));
}

// SMOVE source destination member.
void execute_smove(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  auto [source, source_wrong] = as_type<SetValue>(store.find(argv[1]));
  if (source == nullptr && !source_wrong) return out->integer(0);  // before the type checks
  if (source_wrong || as_type<SetValue>(store.find(argv[2])).wrong_type) {
    return out->error(kWrongType);
  }
  const auto member = source->find(HashedKeyRef::of(argv[3]));
  if (member == source->end()) return out->integer(0);
  if (argv[1] == argv[2]) return out->integer(1);  // a member moved onto itself
  // Creating the destination leaves `source` valid: the key space's map nodes never move.
  SetValue* destination = find_or_create<SetValue>(store, argv[2]).collection;
  destination->insert(source->extract(member));
  erase_if_empty(store, argv[1], *source);
  out->integer(1);
}

void execute_spop(KvStore& store, std::span<const std::string> argv, const WriteContext& context,
                  RespWriter* out) {
  const bool with_count = argv.size() == 3;
  auto [set, wrong_type] = as_type<SetValue>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (set == nullptr) return with_count ? out->array_header(0) : out->null_bulk();
  const size_t count =
      with_count ? std::min(static_cast<size_t>(*parse_int64(argv[2])), set->size()) : 1;
  if (with_count) out->array_header(count);
  // Derived from replicated data only: the key and this entry's log index.
  const uint64_t seed = key_hash(argv[1]) ^ mix(context.index);
  for (size_t i = 0; i < count; ++i) {
    auto it = member_at(*set, mix(seed + i));
    out->bulk(it->name);
    set->erase(it);
  }
  erase_if_empty(store, argv[1], *set);
}

}  // namespace

std::string validate_set_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kSpop:
      return validate_pop_count(argv, kSyntaxError);
    case CommandId::kSrandmember: {
      if (argv.size() > 3) return std::string(kSyntaxError);
      if (argv.size() == 3) {
        const auto count = parse_int64(argv[2]);
        if (!count) return std::string(kNotInteger);
        if (*count == INT64_MIN) {
          return "ERR value is out of range, must be between -9223372036854775807 and "
                 "9223372036854775807";
        }
        if (*count < -kMaxRandomMembersWithRepeats) {
          return "ERR count is out of range: raftkv returns at most " +
                 std::to_string(kMaxRandomMembersWithRepeats) + " members with repeats";
        }
      }
      return {};
    }
    default:
      return {};
  }
}

void execute_set_read(const KvStore& store, const CommandSpec& spec,
                      std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  if (spec.id == CommandId::kSinter || spec.id == CommandId::kSunion ||
      spec.id == CommandId::kSdiff) {
    return execute_set_algebra(store, spec, argv, now, out);
  }
  const auto [set, wrong_type] = as_type<SetValue>(store.find_live(argv[1], now));
  if (wrong_type) return out->error(kWrongType);
  switch (spec.id) {
    case CommandId::kSmembers:
      if (set == nullptr) return out->array_header(0);
      out->array_header(set->size());
      for (const auto& member : *set) out->bulk(member.name);
      return;
    case CommandId::kSismember:
      return out->integer(contains(set, argv[2]) ? 1 : 0);
    case CommandId::kSmismember:
      out->array_header(argv.size() - 2);
      for (size_t i = 2; i < argv.size(); ++i) out->integer(contains(set, argv[i]) ? 1 : 0);
      return;
    case CommandId::kScard:
      return out->integer(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
    case CommandId::kSrandmember:
      if (argv.size() == 2) {
        if (set == nullptr) return out->null_bulk();
        return out->bulk(member_at(*set, local_random())->name);
      }
      if (set == nullptr) return out->array_header(0);
      return write_random_members(*set, *parse_int64(argv[2]), out);
    default:
      return out->error("ERR internal error: not a set read");
  }
}

void execute_set_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       const WriteContext& context, RespWriter* out) {
  switch (spec.id) {
    case CommandId::kSadd: {
      auto [set, wrong_type] = find_or_create<SetValue>(store, argv[1]);
      if (wrong_type) return out->error(kWrongType);
      int64_t added = 0;
      for (size_t i = 2; i < argv.size(); ++i) {
        const auto ref = HashedKeyRef::of(argv[i]);
        auto at = set->lower_bound(ref);
        if (at != set->end() && at->hash == ref.hash && at->name == argv[i]) continue;
        set->emplace_hint(at, HashedKey{ref.hash, argv[i]});
        ++added;
      }
      return out->integer(added);
    }
    case CommandId::kSrem: {
      auto [set, wrong_type] = as_type<SetValue>(store.find(argv[1]));
      if (wrong_type) return out->error(kWrongType);
      if (set == nullptr) return out->integer(0);
      int64_t removed = 0;
      for (size_t i = 2; i < argv.size(); ++i) {
        auto it = set->find(HashedKeyRef::of(argv[i]));
        if (it == set->end()) continue;
        set->erase(it);
        ++removed;
      }
      erase_if_empty(store, argv[1], *set);
      return out->integer(removed);
    }
    case CommandId::kSpop:
      return execute_spop(store, argv, context, out);
    case CommandId::kSmove:
      return execute_smove(store, argv, out);
    case CommandId::kSinterstore:
    case CommandId::kSunionstore:
    case CommandId::kSdiffstore:
      return execute_set_store(store, spec, argv, context.now_ms, out);
    default:
      return out->error("ERR internal error: not a set write");
  }
}

}  // namespace raftkv::kv
