// The snapshot child: its outcome reaches the io thread, and a child that hangs is killed
// by the watchdog instead of blocking snapshots for good.
#include <gtest/gtest.h>
#include <unistd.h>

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
