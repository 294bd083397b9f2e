#include "net/send_queue.h"

#include <gtest/gtest.h>

namespace raftkv::net {
namespace {

using raft::MessageType;

TEST(SendQueue, ClassifiesTimeCriticalMessagesAsPriority) {
  for (MessageType t : {MessageType::kHeartbeat, MessageType::kHeartbeatResp, MessageType::kVote,
                        MessageType::kVoteResp, MessageType::kPreVote, MessageType::kPreVoteResp,
                        MessageType::kReadIndex, MessageType::kReadIndexResp}) {
    EXPECT_EQ(lane_for(t), Lane::kPriority) << raft::to_string(t);
  }
  for (MessageType t : {MessageType::kApp, MessageType::kAppResp, MessageType::kSnapshot}) {
    EXPECT_EQ(lane_for(t), Lane::kBulk) << raft::to_string(t);
  }
}

TEST(SendQueue, PriorityFramesGoFirstThenBulkInOrder) {
  SendQueue q(SendQueueLimits{});
  ASSERT_TRUE(q.push(Lane::kBulk, "app1"));
  ASSERT_TRUE(q.push(Lane::kPriority, "hb1"));
  ASSERT_TRUE(q.push(Lane::kBulk, "app2"));
  ASSERT_TRUE(q.push(Lane::kPriority, "hb2"));
  std::vector<std::string> batch;
  q.take_batch(&batch);
  EXPECT_EQ(batch, (std::vector<std::string>{"hb1", "hb2", "app1", "app2"}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(SendQueue, BatchStopsAtTheByteLimitButCarriesAtLeastOneFrame) {
  SendQueue q(SendQueueLimits{.max_batch_bytes = 10});
  ASSERT_TRUE(q.push(Lane::kBulk, std::string(25, 'a')));
  ASSERT_TRUE(q.push(Lane::kBulk, "bbbb"));
  ASSERT_TRUE(q.push(Lane::kBulk, "cccc"));
  ASSERT_TRUE(q.push(Lane::kBulk, "dddd"));
  std::vector<std::string> batch;
  q.take_batch(&batch);
  EXPECT_EQ(batch.size(), 1u);  // the oversized frame alone
  batch.clear();
  q.take_batch(&batch);
  EXPECT_EQ(batch, (std::vector<std::string>{"bbbb", "cccc"}));
  EXPECT_EQ(q.frames(), 1u);
  EXPECT_EQ(q.bytes(), 4u);
}

TEST(SendQueue, RefusesFramesBeyondEachLanesBounds) {
  SendQueue q(SendQueueLimits{.max_priority_frames = 2, .max_bulk_frames = 3, .max_bulk_bytes = 8});
  EXPECT_TRUE(q.push(Lane::kPriority, "p"));
  EXPECT_TRUE(q.push(Lane::kPriority, "p"));
  EXPECT_FALSE(q.push(Lane::kPriority, "p"));
  EXPECT_TRUE(q.push(Lane::kBulk, "12345"));
  EXPECT_FALSE(q.push(Lane::kBulk, "1234"));  // 9 bytes > 8
  EXPECT_TRUE(q.push(Lane::kBulk, "12"));
  EXPECT_TRUE(q.push(Lane::kBulk, "1"));
  EXPECT_FALSE(q.push(Lane::kBulk, ""));  // frame count bound
  EXPECT_EQ(q.frames(), 5u);
  EXPECT_EQ(q.clear(), 5u);
  EXPECT_TRUE(q.push(Lane::kBulk, "12345678"));
}

}  // namespace
}  // namespace raftkv::net
