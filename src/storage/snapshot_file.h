// Snapshot files (named by file_names.h) in the log directory, holding a file
// header (file_header.h, id = snapshot index) and one kSnapshot record with the whole
// Snapshot (metadata and state-machine image). Written atomically (temp file, sync, rename,
// directory sync) before the log record that refers to it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raft/types.h"
#include "storage/file_names.h"
#include "storage/file_system.h"
#include "storage/status.h"

namespace raftkv::storage {

Status write_snapshot_file(FileSystem* fs, const std::string& dir, const raft::Snapshot& snap);
// The bytes of a snapshot file, and back (checksums verified; `name` is what errors call
// the bytes). A backup (raftkv snapshot save) is a snapshot file under another name.
std::string encode_snapshot_file(const raft::Snapshot& snap);
Status decode_snapshot_file(std::string_view data, const std::string& name, raft::Snapshot* out);
Status read_snapshot_file(FileSystem* fs, const std::string& dir, uint64_t index,
                          raft::Snapshot* out);

}  // namespace raftkv::storage
