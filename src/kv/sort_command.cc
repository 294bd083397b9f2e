#include "kv/sort_command.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "kv/command_support.h"
#include "kv/int_parse.h"
#include "kv/value_encoding.h"

namespace raftkv::kv {

namespace {

struct SortArgs {
  bool desc = false;
  bool alpha = false;
  bool dont_sort = false;  // BY a pattern without '*'
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  std::optional<std::string_view> by;
  std::vector<std::string_view> gets;
  size_t store_at = 0;  // argv index of STORE's key; 0: none
};

std::string parse_sort(const CommandSpec& spec, std::span<const std::string> argv, SortArgs* args) {
  const bool read_only = spec.id == CommandId::kSortRo;
  for (size_t j = 2; j < argv.size(); ++j) {
    const size_t left = argv.size() - j - 1;
    if (equals_ci(argv[j], "asc")) {
      args->desc = false;
    } else if (equals_ci(argv[j], "desc")) {
      args->desc = true;
    } else if (equals_ci(argv[j], "alpha")) {
      args->alpha = true;
    } else if (equals_ci(argv[j], "limit") && left >= 2) {
      const auto start = parse_int64(argv[j + 1]);
      const auto count = parse_int64(argv[j + 2]);
      if (!start || !count) return std::string(kNotInteger);
      args->limit_start = *start;
      args->limit_count = *count;
      j += 2;
    } else if (!read_only && equals_ci(argv[j], "store") && left >= 1) {
      args->store_at = ++j;
    } else if (equals_ci(argv[j], "by") && left >= 1) {
      args->by = argv[++j];
      if (args->by->find('*') == std::string_view::npos) args->dont_sort = true;
    } else if (equals_ci(argv[j], "get") && left >= 1) {
      args->gets.push_back(argv[++j]);
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

// Redis's lookupKeyByPattern: "#" is the element; the first '*' is replaced by it, and
// "key->field" reads a hash field; nothing if the key (or field) is missing or of another
// type, or the pattern has no '*'.
std::optional<std::string_view> by_pattern(const KvStore& store, uint64_t now,
                                           std::string_view pattern, std::string_view element) {
  if (pattern == "#") return element;
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  const size_t arrow = pattern.find("->", star + 1);
  const bool field = arrow != std::string_view::npos && arrow + 2 < pattern.size();
  std::string key(pattern.substr(0, star));
  key += element;
  key += pattern.substr(star + 1, (field ? arrow : pattern.size()) - star - 1);
  const Value* value = store.find_live(key, now);
  if (value == nullptr) return std::nullopt;
  if (field) {
    const auto* hash = collection_of<HashValue>(value);
    if (hash == nullptr) return std::nullopt;
    const auto it = hash->find(pattern.substr(arrow + 2));
    if (it == hash->end()) return std::nullopt;
    return std::string_view(it->second);
  }
  const auto* s = std::get_if<StringValue>(value);
  if (s == nullptr) return std::nullopt;
  return std::string_view(*s);
}

struct Item {
  explicit Item(std::string_view e) : element(e) {}
  std::string_view element;
  double score = 0;
  std::optional<std::string_view> by;  // ALPHA with BY: what to compare
};

// strtod over the whole string, as Redis converts a score (trailing bytes, overflow and
// NaN are errors).
bool to_score(std::string_view text, double* score) {
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  *score = std::strtod(copy.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*score);
}

}  // namespace

std::string validate_sort(const CommandSpec& spec, std::span<const std::string> argv) {
  SortArgs args;
  return parse_sort(spec, argv, &args);
}

bool sort_reads_other_keys(std::span<const std::string> argv) {
  const CommandSpec* spec = find_command("sort");
  SortArgs args;
  if (!parse_sort(*spec, argv, &args).empty()) return false;
  return !args.gets.empty() || (args.by && !args.dont_sort);
}

size_t sort_store_key(const CommandSpec& spec, std::span<const std::string> argv) {
  SortArgs args;
  if (spec.id != CommandId::kSort || !parse_sort(spec, argv, &args).empty()) return 0;
  return args.store_at;
}

void execute_sort(const KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  uint64_t now, KvStore* target, RespWriter* out, bool in_script) {
  SortArgs args;
  (void)parse_sort(spec, argv, &args);  // validated already
  const Value* value = store.find_live(argv[1], now);
  const auto* list = value == nullptr ? nullptr : collection_of<ListValue>(value);
  const auto* set = value == nullptr ? nullptr : collection_of<SetValue>(value);
  const auto* zset = value == nullptr ? nullptr : collection_of<SortedSet>(value);
  if (value != nullptr && list == nullptr && set == nullptr && zset == nullptr) {
    return out->error(kWrongType);
  }
  const bool storing = args.store_at != 0;
  // A set has no order of its own to keep: STORE, or a script (whose result must not hang
  // on a replica's hash order), sorts it (ALPHA), as Redis does (sort.c).
  if (args.dont_sort && set != nullptr && (storing || in_script)) {
    args.dont_sort = false;
    args.alpha = true;
    args.by.reset();
  }
  const int64_t n = static_cast<int64_t>(list   ? list->size()
                                         : set  ? set->size()
                                         : zset ? zset->size()
                                                : 0);
  int64_t start = std::max<int64_t>(args.limit_start, 0);
  int64_t end = args.limit_count < 0 ? n - 1 : start + args.limit_count - 1;
  if (start >= n) {
    start = n - 1;
    end = n - 2;
  }
  if (end >= n) end = n - 1;

  std::vector<Item> items;
  const bool ranged = args.dont_sort && (list != nullptr || zset != nullptr);
  if (ranged) {
    // Kept in the collection's order (reversed by DESC), only the LIMIT range.
    const int64_t count = (start != 0 || end != n - 1) ? end - start + 1 : n;
    const auto take = [&](auto first, auto last, auto element_of) {
      std::advance(first, start);
      for (int64_t i = 0; i < count && first != last; ++i, ++first) {
        items.push_back(Item(element_of(*first)));
      }
    };
    if (end >= start) {
      const auto of_list = [](const std::string& e) { return std::string_view(e); };
      const auto of_zset = [](const SortedSet::Entry& e) { return std::string_view(e.member); };
      if (list != nullptr) {
        args.desc ? take(list->rbegin(), list->rend(), of_list)
                  : take(list->begin(), list->end(), of_list);
      } else {
        args.desc ? take(zset->by_score().rbegin(), zset->by_score().rend(), of_zset)
                  : take(zset->by_score().begin(), zset->by_score().end(), of_zset);
      }
      end -= start;
      start = 0;
    }
  } else if (list != nullptr) {
    for (const auto& e : *list) items.push_back(Item(e));
  } else if (set != nullptr) {
    // Its reply order (BY a constant keeps it): ascending for an intset, as in Redis.
    for (const HashedKey* e : set_reply_order(*set, !set->hashtable))
      items.push_back(Item(e->name));
  } else if (zset != nullptr) {
    for (const auto& e : zset->by_score()) items.push_back(Item(e.member));
  }

  bool not_a_number = false;
  if (!args.dont_sort) {
    for (Item& item : items) {
      const auto by =
          args.by ? by_pattern(store, now, *args.by, item.element) : std::optional(item.element);
      if (!by) continue;
      if (args.alpha) {
        if (args.by) item.by = by;
      } else if (!to_score(*by, &item.score)) {
        not_a_number = true;
      }
    }
    const auto compare = [&](const Item& a, const Item& b) {
      int cmp = 0;
      if (!args.alpha) {
        cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : a.element.compare(b.element);
      } else if (args.by) {
        if (!a.by || !b.by) {
          cmp = a.by.has_value() == b.by.has_value() ? 0 : a.by ? 1 : -1;
        } else {
          cmp = a.by->compare(*b.by);
        }
      } else {
        cmp = a.element.compare(b.element);
      }
      return (args.desc ? -cmp : cmp) < 0;
    };
    std::stable_sort(items.begin(), items.end(), compare);
  }
  if (not_a_number) return out->error("ERR One or more scores can't be converted into double");

  const int64_t picked = std::max<int64_t>(end - start + 1, 0);
  const int64_t output =
      args.gets.empty() ? picked : static_cast<int64_t>(args.gets.size()) * picked;
  if (!storing) {
    out->array_header(static_cast<size_t>(output));
    for (int64_t j = start; j <= end; ++j) {
      const std::string_view element = items[static_cast<size_t>(j)].element;
      if (args.gets.empty()) out->bulk(element);
      for (std::string_view get : args.gets) {
        if (const auto got = by_pattern(store, now, get, element)) {
          out->bulk(*got);
        } else {
          out->null_bulk();
        }
      }
    }
    return;
  }
  auto result = std::make_unique<ListValue>();
  for (int64_t j = start; j <= end; ++j) {
    const std::string_view element = items[static_cast<size_t>(j)].element;
    if (args.gets.empty()) result->emplace_back(element);
    for (std::string_view get : args.gets) {
      result->emplace_back(by_pattern(store, now, get, element).value_or(std::string_view()));
    }
  }
  out->integer(store_collection(*target, argv[args.store_at], std::move(result)));
}

}  // namespace raftkv::kv
