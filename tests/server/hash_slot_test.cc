#include <gtest/gtest.h>

#include "server/hash_slot.h"

namespace raftkv::server {
namespace {

// The Redis Cluster specification: CRC16 of "123456789" is 0x31C3; slots of a few keys as
// redis-server's CLUSTER KEYSLOT reports them; hash tags.
TEST(HashSlot, MatchesRedisCluster) {
  EXPECT_EQ(hash_slot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(hash_slot("foo"), 12182);
  EXPECT_EQ(hash_slot("bar"), 5061);
  EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("user1000"));
  EXPECT_EQ(hash_slot("foo{}{bar}"), hash_slot("foo{}{bar}"));  // empty tag: whole key
  EXPECT_NE(hash_slot("foo{}{bar}"), hash_slot("bar"));
  EXPECT_EQ(hash_slot("foo{{bar}}zap"), hash_slot("{bar"));
  EXPECT_EQ(hash_slot(""), 0);
}

}  // namespace
}  // namespace raftkv::server
