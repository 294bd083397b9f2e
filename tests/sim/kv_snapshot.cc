// KvMachine's snapshot image: "kv1" then the applied index, the data and the dedup table,
// every field length-prefixed ("<len>:<bytes>") so values may hold any byte. std::map keeps
// both tables ordered, so the image depends only on the state.
#include <charconv>
#include <optional>
#include <string_view>

#include "sim/kv_machine.h"

namespace raftkv::sim {

namespace {

constexpr std::string_view kMagic = "kv1";

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

void put(std::string& out, uint64_t v) {
  put(out, std::to_string(v));
}

// Reads the fields back in order; any malformation makes every later read fail.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::optional<std::string_view> field() {
    size_t colon = in_.find(':');
    size_t len = 0;
    if (colon == std::string_view::npos ||
        std::from_chars(in_.data(), in_.data() + colon, len).ptr != in_.data() + colon ||
        in_.size() - colon - 1 < len) {
      return std::nullopt;
    }
    std::string_view f = in_.substr(colon + 1, len);
    in_.remove_prefix(colon + 1 + len);
    return f;
  }
  std::optional<uint64_t> number() {
    auto f = field();
    uint64_t v = 0;
    if (!f || f->empty() ||
        std::from_chars(f->data(), f->data() + f->size(), v).ptr != f->data() + f->size()) {
      return std::nullopt;
    }
    return v;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string KvMachine::serialize() const {
  std::string out(kMagic);
  put(out, applied_);
  put(out, data_.size());
  for (const auto& [k, v] : data_) {
    put(out, k);
    put(out, v);
  }
  put(out, last_write_.size());
  for (const auto& [client, last] : last_write_) {
    put(out, client);
    put(out, last.seq);
    put(out, last.result);
  }
  return out;
}

bool KvMachine::restore(const std::string& image) {
  if (image.compare(0, kMagic.size(), kMagic) != 0) return false;
  Reader r(std::string_view(image).substr(kMagic.size()));
  KvMachine m;
  auto applied = r.number();
  auto keys = r.number();
  if (!applied || !keys) return false;
  m.applied_ = *applied;
  for (uint64_t i = 0; i < *keys; ++i) {
    auto k = r.field();
    auto v = r.field();
    if (!k || !v) return false;
    m.data_.emplace(*k, *v);
  }
  auto clients = r.number();
  if (!clients) return false;
  for (uint64_t i = 0; i < *clients; ++i) {
    auto client = r.number();
    auto seq = r.number();
    auto result = r.field();
    if (!client || !seq || !result) return false;
    m.last_write_[*client] = LastWrite{*seq, std::string(*result)};
  }
  if (!r.done()) return false;
  *this = std::move(m);
  return true;
}

}  // namespace raftkv::sim
