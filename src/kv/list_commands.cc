#include "kv/list_commands.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <vector>

#include "kv/blocking_commands.h"
#include "kv/command_support.h"
#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

// Redis's LRANGE/LTRIM index rules: negative indexes count from the tail, the range is
// clamped to the list; {first, last + 1}, empty when first >= last + 1.
std::pair<size_t, size_t> clamp_range(int64_t start, int64_t stop, size_t size) {
  const auto length = static_cast<int64_t>(size);
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  start = std::max<int64_t>(start, 0);
  if (start > stop || start >= length) return {0, 0};
  stop = std::min(stop, length - 1);
  return {static_cast<size_t>(start), static_cast<size_t>(stop) + 1};
}

void execute_push(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  RespWriter* out) {
  const bool only_existing = spec.id == CommandId::kLpushx || spec.id == CommandId::kRpushx;
  const bool head = spec.id == CommandId::kLpush || spec.id == CommandId::kLpushx;
  Typed<ListValue> list = only_existing ? as_type<ListValue>(store.find(argv[1]))
                                        : find_or_create<ListValue>(store, argv[1]);
  if (list.wrong_type) return out->error(kWrongType);
  if (list.collection == nullptr) return out->integer(0);
  for (size_t i = 2; i < argv.size(); ++i) {
    if (head) {
      list.collection->push_front(argv[i]);
    } else {
      list.collection->push_back(argv[i]);
    }
  }
  out->integer(static_cast<int64_t>(list.collection->size()));
}

void execute_pop(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                 RespWriter* out) {
  const bool with_count = argv.size() == 3;
  auto [list, wrong_type] = as_type<ListValue>(store.find(argv[1]));
  if (list == nullptr && !wrong_type) return with_count ? out->null_array() : out->null_bulk();
  if (wrong_type) return out->error(kWrongType);
  const bool head = spec.id == CommandId::kLpop;
  const size_t count =
      with_count ? std::min(static_cast<size_t>(*parse_int64(argv[2])), list->size()) : 1;
  if (with_count) out->array_header(count);
  for (size_t i = 0; i < count; ++i) {
    if (head) {
      out->bulk(list->front());
      list->pop_front();
    } else {
      out->bulk(list->back());
      list->pop_back();
    }
  }
  erase_if_empty(store, argv[1], *list);
}

void execute_lset(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  auto [list, wrong_type] = as_type<ListValue>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (list == nullptr) return out->error("ERR no such key");
  auto index = parse_int64(argv[2]);
  if (!index) return out->error(kNotInteger);
  const auto size = static_cast<int64_t>(list->size());
  if (*index < 0) *index += size;
  if (*index < 0 || *index >= size) return out->error("ERR index out of range");
  assign_string(&(*list)[static_cast<size_t>(*index)], argv[3]);
  out->simple("OK");
}

void execute_lrem(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  auto [list, wrong_type] = as_type<ListValue>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (list == nullptr) return out->integer(0);
  const int64_t count = *parse_int64(argv[2]);
  // count > 0: the first `count` matches from the head; < 0: from the tail; 0: all.
  const uint64_t limit = count == 0  ? UINT64_MAX
                         : count > 0 ? static_cast<uint64_t>(count)
                                     : 0 - static_cast<uint64_t>(count);
  uint64_t removed = 0;
  const auto matches = [&](const std::string& element) {
    if (removed == limit || element != argv[3]) return false;
    ++removed;
    return true;
  };
  if (count >= 0) {
    list->erase(std::remove_if(list->begin(), list->end(), matches), list->end());
  } else {
    auto kept_from = std::remove_if(list->rbegin(), list->rend(), matches);
    list->erase(list->begin(), kept_from.base());
  }
  erase_if_empty(store, argv[1], *list);
  out->integer(static_cast<int64_t>(removed));
}

