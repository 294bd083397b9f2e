#include "kv/zset_args.h"

#include <utility>

#include "kv/command_support.h"
#include "kv/float_format.h"
#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

bool parse_bound(std::string_view text, double* value, bool* exclusive) {
  *exclusive = !text.empty() && text[0] == '(';
  const auto parsed = parse_range_double(*exclusive ? text.substr(1) : text);
  if (!parsed) return false;
  *value = *parsed;
  return true;
}

bool parse_lex_bound(std::string_view text, LexBound* bound) {
  if (text == "-" || text == "+") {
    bound->kind = text == "-" ? LexBound::kMinusInfinity : LexBound::kPlusInfinity;
    return true;
  }
  if (text.empty() || (text[0] != '[' && text[0] != '(')) return false;
  bound->kind = text[0] == '[' ? LexBound::kInclusive : LexBound::kExclusive;
  bound->value = std::string(text.substr(1));
  return true;
}

}  // namespace

bool parse_lex_range(std::string_view min, std::string_view max, LexRange* range) {
  return parse_lex_bound(min, &range->min) && parse_lex_bound(max, &range->max);
}

std::string parse_zadd(std::span<const std::string> argv, ZaddArgs* args) {
  size_t i = 2;
  for (; i < argv.size(); ++i) {
    const std::string& opt = argv[i];
    if (equals_ci(opt, "nx")) {
      args->nx = true;
    } else if (equals_ci(opt, "xx")) {
      args->xx = true;
    } else if (equals_ci(opt, "ch")) {
      args->ch = true;
    } else if (equals_ci(opt, "incr")) {
      args->incr = true;
    } else if (equals_ci(opt, "gt")) {
      args->gt = true;
    } else if (equals_ci(opt, "lt")) {
      args->lt = true;
    } else {
      break;
    }
  }
  args->first_pair = i;
  const size_t elements = argv.size() - i;
  if (elements == 0 || elements % 2 != 0) return std::string(kSyntaxError);
  if (args->nx && args->xx) return "ERR XX and NX options at the same time are not compatible";
  if ((args->gt && args->nx) || (args->lt && args->nx) || (args->gt && args->lt)) {
    return "ERR GT, LT, and/or NX options at the same time are not compatible";
  }
  if (args->incr && elements > 2) return "ERR INCR option supports a single increment-element pair";
  for (size_t j = i; j < argv.size(); j += 2) {
    if (!parse_double(argv[j])) return std::string(kNotFloat);
  }
  return {};
}

bool parse_score_range(std::string_view min, std::string_view max, ScoreRange* range) {
  return parse_bound(min, &range->min, &range->min_exclusive) &&
         parse_bound(max, &range->max, &range->max_exclusive);
}

std::string parse_range_query(const CommandSpec& spec, std::span<const std::string> argv,
                              RangeQuery* query) {
  // ZRANGE decides rank/score and direction from its options; the older commands fix them.
  // ZRANGESTORE (given argv without its destination) takes ZRANGE's options but WITHSCORES.
  const bool store = spec.id == CommandId::kZrangestore;
  bool type_fixed = spec.id != CommandId::kZrange && !store;
  bool direction_fixed = type_fixed;
  query->by_score = spec.id == CommandId::kZrangebyscore || spec.id == CommandId::kZrevrangebyscore;
  query->by_lex = spec.id == CommandId::kZrangebylex || spec.id == CommandId::kZrevrangebylex;
  query->reverse = spec.id == CommandId::kZrevrange || spec.id == CommandId::kZrevrangebyscore ||
                   spec.id == CommandId::kZrevrangebylex;
  for (size_t j = 4; j < argv.size(); ++j) {
    const size_t left = argv.size() - j - 1;
    if (!store && equals_ci(argv[j], "withscores")) {
      query->with_scores = true;
    } else if (equals_ci(argv[j], "limit") && left >= 2) {
      const auto offset = parse_int64(argv[j + 1]);
      const auto limit = parse_int64(argv[j + 2]);
      if (!offset || !limit) return std::string(kNotInteger);
      query->offset = *offset;
      query->limit = *limit;
      j += 2;
    } else if (!direction_fixed && equals_ci(argv[j], "rev")) {
      query->reverse = true;
      direction_fixed = true;
    } else if (!type_fixed && equals_ci(argv[j], "byscore")) {
      query->by_score = true;
      type_fixed = true;
    } else if (!type_fixed && equals_ci(argv[j], "bylex")) {
      query->by_lex = true;
      type_fixed = true;
    } else {
      return std::string(kSyntaxError);
    }
  }
  // As Redis: "LIMIT 0 -1" is no limit, so no conflict.
  if (query->limit != -1 && !query->by_score && !query->by_lex) {
    return "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
           "BYLEX";
  }
  if (query->with_scores && query->by_lex) {
    return "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
  }
  if (!query->by_score && !query->by_lex) {
    const auto start = parse_int64(argv[2]);
    const auto stop = parse_int64(argv[3]);
    if (!start || !stop) return std::string(kNotInteger);
    query->start = *start;
    query->stop = *stop;
    return {};
  }
  // A reversed score range is given as max, min.
  std::string_view min = argv[2];
  std::string_view max = argv[3];
  if (query->reverse) std::swap(min, max);
  if (query->by_lex) {
    if (!parse_lex_range(min, max, &query->members)) return std::string(kNotLexRange);
    return {};
  }
  if (!parse_score_range(min, max, &query->scores)) return "ERR min or max is not a float";
  return {};
}

}  // namespace raftkv::kv
