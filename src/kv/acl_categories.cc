#include "kv/acl_categories.h"

#include <array>

#include "kv/ascii.h"
#include "kv/bitmap_commands.h"
#include "kv/geo_commands.h"
#include "kv/hll_commands.h"
#include "kv/scripting.h"

namespace raftkv::kv {

namespace {

using enum CommandId;

constexpr std::array kCategories = {
    AclCategoryName{"keyspace", kCatKeyspace},
    AclCategoryName{"read", kCatRead},
    AclCategoryName{"write", kCatWrite},
    AclCategoryName{"set", kCatSet},
    AclCategoryName{"sortedset", kCatSortedSet},
    AclCategoryName{"list", kCatList},
    AclCategoryName{"hash", kCatHash},
    AclCategoryName{"string", kCatString},
    AclCategoryName{"bitmap", kCatBitmap},
    AclCategoryName{"hyperloglog", kCatHyperLogLog},
    AclCategoryName{"geo", kCatGeo},
    AclCategoryName{"stream", kCatStream},
    AclCategoryName{"pubsub", kCatPubSub},
    AclCategoryName{"admin", kCatAdmin},
    AclCategoryName{"fast", kCatFast},
    AclCategoryName{"slow", kCatSlow},
    AclCategoryName{"blocking", kCatBlocking},
    AclCategoryName{"dangerous", kCatDangerous},
    AclCategoryName{"connection", kCatConnection},
    AclCategoryName{"transaction", kCatTransaction},
    AclCategoryName{"scripting", kCatScripting},
};

// Commands on keys as such rather than on one type's values (Redis's @keyspace).
bool is_keyspace(CommandId id) {
  switch (id) {
    case kDel:
    case kUnlink:
    case kExists:
    case kType:
    case kTtl:
    case kPttl:
    case kExpire:
    case kPexpire:
    case kExpireat:
    case kPexpireat:
    case kExpiretime:
    case kPexpiretime:
    case kPersist:
    case kRename:
    case kRenamenx:
    case kRandomkey:
    case kCopy:
    case kTouch:
    case kObject:
    case kDump:
    case kRestore:
    case kRestoreAsking:
    case kKeys:
    case kScan:
    case kDbsize:
    case kFlushall:
    case kFlushdb:
      return true;
    default:
      return false;
  }
}

// What Redis 7.0 marks @dangerous beyond the admin commands (which all are).
bool is_dangerous(CommandId id) {
  return id == kFlushall || id == kFlushdb || id == kKeys || id == kInfo || id == kAcl ||
         id == kSort || id == kSortRo || id == kRestore || id == kRestoreAsking;
}

uint32_t special_categories(CommandId id) {
  switch (id) {
    case kPing:
    case kEcho:
    case kSelect:
    case kReadOnlyMode:
    case kReadWriteMode:
    case kQuit:
    case kAuth:
    case kHello:
    case kClient:
    case kCommand:
      return kCatConnection;
    case kMulti:
    case kExec:
    case kDiscard:
    case kWatch:
    case kUnwatch:
      return kCatTransaction;
    case kEval:
    case kEvalsha:
    case kEvalRo:
    case kEvalshaRo:
    case kScript:
    case kFcall:
    case kFcallRo:
    case kFunction:
      return kCatScripting;
    case kAcl:
      return kCatAdmin;
    case kSubscribe:
    case kUnsubscribe:
    case kPsubscribe:
    case kPunsubscribe:
    case kPublish:
    case kPubsub:
    case kSpublish:
    case kSsubscribe:
    case kSunsubscribe:
      return kCatPubSub;
    case kReset:
    case kWait:
      return kCatConnection;
    default:
      return 0;
  }
}

bool is_numkeys_pop(CommandId id) {
  return id == kLmpop || id == kZmpop || id == kBlmpop || id == kBzmpop;
}

uint32_t type_category(const CommandSpec& spec) {
  // LMPOP and the like name their keys after numkeys, but are list or sorted-set commands.
  const bool has_keys =
      spec.first_key > 0 || (spec.flags & kFlagMovableKeys) != 0 || is_numkeys_pop(spec.id);
  if ((spec.flags & (kFlagReadOnly | kFlagWrite)) == 0 || !has_keys) return 0;
  if (is_keyspace(spec.id) || is_script_command(spec.id)) return 0;
  if (spec.id == kSort || spec.id == kSortRo) return kCatSet | kCatSortedSet | kCatList;
  switch (command_value_type(spec.id)) {
    case ValueType::kHash:
      return kCatHash;
    case ValueType::kList:
      return kCatList;
    case ValueType::kSet:
      return kCatSet;
    case ValueType::kZSet:
      return kCatSortedSet;
    case ValueType::kStream:
      return kCatStream;
    default:
      if (is_bitmap_command(spec.id)) return kCatBitmap;
      if (is_hll_command(spec.id)) return kCatHyperLogLog;
      if (is_geo_command(spec.id)) return kCatGeo;
      return spec.id == kWatch ? 0u : static_cast<uint32_t>(kCatString);
  }
}

uint32_t compute_categories(const CommandSpec& spec) {
  uint32_t cats = special_categories(spec.id) | type_category(spec);
  // Scripts and transactions are neither @read nor @write themselves (as in Redis): what
  // they run is checked one command at a time.
  const bool container = (cats & (kCatScripting | kCatTransaction)) != 0;
  // DEBUG takes a read point here, but is an admin command, not a read, in Redis.
  if (!container && (spec.flags & kFlagReadOnly) != 0 && spec.id != kDebug) cats |= kCatRead;
  if (!container && (spec.flags & kFlagWrite) != 0) cats |= kCatWrite;
  if (is_keyspace(spec.id)) cats |= kCatKeyspace;
  if ((spec.flags & kFlagAdmin) != 0) cats |= kCatAdmin | kCatDangerous;
  if (is_dangerous(spec.id)) cats |= kCatDangerous;
  // XREAD and XREADGROUP block only with BLOCK, but are @blocking in Redis too.
  if ((spec.flags & kFlagBlocking) != 0 || spec.id == kXread || spec.id == kXreadgroup) {
    cats |= kCatBlocking;
  }
  cats |= (spec.flags & kFlagFast) != 0 ? kCatFast : kCatSlow;
  return cats;
}

}  // namespace

std::span<const AclCategoryName> acl_categories() {
  return kCategories;
}

std::optional<uint32_t> find_acl_category(std::string_view name) {
  for (const AclCategoryName& c : kCategories) {
    if (equals_ignore_case(name, c.name)) return c.bit;
  }
  return std::nullopt;
}

uint32_t command_categories(const CommandSpec& spec) {
  static const auto table = [] {
    std::array<uint32_t, 256> cats{};
    for (const CommandSpec& s : command_table())
      cats[static_cast<size_t>(s.id)] = compute_categories(s);
    return cats;
  }();
  return table[static_cast<size_t>(spec.id)];
}

}  // namespace raftkv::kv
