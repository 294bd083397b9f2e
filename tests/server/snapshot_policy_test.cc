// The snapshot policy: a count criterion, and a bytes criterion that grows with the last
// image (Redis's auto-aof-rewrite rule), each of which 0 turns off.
#include "server/snapshot_policy.h"

#include <gtest/gtest.h>

namespace raftkv::server {
namespace {

ServerOptions policy(uint64_t entries, uint64_t bytes, uint64_t growth_percent) {
  ServerOptions o;
  o.snapshot_entries = entries;
  o.snapshot_bytes = bytes;
  o.snapshot_growth_percent = growth_percent;
  return o;
}

TEST(SnapshotPolicyTest, EntriesCriterionAloneTriggersAtItsCount) {
  ServerOptions o = policy(100, 0, 100);
  EXPECT_FALSE(snapshot_due(o, {99, 1u << 30, 0}));
  EXPECT_TRUE(snapshot_due(o, {100, 0, 0}));
}

TEST(SnapshotPolicyTest, BytesCriterionUsesTheMinimumWhileTheImageIsSmall) {
  ServerOptions o = policy(0, 1000, 100);
  EXPECT_FALSE(snapshot_due(o, {1u << 20, 999, 0}));
  EXPECT_TRUE(snapshot_due(o, {1, 1000, 0}));
  EXPECT_TRUE(snapshot_due(o, {1, 1000, 500}));  // half-size image: the minimum rules
}

TEST(SnapshotPolicyTest, BytesThresholdGrowsWithTheLastImage) {
  ServerOptions o = policy(0, 1000, 100);
  EXPECT_FALSE(snapshot_due(o, {1, 49999, 50000}));  // wait for a full image's worth
  EXPECT_TRUE(snapshot_due(o, {1, 50000, 50000}));
  ServerOptions half = policy(0, 1000, 50);
  EXPECT_FALSE(snapshot_due(half, {1, 24999, 50000}));
  EXPECT_TRUE(snapshot_due(half, {1, 25000, 50000}));
}

TEST(SnapshotPolicyTest, ZeroGrowthKeepsAFixedBytesThreshold) {
  ServerOptions o = policy(0, 1000, 0);
  EXPECT_TRUE(snapshot_due(o, {1, 1000, 1u << 30}));
}

TEST(SnapshotPolicyTest, EntriesCriterionBoundsTheLogWhateverTheImageSize) {
  ServerOptions o = policy(100, 1000, 100);
  EXPECT_TRUE(snapshot_due(o, {100, 10, 1u << 30}));
}

TEST(SnapshotPolicyTest, BothCriteriaOffNeverSnapshots) {
  ServerOptions o = policy(0, 0, 100);
  EXPECT_FALSE(snapshot_due(o, {1u << 30, 1u << 30, 0}));
}

TEST(SnapshotPolicyTest, DefaultsFollowRedisAofRewrite) {
  ServerOptions o;
  EXPECT_EQ(o.snapshot_bytes, 64u << 20);
  EXPECT_EQ(o.snapshot_growth_percent, 100u);
}

}  // namespace
}  // namespace raftkv::server
