// Every command that picks at random picks uniformly: a chi-square test as Redis's own
// ("SRANDMEMBER histogram distribution" in its tests/unit/type/set.tcl), over small sets
// (picked by index) and large ones (picked by hash bucket, random_pick.h).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

// The bulk strings of a reply (a bulk, or an array of bulks), in order.
std::vector<std::string> bulks_in(const std::string& reply) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = reply.find('$', at)) != std::string::npos) {
    const size_t end = reply.find("\r\n", at);
    const long length = std::stol(reply.substr(at + 1, end - at - 1));
    if (length < 0) {
      at = end;
      continue;
    }
    out.push_back(reply.substr(end + 2, static_cast<size_t>(length)));
    at = end + 2 + static_cast<size_t>(length) + 2;
  }
  return out;
}

// Pearson's chi-square of the counts against a uniform spread over `members`; a member
// never seen counts as 0.
double chi_square(const std::map<std::string, int>& counts,
                  const std::vector<std::string>& members) {
  int total = 0;
  for (const auto& [name, n] : counts) total += n;
  const double expected = static_cast<double>(total) / static_cast<double>(members.size());
  double sum = 0;
  for (const auto& member : members) {
    const auto it = counts.find(member);
    const double seen = it == counts.end() ? 0 : it->second;
    sum += (seen - expected) * (seen - expected) / expected;
  }
  for (const auto& [name, n] : counts) {
    if (std::find(members.begin(), members.end(), name) == members.end()) {
      ADD_FAILURE() << "picked a non-member: " << name;
    }
  }
  return sum;
}

// Redis's bound for 10 members (9 degrees of freedom: p ~ 1e-5); for more, the mean plus
// about seven standard deviations.
double bound_for(size_t members) {
  if (members <= 10) return 40;
  const double df = static_cast<double>(members - 1);
  return df + 7 * std::sqrt(2 * df);
}

