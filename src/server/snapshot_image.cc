#include "server/snapshot_image.h"

#include "storage/checksum.h"

namespace raftkv::server {

namespace {

constexpr std::string_view kMagic("RKVIMG1\0", 8);

template <typename T>
void put(std::string* out, T v) {
  char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(buf, sizeof buf);
}

// Reads a little-endian integer; false when too few bytes remain.
template <typename T>
bool get(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  T r = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    r |= static_cast<T>(static_cast<unsigned char>((*in)[i])) << (8 * i);
  }
  *v = r;
  in->remove_prefix(sizeof(T));
  return true;
}

}  // namespace

std::string encode_snapshot_image(std::string_view kv_image,
                                  const std::map<raft::NodeId, std::string>& members) {
  std::string out;
  out.reserve(kv_image.size() + 64 + members.size() * 32);
  out.append(kMagic);
  put<uint32_t>(&out, static_cast<uint32_t>(members.size()));
  for (const auto& [id, address] : members) {
    put<uint64_t>(&out, id);
    put<uint32_t>(&out, static_cast<uint32_t>(address.size()));
    out.append(address);
  }
  put<uint64_t>(&out, kv_image.size());
  out.append(kv_image);
  put<uint32_t>(&out, storage::checksum32(out));
  return out;
}

std::string decode_snapshot_image(std::string_view data, SnapshotImage* out) {
  if (data.size() < kMagic.size() + 4 || data.substr(0, kMagic.size()) != kMagic) {
    return "not a raftkv snapshot image (bad magic or version)";
  }
  std::string_view body = data.substr(0, data.size() - 4);
  std::string_view tail = data.substr(data.size() - 4);
  uint32_t stored = 0;
  get(&tail, &stored);
  if (stored != storage::checksum32(body)) return "snapshot image checksum mismatch";

  std::string_view in = body.substr(kMagic.size());
  uint32_t count = 0;
  if (!get(&in, &count)) return "truncated snapshot image";
  SnapshotImage img;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t id = 0;
    uint32_t len = 0;
    if (!get(&in, &id) || !get(&in, &len) || in.size() < len) return "truncated member list";
    img.members[id] = std::string(in.substr(0, len));
    in.remove_prefix(len);
  }
  uint64_t kv_len = 0;
  if (!get(&in, &kv_len) || in.size() != kv_len) return "key-value image length mismatch";
  img.kv = in;
  *out = std::move(img);
  return "";
}

}  // namespace raftkv::server
