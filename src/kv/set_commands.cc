#include "kv/set_commands.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "kv/int_parse.h"
#include "kv/key_specs.h"
#include "kv/random_pick.h"
#include "kv/value_encoding.h"

namespace raftkv::kv {

namespace {

// SplitMix64's finalizer: spreads consecutive inputs (log indexes) over all 64 bits.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool contains(const SetValue* set, std::string_view member) {
  return set != nullptr && set->find(HashedKeyRef::of(member)) != set->end();
}

// SINTERCARD numkeys key... [LIMIT limit]: the intersection's size, counted up to the
// limit (0: none). Every key is type-checked first; a missing key is an empty set.
void execute_sintercard(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                        RespWriter* out) {
  const KeyRange keys = numkeys_key_range(*find_command("sintercard"), argv);
  uint64_t limit = 0;
  for (size_t i = keys.last + 1; i + 1 < argv.size(); i += 2) limit = *parse_uint64(argv[i + 1]);
  std::vector<const SetValue*> sets;
  bool any_missing = false;
  for (size_t i = keys.first; i <= keys.last; ++i) {
    const auto [set, wrong_type] = as_type<SetValue>(store.find_live(argv[i], now));
    if (wrong_type) return out->error(kWrongType);
    any_missing = any_missing || set == nullptr;
    sets.push_back(set);
  }
  if (any_missing) return out->integer(0);
  // Walk the smallest set, look the members up in the others.
  std::sort(sets.begin(), sets.end(),
            [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  int64_t count = 0;
  for (const auto& member : *sets[0]) {
    const bool everywhere = std::all_of(sets.begin() + 1, sets.end(), [&](const SetValue* other) {
      return other->find(HashedKeyRef{member.hash, member.name}) != other->end();
    });
    if (!everywhere) continue;
    if (++count == static_cast<int64_t>(limit)) break;
  }
  out->integer(count);
}

std::string validate_sintercard(std::span<const std::string> argv) {
  const auto numkeys = parse_int64(argv[1]);
  if (!numkeys || *numkeys <= 0) return "ERR numkeys should be greater than 0";
  if (static_cast<uint64_t>(*numkeys) > argv.size() - 2) {
    return "ERR Number of keys can't be greater than number of args";
  }
  for (size_t i = 2 + static_cast<size_t>(*numkeys); i < argv.size(); ++i) {
    if (!equals_ci(argv[i], "limit") || i + 1 == argv.size()) return std::string(kSyntaxError);
    const auto limit = parse_int64(argv[++i]);
    if (!limit || *limit < 0) return "ERR LIMIT can't be negative";
  }
  return {};
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

// Redis builds the result as a new set (or, for SINTER, replies in the order of the
// smallest set, an intset when the result is all integers but for ties): an intset when
// it can be one.
bool set_algebra_result(const KvStore& store, CommandId id, std::span<const std::string> keys,
                        uint64_t now, SetValue* result) {
  if (!set_algebra(store, id, keys, now, result)) return false;
  result->hashtable = !fits_intset(*result);
  return true;
}

void write_members(const SetValue& set, bool intset, RespWriter* out) {
  out->array_header(set.size());
  for (const HashedKey* member : set_reply_order(set, intset)) out->bulk(member->name);
}

void execute_set_algebra(const KvStore& store, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  SetValue result;
  if (!set_algebra_result(store, spec.id, argv.subspan(1), now, &result)) {
    return out->error(kWrongType);
  }
  write_members(result, !result.hashtable, out);
}

// SINTERSTORE, SUNIONSTORE, SDIFFSTORE destination key...: the destination (of any type)
// is replaced by the result, or deleted when it is empty; its deadline is dropped.
void execute_set_store(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       uint64_t now, RespWriter* out) {
  auto result = std::make_unique<SetValue>();
  if (!set_algebra_result(store, spec.id, argv.subspan(2), now, result.get())) {
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
  note_set_member_added(destination, argv[3]);
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
  if (!with_count) {
    // Derived from replicated data only: the key and this entry's log index.
    SeededRandom random(key_hash(argv[1]) ^ mix(context.index));
    auto it = pick_uniform(*set, random);
    out->bulk(it->name);
    set->erase(it);
    return erase_if_empty(store, argv[1], *set);
  }
  // The order Redis 7.0 replies in: popping all, it returns a new set built from the
  // members (an intset if it can be one); leaving few behind (a fifth of those popped at
  // most), it returns what remains of the original set in that set's order; else the
  // members in the order they were picked.
  const size_t left = set->size() - count;
  const bool ascending = left == 0 ? fits_intset(*set) : !set->hashtable && left * 5 <= count;
  SetValue popped;
  SeededRandom random(key_hash(argv[1]) ^ mix(context.index));
  std::vector<std::string> in_pick_order;
  for (size_t i = 0; i < count; ++i) {
    auto node = set->extract(pick_uniform(*set, random));
    if (!ascending) in_pick_order.push_back(node.value().name);
    popped.insert(std::move(node));
  }
  erase_if_empty(store, argv[1], *set);
  if (ascending) return write_members(popped, true, out);
  out->array_header(in_pick_order.size());
  for (const std::string& name : in_pick_order) out->bulk(name);
}

}  // namespace

std::string validate_set_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kSpop:
      return validate_pop_count(argv, kSyntaxError);
    case CommandId::kSrandmember:
      if (argv.size() > 3) return std::string(kSyntaxError);
      return validate_random_count(argv, {});
    case CommandId::kSintercard:
      return validate_sintercard(argv);
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
  if (spec.id == CommandId::kSintercard) return execute_sintercard(store, argv, now, out);
  const auto [set, wrong_type] = as_type<SetValue>(store.find_live(argv[1], now));
  if (wrong_type) return out->error(kWrongType);
  switch (spec.id) {
    case CommandId::kSmembers:
      if (set == nullptr) return out->array_header(0);
      return write_members(*set, !set->hashtable, out);
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
        return out->bulk(pick_uniform(*set, local_random())->name);
      }
      if (set == nullptr) return out->array_header(0);
      if (const int64_t count = *parse_int64(argv[2]); count >= static_cast<int64_t>(set->size())) {
        return write_members(*set, !set->hashtable, out);  // all of it, in its order
      }
      return write_random_picks(*set, *parse_int64(argv[2]), 1, out,
                                [&](auto it) { out->bulk(it->name); });
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
        note_set_member_added(set, argv[i]);
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
