// The snapshot child: its outcome reaches the io thread, and a child that hangs is killed
// by the watchdog instead of blocking snapshots for good.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>

#include "server/snapshot_taker.h"

namespace raftkv::server {
namespace {

struct Outcome {
  bool done = false;
  bool ok = false;
  std::string error;
};

Outcome run(SnapshotTaker::ChildWork work, std::chrono::milliseconds timeout) {
  asio::io_context io;
  SnapshotTaker taker(io, timeout);
  Outcome out;
  EXPECT_EQ(taker.start(std::move(work),
                        [&](bool ok, const std::string& error) {
                          out = {true, ok, error};
                          io.stop();
                        }),
            "");
  EXPECT_TRUE(taker.busy());
  // The outcome is posted from the waiter thread: keep the loop alive until it arrives.
  auto guard = asio::make_work_guard(io);
  io.run_for(std::chrono::seconds(20));  // bounded whatever happens
  EXPECT_FALSE(taker.busy());
  return out;
}

TEST(SnapshotTaker, ReportsTheChildsOutcome) {
  Outcome ok = run([] { return true; }, std::chrono::seconds(10));
  EXPECT_TRUE(ok.done);
  EXPECT_TRUE(ok.ok);
  Outcome failed = run([] { return false; }, std::chrono::seconds(10));
  EXPECT_TRUE(failed.done);
  EXPECT_FALSE(failed.ok);
}

TEST(SnapshotTaker, WatchdogKillsAHungChild) {
  Outcome hung = run(
      [] {
        for (;;) ::pause();
        return true;
      },
      std::chrono::milliseconds(200));
  ASSERT_TRUE(hung.done);
  EXPECT_FALSE(hung.ok);
  EXPECT_NE(hung.error.find("signal 9"), std::string::npos) << hung.error;
}

}  // namespace
}  // namespace raftkv::server

namespace raftkv::server {
namespace {

// A snapshot child dies with its node: kill -9 of the server leaves no process behind.
TEST(SnapshotTaker, ChildDiesWithItsParent) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t node = ::fork();
  ASSERT_GE(node, 0);
  if (node == 0) {
    asio::io_context io;
    SnapshotTaker taker(io, std::chrono::hours(1));
    int write_end = fds[1];
    taker.start(
        [write_end] {
          pid_t self = ::getpid();
          (void)!::write(write_end, &self, sizeof self);
          for (;;) ::pause();
          return true;
        },
        [](bool, const std::string&) {});
    for (;;) ::pause();
  }
  ::close(fds[1]);
  pid_t child = 0;
  ASSERT_EQ(::read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  ::close(fds[0]);
  ::kill(node, SIGKILL);
  ::waitpid(node, nullptr, 0);
  // Gone: no such process, or a zombie waiting for init to reap it.
  auto is_gone = [child] {
    if (::kill(child, 0) != 0) return true;
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid, comm, state;
    stat >> pid >> comm >> state;
    return state == "Z";
  };
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {  // up to 5 s
    gone = is_gone();
    if (!gone) ::usleep(10000);
  }
  EXPECT_TRUE(gone) << "snapshot child " << child << " outlived its node";
  if (!gone) ::kill(child, SIGKILL);
}

}  // namespace
}  // namespace raftkv::server
