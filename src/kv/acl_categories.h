// ACL command categories (@read, @write, @admin, ...), as Redis 7.0 names and lists them.
// A command's categories follow from its row in the command table (its flags, its value
// type) and a few per-command facts (keyspace, dangerous, connection, ...), so a new
// command row gets categories without a second table to keep in step.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kv/commands.h"

namespace raftkv::kv {

// Bit positions, in the order ACL CAT lists them (Redis's ACLCommandCategories).
enum AclCategory : uint32_t {
  kCatKeyspace = 1u << 0,
  kCatRead = 1u << 1,
  kCatWrite = 1u << 2,
  kCatSet = 1u << 3,
  kCatSortedSet = 1u << 4,
  kCatList = 1u << 5,
  kCatHash = 1u << 6,
  kCatString = 1u << 7,
  kCatBitmap = 1u << 8,
  kCatHyperLogLog = 1u << 9,
  kCatGeo = 1u << 10,
  kCatStream = 1u << 11,
  kCatPubSub = 1u << 12,
  kCatAdmin = 1u << 13,
  kCatFast = 1u << 14,
  kCatSlow = 1u << 15,
  kCatBlocking = 1u << 16,
  kCatDangerous = 1u << 17,
  kCatConnection = 1u << 18,
  kCatTransaction = 1u << 19,
  kCatScripting = 1u << 20,
};

struct AclCategoryName {
  std::string_view name;
  uint32_t bit;
};

// Every category, in ACL CAT's order. (@all is not one of them: it is every command.)
std::span<const AclCategoryName> acl_categories();
// The bit of a category name (without '@', any case), or nullopt.
std::optional<uint32_t> find_acl_category(std::string_view name);
// The categories of a command, from a table built once.
uint32_t command_categories(const CommandSpec& spec);

}  // namespace raftkv::kv
