// Builds state machine images in the formats that came before RKVSNAP3 (RKVSNAP1: no
// deadlines; RKVSNAP2: deadlines, untyped string values), written here independently of
// the current encoder so that tests can prove old images still restore.
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kv/byte_codec.h"
#include "kv/hashed_key.h"

namespace raftkv::kv::testing {

struct LegacyImage {
  int version = 2;  // 1 or 2
  uint64_t applied_index = 0;
  uint64_t log_time_ms = 0;
  std::vector<std::pair<std::string, std::string>> strings;  // any order
  std::vector<std::pair<std::string, uint64_t>> deadlines;   // version 2 only; any order
};

inline std::string legacy_image(LegacyImage image) {
  std::sort(image.strings.begin(), image.strings.end(), [](const auto& a, const auto& b) {
    return std::make_pair(key_hash(a.first), a.first) < std::make_pair(key_hash(b.first), b.first);
  });
  std::sort(image.deadlines.begin(), image.deadlines.end());
  std::string out;
  ByteWriter w(&out);
  w.raw(image.version == 1 ? "RKVSNAP1" : "RKVSNAP2");
  w.varint(image.applied_index);
  w.varint(image.log_time_ms);
  w.varint(image.strings.size());
  for (const auto& [key, value] : image.strings) {
    w.bytes(key);
    w.bytes(value);
  }
  w.varint(0);  // sessions
  if (image.version != 1) {
    w.varint(image.deadlines.size());
    for (const auto& [key, at] : image.deadlines) {
      w.bytes(key);
      w.varint(at);
    }
  }
  w.fixed64(XXH3_64bits(out.data(), out.size()));
  return out;
}

}  // namespace raftkv::kv::testing
