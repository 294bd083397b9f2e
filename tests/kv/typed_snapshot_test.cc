// Snapshots and digests of typed values: RKVSNAP3 round trips every type, older images
// still restore, malformed typed sections are refused, and replicas fed the same entries
// (SPOP included) end byte-identical.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <random>

#include "kv/byte_codec.h"
#include "kv/value_codec.h"
#include "kv_harness.h"
#include "legacy_snapshot.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

void populate_every_type(KvHarness& kv) {
  kv.run({"SET", "str", "v"});
  kv.run({"HSET", "hash", "f1", "v1", "f2", std::string("\0\r\n", 3)});
  kv.run({"RPUSH", "list", "a", "b", "a"});
  kv.run({"SADD", "set", "x", "y", "z"});
  kv.run({"ZADD", "zset", "1.5", "m", "-inf", "n", "0.1", "o"});
  kv.run({"EXPIRE", "list", "100"});
}

const std::vector<Argv> kReads = {
    {"GET", "str"},
    {"HGETALL", "hash"},
    {"LRANGE", "list", "0", "-1"},
    {"SMEMBERS", "set"},
    {"ZRANGE", "zset", "0", "-1", "WITHSCORES"},
    {"TTL", "list"},
    {"TYPE", "zset"},
    {"DBSIZE"},
};

TEST(TypedSnapshot, EveryTypeRoundTrips) {
  KvHarness a;
  populate_every_type(a);
  const std::string image = a.sm.serialize();
  EXPECT_EQ(image.substr(0, 8), "RKVSNAP8");
  StateMachine b;
  b.apply(1, encode_log_command(
                 make_log_command({"SADD", "stale", "x"}, classify({"SADD", "stale", "x"}), 1)));
  ASSERT_TRUE(b.restore(image).is_ok());
  EXPECT_EQ(b.serialize(), image);
  EXPECT_EQ(b.digest(), a.sm.digest());
  for (const Argv& read : kReads) EXPECT_EQ(b.read(read), a.sm.read(read)) << read[0];
  EXPECT_EQ(b.read({"EXISTS", "stale"}), ":0\r\n");
}

