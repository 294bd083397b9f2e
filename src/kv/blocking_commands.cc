#include "kv/blocking_commands.h"

#include <cmath>

#include "kv/command_support.h"
#include "kv/float_format.h"
#include "kv/key_specs.h"
#include "kv/list_commands.h"
#include "kv/sorted_set.h"

namespace raftkv::kv {

namespace {

using enum CommandId;

// The arguments of LMPOP/ZMPOP (numkeys at argv[1]) and BLMPOP/BZMPOP (at argv[2]).
struct MpopArgs {
  size_t first = 0;  // argv indexes of the keys
  size_t last = 0;
  bool from_head = true;  // LEFT or MIN
  uint64_t count = 1;
};

bool is_mpop(CommandId id) {
  return id == kLmpop || id == kZmpop || id == kBlmpop || id == kBzmpop;
}

bool is_zset_pop(CommandId id) {
  return id == kBzpopmin || id == kBzpopmax || id == kBzmpop || id == kZmpop;
}

// Redis's lmpopGenericCommand/zmpopGenericCommand checks, in its order and texts.
std::string parse_mpop(const CommandSpec& spec, std::span<const std::string> argv, MpopArgs* out) {
  const size_t numkeys_at = spec.id == kLmpop || spec.id == kZmpop ? 1 : 2;
  const auto numkeys = parse_int64(argv[numkeys_at]);
  if (!numkeys || *numkeys < 1) return "ERR numkeys should be greater than 0";
  if (static_cast<uint64_t>(*numkeys) >= argv.size()) return std::string(kSyntaxError);
  const size_t where_at = numkeys_at + static_cast<size_t>(*numkeys) + 1;
  if (where_at >= argv.size()) return std::string(kSyntaxError);
  const bool zset = is_zset_pop(spec.id);
  if (equals_ci(argv[where_at], zset ? "min" : "left")) {
    out->from_head = true;
  } else if (equals_ci(argv[where_at], zset ? "max" : "right")) {
    out->from_head = false;
  } else {
    return std::string(kSyntaxError);
  }
  bool counted = false;
  for (size_t j = where_at + 1; j < argv.size(); ++j) {
    if (!counted && equals_ci(argv[j], "count") && j + 1 < argv.size()) {
      const auto count = parse_int64(argv[++j]);
      if (!count || *count < 1) return "ERR count should be greater than 0";
      out->count = static_cast<uint64_t>(*count);
      counted = true;
    } else {
      return std::string(kSyntaxError);
    }
  }
  out->first = numkeys_at + 1;
  out->last = where_at - 1;
  return {};
}

// Where the timeout argument is.
size_t timeout_at(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case kBrpoplpush:
      return 3;
    case kBlmove:
      return 5;
    case kBlmpop:
    case kBzmpop:
      return 1;
    default:
      return argv.size() - 1;  // BLPOP, BRPOP, BZPOPMIN, BZPOPMAX
  }
}

// Pops `count` elements (fewer if it has fewer) from one end of a list or sorted set.
void pop_list(ListValue& list, bool head, uint64_t count, bool with_header, RespWriter* out) {
  const size_t n = std::min<uint64_t>(count, list.size());
  if (with_header) out->array_header(n);
  for (size_t i = 0; i < n; ++i) {
    if (head) {
      out->bulk(list.front());
      list.pop_front();
    } else {
      out->bulk(list.back());
      list.pop_back();
    }
  }
}

void pop_zset(SortedSet& zset, bool min, uint64_t count, bool nested, RespWriter* out) {
  const size_t n = std::min<uint64_t>(count, zset.size());
  if (nested) out->array_header(n);
  for (size_t i = 0; i < n; ++i) {
    auto it = min ? zset.by_score().begin() : std::prev(zset.by_score().end());
    if (nested) out->array_header(2);
    out->bulk(it->member);
    out->bulk(format_double(it->score));
    zset.erase(it);
  }
}

// BLMOVE and BRPOPLPUSH: LMOVE and RPOPLPUSH without the timeout.
void execute_move(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  RespWriter* out) {
  const bool lmove = spec.id == kBlmove;
  std::vector<std::string> plain(argv.begin(), argv.end() - 1);
  plain[0] = lmove ? "lmove" : "rpoplpush";
  execute_list_write(store, *find_command(plain[0]), plain, out);
}

}  // namespace

