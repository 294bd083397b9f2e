// The consumer-group check on hand-made histories: a correct one passes, and each broken
// promise is reported.
#include "sim/stream_check.h"

#include <gtest/gtest.h>

#include "sim/resp_reply.h"

namespace raftkv::sim {
namespace {

using Kind = StreamOp::Kind;

StreamOp add(uint64_t op, std::string id, std::string element, Outcome o = Outcome::kOk) {
  return StreamOp{Kind::kAdd, op, o, std::move(id), std::move(element), false, 0};
}
StreamOp read(uint64_t op, std::string id, std::string element, Outcome o = Outcome::kOk) {
  const bool delivered = !id.empty();
  return StreamOp{Kind::kRead, op, o, std::move(id), std::move(element), delivered, 0};
}
StreamOp ack(uint64_t op, std::string id, int64_t n = 1, Outcome o = Outcome::kOk) {
  return StreamOp{Kind::kAck, op, o, std::move(id), "", false, n};
}

// e1, e2 added; e1 read and acknowledged, e2 read and pending, e3 added but not read.
struct Fixture {
  std::vector<StreamOp> ops = {add(1, "1-0", "e1"),  add(2, "2-0", "e2"),  add(3, "3-0", "e3"),
                               read(4, "1-0", "e1"), read(5, "2-0", "e2"), ack(6, "1-0")};
  StreamFinal final_state{{{"1-0", "e1"}, {"2-0", "e2"}, {"3-0", "e3"}}, "2-0", {"2-0"}};
};

TEST(StreamCheck, ACorrectHistoryPasses) {
  Fixture f;
  EXPECT_EQ(check_stream_group(f.ops, f.final_state), std::nullopt);
}

TEST(StreamCheck, AnAcknowledgedAddMissingIsReported) {
  Fixture f;
  f.final_state.entries.pop_back();
  EXPECT_NE(check_stream_group(f.ops, f.final_state), std::nullopt);
}

TEST(StreamCheck, AnEntryDeliveredTwiceIsReported) {
  Fixture f;
  f.ops.push_back(read(7, "2-0", "e2"));
  EXPECT_NE(check_stream_group(f.ops, f.final_state), std::nullopt);
}

TEST(StreamCheck, AnEntryPassedByTheGroupButDeliveredToNoReadIsReported) {
  Fixture f;
  f.final_state.last_delivered = "3-0";  // e3 passed, no read got it
  EXPECT_NE(check_stream_group(f.ops, f.final_state), std::nullopt);
  f.ops.push_back(read(7, "", "", Outcome::kUnknown));  // unless a read of unknown outcome did
  f.final_state.pending.insert("3-0");
  EXPECT_EQ(check_stream_group(f.ops, f.final_state), std::nullopt);
}

TEST(StreamCheck, PendingListMismatchesAreReported) {
  Fixture f;
  f.final_state.pending.insert("1-0");  // acknowledged, yet pending
  EXPECT_NE(check_stream_group(f.ops, f.final_state), std::nullopt);
  Fixture g;
  g.final_state.pending.clear();  // e2 delivered, never acknowledged, not pending
  EXPECT_NE(check_stream_group(g.ops, g.final_state), std::nullopt);
  Fixture h;
  h.ops.back().acked = 0;  // an XACK of a pending entry that found nothing
  EXPECT_NE(check_stream_group(h.ops, h.final_state), std::nullopt);
}

TEST(StreamCheck, ReadsMustMatchTheStream) {
  Fixture f;
  f.ops[3].element = "e9";
  EXPECT_NE(check_stream_group(f.ops, f.final_state), std::nullopt);
}

TEST(RespReply, ParsesNestedArraysAndRejectsTruncation) {
  const std::string wire =
      "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\ne1\r\n";
  const std::optional<RespReply> r = parse_reply(wire);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->items.at(0).items.at(1).items.at(0).items.at(1).items.at(1).text, "e1");
  EXPECT_TRUE(parse_reply("*-1\r\n")->nil);
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    EXPECT_FALSE(parse_reply(wire.substr(0, cut))) << cut;
  }
}

}  // namespace
}  // namespace raftkv::sim
