// Helpers shared by the storage tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "raft/types.h"
#include "storage/durable_storage.h"

namespace raftkv::storage::testing {

inline raft::Entry entry(raft::Index index, raft::Term term, std::string data = "") {
  if (data.empty()) data = "cmd-" + std::to_string(index) + "-" + std::to_string(term);
  return raft::Entry{term, index, raft::EntryType::kNormal, std::move(data)};
}

// Entries lo..hi inclusive, all in `term`.
inline std::vector<raft::Entry> entries(raft::Index lo, raft::Index hi, raft::Term term,
                                        size_t data_bytes = 0) {
  std::vector<raft::Entry> out;
  for (raft::Index i = lo; i <= hi; ++i) {
    out.push_back(entry(i, term, data_bytes ? std::string(data_bytes, 'a' + i % 26) : ""));
  }
  return out;
}

// The whole stored log, or a failure message.
inline std::vector<raft::Entry> all_entries(const DurableStorage& s) {
  if (s.last_index() < s.first_index()) return {};
  auto r = s.entries(s.first_index(), s.last_index() + 1, UINT64_MAX);
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : std::vector<raft::Entry>{};
}

// Seed for randomized tests: RAFTKV_TEST_SEED replays a run; the seed is always printed.
inline uint64_t test_seed() {
  const char* env = std::getenv("RAFTKV_TEST_SEED");
  uint64_t seed = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::cout << "RAFTKV_TEST_SEED=" << seed << "\n";
  return seed;
}

#define ASSERT_OK(expr)                     \
  do {                                      \
    ::raftkv::storage::Status s_ = (expr);  \
    ASSERT_TRUE(s_.ok()) << s_.to_string(); \
  } while (0)

#define EXPECT_OK(expr)                     \
  do {                                      \
    ::raftkv::storage::Status s_ = (expr);  \
    EXPECT_TRUE(s_.ok()) << s_.to_string(); \
  } while (0)

}  // namespace raftkv::storage::testing
