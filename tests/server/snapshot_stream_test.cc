// The chunked snapshot transfer between a SnapshotSender and a SnapshotReceiver, over a
// lossy in-memory link: the image arrives whole and verified, never more than the window is
// in flight, and a lost chunk, a restarted receiver or a corrupted chunk ends in a clean
// retry rather than a wrong snapshot.
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <iostream>
#include <random>

#include "server/snapshot_receiver.h"
#include "server/snapshot_sender.h"

namespace raftkv::server {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t test_seed() {
  const char* env = std::getenv("RAFTKV_TEST_SEED");
  uint64_t seed = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::cout << "RAFTKV_TEST_SEED=" << seed << "\n";
  return seed;
}

class Link {
 public:
  explicit Link(size_t image_bytes, SnapshotSender::Options opts = {1000, 4000, {}})
      : sender_(
            opts, [this](raft::Message m) { to_follower_.push_back(std::move(m)); },
            [this](raft::NodeId) { loads_++; }, 100),
        receiver_(2, 1 << 30, [this](raft::Message m) { to_leader_.push_back(std::move(m)); }) {
    snap_.meta = raft::SnapshotMeta{500, 3, raft::ConfState{{1, 2, 3}, {}, {}}};
    for (size_t i = 0; i < image_bytes; ++i) snap_.data.push_back(static_cast<char>(i * 7));
  }

  raft::Message core_message(bool with_data = true) const {
    raft::Message m;
    m.type = raft::MessageType::kSnapshot;
    m.from = 1;
    m.to = 2;
    m.term = 3;
    m.snapshot = with_data ? snap_ : raft::Snapshot{snap_.meta, {}};
    return m;
  }

  // Delivers queued messages both ways (dropping each with probability `loss`) until
  // quiet; returns the complete message the receiver produced, if any.
  std::optional<raft::Message> run(std::mt19937_64* rng = nullptr, double loss = 0) {
    std::optional<raft::Message> full;
    std::bernoulli_distribution drop(loss);
    while (!to_follower_.empty() || !to_leader_.empty()) {
      max_in_flight_ = std::max(max_in_flight_, in_flight_bytes());
      if (!to_follower_.empty()) {
        raft::Message m = std::move(to_follower_.front());
        to_follower_.pop_front();
        m.from = 1;
        if (rng == nullptr || !drop(*rng)) {
          if (auto f = receiver_.on_chunk(m)) full = std::move(f);
        }
      }
      if (!to_leader_.empty()) {
        raft::Message a = std::move(to_leader_.front());
        to_leader_.pop_front();
        if (rng == nullptr || !drop(*rng)) sender_.on_ack(a, now_);
      }
    }
    return full;
  }

  uint64_t in_flight_bytes() const {
    uint64_t n = 0;
    for (const auto& m : to_follower_) n += m.snapshot->data.size();
    return n;
  }

  Clock::time_point now_ = Clock::now();
  raft::Snapshot snap_;
  SnapshotSender sender_;
  SnapshotReceiver receiver_;
  std::deque<raft::Message> to_follower_, to_leader_;
  uint64_t max_in_flight_ = 0;
  int loads_ = 0;
};

TEST(SnapshotStreamTest, ImageArrivesWholeWithinTheWindow) {
  Link link(10500);
  link.sender_.start(link.core_message(), link.now_);
  auto full = link.run();
  ASSERT_TRUE(full);
  EXPECT_EQ(*full->snapshot, link.snap_);
  EXPECT_EQ(full->term, 3u);
  EXPECT_EQ(full->from, 1u);
  EXPECT_EQ(full->type, raft::MessageType::kSnapshot);
  EXPECT_TRUE(full->context.empty()) << "a plain core message";
  EXPECT_LE(link.max_in_flight_, 4000u);
  EXPECT_EQ(link.sender_.stats().chunks_sent, 11u);
  EXPECT_EQ(link.sender_.active(), 0u) << "finished transfers are forgotten";
}

TEST(SnapshotStreamTest, ProgressOnBothSidesWhileUnderWay) {
  Link link(10500);
  link.sender_.start(link.core_message(), link.now_);
  // Deliver the first window's chunks and their acknowledgements, one of each.
  for (int i = 0; i < 2; ++i) {
    raft::Message m = std::move(link.to_follower_.front());
    link.to_follower_.pop_front();
    m.from = 1;
    ASSERT_FALSE(link.receiver_.on_chunk(m));
  }
  raft::Message ack = std::move(link.to_leader_.front());
  link.to_leader_.pop_front();
  link.sender_.on_ack(ack, link.now_);
  const auto expect = [](const std::vector<TransferProgress>& p, raft::NodeId peer, uint64_t done) {
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].peer, peer);
    EXPECT_EQ(p[0].index, 500u);
    EXPECT_EQ(p[0].done, done);
    EXPECT_EQ(p[0].total, 10500u);
  };
  expect(link.sender_.progress(), 2, 1000);    // acknowledged
  expect(link.receiver_.progress(), 1, 2000);  // received
  ASSERT_TRUE(link.run());
  EXPECT_TRUE(link.sender_.progress().empty());
  EXPECT_TRUE(link.receiver_.progress().empty());
}

