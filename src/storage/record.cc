#include "storage/record.h"

#include <algorithm>

#include "storage/checksum.h"
#include "storage/endian.h"

namespace raftkv::storage {
namespace {

bool known_type(uint8_t t) {
  return t >= 1 && t <= 5;
}

}  // namespace

void append_record(RecordType type, std::string_view payload, std::string* out) {
  size_t start = out->size();
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out->push_back(static_cast<char>(type));
  out->append(3, '\0');
  put_u32(out, checksum32(std::string_view(*out).substr(start, 8)));
  put_u32(out, checksum32(payload));
  out->append(payload);
}

// A crash can leave a prefix of the last write (the model of fault_file_system.h), or, on a
// real file system, zeros where the data had not reached the disk yet. Anything else wrong
// is corruption.
ScanResult scan_record(std::string_view data, ScannedRecord* out, std::string* why) {
  // Zeros are the unwritten, preallocated rest of a segment. A record header is never all
  // zero (its type is at least 1), so this cannot swallow a record.
  if (all_zero(data)) return ScanResult::kEnd;  // stops at the first non-zero byte
  if (data.size() < kRecordHeaderSize) {
    // Too short for a header: only a tear can do that.
    return ScanResult::kTorn;
  }
  uint32_t length = get_u32(data);
  uint8_t type = static_cast<uint8_t>(data[4]);
  bool header_ok = get_u32(data.substr(8)) == checksum32(data.substr(0, 8));
  if (!header_ok) {
    // A write torn inside the header, in a preallocated (zero-filled) segment.
    if (all_zero(data.substr(kRecordHeaderSize))) return ScanResult::kTorn;
    *why = "bad record header checksum";
    return ScanResult::kCorrupt;
  }
  if (!known_type(type) || data[5] != 0 || data[6] != 0 || data[7] != 0 ||
      length > kMaxRecordPayload) {
    *why = "record header checksum matches but its fields are invalid";
    return ScanResult::kCorrupt;
  }
  if (data.size() - kRecordHeaderSize < length) return ScanResult::kTorn;
  std::string_view payload = data.substr(kRecordHeaderSize, length);
  if (get_u32(data.substr(12)) != checksum32(payload)) {
    // A damaged last record is what a torn write in place looks like.
    if (all_zero(data.substr(kRecordHeaderSize + length))) return ScanResult::kTorn;
    *why = "bad record payload checksum";
    return ScanResult::kCorrupt;
  }
  out->type = static_cast<RecordType>(type);
  out->payload = payload;
  out->size = kRecordHeaderSize + length;
  return ScanResult::kRecord;
}

bool all_zero(std::string_view data) {
  return std::all_of(data.begin(), data.end(), [](char c) { return c == 0; });
}

}  // namespace raftkv::storage
