// Parsing of the sorted-set commands' options, with Redis 7.0's checks in its order (all of
// them before the key is looked up, so validate_zset_arguments can run them up front).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kv/commands.h"

namespace raftkv::kv {

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
struct ZaddArgs {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
  size_t first_pair = 2;  // argv index of the first score
};
std::string parse_zadd(std::span<const std::string> argv, ZaddArgs* args);

// A score interval, as "[(]number" bounds ("(" excludes it; "-inf"/"+inf" allowed).
struct ScoreRange {
  double min = 0, max = 0;
  bool min_exclusive = false, max_exclusive = false;
};
// Both bounds; false when either is not a float.
bool parse_score_range(std::string_view min, std::string_view max, ScoreRange* range);

// A member interval for the lex commands (ZRANGEBYLEX, ...): "[m" includes m, "(m"
// excludes it, "-" and "+" are the smallest and largest strings.
struct LexBound {
  enum Kind : uint8_t { kMinusInfinity, kPlusInfinity, kInclusive, kExclusive };
  Kind kind = kMinusInfinity;
  std::string value;
};
struct LexRange {
  LexBound min, max;
};
// Both bounds; false when either is not one of those forms.
bool parse_lex_range(std::string_view min, std::string_view max, LexRange* range);
inline constexpr std::string_view kNotLexRange = "ERR min or max not valid string range item";

// ZRANGE / ZREVRANGE / ZRANGEBYSCORE / ZREVRANGEBYSCORE / ZCOUNT / ZRANGESTORE: what to
// return (for ZRANGESTORE, parse argv without the destination: argv.subspan(1)).
struct RangeQuery {
  bool by_score = false;  // else by rank (or by member, by_lex)
  bool by_lex = false;
  bool reverse = false;
  bool with_scores = false;
  int64_t start = 0, stop = 0;  // by rank
  ScoreRange scores;            // by score
  LexRange members;             // by member
  int64_t offset = 0;           // LIMIT: skip this many (negative: return nothing)
  int64_t limit = -1;           // LIMIT: at most this many (negative: all)
};
std::string parse_range_query(const CommandSpec& spec, std::span<const std::string> argv,
                              RangeQuery* query);

}  // namespace raftkv::kv
