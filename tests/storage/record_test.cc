// Record framing and the scanner's torn-versus-corrupt verdicts.
#include "storage/record.h"

#include <gtest/gtest.h>

namespace raftkv::storage {
namespace {

std::string framed(std::string_view payload, RecordType type = RecordType::kEntry) {
  std::string out;
  append_record(type, payload, &out);
  return out;
}

TEST(RecordTest, RoundTrip) {
  std::string data = framed("payload") + framed("", RecordType::kHardState);
  ScannedRecord rec;
  std::string why;
  ASSERT_EQ(scan_record(data, &rec, &why), ScanResult::kRecord);
  EXPECT_EQ(rec.payload, "payload");
  EXPECT_EQ(rec.type, RecordType::kEntry);
  ASSERT_EQ(scan_record(std::string_view(data).substr(rec.size), &rec, &why), ScanResult::kRecord);
  EXPECT_EQ(rec.type, RecordType::kHardState);
  EXPECT_EQ(rec.payload, "");
  EXPECT_EQ(scan_record("", &rec, &why), ScanResult::kEnd);
}

TEST(RecordTest, EveryPrefixOfARecordIsTorn) {
  std::string r = framed("some payload bytes");
  for (size_t n = 1; n < r.size(); ++n) {
    ScannedRecord rec;
    std::string why;
    EXPECT_EQ(scan_record(r.substr(0, n), &rec, &why), ScanResult::kTorn) << n;
  }
}

// The unwritten rest of a preallocated segment.
TEST(RecordTest, ZerosAreTheCleanEnd) {
  ScannedRecord rec;
  std::string why;
  EXPECT_EQ(scan_record(std::string(4096, '\0'), &rec, &why), ScanResult::kEnd);
  EXPECT_EQ(scan_record(std::string(3, '\0'), &rec, &why), ScanResult::kEnd);
}

// Zeros where a header should be, but data after them: a record went missing in the middle.
TEST(RecordTest, ZerosBeforeDataAreCorrupt) {
  ScannedRecord rec;
  std::string why;
  std::string data = std::string(64, '\0') + framed("later record");
  EXPECT_EQ(scan_record(data, &rec, &why), ScanResult::kCorrupt);
}

struct FlipCase {
  const char* part;
  size_t offset;     // byte within the first record
  ScanResult alone;  // verdict when the damaged record is the last thing in the file
};

// A bit flip anywhere in a record followed by another record is corruption. As the last
// record, a damaged payload is indistinguishable from a torn in-place write and is cut.
TEST(RecordTest, BitFlipInEachPartOfARecord) {
  const std::string payload = "0123456789abcdef";
  const FlipCase cases[] = {
      {"length", 0, ScanResult::kCorrupt},         {"type", 4, ScanResult::kCorrupt},
      {"padding", 6, ScanResult::kCorrupt},        {"header checksum", 9, ScanResult::kCorrupt},
      {"payload checksum", 13, ScanResult::kTorn}, {"payload", 20, ScanResult::kTorn},
  };
  for (const FlipCase& c : cases) {
    SCOPED_TRACE(c.part);
    std::string first = framed(payload);
    first[c.offset] = static_cast<char>(first[c.offset] ^ 0x10);
    ScannedRecord rec;
    std::string why;
    EXPECT_EQ(scan_record(first + framed("next"), &rec, &why), ScanResult::kCorrupt);
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(scan_record(first, &rec, &why), c.alone);
  }
}

}  // namespace
}  // namespace raftkv::storage
