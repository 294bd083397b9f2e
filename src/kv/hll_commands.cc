#include "kv/hll_commands.h"

#include <string_view>

#include "kv/hyperloglog.h"

namespace raftkv::kv {

namespace {

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

// The HLL string at a key, as Redis's isHLLObjectOrReply checks it: nullptr with no reply
// for an absent key; nullptr with the error sent for another type or a string that is not
// an HLL. `*bad` tells the two apart.
template <typename V>
auto hll_at(V* value, bool* bad, RespWriter* out) -> decltype(std::get_if<StringValue>(value)) {
  *bad = false;
  if (value == nullptr) return nullptr;
  auto* s = std::get_if<StringValue>(value);
  *bad = true;
  if (s == nullptr) {
    out->error(kWrongType);
    return nullptr;
  }
  if (!hll::looks_valid(*s)) {
    out->error(kNotHll);
    return nullptr;
  }
  *bad = false;
  return s;
}

void execute_pfadd(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  bool bad = false;
  StringValue* hll = hll_at(store.find(argv[1]), &bad, out);
  if (bad) return;
  if (hll != nullptr) hll->encoding = StringEncoding::kRaw;  // Redis unshares it: raw
  bool updated = false;
  if (hll == nullptr) {
    hll = std::get_if<StringValue>(
        store.put(argv[1], StringValue(hll::make_empty(), StringEncoding::kRaw)));
    updated = true;  // a new key counts as a change, even with no elements
  }
  for (size_t i = 2; i < argv.size(); ++i) {
    const int result = hll::add(hll, argv[i]);
    if (result < 0) return out->error(kCorrupt);
    updated = updated || result == 1;
  }
  if (updated) hll::invalidate_cache(hll);
  out->integer(updated ? 1 : 0);
}

// The sources' registers merged (PFMERGE's and PFCOUNT's of several keys); false when an
// error has been sent. `dense`: whether any source is dense.
bool merge_sources(const KvStore& store, std::span<const std::string> keys, uint64_t now,
                   hll::Registers* max, bool* dense, RespWriter* out) {
  for (const std::string& key : keys) {
    bool bad = false;
    const std::string* hll = hll_at(store.find_live(key, now), &bad, out);
    if (bad) return false;
    if (hll == nullptr) continue;  // an absent key is an empty HLL
    if (hll::is_dense(*hll)) *dense = true;
    if (!hll::merge_into(*hll, max)) {
      out->error(kCorrupt);
      return false;
    }
  }
  return true;
}

void execute_pfmerge(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  hll::Registers max{};
  bool dense = false;
  // The destination is one of the sources, as in Redis. (Expired keys are purged: with
  // `now` 0 every key is live.)
  if (!merge_sources(store, argv.subspan(1), 0, &max, &dense, out)) return;
  Value* found = store.find(argv[1]);
  if (found == nullptr) found = store.put(argv[1], hll::make_empty());
  StringValue* merged = std::get_if<StringValue>(found);
  merged->encoding = StringEncoding::kRaw;  // new or unshared, as in Redis
  if (!hll::store_merged(merged, max, dense)) {
    return out->error(kCorrupt);
  }
  out->simple("OK");
}

}  // namespace

bool is_hll_command(CommandId id) {
  return id == CommandId::kPfadd || id == CommandId::kPfcount || id == CommandId::kPfmerge;
}

void execute_hll_read(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                      RespWriter* out) {
  if (argv.size() > 2) {
    hll::Registers max{};
    bool dense = false;
    if (!merge_sources(store, argv.subspan(1), now, &max, &dense, out)) return;
    return out->integer(static_cast<int64_t>(hll::estimate(max)));
  }
  bool bad = false;
  const std::string* hll = hll_at(store.find_live(argv[1], now), &bad, out);
  if (bad) return;
  if (hll == nullptr) return out->integer(0);
  const auto card = hll::cardinality(*hll);
  if (!card) return out->error(kCorrupt);
  out->integer(static_cast<int64_t>(*card));
}

void execute_hll_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       RespWriter* out) {
  if (spec.id == CommandId::kPfadd) return execute_pfadd(store, argv, out);
  execute_pfmerge(store, argv, out);
}

}  // namespace raftkv::kv
