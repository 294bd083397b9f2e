#include "storage/wal.h"

#include <algorithm>
#include <chrono>

#include "storage/file_header.h"
#include "storage/file_names.h"

namespace raftkv::storage {
namespace {

std::string at(const std::string& name, uint64_t offset) {
  return name + " offset " + std::to_string(offset);
}

// Bytes up to the last non-zero one: what a preallocated region really holds.
size_t used_length(std::string_view data) {
  auto last = std::find_if(data.rbegin(), data.rend(), [](char c) { return c != 0; });
  return static_cast<size_t>(data.rend() - last);
}

}  // namespace

Status Wal::open(FileSystem* fs, const WalOptions& options, const Visitor& visit,
                 std::unique_ptr<Wal>* out, RecoveryReport* report) {
  if (options.dir.empty()) return Status::InvalidArgument("empty log directory");
  std::unique_ptr<Wal> wal(new Wal(fs, options));
  RAFTKV_RETURN_IF_ERROR(fs->create_dir(options.dir));
  RAFTKV_RETURN_IF_ERROR(wal->recover(visit, report));
  *out = std::move(wal);
  return Status::Ok();
}

Status Wal::recover(const Visitor& visit, RecoveryReport* report) {
  std::vector<std::string> names;
  RAFTKV_RETURN_IF_ERROR(fs_->list_dir(options_.dir, &names));
  for (const std::string& name : names) {
    uint64_t seq = 0;
    if (parse_segment_name(name, &seq)) segments_.push_back(seq);
  }
  std::sort(segments_.begin(), segments_.end());
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (i > 0 && segments_[i] != segments_[i - 1] + 1) {
      std::string what = "missing segment(s) between " + segment_name(segments_[i - 1]) + " and " +
                         segment_name(segments_[i]);
      if (!options_.repair) return Status::Corruption(what);
      report->actions.push_back(what);
      RAFTKV_RETURN_IF_ERROR(discard_from(i, report));
      break;
    }
    bool stop = false;
    RAFTKV_RETURN_IF_ERROR(recover_segment(i, visit, report, &stop));
    if (stop) break;
  }
  if (!segments_.empty()) {
    std::string path = join_path(options_.dir, segment_name(segments_.back()));
    RAFTKV_RETURN_IF_ERROR(fs_->open(path, OpenMode::kReadWrite, &active_));
    active_size_ = recovered_end_;  // new records overwrite the zeros after the last one
    zeroed_to_ = active_size_;      // what lies beyond may be only reserved
  }
  return Status::Ok();
}

// Reads segment i, hands its records to the visitor and settles its tail. Sets *stop when
// the segments after it were discarded (repair) or it was removed.
Status Wal::recover_segment(size_t i, const Visitor& visit, RecoveryReport* report, bool* stop) {
  const bool last = i + 1 == segments_.size();
  const std::string name = segment_name(segments_[i]);
  const std::string path = join_path(options_.dir, name);
  std::string data;
  RAFTKV_RETURN_IF_ERROR(read_file(fs_, path, &data));

  if (data.size() < kFileHeaderSize || all_zero(data.substr(0, kFileHeaderSize))) {
    if (!last && !options_.repair) {
      return Status::Corruption(at(name, 0) + ": segment is missing its file header");
    }
    // The last segment was being created when the machine stopped: nothing in it was
    // acknowledged. (Or, repairing, everything from here on is discarded.)
    report->actions.push_back("removed " + name + " (" + std::to_string(data.size()) +
                              " bytes): incomplete file header");
    RAFTKV_RETURN_IF_ERROR(discard_from(i, report));
    *stop = true;
    return Status::Ok();
  }
  uint64_t seq = 0;
  Status header = decode_file_header(data, kSegmentMagic, name, &seq);
  if (header.ok() && seq != segments_[i]) {
    header = Status::Corruption(at(name, 0) + ": header names segment " + std::to_string(seq));
  }
  if (!header.ok()) {
    if (!options_.repair) return header;
    report->actions.push_back("discarding " + name + ": " + header.message());
    RAFTKV_RETURN_IF_ERROR(discard_from(i, report));
    *stop = true;
    return Status::Ok();
  }

  uint64_t offset = kFileHeaderSize;
  while (true) {
    ScannedRecord rec;
    std::string why;
    std::string_view rest = std::string_view(data).substr(offset);
    ScanResult r = scan_record(rest, &rec, &why);
    if (r == ScanResult::kRecord) {
      Status v = visit(segments_[i], rec.type, rec.payload);
      if (v.ok()) {
        offset += rec.size;
        continue;
      }
      r = ScanResult::kCorrupt;
      why = v.message();
    }
    if (r == ScanResult::kEnd && (last || rest.empty())) {
      recovered_end_ = offset;
      return Status::Ok();
    }
    if (r == ScanResult::kEnd) {
      // A finished segment is cut to its records before the next one starts (finish_active),
      // so zeros at its end mean records were lost.
      r = ScanResult::kCorrupt;
      why = "segment ends in zeros (truncated segment)";
    }
    if (r == ScanResult::kTorn && last) {
      report->actions.push_back("cut torn tail of " + name + " at offset " +
                                std::to_string(offset) + " (" + std::to_string(used_length(rest)) +
                                " bytes)");
      break;
    }
    if (r == ScanResult::kTorn) why = "segment ends inside a record (truncated segment)";
    std::string what = at(name, offset) + ": " + why;
    if (!options_.repair) return Status::Corruption(what);
    std::string action = "repair: " + what + "; discarding ";
    action += std::to_string(used_length(rest));
    action += " bytes of " + name + " from that offset";
    report->actions.push_back(std::move(action));
    RAFTKV_RETURN_IF_ERROR(discard_from(i + 1, report));
    *stop = true;
    break;
  }
  // Cut the segment at `offset` so new records follow the last valid one, and zero what
  // followed: a stale record there must never be read back as part of the log.
  std::unique_ptr<File> f;
  RAFTKV_RETURN_IF_ERROR(fs_->open(path, OpenMode::kReadWrite, &f));
  RAFTKV_RETURN_IF_ERROR(f->truncate(offset));
  if (last) RAFTKV_RETURN_IF_ERROR(f->allocate(std::max<uint64_t>(offset, data.size())));
  recovered_end_ = offset;
  return f->sync();
}