void execute_ltrim(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  auto [list, wrong_type] = as_type<ListValue>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (list == nullptr) return out->simple("OK");
  const auto [first, end] = clamp_range(*parse_int64(argv[2]), *parse_int64(argv[3]), list->size());
  list->erase(list->begin() + static_cast<std::ptrdiff_t>(end), list->end());
  list->erase(list->begin(), list->begin() + static_cast<std::ptrdiff_t>(first));
  erase_if_empty(store, argv[1], *list);
  out->simple("OK");
}

void execute_linsert(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  auto [list, wrong_type] = as_type<ListValue>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (list == nullptr) return out->integer(0);
  auto pivot = std::find(list->begin(), list->end(), argv[3]);
  if (pivot == list->end()) return out->integer(-1);
  if (equals_ci(argv[2], "after")) ++pivot;
  list->insert(pivot, argv[4]);
  out->integer(static_cast<int64_t>(list->size()));
}

// RPOPLPUSH source destination, LMOVE source destination LEFT|RIGHT LEFT|RIGHT: pops from
// one end of the source and pushes onto one end of the destination (the same list when
// the keys are equal), checking both types before changing anything, as Redis does.
void execute_move(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  RespWriter* out) {
  const bool lmove = spec.id == CommandId::kLmove;
  const bool from_head = lmove && equals_ci(argv[3], "left");
  const bool to_head = !lmove || equals_ci(argv[4], "left");
  auto [source, wrong_type] = as_type<ListValue>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (source == nullptr) return out->null_bulk();
  if (as_type<ListValue>(store.find(argv[2])).wrong_type) return out->error(kWrongType);
  std::string element;
  if (from_head) {
    element = std::move(source->front());
    source->pop_front();
  } else {
    element = std::move(source->back());
    source->pop_back();
  }
  out->bulk(element);
  // Creating the destination leaves `source` valid: the key space's map nodes never move.
  ListValue* destination =
      argv[1] == argv[2] ? source : find_or_create<ListValue>(store, argv[2]).collection;
  if (to_head) {
    destination->push_front(std::move(element));
  } else {
    destination->push_back(std::move(element));
  }
  if (source->empty()) store.erase(argv[1]);
}

// LPOS's options: RANK (which match to start from; negative: from the tail), COUNT (how
// many matches; 0: all), MAXLEN (how many elements to compare; 0: all).
struct LposArgs {
  int64_t rank = 1;
  std::optional<int64_t> count;
  int64_t maxlen = 0;
};