TEST(SnapshotStreamTest, EmptyImageStillCarriesTheMetadata) {
  Link link(0);
  link.sender_.start(link.core_message(/*with_data=*/false), link.now_);
  link.sender_.loaded(2, std::make_shared<const raft::Snapshot>(link.snap_), link.now_);
  auto full = link.run();
  ASSERT_TRUE(full);
  EXPECT_EQ(full->snapshot->meta, link.snap_.meta);
}

TEST(SnapshotStreamTest, MetadataOnlyMessageWaitsForTheLoadedImage) {
  Link link(3000);
  link.sender_.start(link.core_message(/*with_data=*/false), link.now_);
  EXPECT_EQ(link.loads_, 1);
  EXPECT_TRUE(link.to_follower_.empty());
  link.sender_.loaded(2, std::make_shared<const raft::Snapshot>(link.snap_), link.now_);
  auto full = link.run();
  ASSERT_TRUE(full);
  EXPECT_EQ(*full->snapshot, link.snap_);
}

TEST(SnapshotStreamTest, SameSnapshotAgainDoesNotRestartTheTransfer) {
  Link link(10000);
  link.sender_.start(link.core_message(), link.now_);
  link.sender_.start(link.core_message(), link.now_);
  EXPECT_EQ(link.sender_.stats().transfers_started, 1u);
  EXPECT_TRUE(link.run());
}

TEST(SnapshotStreamTest, LossyLinkCompletesThroughTimeoutsWithTheRightImage) {
  uint64_t seed = test_seed();
  std::mt19937_64 rng(seed);
  Link link(20000);
  link.sender_.start(link.core_message(), link.now_);
  std::optional<raft::Message> full;
  for (int round = 0; round < 200 && !full; ++round) {
    full = link.run(&rng, 0.3);
    link.now_ += std::chrono::seconds(4);  // past the ack timeout: resend what is missing
    link.sender_.tick(link.now_);
  }
  ASSERT_TRUE(full) << "seed " << seed;
  EXPECT_EQ(*full->snapshot, link.snap_) << "seed " << seed;
  EXPECT_EQ(link.receiver_.stats().checksum_failures, 0u);
}

TEST(SnapshotStreamTest, ReceiverThatRestartedMidTransferGetsAFreshStart) {
  Link link(10000);
  link.sender_.start(link.core_message(), link.now_);
  // Deliver two chunks, then the follower restarts: a new receiver knows nothing.
  for (int i = 0; i < 2; ++i) {
    raft::Message m = link.to_follower_.front();
    link.to_follower_.pop_front();
    m.from = 1;
    link.receiver_.on_chunk(m);
  }
  while (!link.to_leader_.empty()) {  // the acks so far; the other chunks are lost
    link.sender_.on_ack(link.to_leader_.front(), link.now_);
    link.to_leader_.pop_front();
  }
  link.to_follower_.clear();
  SnapshotReceiver fresh(2, 1 << 30,
                         [&](raft::Message m) { link.to_leader_.push_back(std::move(m)); });
  std::optional<raft::Message> full;
  for (int round = 0; round < 20 && !full; ++round) {
    while (!link.to_follower_.empty() || !link.to_leader_.empty()) {
      if (!link.to_follower_.empty()) {
        raft::Message m = std::move(link.to_follower_.front());
        link.to_follower_.pop_front();
        m.from = 1;
        if (auto f = fresh.on_chunk(m)) full = std::move(f);
      }
      if (!link.to_leader_.empty()) {
        link.sender_.on_ack(link.to_leader_.front(), link.now_);
        link.to_leader_.pop_front();
      }
    }
    link.now_ += std::chrono::seconds(4);
    link.sender_.tick(link.now_);
  }
  ASSERT_TRUE(full);
  EXPECT_EQ(*full->snapshot, link.snap_);
}

TEST(SnapshotStreamTest, CorruptedChunkIsCaughtByTheChecksumAndResent) {
  Link link(5000);
  link.sender_.start(link.core_message(), link.now_);
  link.to_follower_[1].snapshot->data[10] ^= 0x40;
  // The receiver refuses the damaged image and asks for a fresh start, which succeeds.
  std::optional<raft::Message> full = link.run();
  EXPECT_EQ(link.receiver_.stats().checksum_failures, 1u);
  EXPECT_EQ(link.sender_.stats().restarts, 1u);
  ASSERT_TRUE(full);
  EXPECT_EQ(*full->snapshot, link.snap_) << "a damaged image is never handed to the core";
}

}  // namespace
}  // namespace raftkv::server
