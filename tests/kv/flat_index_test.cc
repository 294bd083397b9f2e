// FlatIndex under forced hash collisions: probe runs that are long and wrap around the end
// of the array, with deletions that must shift later entries back. Checked against a map.
#include "kv/flat_index.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>

namespace raftkv::kv {
namespace {

struct Item {
  std::string name;
};
struct NameOf {
  std::string_view operator()(const Item& i) const { return i.name; }
};

// Few distinct hashes, all homing in the last slots of any power-of-two table, so every
// run collides and wraps to slot 0.
uint64_t colliding_hash(const std::string& key) {
  return UINT64_MAX - std::hash<std::string>()(key) % 4;
}

TEST(FlatIndexTest, CollidingWrappingRunsSurviveRandomInsertsAndErases) {
  const uint64_t seed = 77;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  FlatIndex<Item, NameOf> index;
  std::map<std::string, std::unique_ptr<Item>> model;
  for (int step = 0; step < 20000; ++step) {
    std::string key = "k" + std::to_string(rng() % 64);
    const uint64_t h = colliding_hash(key);
    if (rng() % 2 == 0) {
      if (!model.count(key)) {
        auto item = std::make_unique<Item>(Item{key});
        index.insert(item.get(), h);
        model[key] = std::move(item);
      }
    } else {
      const bool erased = index.erase(key, h);  // before the model frees the item
      EXPECT_EQ(erased, model.erase(key) == 1) << key;
    }
    if (step % 97 == 0) {
      ASSERT_EQ(index.size(), model.size());
      for (int k = 0; k < 64; ++k) {
        std::string probe = "k" + std::to_string(k);
        auto it = model.find(probe);
        Item* got = index.find(probe, colliding_hash(probe));
        ASSERT_EQ(got, it == model.end() ? nullptr : it->second.get()) << probe << " at " << step;
      }
    }
  }
}

TEST(FlatIndexTest, SameHashDifferentKeysAreToldApart) {
  FlatIndex<Item, NameOf> index;
  Item a{"a"}, b{"b"};
  index.insert(&a, 5);
  index.insert(&b, 5);
  EXPECT_EQ(index.find("a", 5), &a);
  EXPECT_EQ(index.find("b", 5), &b);
  EXPECT_EQ(index.find("c", 5), nullptr);
  EXPECT_TRUE(index.erase("a", 5));
  EXPECT_EQ(index.find("b", 5), &b) << "b was shifted back into a's slot";
  EXPECT_FALSE(index.erase("a", 5));
  index.clear();
  EXPECT_EQ(index.find("b", 5), nullptr);
  EXPECT_EQ(index.size(), 0u);
}

TEST(FlatIndexTest, FirstWithHashFindsTheRunsFirstEntryOfThatHash) {
  FlatIndex<Item, NameOf> index;
  EXPECT_EQ(index.first_with_hash(5), nullptr);  // empty table
  Item a{"a"}, b{"b"}, c{"c"};
  index.insert(&a, 5);
  index.insert(&b, 5);
  index.insert(&c, 21);  // 21 & 15 == 5: the same run, another hash
  EXPECT_EQ(index.first_with_hash(5), &a);
  EXPECT_EQ(index.first_with_hash(21), &c);
  EXPECT_EQ(index.first_with_hash(6), nullptr);
  index.prefetch_home(5);  // a hint: changes nothing
  EXPECT_EQ(index.find("b", 5), &b);
}

}  // namespace
}  // namespace raftkv::kv
