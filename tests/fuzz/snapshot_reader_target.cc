#include <xxhash.h>

#include <cstring>
#include <memory>
#include <string>

#include "fuzz_input.h"
#include "kv/byte_codec.h"
#include "kv/state_machine.h"
#include "proto/codec.h"
#include "server/snapshot_image.h"
#include "storage/checksum.h"
#include "storage/fault_file_system.h"
#include "storage/file_header.h"
#include "storage/file_names.h"
#include "storage/record.h"
#include "storage/snapshot_file.h"
#include "targets.h"

namespace raftkv::fuzz {

namespace {

// The kv image, its XXH3 trailer appended so that the decoder behind it is reached. An
// image that restores must serialize back to itself (the format is canonical) when it is
// of the current version.
void kv_image(std::string_view body) {
  std::string image(body);
  kv::ByteWriter(&image).fixed64(XXH3_64bits(body.data(), body.size()));
  kv::StateMachine sm;
  if (!sm.restore(image).is_ok()) return;
  if (body.starts_with("RKVSNAP8")) FUZZ_CHECK(sm.serialize() == image);
  kv::StateMachine again;
  FUZZ_CHECK(again.restore(sm.serialize()).is_ok());
  FUZZ_CHECK(again.serialize() == sm.serialize());
}

// The server's image (members + kv image), its checksum32 trailer appended.
void server_image(std::string_view body) {
  std::string image(body);
  const uint32_t sum = storage::checksum32(body);
  char le[4];
  std::memcpy(le, &sum, sizeof le);  // little-endian, as x86-64 and the format are
  image.append(le, sizeof le);
  server::SnapshotImage decoded;
  if (!server::decode_snapshot_image(image, &decoded).empty()) return;
  FUZZ_CHECK(server::encode_snapshot_image(decoded.kv, decoded.members) == image);
}

// A snapshot file: header and record framed with valid checksums around the payload
// (flags & 1: the input is the whole file instead), read back by read_snapshot_file.
void snapshot_file(FuzzInput& in, uint8_t flags) {
  const uint64_t index = in.u64() % 1000;
  std::string file;
  if (flags & 1) {
    file = std::string(in.rest());
  } else {
    file = storage::encode_file_header(storage::kSnapshotMagic, index);
    storage::append_record(storage::RecordType::kSnapshot, in.rest(), &file);
  }
  storage::FaultFileSystem fs(1);
  std::unique_ptr<storage::File> f;
  FUZZ_CHECK(fs.create_dir("d").ok());
  FUZZ_CHECK(
      fs.open("d/" + storage::snapshot_file_name(index), storage::OpenMode::kCreate, &f).ok());
  FUZZ_CHECK(f->append(file).ok() && f->sync().ok() && fs.sync_dir("d").ok());
  f.reset();
  raft::Snapshot snap;
  if (!storage::read_snapshot_file(&fs, "d", index, &snap).ok()) return;
  FUZZ_CHECK(snap.meta.index == index);
}

}  // namespace

int snapshot_reader(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t mode = in.u8();
  switch (mode % 3) {
    case 0:
      kv_image(in.rest());
      break;
    case 1:
      server_image(in.rest());
      break;
    default:
      snapshot_file(in, mode / 3);
      break;
  }
  return 0;
}

}  // namespace raftkv::fuzz
