// The snapshot image round-trips keys, sessions' applied index and the member directory,
// and refuses any damaged byte instead of restoring a partial state.
#include "server/snapshot_image.h"

#include <gtest/gtest.h>

#include "kv/state_machine.h"

namespace raftkv::server {
namespace {

TEST(SnapshotImageTest, RoundTripsKvStateAndMembers) {
  kv::StateMachine sm;
  std::map<raft::NodeId, std::string> members{{1, "127.0.0.1:7001"}, {2, "host-b:7002"}};
  std::string kv_image = sm.serialize();
  std::string bytes = encode_snapshot_image(kv_image, members);
  SnapshotImage img;
  ASSERT_EQ(decode_snapshot_image(bytes, &img), "");
  EXPECT_EQ(img.kv, kv_image);
  EXPECT_EQ(img.members, members);
}

TEST(SnapshotImageTest, EveryFlippedByteAndEveryTruncationIsRefused) {
  std::string bytes = encode_snapshot_image("kv-bytes", {{3, "a:1"}});
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    SnapshotImage img;
    EXPECT_NE(decode_snapshot_image(damaged, &img), "") << "byte " << i;
    EXPECT_NE(decode_snapshot_image(std::string_view(bytes).substr(0, i), &img), "")
        << "length " << i;
  }
}

}  // namespace
}  // namespace raftkv::server
