// State machine snapshots: round trip, determinism, and refusal of damaged images.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <utility>

#include "kv/byte_codec.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

void populate(KvHarness& kv) {
  kv.run({"SESSION", "OPEN"});
  for (int i = 0; i < 100; ++i) kv.run({"SET", "key" + std::to_string(i), std::string(i, 'v')});
  kv.run({"SEQ", "1", "5", "INCR", "counter"});
  kv.run({"SET", "bin", std::string("\0\r\n\xff", 4)});
}

TEST(Snapshot, RoundTripRestoresEverything) {
  KvHarness a;
  populate(a);
  const std::string image = a.sm.serialize();
  KvHarness b;
  b.run({"SET", "stale", "x"});
  ASSERT_TRUE(b.sm.restore(image).is_ok());
  EXPECT_EQ(b.sm.serialize(), image);
  EXPECT_EQ(b.sm.applied_index(), a.sm.applied_index());
  EXPECT_EQ(b.sm.log_time_ms(), a.sm.log_time_ms());
  EXPECT_EQ(b.sm.digest(), a.sm.digest());
  EXPECT_EQ(b.sm.read({"EXISTS", "stale"}), ":0\r\n");
  EXPECT_EQ(b.sm.read({"GET", "key3"}), "$3\r\nvvv\r\n");
  // The session came along: a retry is still answered from it, not applied again.
  b.index = a.index;
  EXPECT_EQ(b.run({"SEQ", "1", "5", "INCR", "counter"}), ":1\r\n");
  EXPECT_EQ(b.run({"SEQ", "1", "4", "INCR", "counter"}), "-ERR stale sequence number\r\n");
  EXPECT_EQ(b.run({"GET", "counter"}), "$1\r\n1\r\n");
}

TEST(Snapshot, EmptyStateRoundTrips) {
  StateMachine a;
  StateMachine b;
  ASSERT_TRUE(b.restore(a.serialize()).is_ok());
  EXPECT_EQ(b.serialize(), a.serialize());
}

// The data is ordered canonically whatever the insertion order. (The image as a whole also
// records when keys changed, for WATCH, so equal logs, not equal data, give equal bytes.)
TEST(Snapshot, SameDataWhateverTheHistory) {
  KvHarness a;
  KvHarness b;
  for (int i = 0; i < 50; ++i) a.run({"SET", "k" + std::to_string(i), "v"});
  for (int i = 49; i >= 0; --i) b.run({"SET", "k" + std::to_string(i), "v"});
  StateMachine from_a, from_b;
  ASSERT_TRUE(from_a.restore(a.sm.serialize()).ok());
  ASSERT_TRUE(from_b.restore(b.sm.serialize()).ok());
  EXPECT_EQ(from_a.digest(), from_b.digest());
  EXPECT_EQ(from_a.read({"SCAN", "0", "COUNT", "100"}), from_b.read({"SCAN", "0", "COUNT", "100"}));
}

TEST(Snapshot, DamagedImagesAreRefusedAndChangeNothing) {
  KvHarness a;
  populate(a);
  const std::string image = a.sm.serialize();
  KvHarness b;
  b.run({"SET", "mine", "1"});
  const std::string before = b.sm.serialize();
  EXPECT_FALSE(b.sm.restore("").is_ok());
  EXPECT_FALSE(b.sm.restore("RKVSNAP9" + image.substr(8)).is_ok());
  for (size_t n = 0; n < image.size(); n += 7)
    EXPECT_FALSE(b.sm.restore(image.substr(0, n)).is_ok());
  for (size_t at = 0; at < image.size(); at += 5) {
    std::string flipped = image;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x20);
    EXPECT_FALSE(b.sm.restore(flipped).is_ok()) << "flip at " << at;
  }
  EXPECT_EQ(b.sm.serialize(), before);
}

// Sessions (by id) and deadlines (by key) have one order, like keys: an image with them
// in another order is refused, not reordered (found by fuzzing, tests/fuzz/regressions).
TEST(Snapshot, SessionsAndDeadlinesOutOfOrderAreRefused) {
  KvHarness a;
  a.run({"SESSION", "OPEN"});
  a.run({"SESSION", "OPEN"});
  a.run({"SET", "a", "1", "PX", "100000"});
  a.run({"SET", "b", "1", "PX", "100000"});
  const std::string image = a.sm.serialize();
  std::string body = image.substr(0, image.size() - 8);
  auto reseal = [](std::string b) {
    ByteWriter(&b).fixed64(XXH3_64bits(b.data(), b.size()));
    return b;
  };
  KvHarness b;
  ASSERT_TRUE(b.sm.restore(reseal(body)).is_ok());
  // The deadlines section ends the body: (a, at) then (b, at); swap the two keys.
  std::string deadlines_swapped = body;
  std::swap(deadlines_swapped[deadlines_swapped.rfind("\x01"
                                                      "a") +
                              1],
            deadlines_swapped[deadlines_swapped.rfind("\x01"
                                                      "b") +
                              1]);
  EXPECT_EQ(b.sm.restore(reseal(deadlines_swapped)).message(), "snapshot expiries out of order");
  // Sessions 1 and 2, each (id, 0, index, time, empty reply): make the first one 3.
  std::string sessions_swapped = body;
  const size_t sessions = sessions_swapped.find(std::string("\x02\x01\x00", 3));
  ASSERT_NE(sessions, std::string::npos);
  sessions_swapped[sessions + 1] = '\x03';
  EXPECT_EQ(b.sm.restore(reseal(sessions_swapped)).message(), "snapshot sessions out of order");
}

}  // namespace
}  // namespace raftkv::kv