bool is_blocking_pop(CommandId id) {
  switch (id) {
    case kBlpop:
    case kBrpop:
    case kBrpoplpush:
    case kBlmove:
    case kBlmpop:
    case kBzpopmin:
    case kBzpopmax:
    case kBzmpop:
      return true;
    default:
      return false;
  }
}

std::optional<uint64_t> parse_block_timeout(std::string_view s, std::string* error) {
  const auto seconds = parse_long_double(s);
  if (!seconds) {
    *error = "ERR timeout is not a float or out of range";
    return std::nullopt;
  }
  // Redis 7.0 converts the ms to a long long: values beyond its range come out negative.
  const long double ms = std::ceil(*seconds * 1000.0L);
  if (ms < 0 || !(ms < 9.2233720368547758e18L)) {
    *error = "ERR timeout is negative";
    return std::nullopt;
  }
  return static_cast<uint64_t>(ms);
}

std::string validate_pop_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  if (spec.id == kBlmove) {
    for (size_t i : {3, 4}) {
      if (!equals_ci(argv[i], "left") && !equals_ci(argv[i], "right")) {
        return std::string(kSyntaxError);
      }
    }
  }
  std::string error;
  if (is_blocking_pop(spec.id)) (void)parse_block_timeout(argv[timeout_at(spec, argv)], &error);
  if (error.empty() && is_mpop(spec.id)) {
    MpopArgs args;
    error = parse_mpop(spec, argv, &args);
  }
  return error;
}

std::optional<PopBlock> pop_block(const CommandSpec& spec, std::span<const std::string> argv) {
  if (!is_blocking_pop(spec.id) || !validate_pop_arguments(spec, argv).empty()) return std::nullopt;
  PopBlock block;
  block.zset = is_zset_pop(spec.id);
  std::string error;
  if (const uint64_t ms = *parse_block_timeout(argv[timeout_at(spec, argv)], &error); ms > 0) {
    block.timeout_ms = ms;
  }
  size_t first = 1, last = argv.size() - 2;                    // BLPOP, BRPOP, BZPOPMIN, BZPOPMAX
  if (spec.id == kBrpoplpush || spec.id == kBlmove) last = 1;  // waits for the source only
  if (const KeyRange range = numkeys_key_range(spec, argv); range.first > 0) {  // *MPOP
    first = range.first;
    last = range.last;
  }
  for (size_t i = first; i <= last; ++i) block.keys.push_back(i);
  return block;
}

void execute_pop_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       RespWriter* out) {
  if (spec.id == kBlmove || spec.id == kBrpoplpush) return execute_move(store, spec, argv, out);
  MpopArgs args;
  if (is_mpop(spec.id)) {
    (void)parse_mpop(spec, argv, &args);  // validated already
  } else {
    args.first = 1;
    args.last = argv.size() - 2;
    args.from_head = spec.id == kBlpop || spec.id == kBzpopmin;
  }
  const bool zset = is_zset_pop(spec.id);
  for (size_t i = args.first; i <= args.last; ++i) {
    Value* value = store.find(argv[i]);
    if (value == nullptr) continue;
    if (zset) {
      auto [set, wrong_type] = as_type<SortedSet>(value);
      if (wrong_type) return out->error(kWrongType);
      // BZPOPMIN/BZPOPMAX: key, member, score; BZMPOP/ZMPOP: key, [[member, score], ...].
      out->array_header(is_mpop(spec.id) ? 2 : 3);
      out->bulk(argv[i]);
      pop_zset(*set, args.from_head, args.count, is_mpop(spec.id), out);
      erase_if_empty(store, argv[i], *set);
    } else {
      auto [list, wrong_type] = as_type<ListValue>(value);
      if (wrong_type) return out->error(kWrongType);
      out->array_header(2);  // BLPOP/BRPOP: key, element; BLMPOP/LMPOP: key, [elements]
      out->bulk(argv[i]);
      pop_list(*list, args.from_head, args.count, is_mpop(spec.id), out);
      erase_if_empty(store, argv[i], *list);
    }
    return;
  }
  out->null_array();
}

}  // namespace raftkv::kv
