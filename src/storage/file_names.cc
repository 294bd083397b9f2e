#include "storage/file_names.h"

#include <cstdio>
#include <string_view>

namespace raftkv::storage {
namespace {

constexpr std::string_view kSegmentSuffix = ".wal";
constexpr std::string_view kSnapshotPrefix = "snap-";
constexpr std::string_view kSnapshotSuffix = ".snap";

std::string hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Parses `prefix` + 16 lowercase hex digits + `suffix`.
bool parse_hex16(std::string_view name, std::string_view prefix, std::string_view suffix,
                 uint64_t* out) {
  if (name.size() != prefix.size() + 16 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(prefix.size(), 16)) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

std::string segment_name(uint64_t seq) {
  return hex16(seq) + std::string(kSegmentSuffix);
}

bool parse_segment_name(const std::string& name, uint64_t* seq) {
  return parse_hex16(name, "", kSegmentSuffix, seq);
}

std::string snapshot_file_name(uint64_t index) {
  return std::string(kSnapshotPrefix) + hex16(index) + std::string(kSnapshotSuffix);
}

bool parse_snapshot_file_name(const std::string& name, uint64_t* index) {
  return parse_hex16(name, kSnapshotPrefix, kSnapshotSuffix, index);
}

bool is_temp_file_name(const std::string& name) {
  return std::string_view(name).ends_with(".tmp");
}

}  // namespace raftkv::storage