// Deletes segments i and later (recovery found them unusable).
Status Wal::discard_from(size_t i, RecoveryReport* report) {
  for (size_t j = i; j < segments_.size(); ++j) {
    if (j > i) report->actions.push_back("removed " + segment_name(segments_[j]));
    RAFTKV_RETURN_IF_ERROR(fs_->remove(join_path(options_.dir, segment_name(segments_[j]))));
  }
  if (i < segments_.size()) {
    segments_.resize(i);
    RAFTKV_RETURN_IF_ERROR(fs_->sync_dir(options_.dir));
  }
  return Status::Ok();
}

Status Wal::fail(Status s) {
  failure_ = s;
  return s;
}

bool Wal::needs_new_segment() const {
  return !active_ || active_size_ >= options_.segment_bytes;
}

// Cuts the active segment's preallocated zeros off and makes that durable, so that only the
// last segment ever ends in zeros (recovery treats zeros anywhere else as lost records).
Status Wal::finish_active() {
  if (!active_) return Status::Ok();
  uint64_t size = 0;
  RAFTKV_RETURN_IF_ERROR(active_->size(&size));
  if (size == active_size_) return Status::Ok();
  RAFTKV_RETURN_IF_ERROR(active_->truncate(active_size_));
  return active_->sync();
}

Status Wal::start_segment(std::string_view preamble) {
  if (!failure_.ok()) return Status::Failed(failure_.to_string());
  if (Status s = finish_active(); !s.ok()) return fail(s);
  uint64_t seq = segments_.empty() ? 1 : segments_.back() + 1;
  std::string path = join_path(options_.dir, segment_name(seq));
  std::unique_ptr<File> f;
  Status s = fs_->open(path, OpenMode::kCreateTruncate, &f);
  std::string data = encode_file_header(kSegmentMagic, seq);
  data.append(preamble);
  if (s.ok()) s = f->write_at(0, data);
  // Reserving the whole segment now keeps each later write's fdatasync from having to
  // commit a new file size to the journal: with several nodes on one disk it is the
  // difference between about 190 and 125 us per sync (docs/storage.md).
  if (s.ok()) s = f->allocate(options_.segment_bytes);
  if (!s.ok()) return fail(s);
  segments_.push_back(seq);
  active_ = std::move(f);
  active_size_ = data.size();
  zeroed_to_ = active_size_;
  dir_sync_pending_ = true;
  return Status::Ok();
}

// Writing into reserved ("unwritten") space makes each fdatasync also journal the extent
// conversion: with three nodes syncing on one disk, 4 KiB writes + fdatasync took a median
// 212 us into fallocated space against 150 us into space already written with zeros (95
// against 145 us for a single writer; docs/storage.md). So the segment is written with
// zeros a chunk ahead of the records; the chunk rides with the next sync. Zeros after the
// last record are what recovery takes as the clean end, so this changes nothing there.
Status Wal::zero_ahead(uint64_t end) {
  if (end <= zeroed_to_ || zeroed_to_ >= options_.segment_bytes) return Status::Ok();
  if (zeros_.empty()) zeros_.assign(kZeroAheadBytes, '\0');
  const uint64_t target = std::min<uint64_t>(std::max<uint64_t>(end, zeroed_to_ + kZeroAheadBytes),
                                             options_.segment_bytes);
  while (zeroed_to_ < target) {
    const uint64_t n = std::min<uint64_t>(target - zeroed_to_, zeros_.size());
    RAFTKV_RETURN_IF_ERROR(active_->write_at(zeroed_to_, std::string_view(zeros_.data(), n)));
    zeroed_to_ += n;
  }
  return Status::Ok();
}

Status Wal::write(std::string_view records) {
  if (!failure_.ok()) return Status::Failed(failure_.to_string());
  if (!active_) return Status::InvalidArgument("no active segment");
  // Three clock reads per append, against an fsync of 100 us or more: the timings cost
  // nothing measurable and tell the operator whether the disk is the bottleneck.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  Status s = zero_ahead(active_size_ + records.size());
  if (s.ok()) s = active_->write_at(active_size_, records);
  const Clock::time_point t1 = Clock::now();
  if (s.ok()) s = active_->sync();
  const Clock::time_point t2 = Clock::now();
  if (s.ok() && dir_sync_pending_) s = fs_->sync_dir(options_.dir);
  if (!s.ok()) return fail(s);
  dir_sync_pending_ = false;
  active_size_ += records.size();
  if (options_.stats) {
    options_.stats->write.record(t1 - t0);
    options_.stats->fsync.record(t2 - t1);
    options_.stats->bytes_written.fetch_add(records.size(), std::memory_order_relaxed);
  }
  return Status::Ok();
}

Status Wal::remove_oldest_segment() {
  if (!failure_.ok()) return Status::Failed(failure_.to_string());
  if (segments_.size() < 2) return Status::InvalidArgument("cannot remove the active segment");
  Status s = fs_->remove(join_path(options_.dir, segment_name(segments_.front())));
  if (s.ok()) s = fs_->sync_dir(options_.dir);
  if (!s.ok()) return fail(s);
  segments_.erase(segments_.begin());
  return Status::Ok();
}

}  // namespace raftkv::storage
