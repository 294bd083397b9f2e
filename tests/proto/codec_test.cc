// Round trips of every encoded type, and decoding of damaged input (must fail, not crash).
#include "proto/codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <string>

namespace raftkv::proto {
namespace {

using raft::ConfState;
using raft::Entry;
using raft::EntryType;
using raft::HardState;
using raft::Message;
using raft::MessageType;
using raft::Snapshot;
using raft::SnapshotMeta;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

template <typename T>
T round_trip(const T& v) {
  T out{};
  EXPECT_TRUE(decode(encode(v), &out));
  return out;
}

std::string binary_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(CodecTest, EntryRoundTrips) {
  for (const Entry& e : {Entry{}, Entry{1, 2, EntryType::kNormal, "set x 1"},
                         Entry{kMax, kMax, EntryType::kConfChange, binary_bytes()}}) {
    EXPECT_EQ(round_trip(e), e);
  }
}

TEST(CodecTest, EncodeToAppends) {
  Entry e{3, 4, EntryType::kNormal, "abc"};
  std::string buf = "prefix";
  encode_to(e, &buf);
  EXPECT_EQ(buf, "prefix" + encode(e));
}

TEST(CodecTest, HardStateRoundTrips) {
  for (const HardState& hs : {HardState{}, HardState{5, 2, 17}, HardState{kMax, kMax, kMax}}) {
    EXPECT_EQ(round_trip(hs), hs);
  }
}

TEST(CodecTest, ConfStateRoundTrips) {
  for (const ConfState& cs :
       {ConfState{}, ConfState{{1, 2, 3}, {}, {4}}, ConfState{{1, 2, 3}, {1, 2, 5}, {kMax}}}) {
    EXPECT_EQ(round_trip(cs), cs);
  }
}

TEST(CodecTest, SnapshotRoundTrips) {
  SnapshotMeta meta{100, 7, ConfState{{1, 2, 3}, {}, {9}}};
  EXPECT_EQ(round_trip(meta), meta);
  for (const Snapshot& s : {Snapshot{}, Snapshot{meta, binary_bytes()}}) {
    EXPECT_EQ(round_trip(s), s);
  }
}

TEST(CodecTest, EveryMessageFieldRoundTrips) {
  Message m;
  m.type = MessageType::kApp;
  m.from = 1;
  m.to = 2;
  m.term = 3;
  m.index = 4;
  m.log_term = 5;
  m.entries = {Entry{3, 5, EntryType::kNormal, "a"}, Entry{3, 6, EntryType::kConfChange, ""}};
  m.commit = 6;
  m.reject = true;
  m.reject_hint = 7;
  m.hint_term = 8;
  m.read_seq = 9;
  m.context = binary_bytes();
  m.transfer = true;
  m.snapshot = Snapshot{SnapshotMeta{10, 2, ConfState{{1}, {}, {}}}, "img"};
  EXPECT_EQ(round_trip(m), m);
}

TEST(CodecTest, EveryMessageTypeRoundTrips) {
  for (int t = 0; t <= static_cast<int>(MessageType::kTimeoutNow); ++t) {
    Message m;
    m.type = static_cast<MessageType>(t);
    EXPECT_EQ(round_trip(m), m) << "type " << t;
  }
}

// A present-but-empty snapshot differs from an absent one; the encoding keeps the difference.
TEST(CodecTest, MessageKeepsSnapshotPresence) {
  Message without;
  EXPECT_FALSE(round_trip(without).snapshot.has_value());
  Message with;
  with.type = MessageType::kSnapshot;
  with.snapshot = Snapshot{};
  EXPECT_TRUE(round_trip(with).snapshot.has_value());
}

TEST(CodecTest, DecodeOverwritesPreviousContents) {
  Message m;
  m.entries = {Entry{1, 1, EntryType::kNormal, "x"}};
  m.snapshot = Snapshot{};
  ASSERT_TRUE(decode(encode(Message{}), &m));
  EXPECT_EQ(m, Message{});
}

struct BadInput {
  const char* name;
  std::string bytes;
};

// Inputs no well-formed encoder produces; each must fail for every type.
std::vector<BadInput> malformed_inputs() {
  return {
      {"invalid wire type", std::string("\x0f", 1)},
      {"field number zero", std::string("\x00\x01", 2)},
      {"varint runs past 10 bytes", std::string(11, '\xff')},
      {"varint cut off", std::string("\x08\xff", 2)},
      {"length past the end", std::string("\x22\x10"
                                          "abc",
                                          5)},
      {"unterminated group", std::string("\x0b", 1)},
  };
}

TEST(CodecTest, MalformedInputFailsForEveryType) {
  for (const BadInput& in : malformed_inputs()) {
    SCOPED_TRACE(in.name);
    Entry e;
    HardState hs;
    ConfState cs;
    SnapshotMeta meta;
    Snapshot snap;
    Message m;
    EXPECT_FALSE(decode(in.bytes, &e));
    EXPECT_FALSE(decode(in.bytes, &hs));
    EXPECT_FALSE(decode(in.bytes, &cs));
    EXPECT_FALSE(decode(in.bytes, &meta));
    EXPECT_FALSE(decode(in.bytes, &snap));
    EXPECT_FALSE(decode(in.bytes, &m));
  }
}

TEST(CodecTest, UnknownEnumValuesFail) {
  Entry e;
  EXPECT_FALSE(decode(std::string("\x18\x07", 2), &e));  // type = 7
  Message m;
  EXPECT_FALSE(decode(std::string("\x08\x63", 2), &m));                   // type = 99
  std::string bad_entry_in_message = std::string("\x3a\x02\x18\x05", 4);  // entries[0].type=5
  EXPECT_FALSE(decode(bad_entry_in_message, &m));
}

uint64_t test_seed() {
  const char* env = std::getenv("RAFTKV_TEST_SEED");
  return env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
}

// Random bytes, every prefix of a valid encoding and single bit flips: decoding may succeed
// or fail, but must never crash or read out of bounds (the sanitizer build checks that).
TEST(CodecTest, DamagedInputNeverCrashes) {
  uint64_t seed = test_seed();
  std::cout << "RAFTKV_TEST_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  Message m;
  m.type = MessageType::kApp;
  m.entries = {Entry{1, 2, EntryType::kNormal, "hello"}, Entry{1, 3, EntryType::kNormal, "w"}};
  m.snapshot = Snapshot{SnapshotMeta{1, 1, ConfState{{1, 2}, {}, {}}}, "d"};
  std::string good = encode(m);
  Message out;
  for (size_t n = 0; n <= good.size(); ++n) (void)decode(std::string_view(good).substr(0, n), &out);
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string flipped = good;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    (void)decode(flipped, &out);
  }
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)decode(junk, &out);
    Entry e;
    (void)decode(junk, &e);
    Snapshot s;
    (void)decode(junk, &s);
  }
}

}  // namespace
}  // namespace raftkv::proto