TEST(TypedSnapshot, SecondFormatImagesStillRestore) {
  KvHarness kv;
  kv.run({"SET", "a", "1"});
  kv.run({"SET", "b", "2", "EX", "50"});
  testing::LegacyImage v2;
  v2.applied_index = kv.sm.applied_index();
  v2.log_time_ms = kv.sm.log_time_ms();
  v2.strings = {{"b", "2"}, {"a", "1"}};
  v2.deadlines = {{"b", kv.sm.log_time_ms() + 50'000}};
  StateMachine restored;
  ASSERT_TRUE(restored.restore(testing::legacy_image(v2)).is_ok());
  EXPECT_EQ(restored.digest(), kv.sm.digest());
  StateMachine again;  // re-serialized as RKVSNAP5, which restores to the same state
  ASSERT_TRUE(again.restore(restored.serialize()).is_ok());
  EXPECT_EQ(again.serialize(), restored.serialize());
}

// An RKVSNAP3 image with one key of `type` whose value bytes are `value`, no sessions and
// no deadlines, with a correct checksum: only its contents can be wrong.
std::string typed_image(uint8_t type, const std::string& value) {
  std::string out;
  ByteWriter w(&out);
  w.raw("RKVSNAP3");
  w.varint(5);  // applied index
  w.varint(0);  // log time
  w.varint(1);
  w.bytes("k");
  w.u8(type);
  w.raw(value);
  w.varint(0);  // sessions
  w.varint(0);  // deadlines
  w.fixed64(XXH3_64bits(out.data(), out.size()));
  return out;
}

// Value bytes: a count, then each string length-prefixed.
std::string counted_strings(std::initializer_list<std::string> items) {
  std::string out;
  ByteWriter w(&out);
  w.varint(items.size());
  for (const auto& item : items) w.bytes(item);
  return out;
}

TEST(TypedSnapshot, MalformedTypedValuesAreRefused) {
  // Sanity: the builder makes acceptable images.
  StateMachine ok;
  ASSERT_TRUE(ok.restore(typed_image(2, counted_strings({"b", "a"}))).is_ok());
  EXPECT_EQ(ok.read({"LRANGE", "k", "0", "-1"}), testing::bulks({"b", "a"}));

  KvHarness kv;
  kv.run({"SET", "mine", "1"});
  const std::string before = kv.sm.serialize();
  EXPECT_FALSE(kv.sm.restore(typed_image(9, counted_strings({"a"}))).is_ok()) << "unknown type";
  EXPECT_FALSE(kv.sm.restore(typed_image(2, counted_strings({}))).is_ok()) << "empty list";
  EXPECT_FALSE(kv.sm.restore(typed_image(1, counted_strings({"b", "1", "a", "2"}))).is_ok())
      << "hash fields out of order";
  EXPECT_FALSE(kv.sm.restore(typed_image(1, counted_strings({"a", "1", "a", "2"}))).is_ok())
      << "hash field twice";
  EXPECT_FALSE(kv.sm.restore(typed_image(1, counted_strings({"a"}))).is_ok())
      << "field without value";
  // Set members must be in (hash, bytes) order: one of the two orders is wrong.
  const bool ab = ok.restore(typed_image(3, counted_strings({"a", "b"}))).is_ok();
  const bool ba = ok.restore(typed_image(3, counted_strings({"b", "a"}))).is_ok();
  EXPECT_NE(ab, ba);
  EXPECT_FALSE(kv.sm.restore(typed_image(3, counted_strings({"a", "a"}))).is_ok())
      << "member twice";
  std::string nan_score;
  ByteWriter w(&nan_score);
  w.varint(1);
  w.bytes("m");
  w.fixed64(0x7ff8000000000000ULL);
  EXPECT_FALSE(kv.sm.restore(typed_image(4, nan_score)).is_ok()) << "NaN score";
  EXPECT_EQ(kv.sm.serialize(), before) << "a refused image changes nothing";
}

// Older images (here RKVSNAP3) keep their canonical field order and get the encodings
// Redis would give their contents; encoding states that contents rule out are refused.
TEST(TypedSnapshot, EncodingStatesAreCheckedAgainstTheContents) {
  const auto hash_bytes = [](std::initializer_list<std::string> pairs) {
    std::string out = counted_strings(pairs);
    out[0] = static_cast<char>(pairs.size() / 2);  // a count of fields (one byte here)
    return out;
  };
  StateMachine old;
  ASSERT_TRUE(
      old.restore(typed_image(1, hash_bytes({"a", "1", "b", std::string(65, 'v')}))).is_ok());
  EXPECT_EQ(old.read({"HKEYS", "k"}), testing::bulks({"a", "b"}));
  EXPECT_EQ(old.read({"OBJECT", "ENCODING", "k"}), "$9\r\nhashtable\r\n");
  ASSERT_TRUE(old.restore(typed_image(3, counted_strings({"7"}))).is_ok());
  EXPECT_EQ(old.read({"OBJECT", "ENCODING", "k"}), "$6\r\nintset\r\n");

  const auto decoded = [](ValueType type, const std::string& bytes) {
    ByteReader in(bytes);
    return std::move(*decode_value(type, &in, false));
  };
  Value ints = decoded(ValueType::kSet, counted_strings({"1"}));
  Value mixed = decoded(ValueType::kSet, counted_strings({"x"}));
  EXPECT_EQ(encoding_state(ints), 0);
  EXPECT_EQ(encoding_state(mixed), 1);
  EXPECT_TRUE(restore_encoding_state(1, &ints)) << "an intset may have become a hashtable";
  EXPECT_EQ(encoding_state(ints), 1);
  EXPECT_FALSE(restore_encoding_state(0, &mixed)) << "a member that is not an integer";
  EXPECT_FALSE(restore_encoding_state(2, &mixed));
  Value hash = decoded(ValueType::kHash, hash_bytes({"b", "1", "a", "2"}));
  EXPECT_EQ(encoding_state(hash), 0) << "any field order";
  EXPECT_TRUE(restore_encoding_state(1, &hash));
  Value text = decoded(ValueType::kString, counted_strings({"10"}).substr(1));
  EXPECT_TRUE(restore_encoding_state(2, &text));
  EXPECT_EQ(encoding_state(text), 2);
  EXPECT_FALSE(restore_encoding_state(3, &text));
}

TEST(TypedSnapshot, DigestCoversTheType) {
  KvHarness list;
  KvHarness set;
  list.run({"RPUSH", "k", "a"});
  set.run({"SADD", "k", "a"});
  EXPECT_NE(list.sm.digest(), set.sm.digest());
  EXPECT_NE(list.sm.digest(), std::string(32, '0'));
}

// A random mix of writes of every type (SPOP and HINCRBYFLOAT included), the same for
// every replica given the same seed.
std::vector<Argv> random_writes(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  const auto key = [&] { return "k" + std::to_string(rng() % 8); };
  const auto item = [&] { return "m" + std::to_string(rng() % 20); };
  std::vector<Argv> writes;
  for (int i = 0; i < count; ++i) {
    switch (rng() % 12) {
      case 0:
        writes.push_back({"HSET", key(), item(), item()});
        break;
      case 1:
        writes.push_back({"HINCRBYFLOAT", key(), item(), "0.1"});
        break;
      case 2:
        writes.push_back({"LPUSH", key(), item(), item()});
        break;
      case 3:
        writes.push_back({"RPOP", key()});
        break;
      case 4:
        writes.push_back({"LREM", key(), "-1", item()});
        break;
      case 5:
        writes.push_back({"SADD", key(), item(), item(), item()});
        break;
      case 6:
        writes.push_back({"SPOP", key()});
        break;
      case 7:
        writes.push_back({"SPOP", key(), "2"});
        break;
      case 8:
        writes.push_back({"ZADD", key(), std::to_string(rng() % 5), item()});
        break;
      case 9:
        writes.push_back({"ZINCRBY", key(), "0.5", item()});
        break;
      case 10:
        writes.push_back({"ZPOPMIN", key()});
        break;
      default:
        writes.push_back({"DEL", key()});
        break;
    }
  }
  return writes;
}

TEST(TypedDeterminism, ReplicasFedTheSameEntriesAreByteIdentical) {
  const std::vector<Argv> writes = random_writes(20261125, 3000);
  std::vector<std::string> entries;
  for (size_t i = 0; i < writes.size(); ++i) {
    entries.push_back(
        encode_log_command(make_log_command(writes[i], classify(writes[i]), 1'000'000 + i)));
  }
  StateMachine a;
  StateMachine b;
  std::string replies_a;
  std::string replies_b;
  for (size_t i = 0; i < entries.size(); ++i) {
    replies_a += a.apply(i + 1, entries[i]);
    replies_b += b.apply(i + 1, entries[i]);
    if (i == entries.size() / 2) {
      // A replica that restarts from a snapshot midway ends the same too.
      StateMachine restored;
      ASSERT_TRUE(restored.restore(b.serialize()).is_ok());
      b = StateMachine();
      ASSERT_TRUE(b.restore(restored.serialize()).is_ok());
    }
  }
  EXPECT_EQ(replies_a, replies_b);
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_EQ(a.serialize(), b.serialize());
  EXPECT_NE(replies_a.find("*2\r\n"), std::string::npos) << "SPOP with a count popped";
  EXPECT_GT(a.key_count(), 0u);
}

}  // namespace
}  // namespace raftkv::kv
