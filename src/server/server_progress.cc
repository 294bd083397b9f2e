// Progress of the long jobs a node does (issue #16 part 6): replaying the log after a
// restart, and InstallSnapshot transfers to and from peers. Reported in the log once a
// second while they last, and in INFO persistence (Redis's loading_* fields for the
// replay, which redis-cli --stat and tools that wait for `loading:0` understand).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "server/server.h"

namespace raftkv::server {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProgressLogInterval = std::chrono::seconds(1);

double percent(uint64_t done, uint64_t total) {
  return total == 0 ? 0.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total);
}

}  // namespace

void Server::begin_replay(raft::Index from, raft::Index to) {
  replay_ = Replay{from, to, Clock::now(),
                   std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count(),
                   true};
  spdlog::info("replaying the log: entries {} to {} ({} entries) to apply", from + 1, to,
               to - from);
}

uint64_t Server::replay_eta_seconds() const {
  const uint64_t done = applied_index_ - replay_.from;
  if (done == 0) return 0;
  const double elapsed = std::chrono::duration<double>(Clock::now() - replay_.started).count();
  return static_cast<uint64_t>(elapsed / static_cast<double>(done) *
                               static_cast<double>(replay_.to - applied_index_));
}

void Server::report_progress() {
  const auto now = Clock::now();
  if (replay_.active && applied_index_ >= replay_.to) {
    replay_.active = false;
    spdlog::info(
        "log replayed: {} entries applied in {} ms", replay_.to - replay_.from,
        std::chrono::duration_cast<std::chrono::milliseconds>(now - replay_.started).count());
  }
  if (now - last_progress_log_ < kProgressLogInterval) return;
  last_progress_log_ = now;
  if (replay_.active) {
    spdlog::info("replaying the log: applied {} of {} entries ({:.1f}%), about {} s left",
                 applied_index_ - replay_.from, replay_.to - replay_.from,
                 percent(applied_index_ - replay_.from, replay_.to - replay_.from),
                 replay_eta_seconds());
  }
  for (const auto& p : sender_->progress()) {
    spdlog::info(
        "sending the snapshot at index {} to node {}: {} of {} bytes acknowledged "
        "({:.1f}%)",
        p.index, p.peer, p.done, p.total, percent(p.done, p.total));
  }
  for (const auto& p : receiver_->progress()) {
    spdlog::info("receiving the snapshot at index {} from node {}: {} of {} bytes ({:.1f}%)",
                 p.index, p.peer, p.done, p.total, percent(p.done, p.total));
  }
}

std::string Server::progress_info() const {
  std::string out;
  auto add = [&out](const std::string& key, const std::string& value) {
    out += key + ":" + value + "\r\n";
  };
  add("loading", replay_.active ? "1" : "0");
  if (replay_.active) {
    const uint64_t total = replay_.to - replay_.from;
    const uint64_t done = applied_index_ - replay_.from;
    add("loading_start_time", std::to_string(replay_.start_unix));
    add("loading_total_entries", std::to_string(total));
    add("loading_loaded_entries", std::to_string(done));
    add("loading_loaded_perc", fmt::format("{:.2f}", percent(done, total)));
    add("loading_eta_seconds", std::to_string(replay_eta_seconds()));
  }
  // What redis-cli --stat's "child" column reads.
  add("bgsave_in_progress", taker_->busy() ? "1" : "0");
  add("aof_rewrite_in_progress", "0");
  for (const auto& p : sender_->progress()) {
    add("snapshot_sending_to_" + std::to_string(p.peer),
        fmt::format("index={},acked_bytes={},total_bytes={},perc={:.2f}", p.index, p.done, p.total,
                    percent(p.done, p.total)));
  }
  for (const auto& p : receiver_->progress()) {
    add("snapshot_receiving_from_" + std::to_string(p.peer),
        fmt::format("index={},received_bytes={},total_bytes={},perc={:.2f}", p.index, p.done,
                    p.total, percent(p.done, p.total)));
  }
  return out;
}

}  // namespace raftkv::server
