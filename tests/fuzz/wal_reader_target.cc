#include <memory>
#include <string>

#include "fuzz_input.h"
#include "storage/durable_storage.h"
#include "storage/fault_file_system.h"
#include "storage/file_header.h"
#include "storage/file_names.h"
#include "storage/record.h"
#include "targets.h"

namespace raftkv::fuzz {

namespace {

// Raw bytes as the rest of a segment: the scanner must stay inside them.
void scan_raw(std::string_view data) {
  size_t offset = 0;
  while (offset < data.size()) {
    storage::ScannedRecord r;
    std::string why;
    if (storage::scan_record(data.substr(offset), &r, &why) != storage::ScanResult::kRecord) {
      return;
    }
    FUZZ_CHECK(r.size >= storage::kRecordHeaderSize && r.size <= data.size() - offset);
    FUZZ_CHECK(r.payload.size() == r.size - storage::kRecordHeaderSize);
    offset += r.size;
  }
}

// Input: flags u8, damage offset u16, damage xor u8, then records as
// (type u8, payload length u16, payload). The records get valid checksums, so that the
// fuzzer reaches the decoding and replay behind them; the damage then breaks one byte.
std::string build_segment(FuzzInput& in, uint8_t flags) {
  const uint16_t damage_at = in.u16();
  const uint8_t damage_xor = in.u8();
  std::string file = storage::encode_file_header(storage::kSegmentMagic, 1);
  while (!in.empty()) {
    const auto type = static_cast<storage::RecordType>(in.u8() % 6);
    const std::string_view payload = in.bytes(in.u16());
    storage::append_record(type, payload, &file);
  }
  if (flags & 1) file[damage_at % file.size()] ^= static_cast<char>(damage_xor | 1);
  if (flags & 2) file.append(damage_at % 64, '\0');  // the preallocated, unwritten rest
  return file;
}

}  // namespace

int wal_reader(const uint8_t* data, size_t size) {
  scan_raw(as_chars(data, size));
  FuzzInput in(data, size);
  const uint8_t flags = in.u8();
  const std::string file = build_segment(in, flags);

  storage::FaultFileSystem fs(1);
  std::unique_ptr<storage::File> f;
  FUZZ_CHECK(fs.create_dir("d").ok());
  FUZZ_CHECK(fs.open("d/" + storage::segment_name(1), storage::OpenMode::kCreate, &f).ok());
  FUZZ_CHECK(f->append(file).ok() && f->sync().ok() && fs.sync_dir("d").ok());
  f.reset();

  storage::DurableStorageOptions options;
  options.dir = "d";
  options.repair = (flags & 4) != 0;
  std::unique_ptr<storage::DurableStorage> st;
  storage::RecoveryReport report;
  if (!storage::DurableStorage::open(&fs, options, &st, &report).ok()) return 0;
  // What recovery accepted must be a consistent log.
  const raft::Index first = st->first_index();
  const raft::Index last = st->last_index();
  FUZZ_CHECK(first <= last + 1);
  if (first <= last) {
    auto entries = st->entries(first, last + 1, UINT64_MAX);
    FUZZ_CHECK(entries.ok());
    FUZZ_CHECK(entries.value().size() == last - first + 1);
    for (size_t i = 0; i < entries.value().size(); ++i) {
      FUZZ_CHECK(entries.value()[i].index == first + i);
    }
  }
  return 0;
}

}  // namespace raftkv::fuzz
