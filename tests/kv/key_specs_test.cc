// command_keys(): the keys ACL checks, COMMAND GETKEYS reports and -MOVED's slot uses,
// from Redis 7.0's key specs (tests/integration/test_command_keys.py compares the same
// with redis-server byte for byte); and COMMAND GETKEYS's replies.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "kv/key_specs.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

// The (position, flags) of every key command_keys finds in argv.
std::vector<std::pair<size_t, uint16_t>> keys_of(const Argv& argv) {
  const CommandSpec* spec = find_command(argv[0]);
  EXPECT_NE(spec, nullptr) << argv[0];
  std::vector<std::pair<size_t, uint16_t>> out;
  command_keys(*spec, argv).each([&](size_t i, uint16_t flags) { out.emplace_back(i, flags); });
  return out;
}

std::vector<size_t> positions(const Argv& argv) {
  std::vector<size_t> out;
  for (const auto& [i, flags] : keys_of(argv)) out.push_back(i);
  return out;
}

using V = std::vector<size_t>;

TEST(CommandKeys, FixedPositionsRangesAndSteps) {
  EXPECT_EQ(positions({"GET", "k"}), V{1});
  EXPECT_EQ(positions({"MGET", "a", "b", "c"}), (V{1, 2, 3}));
  EXPECT_EQ(positions({"MSET", "a", "1", "b", "2"}), (V{1, 3}));
  EXPECT_EQ(positions({"BLPOP", "a", "b", "0"}), (V{1, 2}));
  EXPECT_EQ(positions({"BITOP", "AND", "d", "a"}), (V{2, 3}));
  EXPECT_EQ(positions({"PING"}), V{});
  EXPECT_EQ(keys_of({"GET", "k"})[0].second, kKeyRO | kKeyAccess);
  EXPECT_EQ(keys_of({"RPOPLPUSH", "a", "b"})[1].second, kKeyRW | kKeyInsert);
}

TEST(CommandKeys, TheFastFirstKeyIsTheKeyFindersFirst) {
  // first_key_at() skips the key finder for commands whose keys do not move: for every
  // such command, at its smallest arity and a few arguments more, both must agree.
  for (const CommandSpec& spec : command_table()) {
    const size_t arity = static_cast<size_t>(spec.arity < 0 ? -spec.arity : spec.arity);
    for (size_t extra = 0; extra <= (spec.arity < 0 ? 4u : 0u); ++extra) {
      Argv argv(std::max<size_t>(arity, 1) + extra, "1");
      argv[0] = spec.name;
      // Where the finder finds none (PFMERGE dest alone, which Redis's GETKEYS calls
      // invalid), the table's first key still names a sensible slot.
      if (command_keys(spec, argv).count == 0) continue;
      EXPECT_EQ(first_key_at(spec, argv), command_keys(spec, argv).first())
          << spec.name << " with " << argv.size() << " arguments";
    }
  }
}

TEST(CommandKeys, CountedKeys) {
  EXPECT_EQ(positions({"EVAL", "s", "2", "a", "b", "c"}), (V{3, 4}));
  EXPECT_EQ(positions({"EVAL", "s", "0", "a"}), V{});
  EXPECT_EQ(positions({"EVAL", "s", "3", "a"}), V{}) << "more keys than arguments";
  EXPECT_EQ(positions({"FCALL", "f", "1", "a"}), V{3});
  EXPECT_EQ(positions({"ZUNIONSTORE", "d", "2", "a", "b"}), (V{1, 3, 4}));
  EXPECT_EQ(positions({"LMPOP", "2", "a", "b", "LEFT"}), (V{2, 3}));
  EXPECT_EQ(positions({"BLMPOP", "0", "1", "a", "LEFT"}), V{3});
  // Not a strict count: Redis's fallback reads it as atoi does, keys first, no flags.
  EXPECT_EQ(keys_of({"ZUNIONSTORE", "d", "2x", "a", "b"}),
            (std::vector<std::pair<size_t, uint16_t>>{{3, 0}, {4, 0}, {1, 0}}));
  EXPECT_EQ(numkeys_key_range(*find_command("lmpop"), Argv{"LMPOP", "2", "a", "b", "LEFT"}).last,
            3u);
  EXPECT_EQ(numkeys_key_range(*find_command("blmpop"), Argv{"BLMPOP", "0", "3", "a", "b"}).first,
            0u);
  EXPECT_EQ(numkeys_key_range(*find_command("sintercard"), Argv{"SINTERCARD", "1", "a"}).first, 2u);
  EXPECT_EQ(numkeys_key_range(*find_command("get"), Argv{"GET", "1"}).first, 0u);
}

TEST(CommandKeys, KeywordsAndCommandsOwnRules) {
  EXPECT_EQ(positions({"XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"}), (V{4, 5}));
  EXPECT_EQ(positions({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"}), V{5});
  EXPECT_EQ(positions({"SORT", "k", "BY", "store", "STORE", "d"}), (V{1, 5}));
  EXPECT_EQ(positions({"SORT", "k", "LIMIT", "0", "STORE", "d"}), V{1}) << "LIMIT's argument";
  EXPECT_EQ(positions({"SORT_RO", "k"}), V{1});
  EXPECT_EQ(positions({"GEORADIUS", "g", "1", "2", "3", "m", "STORE", "d"}), (V{1, 7}));
  EXPECT_EQ(positions({"OBJECT", "ENCODING", "k"}), V{2});
  EXPECT_EQ(positions({"XGROUP", "CREATE", "s", "g", "$"}), V{2});
  EXPECT_EQ(positions({"MEMORY", "USAGE", "k"}), V{2});
  EXPECT_EQ(positions({"CONFIG", "GET", "k"}), V{});
  EXPECT_EQ(keys_of({"SET", "k", "v"})[0].second, kKeyOW | kKeyUpdate);
  EXPECT_EQ(keys_of({"SET", "k", "v", "get"})[0].second, kKeyRW | kKeyAccess | kKeyUpdate);
  EXPECT_EQ(keys_of({"BITFIELD", "k", "GET", "u8", "0"})[0].second, kKeyRO | kKeyAccess);
  EXPECT_EQ(keys_of({"BITFIELD", "k", "SET", "u8", "0", "1"})[0].second,
            kKeyRW | kKeyAccess | kKeyUpdate);
}

TEST(CommandKeys, GetkeysRepliesAndErrors) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b"}),
            "*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "LEFT"}),
            "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n"
            "*2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+insert\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYS", "EVAL", "s", "0"}), "*0\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYS", "LMPOP", "3", "a", "LEFT"}),
            "-ERR Invalid arguments specified for command\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYS", "NOSUCH", "k"}), "-ERR Invalid command specified\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYS", "ECHO", "k"}),
            "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYS", "GET", "a", "b"}),
            "-ERR Invalid number of arguments specified for command\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "GETKEYS", "GET"}),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
}

}  // namespace
}  // namespace raftkv::kv
