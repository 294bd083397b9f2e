// Framing of one write-ahead-log record, and the scanner that tells a torn tail (expected
// after a crash) from corruption (not expected, never silently dropped).
//
// Record layout (little-endian), 16-byte header then the payload:
//   0  u32  payload length
//   4  u8   record type (RecordType)
//   5  u8x3 zero
//   8  u32  header checksum: checksum32 of bytes 0..8
//   12 u32  payload checksum: checksum32 of the payload
//   16      payload (protobuf, see raft.proto)
// The header has its own checksum so that a damaged length is caught before it is trusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace raftkv::storage {

enum class RecordType : uint8_t {
  kEntry = 1,      // payload: Entry. Overwrites any entry at or after its index.
  kHardState = 2,  // payload: HardState. The last one in the log is current.
  kCompact = 3,    // payload: SnapshotMeta. Entries up to meta.index are covered by a
                   // snapshot file; also written at the start of each segment.
  kInstall = 4,    // payload: SnapshotMeta. A snapshot from the leader replaces the log.
  kSnapshot = 5,   // payload: Snapshot. Only in snapshot files, never in segments.
};

inline constexpr size_t kRecordHeaderSize = 16;
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;

void append_record(RecordType type, std::string_view payload, std::string* out);

enum class ScanResult {
  kRecord,   // a whole, valid record
  kEnd,      // clean end of data: nothing more, or nothing but zeros
  kTorn,     // an incomplete or damaged record followed by nothing but zeros: a torn write
  kCorrupt,  // damage that a torn write cannot explain
};

struct ScannedRecord {
  RecordType type{};
  std::string_view payload;
  size_t size = 0;  // header + payload
};

// Examines the record at the start of `data` (the rest of a segment file from some offset).
// On kCorrupt, *why says what is wrong.
ScanResult scan_record(std::string_view data, ScannedRecord* out, std::string* why);

// True when every byte is zero (so for an empty view): the unwritten part of a segment.
bool all_zero(std::string_view data);

}  // namespace raftkv::storage
