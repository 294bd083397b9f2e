// RaftDriver on a single-voter node: real disk thread, durable storage over the in-memory
// fault-injecting file system, no sockets. Checks what the driver adds to the core: how
// reads are batched into ReadIndex requests and how requests end when the node stops.
#include "server/raft_driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "server/durable_sink.h"
#include "storage/durable_storage.h"
#include "storage/fault_file_system.h"

namespace raftkv::server {
namespace {

class RecordingMachine : public StateMachine {
 public:
  std::string apply(const raft::Entry& e) override {
    applied.push_back(e.data);
    if (!e.data.empty()) events.push_back("apply " + e.data);
    return "applied:" + e.data;
  }
  void prefetch(std::span<const raft::Entry> entries) override {
    EXPECT_LE(entries.size(), kPrefetchBatch);
    for (const raft::Entry& e : entries) {
      if (!e.data.empty()) events.push_back("prefetch " + e.data);
    }
  }
  std::string restore(const raft::Snapshot&) override { return {}; }
  std::vector<std::string> applied;
  std::vector<std::string> events;  // prefetch hints and applies, in order
};

class RaftDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(storage::DurableStorage::open(&fs_, {"log", 1 << 20, false}, &log_).ok());
    ASSERT_TRUE(log_->set_conf_state(raft::ConfState{{1}, {}, {}}).ok());
    RaftDriver::Options o;
    o.raft.id = 1;
    o.raft.election_tick = 3;
    o.raft.random_seed = 7;
    o.tick = std::chrono::milliseconds(1);
    driver_ = std::make_unique<RaftDriver>(
        rt_, o, log_.get(), std::make_unique<DiskWriter>(std::make_unique<DurableSink>(log_.get())),
        &machine_, [this](std::vector<raft::Message> msgs) {
          for (raft::Message& m : msgs) sent_.push_back(std::move(m));
        });
    driver_->start();
    ASSERT_TRUE(run_until([&] { return driver_->is_leader(); }));
  }
  void TearDown() override {
    driver_->stop();
    driver_.reset();  // joins the disk thread
  }

