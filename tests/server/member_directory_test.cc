// The replicated member directory: announcement entries, configuration contexts and the
// snapshot encoding all round-trip, and malformed input changes nothing.
#include <gtest/gtest.h>

#include "server/member_directory.h"

namespace raftkv::server {
namespace {

TEST(MemberDirectory, ContextRoundTripsAndRejectsMalformedText) {
  std::map<raft::NodeId, MemberAddresses> members{{1, {"127.0.0.1:6379", "127.0.0.1:7379"}},
                                                  {4, {"", "10.0.0.4:7379"}}};
  std::string ctx = MemberDirectory::encode_context(members);
  EXPECT_EQ(MemberDirectory::decode_context(ctx), members);
  for (const char* bad : {"1 a:1\n", "x 127.0.0.1:1 -\n", "0 - -\n", "1 - -", "1 bad -\n",
                          "1 127.0.0.1:1 127.0.0.1:2\r\n", "1 - h:1 extra\n"}) {
    EXPECT_FALSE(MemberDirectory::decode_context(bad)) << bad;
  }
  EXPECT_EQ(MemberDirectory::decode_context(""), (std::map<raft::NodeId, MemberAddresses>{}));
}

TEST(MemberDirectory, MergeKeepsKnownAddresses) {
  MemberDirectory d;
  ASSERT_TRUE(d.apply(MemberDirectory::encode_entry(2, "127.0.0.1:6380")));
  d.merge({{2, {"", "127.0.0.1:7380"}}, {3, {"127.0.0.1:6381", ""}}});
  EXPECT_EQ(d.client_address(2), "127.0.0.1:6380");
  EXPECT_EQ(d.peer_address(2), "127.0.0.1:7380");
  EXPECT_EQ(d.client_address(3), "127.0.0.1:6381");
  EXPECT_FALSE(d.peer_address(3));
  EXPECT_FALSE(d.apply("M2"));
  EXPECT_FALSE(d.apply("M0 127.0.0.1:1"));
  EXPECT_FALSE(d.apply("M2 not an address"));
  EXPECT_EQ(d.client_address(2), "127.0.0.1:6380");
}

TEST(MemberDirectory, SnapshotEncodingRoundTrips) {
  MemberDirectory d;
  d.set_client(1, "127.0.0.1:6379");
  d.set_peer(1, "127.0.0.1:7379");
  d.set_peer(2, "127.0.0.1:7380");
  MemberDirectory copy;
  for (const auto& [id, value] : d.encoded()) ASSERT_TRUE(copy.set_encoded(id, value));
  EXPECT_EQ(copy.members(), d.members());
  MemberDirectory old_format;
  ASSERT_TRUE(old_format.set_encoded(5, "127.0.0.1:6383"));  // client address only
  EXPECT_EQ(old_format.client_address(5), "127.0.0.1:6383");
  EXPECT_FALSE(old_format.set_encoded(6, "nonsense value here"));
}

}  // namespace
}  // namespace raftkv::server
