// The 32-byte header at the start of every segment and snapshot file (little-endian):
//   0  char[8] magic: "RKVWAL\0\0" for segments, "RKVSNAP\0" for snapshot files
//   8  u32     format version (kFormatVersion)
//   12 u32     zero
//   16 u64     id: the segment's sequence number, or the snapshot's index
//   24 u32     zero
//   28 u32     checksum32 of bytes 0..28
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace raftkv::storage {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderSize = 32;
inline constexpr std::string_view kSegmentMagic{"RKVWAL\0\0", 8};
inline constexpr std::string_view kSnapshotMagic{"RKVSNAP\0", 8};

std::string encode_file_header(std::string_view magic, uint64_t id);

// Checks the header at the start of `data` (which holds at least kFileHeaderSize bytes) and
// stores its id. `name` is used in error messages.
Status decode_file_header(std::string_view data, std::string_view magic, const std::string& name,
                          uint64_t* id);

}  // namespace raftkv::storage
