// A hash index of pointers to entries that live elsewhere (KvStore's ordered map nodes):
// open addressing with linear probing in one flat array of {hash, pointer} slots.
//
// Why not std::unordered_map: its lookups walk a linked list whose nodes are each a cache
// miss (including the node *before* the bucket and the one after the match), and under
// load the server spent ~25% of the leader's time there. Here a lookup reads one slot
// (usually one cache line), compares the full 64-bit hash, and touches the entry only on
// a hash match.
//
// The caller supplies each key's hash (so tests can force collisions) and KeyOf, which
// maps an entry pointer to its key for the final comparison. Deletion shifts later
// entries of the probe run back instead of leaving tombstones, so lookups never slow
// down after many deletions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace raftkv::kv {

template <typename Entry, typename KeyOf>
class FlatIndex {
 public:
  Entry* find(std::string_view key, uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == nullptr) return nullptr;
      if (s.hash == hash && KeyOf()(*s.entry) == key) return s.entry;
    }
  }

  // Prefetch hints (no effect on contents): the slot where a lookup of `hash` starts, and
  // the entry of the first slot of its run with that hash (no key comparison), if any.
  void prefetch_home(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }
  const Entry* first_with_hash(uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == nullptr || s.hash == hash) return s.entry;
    }
  }

  // Adds an entry whose key is not present.
  void insert(Entry* entry, uint64_t hash) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    place(Slot{hash, entry});
    ++size_;
  }

  // Removes the entry with this key; false if there is none.
  bool erase(std::string_view key, uint64_t hash) {
    if (slots_.empty()) return false;
    size_t i = hash & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == nullptr) return false;
      if (s.hash == hash && KeyOf()(*s.entry) == key) break;
    }
    // Backward shift: move up every later slot of the run that may sit at i (its home is
    // not cyclically within (i, j]), so no lookup ever stops early at the hole.
    for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].entry == nullptr) break;
      const size_t home = slots_[j].hash & mask_;
      const bool home_in_gap = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!home_in_gap) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  void clear() {
    slots_.clear();
    mask_ = 0;
    size_ = 0;
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    Entry* entry = nullptr;  // nullptr: empty
  };

  void place(Slot slot) {
    size_t i = slot.hash & mask_;
    while (slots_[i].entry != nullptr) i = (i + 1) & mask_;
    slots_[i] = slot;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.entry != nullptr) place(s);
    }
  }

  std::vector<Slot> slots_;  // size is 0 or a power of two, at most 3/4 full
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace raftkv::kv
