// KvStore keeps an ordered map (SCAN, snapshots, digests) and a hash index (point lookups)
// in step. A seeded random sequence of operations is checked against a plain std::map.
#include "kv/kv_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace raftkv::kv {
namespace {

// The keys in the order the store promises: by (key_hash, key).
std::vector<std::string> expected_order(const std::map<std::string, std::string>& model) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : model) keys.push_back(k);
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(key_hash(a), a) < std::make_pair(key_hash(b), b);
  });
  return keys;
}

void expect_same(const KvStore& store, const std::map<std::string, std::string>& model,
                 const std::vector<std::string>& universe) {
  ASSERT_EQ(store.size(), model.size());
  for (const std::string& k : universe) {
    const Value* found = store.find(k);
    const std::string* got = found == nullptr ? nullptr : std::get_if<StringValue>(found);
    auto it = model.find(k);
    if (it == model.end()) {
      EXPECT_EQ(got, nullptr) << k;
    } else {
      ASSERT_NE(got, nullptr) << k;
      EXPECT_EQ(*got, it->second) << k;
    }
  }
  std::vector<std::string> order;
  store.for_each([&](std::string_view k, const Value& v) {
    order.emplace_back(k);
    EXPECT_EQ(std::get<StringValue>(v), model.at(std::string(k)));
  });
  EXPECT_EQ(order, expected_order(model));
}

TEST(KvStoreTest, RandomOperationsMatchAPlainMap) {
  const uint64_t seed = 20261125;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<std::string> universe;
  for (int i = 0; i < 300; ++i) universe.push_back("key:" + std::to_string(i));
  universe.push_back("");  // the empty key is a key like any other

  KvStore store;
  std::map<std::string, std::string> model;
  for (int step = 0; step < 20000; ++step) {
    const std::string& key = universe[rng() % universe.size()];
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {
        std::string value = "v" + std::to_string(step);
        EXPECT_EQ(store.set(key, value), model.count(key) == 0);
        model[key] = value;
        break;
      }
      case 4:
      case 5:
        EXPECT_EQ(store.erase(key), model.erase(key) == 1);
        break;
      case 6:
        if (Value* v = store.find(key)) {
          std::get<StringValue>(*v).append("+");  // in-place update through find (APPEND, INCR)
          model[key].append("+");
        }
        break;
      case 7:
        if (rng() % 500 == 0) {
          store.clear();
          model.clear();
        }
        break;
      case 8:
        if (rng() % 200 == 0) {
          KvStore moved(std::move(store));
          store = std::move(moved);  // the index survives moves
        }
        break;
      default:
        break;
    }
    if (step % 1000 == 0) expect_same(store, model, universe);
  }
  expect_same(store, model, universe);
}

TEST(KvStoreTest, AppendInOrderFeedsTheIndexToo) {
  std::map<std::string, std::string> model;
  for (int i = 0; i < 100; ++i) model["k" + std::to_string(i)] = std::to_string(i);
  KvStore store;
  for (const std::string& k : expected_order(model)) {
    ASSERT_TRUE(store.append_in_order(k, model[k]));
  }
  EXPECT_FALSE(store.append_in_order(expected_order(model).front(), std::string("x")))
      << "out of order";
  std::vector<std::string> universe;
  for (const auto& [k, v] : model) universe.push_back(k);
  universe.push_back("absent");
  expect_same(store, model, universe);
}

}  // namespace
}  // namespace raftkv::kv
