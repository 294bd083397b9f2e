#include "kv/collection_scan.h"

#include <string_view>
#include <vector>

#include "kv/command_support.h"
#include "kv/float_format.h"
#include "kv/glob.h"
#include "kv/hash_order_scan.h"
#include "kv/scan_args.h"
#include "kv/value_encoding.h"

namespace raftkv::kv {

namespace {

// One page's reply: the next cursor, then the matching elements (each with its value or
// score for hashes and sorted sets).
class PageWriter {
 public:
  explicit PageWriter(std::string_view pattern) : pattern_(pattern) {}

  void add(std::string_view name) {
    if (matches(name)) items_.emplace_back(name);
  }
  void add(std::string_view name, std::string value) {
    if (!matches(name)) return;
    items_.emplace_back(name);
    items_.push_back(std::move(value));
  }
  void write(uint64_t next_cursor, RespWriter* out) const {
    out->array_header(2);
    out->bulk(std::to_string(next_cursor));
    out->array_header(items_.size());
    for (const auto& item : items_) out->bulk(item);
  }

 private:
  bool matches(std::string_view name) const {
    return pattern_.empty() || glob_match(pattern_, name);
  }

  std::string_view pattern_;
  std::vector<std::string> items_;
};

}  // namespace

std::string validate_collection_scan(std::span<const std::string> argv) {
  return parse_scan_cursor(argv[2]) ? std::string() : std::string(kInvalidCursor);
}

void execute_collection_scan(const KvStore& store, const CommandSpec& spec,
                             std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  const uint64_t cursor = *parse_scan_cursor(argv[2]);
  const Value* value = store.find_live(argv[1], now);
  // Redis checks the type, then the options.
  if (value != nullptr) {
    const bool right_type = (spec.id == CommandId::kHscan && type_of(*value) == ValueType::kHash) ||
                            (spec.id == CommandId::kSscan && type_of(*value) == ValueType::kSet) ||
                            (spec.id == CommandId::kZscan && type_of(*value) == ValueType::kZSet);
    if (!right_type) return out->error(kWrongType);
  }
  ScanOptions options;
  if (value == nullptr) return PageWriter({}).write(0, out);
  if (const auto error = parse_scan_options(argv, 3, /*allow_type=*/false, &options);
      !error.empty()) {
    return out->error(error);
  }
  PageWriter page(options.pattern);
  uint64_t next = 0;
  switch (spec.id) {
    case CommandId::kHscan: {
      const HashValue* hash = collection_of<HashValue>(value);
      if (!hash->hashtable()) {  // a listpack: Redis returns it whole, in its order
        for (const auto& [field, field_value] : *hash) page.add(field, field_value);
        break;
      }
      next = scan_unordered(
          *hash, cursor, options.count,
          [](const auto& field) -> std::string_view { return field.first; },
          [&](const auto& field) { page.add(field.first, field.second); });
      break;
    }
    case CommandId::kSscan: {
      const SetValue* set = collection_of<SetValue>(value);
      if (!set->hashtable) {  // an intset: Redis returns it whole, in its order
        for (const HashedKey* member : set_reply_order(*set, true)) page.add(member->name);
        break;
      }
      next = scan_hash_ordered(
          *set, cursor, options.count,
          [](const HashedKey& member) -> const HashedKey& { return member; },
          [&](const HashedKey& member) { page.add(member.name); });
      break;
    }
    case CommandId::kZscan: {
      const SortedSet* zset = collection_of<SortedSet>(value);
      if (!zset->skiplist()) {  // a listpack: Redis returns it whole, in score order
        for (const SortedSet::Entry& entry : zset->by_score()) {
          page.add(entry.member, format_double(entry.score));
        }
        break;
      }
      next = scan_unordered(
          zset->by_score(), cursor, options.count,
          [](const SortedSet::Entry& entry) -> std::string_view { return entry.member; },
          [&](const SortedSet::Entry& entry) {
            page.add(entry.member, format_double(entry.score));
          });
      break;
    }
    default:
      return out->error("ERR internal error: not a collection scan");
  }
  page.write(next, out);
}

}  // namespace raftkv::kv
