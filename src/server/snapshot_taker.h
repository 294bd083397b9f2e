// Takes a snapshot without stopping the event loop, the way Redis's BGSAVE does: fork() a
// child, which sees the state as it was at the fork (copy-on-write pages), serializes it,
// writes and fsyncs the snapshot file and _exit()s; the parent keeps serving writes and
// learns the outcome from a thread that waits for the child.
//
// The child of a multi-threaded process may only use what other threads cannot have left
// locked: glibc's malloc is fork-safe (it resets its arenas in the child), and the work must
// only serialize, write, fsync and _exit — no logging, no locks, no asio.
#pragma once

#include <sys/types.h>

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace raftkv::server {

class SnapshotTaker {
 public:
  // Runs in the child; returns false on failure (the child exits with status 1).
  using ChildWork = std::function<bool()>;
  // Runs on the io thread once the child has exited.
  using Done = std::function<void(bool ok, const std::string& error)>;

  // A child still running after `timeout` is killed (the snapshot then fails and is retried
  // by the policy): whatever hangs it, it must not stop snapshots for good.
  SnapshotTaker(asio::io_context& io, std::chrono::milliseconds timeout)
      : io_(io), timeout_(timeout), watchdog_(io) {}
  // Kills a child still running (its temporary file is removed by the next recovery) and
  // waits for it.
  ~SnapshotTaker();
  SnapshotTaker(const SnapshotTaker&) = delete;
  SnapshotTaker& operator=(const SnapshotTaker&) = delete;

  // Forks now; call on the io thread. Empty on success, else why it could not start.
  std::string start(ChildWork work, Done done);
  bool busy() const { return child_ > 0; }
  // How long the last fork() call blocked the io thread (page-table copy).
  std::chrono::microseconds last_fork_time() const { return last_fork_time_; }

 private:
  asio::io_context& io_;
  std::chrono::milliseconds timeout_;
  asio::steady_timer watchdog_;
  pid_t child_ = 0;
  std::atomic<bool> reaped_{false};  // never signal a pid that may have been reused
  std::thread waiter_;
  std::chrono::microseconds last_fork_time_{0};
};

}  // namespace raftkv::server