  // Runs the event loop until `done` holds (checked between handlers) or 5 s pass.
  template <typename Pred>
  bool run_until(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  storage::FaultFileSystem fs_{1};
  std::unique_ptr<storage::DurableStorage> log_;
  asio::io_context io_;
  AsioRuntime rt_{io_};
  RecordingMachine machine_;
  std::vector<raft::Message> sent_;  // everything the driver handed to the transport
  std::unique_ptr<RaftDriver> driver_;
};

TEST_F(RaftDriverTest, ReadsOfOneTurnShareOneReadIndexRequest) {
  std::optional<std::string> reply;
  driver_->propose("x", [&](std::optional<RequestError> err, const std::string& r) {
    ASSERT_FALSE(err);
    reply = r;
  });
  ASSERT_TRUE(run_until([&] { return reply.has_value(); }));
  EXPECT_EQ(*reply, "applied:x");

  const uint64_t before = driver_->read_index_requests();
  int ok = 0;
  for (int i = 0; i < 100; ++i) {
    driver_->read([&](std::optional<RequestError> err) { ok += err ? 0 : 1; });
  }
  EXPECT_EQ(driver_->pending_reads(), 100u);
  ASSERT_TRUE(run_until([&] { return ok == 100; }));
  EXPECT_EQ(driver_->read_index_requests(), before + 1) << "one request for the whole turn";
  EXPECT_EQ(driver_->pending_reads(), 0u);

  // A read in a later turn is a new request.
  bool later = false;
  driver_->read([&](std::optional<RequestError> err) { later = !err; });
  ASSERT_TRUE(run_until([&] { return later; }));
  EXPECT_EQ(driver_->read_index_requests(), before + 2);
}

TEST_F(RaftDriverTest, EveryEntryIsPrefetchedOnceBeforeItIsApplied) {
  // 80 proposals in one turn commit together: the driver hints them in chunks of at most
  // kPrefetchBatch, each chunk before the first of its entries is applied.
  int answered = 0;
  for (int i = 0; i < 80; ++i) {
    driver_->propose("e" + std::to_string(i), [&](std::optional<RequestError> err,
                                                  const std::string&) { answered += err ? 0 : 1; });
  }
  ASSERT_TRUE(run_until([&] { return answered == 80; }));
  std::vector<std::string> prefetched, applied;
  for (const std::string& ev : machine_.events) {
    const bool is_apply = ev.starts_with("apply ");
    const std::string data = ev.substr(ev.find(' ') + 1);
    if (is_apply) {
      ASSERT_LT(applied.size(), prefetched.size()) << data << " applied before its hint";
      EXPECT_EQ(prefetched[applied.size()], data) << "hints follow the apply order";
      applied.push_back(data);
    } else {
      prefetched.push_back(data);
    }
  }
  EXPECT_EQ(prefetched.size(), 80u) << "each entry hinted once";
  EXPECT_EQ(applied.size(), 80u);
}

// A connection's read must see that connection's earlier write even when both are in
// flight together (a pipeline): the read's point is confirmed at once on one voter, before
// the write is durable, so without its floor it would answer from before the write.
TEST_F(RaftDriverTest, AReadWaitsForItsConnectionsEarlierWrite) {
  bool warm = false;  // the leader's term has a committed entry: reads are not deferred
  driver_->propose("warm-up",
                   [&](std::optional<RequestError>, const std::string&) { warm = true; });
  ASSERT_TRUE(run_until([&] { return warm; }));
  bool write_done = false;
  std::optional<raft::Index> index =
      driver_->propose("w", [&](std::optional<RequestError> err, const std::string&) {
        ASSERT_FALSE(err);
        write_done = true;
      });
  ASSERT_TRUE(index);
  bool saw_write = false, read_done = false;
  driver_->read(
      [&](std::optional<RequestError> err) {
        ASSERT_FALSE(err);
        read_done = true;
        saw_write = std::find(machine_.applied.begin(), machine_.applied.end(), "w") !=
                    machine_.applied.end();
      },
      *index);
  ASSERT_TRUE(run_until([&] { return read_done && write_done; }));
  EXPECT_TRUE(saw_write) << "the read answered from before its connection's write";
  EXPECT_GE(driver_->applied_index(), *index);
}

TEST_F(RaftDriverTest, ReadsNotYetHandedToTheCoreFailWhenTheNodeStops) {
  std::vector<RequestError> errors;
  for (int i = 0; i < 3; ++i) {
    driver_->read([&](std::optional<RequestError> err) {
      ASSERT_TRUE(err);
      errors.push_back(*err);
    });
  }
  driver_->stop();
  EXPECT_EQ(errors, std::vector<RequestError>(3, RequestError::kTimeout));
  EXPECT_EQ(driver_->pending_reads(), 0u);
}

// A node forwards a read to the leader when it lost leadership between taking the read and
// asking the core. The answer may reach a later process of the same node, whose read ids
// start again at 1: without the boot nonce in the context, the old answer (an older read
// index) would release the new process's read of the same id, a stale read.
TEST_F(RaftDriverTest, AReadIndexAnswerForAnEarlierProcessReleasesNoRead) {
  bool warm = false;
  driver_->propose("warm-up",
                   [&](std::optional<RequestError>, const std::string&) { warm = true; });
  ASSERT_TRUE(run_until([&] { return warm; }));
  const raft::Term term = driver_->status().term;

  raft::Message hb;  // a leader of a newer term: this node follows it before asking
  hb.type = raft::MessageType::kHeartbeat;
  hb.from = 2;
  hb.to = 1;
  hb.term = term + 1;
  // Runs the loop while node 2 keeps heartbeating (else this sole voter would campaign
  // again within 3 ticks), until `done` holds or `ms` pass.
  auto follow = [&](auto done, int ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      driver_->step(hb);
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(1));
    }
    return done();
  };
  auto is_ask = [](const raft::Message& m) { return m.type == raft::MessageType::kReadIndex; };

  int released = 0;
  driver_->read([&](std::optional<RequestError> err) { released += err ? 0 : 1; });
  driver_->step(hb);
  ASSERT_TRUE(follow([&] { return std::any_of(sent_.begin(), sent_.end(), is_ask); }, 5000));
  const raft::Message ask = *std::find_if(sent_.begin(), sent_.end(), is_ask);
  ASSERT_EQ(ask.to, 2u);
  ASSERT_EQ(ask.context.size(), 16u) << "boot nonce, then the read id";

  raft::Message answer;
  answer.type = raft::MessageType::kReadIndexResp;
  answer.from = 2;
  answer.to = 1;
  answer.term = term + 1;
  answer.index = driver_->applied_index();
  answer.context = ask.context;
  answer.context[0] ^= 1;  // same read id, asked by an earlier process (another nonce)
  driver_->step(answer);
  follow([] { return false; }, 200);  // every handler the answer causes runs
  EXPECT_EQ(released, 0) << "an earlier process's answer released this process's read";

  answer.context = ask.context;
  driver_->step(answer);
  EXPECT_TRUE(follow([&] { return released == 1; }, 5000));
}

}  // namespace
}  // namespace raftkv::server