std::vector<std::string> names(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// Adds the members to `key` in one command: SADD, or HSET/ZADD with a value or score.
void fill(KvHarness& kv, const std::string& command, const std::string& key,
          const std::vector<std::string>& members) {
  Argv argv{command, key};
  for (const auto& member : members) {
    if (command == "ZADD") argv.push_back("1");
    argv.push_back(member);
    if (command == "HSET") argv.push_back("v");
  }
  kv.run(argv);
}

// Tallies what `read` returns over `rounds` calls.
template <typename Read>
std::map<std::string, int> tally(int rounds, Read&& read) {
  std::map<std::string, int> counts;
  for (int i = 0; i < rounds; ++i) {
    for (const auto& picked : bulks_in(read())) ++counts[picked];
  }
  return counts;
}

class RandomPick : public ::testing::TestWithParam<int> {};

// 10 members (picked by index) and 300 (picked by hash bucket).
INSTANTIATE_TEST_SUITE_P(Sizes, RandomPick, ::testing::Values(10, 300));

TEST_P(RandomPick, SrandmemberWithoutCount) {
  KvHarness kv;
  const auto members = names("m", GetParam());
  fill(kv, "SADD", "s", members);
  const auto counts = tally(100 * GetParam(), [&] { return kv.run({"SRANDMEMBER", "s"}); });
  EXPECT_LT(chi_square(counts, members), bound_for(members.size()));
}

TEST_P(RandomPick, SrandmemberNegativeCount) {
  KvHarness kv;
  const auto members = names("m", GetParam());
  fill(kv, "SADD", "s", members);
  const auto counts = tally(10, [&] {
    return kv.run({"SRANDMEMBER", "s", std::to_string(-10 * GetParam())});
  });
  EXPECT_LT(chi_square(counts, members), bound_for(members.size()));
}

TEST_P(RandomPick, SrandmemberPositiveCount) {
  KvHarness kv;
  const auto members = names("m", GetParam());
  fill(kv, "SADD", "s", members);
  const auto count = std::to_string(GetParam() / 3);
  const auto counts = tally(300, [&] { return kv.run({"SRANDMEMBER", "s", count}); });
  EXPECT_LT(chi_square(counts, members), bound_for(members.size()));
}

TEST_P(RandomPick, Spop) {
  KvHarness kv;
  const auto members = names("m", GetParam());
  const auto counts = tally(100 * GetParam(), [&] {
    kv.run({"DEL", "s"});
    fill(kv, "SADD", "s", members);
    return kv.run({"SPOP", "s"});
  });
  EXPECT_LT(chi_square(counts, members), bound_for(members.size()));
}

TEST_P(RandomPick, SpopWithCount) {
  KvHarness kv;
  const auto members = names("m", GetParam());
  const auto count = std::to_string(GetParam() / 3);
  const auto counts = tally(300, [&] {
    kv.run({"DEL", "s"});
    fill(kv, "SADD", "s", members);
    return kv.run({"SPOP", "s", count});
  });
  EXPECT_LT(chi_square(counts, members), bound_for(members.size()));
}

TEST_P(RandomPick, Randomkey) {
  KvHarness kv;
  const auto keys = names("k", GetParam());
  for (const auto& key : keys) kv.run({"SET", key, "v"});
  const auto counts = tally(100 * GetParam(), [&] { return kv.run({"RANDOMKEY"}); });
  EXPECT_LT(chi_square(counts, keys), bound_for(keys.size()));
}

// HRANDFIELD and ZRANDMEMBER: without a count, with a negative one (repeats) and a
// positive one (distinct), and WITHVALUES / WITHSCORES pairs each pick with its own value.
struct Collection {
  const char* add;
  const char* pick;
  const char* with;
};

class RandomPickCollection : public ::testing::TestWithParam<Collection> {};

INSTANTIATE_TEST_SUITE_P(Types, RandomPickCollection,
                         ::testing::Values(Collection{"HSET", "HRANDFIELD", "WITHVALUES"},
                                           Collection{"ZADD", "ZRANDMEMBER", "WITHSCORES"}));

TEST_P(RandomPickCollection, Uniform) {
  const Collection c = GetParam();
  for (const int size : {10, 300}) {
    KvHarness kv;
    const auto members = names("m", size);
    fill(kv, c.add, "k", members);
    auto counts = tally(100 * size, [&] { return kv.run({c.pick, "k"}); });
    EXPECT_LT(chi_square(counts, members), bound_for(members.size())) << c.pick << " " << size;
    counts = tally(10, [&] { return kv.run({c.pick, "k", std::to_string(-10 * size)}); });
    EXPECT_LT(chi_square(counts, members), bound_for(members.size())) << c.pick << " -count";
    counts = tally(300, [&] { return kv.run({c.pick, "k", std::to_string(size / 3)}); });
    EXPECT_LT(chi_square(counts, members), bound_for(members.size())) << c.pick << " +count";
    // With values: every other bulk is the value ("v", or the score "1").
    std::map<std::string, int> pairs;
    for (int i = 0; i < 10; ++i) {
      const auto picked = bulks_in(kv.run({c.pick, "k", std::to_string(-10 * size), c.with}));
      ASSERT_EQ(picked.size(), static_cast<size_t>(20 * size));
      for (size_t j = 0; j < picked.size(); j += 2) {
        ++pairs[picked[j]];
        EXPECT_EQ(picked[j + 1], std::string(c.add) == "HSET" ? "v" : "1");
      }
    }
    EXPECT_LT(chi_square(pairs, members), bound_for(members.size())) << c.pick << " " << c.with;
  }
}

TEST(RandomPickLiveKeys, RandomkeySkipsExpiredKeysUniformly) {
  KvHarness kv;
  const auto keys = names("k", 10);
  for (const auto& key : keys) kv.run({"SET", key, "v"});
  for (const auto& key : names("dead", 30)) kv.run({"SET", key, "v", "PX", "10"});
  kv.time_ms += 10;
  const auto counts = tally(5000, [&] { return kv.run({"RANDOMKEY"}); });
  EXPECT_LT(chi_square(counts, keys), bound_for(keys.size()));
}

}  // namespace
}  // namespace raftkv::kv
