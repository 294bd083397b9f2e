#include "storage/snapshot_file.h"

#include "proto/codec.h"
#include "storage/file_header.h"
#include "storage/record.h"

namespace raftkv::storage {

std::string encode_snapshot_file(const raft::Snapshot& snap) {
  std::string data = encode_file_header(kSnapshotMagic, snap.meta.index);
  append_record(RecordType::kSnapshot, proto::encode(snap), &data);
  return data;
}

Status write_snapshot_file(FileSystem* fs, const std::string& dir, const raft::Snapshot& snap) {
  return write_file_atomically(fs, dir, snapshot_file_name(snap.meta.index),
                               encode_snapshot_file(snap));
}

Status decode_snapshot_file(std::string_view data, const std::string& name, raft::Snapshot* out) {
  if (data.size() < kFileHeaderSize) return Status::Corruption(name + ": truncated header");
  uint64_t id = 0;
  RAFTKV_RETURN_IF_ERROR(decode_file_header(data, kSnapshotMagic, name, &id));
  ScannedRecord rec;
  std::string why;
  std::string_view body = data.substr(kFileHeaderSize);
  ScanResult r = scan_record(body, &rec, &why);
  if (r != ScanResult::kRecord) {
    if (why.empty()) why = "truncated snapshot record";
    return Status::Corruption(name + " offset " + std::to_string(kFileHeaderSize) + ": " + why);
  }
  if (rec.type != RecordType::kSnapshot || rec.size != body.size() ||
      !proto::decode(rec.payload, out) || out->meta.index != id) {
    return Status::Corruption(name + " offset " + std::to_string(kFileHeaderSize) +
                              ": snapshot record does not match its file");
  }
  return Status::Ok();
}

Status read_snapshot_file(FileSystem* fs, const std::string& dir, uint64_t index,
                          raft::Snapshot* out) {
  const std::string name = snapshot_file_name(index);
  std::string data;
  Status s = read_file(fs, join_path(dir, name), &data);
  if (s.code() == StatusCode::kNotFound) {
    return Status::Corruption(name + ": snapshot file referenced by the log is missing");
  }
  RAFTKV_RETURN_IF_ERROR(s);
  RAFTKV_RETURN_IF_ERROR(decode_snapshot_file(data, name, out));
  if (out->meta.index != index) {
    return Status::Corruption(name + " offset " + std::to_string(kFileHeaderSize) +
                              ": snapshot record does not match its file");
  }
  return Status::Ok();
}

}  // namespace raftkv::storage