std::string parse_lpos(std::span<const std::string> argv, LposArgs* args) {
  for (size_t i = 3; i < argv.size(); i += 2) {
    if (i + 1 >= argv.size()) return std::string(kSyntaxError);
    const auto value = parse_int64(argv[i + 1]);
    if (equals_ci(argv[i], "rank")) {
      if (!value) return std::string(kNotInteger);
      if (*value == 0) {
        return "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
               "... or use negative to start from the end of the list";
      }
      args->rank = *value;
    } else if (equals_ci(argv[i], "count")) {
      // Redis parses COUNT and MAXLEN as positive longs whose one error covers both a
      // negative number and no number at all.
      if (!value || *value < 0) return "ERR COUNT can't be negative";
      args->count = *value;
    } else if (equals_ci(argv[i], "maxlen")) {
      if (!value || *value < 0) return "ERR MAXLEN can't be negative";
      args->maxlen = *value;
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

void execute_lpos(const ListValue* list, std::span<const std::string> argv, RespWriter* out) {
  LposArgs args;
  (void)parse_lpos(argv, &args);  // validated already
  std::vector<int64_t> found;
  if (list != nullptr) {
    const auto size = static_cast<int64_t>(list->size());
    const bool from_tail = args.rank < 0;
    // Matches to skip before the first one reported (|rank| - 1, without overflow).
    uint64_t skip =
        (from_tail ? 0 - static_cast<uint64_t>(args.rank) : static_cast<uint64_t>(args.rank)) - 1;
    const uint64_t wanted = !args.count        ? 1
                            : *args.count == 0 ? UINT64_MAX
                                               : static_cast<uint64_t>(*args.count);
    const int64_t compared = args.maxlen == 0 ? size : std::min(args.maxlen, size);
    for (int64_t n = 0; n < compared && found.size() < wanted; ++n) {
      const int64_t i = from_tail ? size - 1 - n : n;
      if ((*list)[static_cast<size_t>(i)] != argv[2]) continue;
      if (skip > 0) {
        --skip;
      } else {
        found.push_back(i);
      }
    }
  }
  if (!args.count) return found.empty() ? out->null_bulk() : out->integer(found[0]);
  out->array_header(found.size());
  for (int64_t i : found) out->integer(i);
}

}  // namespace

std::string validate_list_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kLpop:
    case CommandId::kRpop:
      return validate_pop_count(argv, wrong_arity_error(spec.name));
    case CommandId::kLrange:
    case CommandId::kLtrim:
      if (!parse_int64(argv[2]) || !parse_int64(argv[3])) return std::string(kNotInteger);
      return {};
    case CommandId::kLrem:
      if (!parse_int64(argv[2])) return std::string(kNotInteger);
      return {};
    case CommandId::kLinsert:
      if (!equals_ci(argv[2], "before") && !equals_ci(argv[2], "after")) {
        return std::string(kSyntaxError);
      }
      return {};
    case CommandId::kLmove:
      for (size_t i : {3, 4}) {
        if (!equals_ci(argv[i], "left") && !equals_ci(argv[i], "right")) {
          return std::string(kSyntaxError);
        }
      }
      return {};
    case CommandId::kLpos: {
      LposArgs args;
      return parse_lpos(argv, &args);
    }
    default:
      return {};
  }
}

void execute_list_read(const KvStore& store, const CommandSpec& spec,
                       std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  const auto [list, wrong_type] = as_type<ListValue>(store.find_live(argv[1], now));
  if (wrong_type) return out->error(kWrongType);
  switch (spec.id) {
    case CommandId::kLlen:
      return out->integer(list == nullptr ? 0 : static_cast<int64_t>(list->size()));
    case CommandId::kLpos:
      return execute_lpos(list, argv, out);
    case CommandId::kLrange: {
      if (list == nullptr) return out->array_header(0);
      const auto [first, end] =
          clamp_range(*parse_int64(argv[2]), *parse_int64(argv[3]), list->size());
      out->array_header(end - first);
      for (size_t i = first; i < end; ++i) out->bulk((*list)[i]);
      return;
    }
    case CommandId::kLindex: {
      if (list == nullptr) return out->null_bulk();
      auto index = parse_int64(argv[2]);  // Redis looks the key up before parsing
      if (!index) return out->error(kNotInteger);
      const auto size = static_cast<int64_t>(list->size());
      if (*index < 0) *index += size;
      if (*index < 0 || *index >= size) return out->null_bulk();
      return out->bulk((*list)[static_cast<size_t>(*index)]);
    }
    default:
      return out->error("ERR internal error: not a list read");
  }
}

void execute_list_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        RespWriter* out) {
  switch (spec.id) {
    case CommandId::kLpush:
    case CommandId::kRpush:
    case CommandId::kLpushx:
    case CommandId::kRpushx:
      return execute_push(store, spec, argv, out);
    case CommandId::kLpop:
    case CommandId::kRpop:
      return execute_pop(store, spec, argv, out);
    case CommandId::kLset:
      return execute_lset(store, argv, out);
    case CommandId::kLrem:
      return execute_lrem(store, argv, out);
    case CommandId::kLtrim:
      return execute_ltrim(store, argv, out);
    case CommandId::kLinsert:
      return execute_linsert(store, argv, out);
    case CommandId::kRpoplpush:
    case CommandId::kLmove:
      return execute_move(store, spec, argv, out);
    default:  // BLPOP, LMPOP, ... (blocking_commands.h)
      return execute_pop_write(store, spec, argv, out);
  }
}

}  // namespace raftkv::kv
