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
  if (!q.by_score) {
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
  const auto [first, last] = score_span(*zset, q.scores);
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

// ZREMRANGEBYSCORE key min max, ZREMRANGEBYRANK key start stop.
void execute_remrange(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                      RespWriter* out) {
  auto [zset, wrong_type] = as_type<SortedSet>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (zset == nullptr) return out->integer(0);
  RangeQuery query;
  query.by_score = spec.id == CommandId::kZremrangebyscore;
  if (query.by_score) {
    parse_score_range(argv[2], argv[3], &query.scores);
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

}  // namespace

std::string validate_zset_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
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
    case CommandId::kZrevrangebyscore: {
      RangeQuery query;
      return parse_range_query(spec, argv, &query);
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
    case CommandId::kZpopmin:
    case CommandId::kZpopmax:
      return validate_pop_count(argv, kSyntaxError);
    default:
      return {};
  }
}

void execute_zset_read(const KvStore& store, const CommandSpec& spec,
                       std::span<const std::string> argv, uint64_t now, RespWriter* out) {
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
    case CommandId::kZrange:
    case CommandId::kZrevrange:
    case CommandId::kZrangebyscore:
    case CommandId::kZrevrangebyscore: {
      RangeQuery query;
      (void)parse_range_query(spec, argv, &query);  // validated already
      return write_entries(select_range(zset, query), query.with_scores, out);
    }
    default:
      return out->error("ERR internal error: not a sorted-set read");
  }
}

void execute_zset_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        RespWriter* out) {
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
