// Durable storage benchmarks (not run by ctest):
//   BM_Append          entries/s and MB/s of DurableStorage::save with one fdatasync per batch
//   BM_DiskFsync       the disk's own rate: the same bytes per iteration with write+fdatasync
//   BM_Recovery        time to open (recover) a log of --recovery_mb MiB of 4 KiB entries
// Flags (besides Google Benchmark's): --bench_dir=DIR (default: a directory under /tmp; use
// a directory on the disk you want to measure), --recovery_mb=N (default 256).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "storage/durable_storage.h"
#include "storage/posix_file_system.h"

namespace raftkv::storage {
namespace {

std::string g_bench_dir;
uint64_t g_recovery_mb = 256;

std::string fresh_dir(const std::string& name) {
  std::filesystem::path p = std::filesystem::path(g_bench_dir) / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

std::vector<raft::Entry> make_batch(raft::Index first, int64_t count, int64_t size) {
  std::vector<raft::Entry> batch;
  for (int64_t i = 0; i < count; ++i) {
    batch.push_back(raft::Entry{1, first + static_cast<raft::Index>(i), raft::EntryType::kNormal,
                                std::string(static_cast<size_t>(size), 'x')});
  }
  return batch;
}

void BM_Append(benchmark::State& state) {
  const int64_t entry_bytes = state.range(0);
  const int64_t batch = state.range(1);
  PosixFileSystem fs;
  std::unique_ptr<DurableStorage> s;
  Status st = DurableStorage::open(&fs, {fresh_dir("append") + "/log"}, &s);
  if (!st.ok()) return state.SkipWithError(st.to_string().c_str());
  // One batch reused with fresh indices, so the loop measures storage, not allocation.
  std::vector<raft::Entry> entries = make_batch(1, batch, entry_bytes);
  raft::Index next = 1;
  for (auto _ : state) {
    for (raft::Entry& e : entries) e.index = next++;
    st = s->save(raft::HardState{1, 1, next - 1}, entries, std::nullopt);
    if (!st.ok()) return state.SkipWithError(st.to_string().c_str());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetBytesProcessed(state.iterations() * batch * entry_bytes);
  state.counters["fsyncs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The same payload bytes per iteration, written and fdatasync'ed with no log around them.
void BM_DiskFsync(benchmark::State& state) {
  const int64_t bytes = state.range(0) * state.range(1);
  std::string path = fresh_dir("fsync") + "/file";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return state.SkipWithError("open failed");
  std::string data(static_cast<size_t>(bytes), 'x');
  for (auto _ : state) {
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write/fdatasync failed");
      break;
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["fsyncs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void append_args(benchmark::internal::Benchmark* b) {
  for (int64_t size : {100, 4096}) {
    for (int64_t batch : {1, 8, 64, 256}) b->Args({size, batch});
  }
  b->ArgNames({"entry_bytes", "batch"})->MinTime(1.0)->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_Append)->Apply(append_args);
BENCHMARK(BM_DiskFsync)->Apply(append_args);

void BM_Recovery(benchmark::State& state) {
  const int64_t entry_bytes = 4096;
  const int64_t batch = 256;  // 1 MiB per save
  std::string dir = fresh_dir("recovery") + "/log";
  PosixFileSystem fs;
  {
    std::unique_ptr<DurableStorage> s;
    Status st = DurableStorage::open(&fs, {dir}, &s);
    raft::Index next = 1;
    for (uint64_t mb = 0; st.ok() && mb < g_recovery_mb; ++mb) {
      st = s->save(raft::HardState{1, 1, next}, make_batch(next, batch, entry_bytes), std::nullopt);
      next += static_cast<raft::Index>(batch);
    }
    if (!st.ok()) return state.SkipWithError(st.to_string().c_str());
  }
  raft::Index last = 0;
  for (auto _ : state) {
    std::unique_ptr<DurableStorage> s;
    Status st = DurableStorage::open(&fs, {dir}, &s);
    if (!st.ok()) return state.SkipWithError(st.to_string().c_str());
    last = s->last_index();
  }
  state.counters["log_MiB"] = static_cast<double>(g_recovery_mb);
  state.counters["entries"] = static_cast<double>(last);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(g_recovery_mb << 20));
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}
BENCHMARK(BM_Recovery)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

// Takes this benchmark's own flags out of argv before Google Benchmark sees them.
void parse_flags(int* argc, char** argv) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--bench_dir=", 0) == 0) {
      g_bench_dir = a.substr(12);
    } else if (a.rfind("--recovery_mb=", 0) == 0) {
      g_recovery_mb = std::strtoull(a.c_str() + 14, nullptr, 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  if (g_bench_dir.empty()) {
    g_bench_dir = (std::filesystem::temp_directory_path() /
                   ("raftkv-storage-bench-" + std::to_string(getpid())))
                      .string();
  }
}

}  // namespace
}  // namespace raftkv::storage

int main(int argc, char** argv) {
  raftkv::storage::parse_flags(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(raftkv::storage::g_bench_dir);
  return 0;
}
