#include "kv/zset_commands.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "kv/blocking_commands.h"
#include "kv/command_support.h"
#include "kv/float_format.h"
#include "kv/int_parse.h"
#include "kv/key_specs.h"
#include "kv/random_reply.h"
#include "kv/zset_args.h"

namespace raftkv::kv {

namespace {

constexpr std::string_view kNaNScore = "ERR resulting score is not a number (NaN)";

using Order = SortedSet::Order;

// The entries whose score lies in `range`: [first, last) in ascending order.
std::pair<Order::const_iterator, Order::const_iterator> score_span(const SortedSet& zset,
                                                                   const ScoreRange& range) {
  const Order& order = zset.by_score();
  auto first = order.lower_bound(SortedSet::ScoreProbe{range.min, range.min_exclusive});
  auto last = order.lower_bound(SortedSet::ScoreProbe{range.max, !range.max_exclusive});
  // An empty or inverted interval can put `first` after `last`.
  if (last != order.end() && (first == order.end() || SortedSet::EntryLess()(*last, *first))) {
    return {last, last};
  }
  return {first, last};
}

// Whether `member` is at or after the range's min, at or before its max.
bool after_min(std::string_view member, const LexBound& min) {
  switch (min.kind) {
    case LexBound::kMinusInfinity:
      return true;
    case LexBound::kPlusInfinity:
      return false;
    case LexBound::kInclusive:
      return member >= min.value;
    case LexBound::kExclusive:
      return member > min.value;
  }
  return false;
}
bool before_max(std::string_view member, const LexBound& max) {
  switch (max.kind) {
    case LexBound::kMinusInfinity:
      return false;
    case LexBound::kPlusInfinity:
      return true;
    case LexBound::kInclusive:
      return member <= max.value;
    case LexBound::kExclusive:
      return member < max.value;
  }
  return false;
}

// The entries whose member lies in `range`: [first, last) in ascending order. As in Redis,
// the lex commands assume equal scores (then member order is the set's order, and the span
// is found in O(log n)). With mixed scores, raftkv does what Redis does on a small sorted
// set (a listpack): nothing unless the last entry is at or after min and the first at or
// before max; then the run from the first entry at or after min while entries stay at or
// before max (the reverse commands: from the last entry at or before max, backwards while
// entries stay at or after min).
std::pair<Order::const_iterator, Order::const_iterator> lex_span(const SortedSet& zset,
                                                                 const LexRange& range,
                                                                 bool reverse) {
  const Order& order = zset.by_score();
  const auto none = std::make_pair(order.end(), order.end());
  if (order.empty()) return none;
  if (order.begin()->score == order.rbegin()->score) {
    const double score = order.begin()->score;
    const auto bound = [&](const LexBound& b, bool lower) {
      if (b.kind == LexBound::kMinusInfinity) return order.begin();
      if (b.kind == LexBound::kPlusInfinity) return order.end();
      const SortedSet::EntryRef probe{score, b.value};
      return lower ? order.lower_bound(probe) : order.upper_bound(probe);
    };
    const auto first = bound(range.min, range.min.kind == LexBound::kInclusive);
    const auto last = bound(range.max, range.max.kind == LexBound::kExclusive);
    // An empty or inverted interval can put `first` after `last`.
    if (last != order.end() && (first == order.end() || SortedSet::EntryLess()(*last, *first))) {
      return none;
    }
    return {first, last};
  }
  if (!after_min(order.rbegin()->member, range.min) ||
      !before_max(order.begin()->member, range.max)) {
    return none;
  }
  const auto in_min = [&](const auto& entry) { return after_min(entry.member, range.min); };
  const auto in_max = [&](const auto& entry) { return before_max(entry.member, range.max); };
  if (!reverse) {
    const auto first = std::find_if(order.begin(), order.end(), in_min);
    return {first, std::find_if_not(first, order.end(), in_max)};
  }
  const auto rlast = std::find_if(order.rbegin(), order.rend(), in_max);
  const auto rfirst = std::find_if_not(rlast, order.rend(), in_min);
  return {rfirst.base(), rlast.base()};
}

void write_entries(const std::vector<const SortedSet::Entry*>& entries, bool with_scores,
                   RespWriter* out) {
  out->array_header(entries.size() * (with_scores ? 2 : 1));
  for (const auto* entry : entries) {
    out->bulk(entry->member);
    if (with_scores) out->bulk(format_double(entry->score));
  }
}

// The entries a ZRANGE-family query selects, in reply order.
std::vector<const SortedSet::Entry*> select_range(const SortedSet* zset, const RangeQuery& q) {
  std::vector<const SortedSet::Entry*> entries;
  if (zset == nullptr) return entries;
  if (!q.by_score && !q.by_lex) {
    // Redis's rank rules (as LRANGE's): negative ranks count from the end, clamped.
    const auto size = static_cast<int64_t>(zset->size());
    int64_t start = q.start < 0 ? q.start + size : q.start;
    int64_t stop = q.stop < 0 ? q.stop + size : q.stop;
    start = std::max<int64_t>(start, 0);
    if (start <= stop && start < size) {
      stop = std::min(stop, size - 1);
      const auto take = static_cast<size_t>(stop - start + 1);
      entries.reserve(take);
      const auto collect = [&](auto it) {
        std::advance(it, start);
        for (size_t i = 0; i < take; ++i, ++it) entries.push_back(&*it);
      };
      if (q.reverse) {
        collect(zset->by_score().rbegin());
      } else {
        collect(zset->by_score().begin());
      }
    }
    return entries;
  }
  const auto [first, last] =
      q.by_lex ? lex_span(*zset, q.members, q.reverse) : score_span(*zset, q.scores);
  const auto collect = [&](auto it, auto end) {
    if (q.offset < 0) return;
    for (int64_t skip = q.offset; skip > 0 && it != end; --skip) ++it;
    for (int64_t n = 0; it != end && (q.limit < 0 || n < q.limit); ++it, ++n) {
      entries.push_back(&*it);
    }
  };
  if (q.reverse) {
    collect(std::make_reverse_iterator(last), std::make_reverse_iterator(first));
  } else {
    collect(first, last);
  }
  return entries;
}

// ZADD's per-member step (Redis's zsetAdd): the score the member ends with, nothing when
// this member was left alone, or NaN (INCR produced one; nothing changed).
struct AddOutcome {
  bool added = false;
  bool updated = false;
  std::optional<double> score;
};
AddOutcome add_member(SortedSet& zset, const ZaddArgs& args, double score,
                      std::string_view member) {
  AddOutcome outcome;
  if (const auto current = zset.score(member)) {
    if (args.nx) return outcome;
    if (args.incr) score += *current;
    if (std::isnan(score)) {
      outcome.score = score;
      return outcome;
    }
    if ((args.lt && score >= *current) || (args.gt && score <= *current)) return outcome;
    outcome.score = score;
    outcome.updated = score != *current;
    if (outcome.updated) zset.set(member, score);
    return outcome;
  }
  if (args.xx) return outcome;
  zset.set(member, score);
  outcome.added = true;
  outcome.score = score;
  return outcome;
}

void execute_zadd(KvStore& store, const ZaddArgs& args, std::span<const std::string> argv,
                  RespWriter* out) {
  Typed<SortedSet> found = as_type<SortedSet>(store.find(argv[1]));
  if (found.wrong_type) return out->error(kWrongType);
  if (found.collection == nullptr) {
    if (args.xx) return args.incr ? out->null_bulk() : out->integer(0);
    found = find_or_create<SortedSet>(store, argv[1]);
  }
  SortedSet& zset = *found.collection;
  int64_t added = 0;
  int64_t updated = 0;
  std::optional<double> last_score;
  for (size_t i = args.first_pair; i + 1 < argv.size(); i += 2) {
    const AddOutcome outcome = add_member(zset, args, *parse_double(argv[i]), argv[i + 1]);
    if (outcome.score && std::isnan(*outcome.score)) {
      erase_if_empty(store, argv[1], zset);
      return out->error(kNaNScore);
    }
    added += outcome.added ? 1 : 0;
    updated += outcome.updated ? 1 : 0;
    if (outcome.score) last_score = outcome.score;
  }
  if (args.incr) return last_score ? out->bulk(format_double(*last_score)) : out->null_bulk();
  out->integer(args.ch ? added + updated : added);
}

void execute_pop(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                 RespWriter* out) {
  auto [zset, wrong_type] = as_type<SortedSet>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (zset == nullptr) return out->array_header(0);
  const size_t count = std::min(
      argv.size() == 3 ? static_cast<size_t>(*parse_int64(argv[2])) : size_t{1}, zset->size());
  out->array_header(count * 2);
  for (size_t i = 0; i < count; ++i) {
    auto it = spec.id == CommandId::kZpopmin ? zset->by_score().begin()
                                             : std::prev(zset->by_score().end());
    out->bulk(it->member);
    out->bulk(format_double(it->score));
    zset->erase(it);
  }
  erase_if_empty(store, argv[1], *zset);
}

// ZRANGESTORE destination source ...: the destination (of any type) is replaced by the
// selected entries, or deleted when there are none; its deadline is dropped.
void execute_rangestore(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        RespWriter* out) {
  RangeQuery query;
  (void)parse_range_query(spec, argv.subspan(1), &query);  // validated already
  const auto [source, wrong_type] = as_type<SortedSet>(store.find(argv[2]));
  if (wrong_type) return out->error(kWrongType);
  auto result = std::make_unique<SortedSet>();
  for (const auto* entry : select_range(source, query)) result->set(entry->member, entry->score);
  out->integer(store_collection(store, argv[1], std::move(result)));
}

// ZREMRANGEBYSCORE key min max, ZREMRANGEBYLEX key min max, ZREMRANGEBYRANK key start stop.
void execute_remrange(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                      RespWriter* out) {
  auto [zset, wrong_type] = as_type<SortedSet>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (zset == nullptr) return out->integer(0);
  RangeQuery query;
  query.by_score = spec.id == CommandId::kZremrangebyscore;
  query.by_lex = spec.id == CommandId::kZremrangebylex;
  if (query.by_score) {
    parse_score_range(argv[2], argv[3], &query.scores);
  } else if (query.by_lex) {
    parse_lex_range(argv[2], argv[3], &query.members);
  } else {
    query.start = *parse_int64(argv[2]);
    query.stop = *parse_int64(argv[3]);
  }
  std::vector<std::string> members;
  for (const auto* entry : select_range(zset, query)) members.push_back(entry->member);
  for (const auto& member : members) zset->erase(member);
  erase_if_empty(store, argv[1], *zset);
  out->integer(static_cast<int64_t>(members.size()));
}

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD: Redis's zunionInterDiff.
struct AlgebraArgs {
  KeyRange keys;
  std::vector<double> weights;
  enum Aggregate : uint8_t { kSum, kMin, kMax } aggregate = kSum;
  bool with_scores = false;
  uint64_t limit = 0;  // ZINTERCARD; 0: none
};

bool is_store(CommandId id) {
  return id == CommandId::kZunionstore || id == CommandId::kZinterstore ||
         id == CommandId::kZdiffstore;
}

// The options after the keys, checked (as Redis) only once every key's type was.
std::string parse_algebra_options(CommandId id, std::span<const std::string> argv,
                                  AlgebraArgs* args) {
  const bool diff = id == CommandId::kZdiff || id == CommandId::kZdiffstore;
  const bool card = id == CommandId::kZintercard;
  const size_t n = args->keys.last - args->keys.first + 1;
  args->weights.assign(n, 1.0);
  for (size_t j = args->keys.last + 1; j < argv.size();) {
    const size_t remaining = argv.size() - j;
    if (!diff && !card && remaining >= n + 1 && equals_ci(argv[j], "weights")) {
      for (size_t i = 0; i < n; ++i) {
        const auto weight = parse_double(argv[j + 1 + i]);
        if (!weight) return "ERR weight value is not a float";
        args->weights[i] = *weight;
      }
      j += n + 1;
    } else if (!diff && !card && remaining >= 2 && equals_ci(argv[j], "aggregate")) {
      if (equals_ci(argv[j + 1], "sum")) {
        args->aggregate = AlgebraArgs::kSum;
      } else if (equals_ci(argv[j + 1], "min")) {
        args->aggregate = AlgebraArgs::kMin;
      } else if (equals_ci(argv[j + 1], "max")) {
        args->aggregate = AlgebraArgs::kMax;
      } else {
        return std::string(kSyntaxError);
      }
      j += 2;
    } else if (!is_store(id) && !card && equals_ci(argv[j], "withscores")) {
      args->with_scores = true;
      j += 1;
    } else if (card && remaining >= 2 && equals_ci(argv[j], "limit")) {
      const auto limit = parse_int64(argv[j + 1]);
      if (!limit || *limit < 0) return "ERR LIMIT can't be negative";
      args->limit = static_cast<uint64_t>(*limit);
      j += 2;
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

void aggregate_into(double* target, double value, AlgebraArgs::Aggregate aggregate) {
  if (aggregate == AlgebraArgs::kSum) {
    *target += value;
    if (std::isnan(*target)) *target = 0;  // inf + -inf, as Redis
  } else if (aggregate == AlgebraArgs::kMin) {
    *target = value < *target ? value : *target;
  } else {
    *target = value > *target ? value : *target;
  }
}

// One input: a sorted set, a plain set (every member scores 1), or a missing key (empty).
struct AlgebraInput {
  const SortedSet* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1;

  size_t size() const { return zset ? zset->size() : set ? set->size() : 0; }
  std::optional<double> score(std::string_view member) const {
    if (zset != nullptr) return zset->score(member);
    if (set != nullptr && set->find(HashedKeyRef::of(member)) != set->end()) return 1.0;
    return std::nullopt;
  }
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (zset != nullptr) {
      for (const auto& entry : zset->by_score()) fn(std::string_view(entry.member), entry.score);
    } else if (set != nullptr) {
      for (const auto& member : *set) fn(std::string_view(member.name), 1.0);
    }
  }
};

void execute_algebra(const KvStore& store, const CommandSpec& spec,
                     std::span<const std::string> argv, uint64_t now, KvStore* target,
                     RespWriter* out) {
  AlgebraArgs args;
  args.keys = numkeys_key_range(spec, argv);
  std::vector<AlgebraInput> inputs;
  for (size_t i = args.keys.first; i <= args.keys.last; ++i) {
    const Value* value = store.find_live(argv[i], now);
    AlgebraInput input;
    if (value != nullptr) {
      input.zset = collection_of<SortedSet>(value);
      input.set = collection_of<SetValue>(value);
      if (input.zset == nullptr && input.set == nullptr) return out->error(kWrongType);
    }
    inputs.push_back(input);
  }
  if (const auto error = parse_algebra_options(spec.id, argv, &args); !error.empty()) {
    return out->error(error);
  }
  for (size_t i = 0; i < inputs.size(); ++i) inputs[i].weight = args.weights[i];
  const auto weighted = [](double score, double weight) {
    const double product = score * weight;
    return std::isnan(product) ? 0.0 : product;
  };
  auto result = std::make_unique<SortedSet>();
  uint64_t cardinality = 0;
  switch (spec.id) {
    case CommandId::kZunion:
    case CommandId::kZunionstore:
      for (const auto& input : inputs) {
        input.for_each([&](std::string_view member, double score) {
          const double value = weighted(score, input.weight);
          if (const auto current = result->score(member)) {
            double aggregated = *current;
            aggregate_into(&aggregated, value, args.aggregate);
            result->set(member, aggregated);
          } else {
            result->set(member, value);
          }
        });
      }
      break;
    case CommandId::kZdiff:
    case CommandId::kZdiffstore:
      inputs[0].for_each([&](std::string_view member, double score) {
        const bool elsewhere = std::any_of(inputs.begin() + 1, inputs.end(), [&](const auto& in) {
          return in.score(member).has_value();
        });
        if (!elsewhere) result->set(member, score);
      });
      break;
    default: {  // ZINTER, ZINTERSTORE, ZINTERCARD: walk the smallest input
      std::stable_sort(inputs.begin(), inputs.end(),
                       [](const auto& a, const auto& b) { return a.size() < b.size(); });
      bool done = false;
      inputs[0].for_each([&](std::string_view member, double score) {
        if (done) return;
        double aggregated = weighted(score, inputs[0].weight);
        for (size_t j = 1; j < inputs.size(); ++j) {
          const auto other = inputs[j].score(member);
          if (!other) return;
          aggregate_into(&aggregated, *other * inputs[j].weight, args.aggregate);
        }
        if (spec.id != CommandId::kZintercard) return (void)result->set(member, aggregated);
        ++cardinality;
        done = args.limit != 0 && cardinality >= args.limit;
      });
    }
  }
  if (spec.id == CommandId::kZintercard) return out->integer(static_cast<int64_t>(cardinality));
  if (target != nullptr) return out->integer(store_collection(*target, argv[1], std::move(result)));
  out->array_header(result->size() * (args.with_scores ? 2 : 1));
  for (const auto& entry : result->by_score()) {
    out->bulk(entry.member);
    if (args.with_scores) out->bulk(format_double(entry.score));
  }
}

// Redis's checks before it looks the keys up: numkeys.
std::string validate_algebra(const CommandSpec& spec, std::span<const std::string> argv) {
  const size_t numkeys_at = is_store(spec.id) ? 2 : 1;
  const auto numkeys = parse_int64(argv[numkeys_at]);
  if (!numkeys) return std::string(kNotInteger);
  if (*numkeys < 1) {
    return "ERR at least 1 input key is needed for '" + std::string(spec.name) + "' command";
  }
  if (static_cast<uint64_t>(*numkeys) > argv.size() - numkeys_at - 1) {
    return std::string(kSyntaxError);
  }
  return {};
}

}  // namespace

bool is_zset_algebra(CommandId id) {
  return (id >= CommandId::kZunion && id <= CommandId::kZintercard);
}

std::string validate_zset_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  if (is_zset_algebra(spec.id)) return validate_algebra(spec, argv);
  switch (spec.id) {
    case CommandId::kZadd: {
      ZaddArgs args;
      return parse_zadd(argv, &args);
    }
    case CommandId::kZincrby:
      if (!parse_double(argv[2])) return std::string(kNotFloat);
      return {};
    case CommandId::kZrange:
    case CommandId::kZrevrange:
    case CommandId::kZrangebyscore:
    case CommandId::kZrevrangebyscore:
    case CommandId::kZrangebylex:
    case CommandId::kZrevrangebylex: {
      RangeQuery query;
      return parse_range_query(spec, argv, &query);
    }
    case CommandId::kZlexcount:
    case CommandId::kZremrangebylex: {
      LexRange range;
      if (!parse_lex_range(argv[2], argv[3], &range)) return std::string(kNotLexRange);
      return {};
    }
    case CommandId::kZcount:
    case CommandId::kZremrangebyscore: {
      ScoreRange range;
      if (!parse_score_range(argv[2], argv[3], &range)) return "ERR min or max is not a float";
      return {};
    }
    case CommandId::kZremrangebyrank:
      if (!parse_int64(argv[2]) || !parse_int64(argv[3])) return std::string(kNotInteger);
      return {};
    case CommandId::kZrangestore: {
      RangeQuery query;
      return parse_range_query(spec, argv.subspan(1), &query);
    }
    case CommandId::kZrandmember:
      return validate_random_count(argv, "withscores");
    case CommandId::kZpopmin:
    case CommandId::kZpopmax:
      return validate_pop_count(argv, kSyntaxError);
    default:
      return {};
  }
}

void execute_zset_read(const KvStore& store, const CommandSpec& spec,
                       std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  if (is_zset_algebra(spec.id)) return execute_algebra(store, spec, argv, now, nullptr, out);
  const auto [zset, wrong_type] = as_type<SortedSet>(store.find_live(argv[1], now));
  if (wrong_type) return out->error(kWrongType);
  const auto score_of = [&](std::string_view member) -> std::optional<double> {
    return zset == nullptr ? std::nullopt : zset->score(member);
  };
  switch (spec.id) {
    case CommandId::kZscore:
      if (const auto score = score_of(argv[2])) return out->bulk(format_double(*score));
      return out->null_bulk();
    case CommandId::kZmscore:
      out->array_header(argv.size() - 2);
      for (size_t i = 2; i < argv.size(); ++i) {
        if (const auto score = score_of(argv[i])) {
          out->bulk(format_double(*score));
        } else {
          out->null_bulk();
        }
      }
      return;
    case CommandId::kZcard:
      return out->integer(zset == nullptr ? 0 : static_cast<int64_t>(zset->size()));
    case CommandId::kZrank:
    case CommandId::kZrevrank: {
      const auto rank = zset == nullptr ? std::nullopt : zset->rank(argv[2]);
      if (!rank) return out->null_bulk();
      const size_t r = spec.id == CommandId::kZrank ? *rank : zset->size() - 1 - *rank;
      return out->integer(static_cast<int64_t>(r));
    }
    case CommandId::kZcount: {
      if (zset == nullptr) return out->integer(0);
      ScoreRange range;
      parse_score_range(argv[2], argv[3], &range);
      const auto [first, last] = score_span(*zset, range);
      return out->integer(static_cast<int64_t>(std::distance(first, last)));
    }
    case CommandId::kZlexcount: {
      if (zset == nullptr) return out->integer(0);
      LexRange range;
      parse_lex_range(argv[2], argv[3], &range);
      const auto [first, last] = lex_span(*zset, range, false);
      return out->integer(static_cast<int64_t>(std::distance(first, last)));
    }
    case CommandId::kZrange:
    case CommandId::kZrevrange:
    case CommandId::kZrangebyscore:
    case CommandId::kZrevrangebyscore:
    case CommandId::kZrangebylex:
    case CommandId::kZrevrangebylex: {
      RangeQuery query;
      (void)parse_range_query(spec, argv, &query);  // validated already
      return write_entries(select_range(zset, query), query.with_scores, out);
    }
    case CommandId::kZrandmember: {
      if (argv.size() == 2) {
        if (zset == nullptr) return out->null_bulk();
        return out->bulk(pick_uniform(zset->by_score(), local_random())->member);
      }
      const int64_t count = *parse_int64(argv[2]);
      if (zset == nullptr || count == 0) return out->array_header(0);
      const bool with_scores = argv.size() == 4;
      const auto write = [&](auto it) {
        out->bulk(it->member);
        if (with_scores) out->bulk(format_double(it->score));
      };
      if (count >= static_cast<int64_t>(zset->size())) {  // all: Redis 7.0 lists it from the top
        out->array_header(zset->size() * (with_scores ? 2 : 1));
        for (auto it = zset->by_score().rbegin(); it != zset->by_score().rend(); ++it) write(it);
        return;
      }
      return write_random_picks(zset->by_score(), count, with_scores ? 2 : 1, out, write);
    }
    default:
      return out->error("ERR internal error: not a sorted-set read");
  }
}

void execute_zset_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        uint64_t now, RespWriter* out) {
  if (is_store(spec.id)) return execute_algebra(store, spec, argv, now, &store, out);
  switch (spec.id) {
    case CommandId::kZadd: {
      ZaddArgs args;
      (void)parse_zadd(argv, &args);  // validated already
      return execute_zadd(store, args, argv, out);
    }
    case CommandId::kZincrby: {
      // ZINCRBY key increment member is ZADD key INCR increment member.
      ZaddArgs args;
      args.incr = true;
      return execute_zadd(store, args, argv, out);
    }
    case CommandId::kZrem: {
      auto [zset, wrong_type] = as_type<SortedSet>(store.find(argv[1]));
      if (wrong_type) return out->error(kWrongType);
      if (zset == nullptr) return out->integer(0);
      int64_t removed = 0;
      for (size_t i = 2; i < argv.size(); ++i) removed += zset->erase(argv[i]) ? 1 : 0;
      erase_if_empty(store, argv[1], *zset);
      return out->integer(removed);
    }
    case CommandId::kZpopmin:
    case CommandId::kZpopmax:
      return execute_pop(store, spec, argv, out);
    case CommandId::kZremrangebylex:
    case CommandId::kZremrangebyscore:
    case CommandId::kZremrangebyrank:
      return execute_remrange(store, spec, argv, out);
    case CommandId::kZrangestore:
      return execute_rangestore(store, spec, argv, out);
    default:  // BLPOP, LMPOP, ... (blocking_commands.h)
      return execute_pop_write(store, spec, argv, out);
  }
}

}  // namespace raftkv::kv
