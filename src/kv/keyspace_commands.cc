#include "kv/keyspace_commands.h"

#include <utility>

#include "kv/random_pick.h"
#include "kv/value.h"

namespace raftkv::kv {

void execute_rename(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                    RespWriter* out) {
  const bool nx = spec.id == CommandId::kRenamenx;
  const std::string& source = argv[1];
  const std::string& destination = argv[2];
  Value* value = store.find(source);
  if (value == nullptr) return out->error("ERR no such key");
  // Renaming a key to itself changes nothing; RENAMENX reports that it did not rename.
  if (source == destination) return nx ? out->integer(0) : out->simple("OK");
  if (nx && store.find(destination) != nullptr) return out->integer(0);
  const uint64_t deadline = store.expire_at(source);
  Value moved = std::move(*value);
  store.erase(source);  // and its deadline
  store.put(destination, std::move(moved));
  store.persist(destination);  // the destination's old deadline goes with its old value
  if (deadline != 0) store.set_expire(destination, deadline);
  return nx ? out->integer(1) : out->simple("OK");
}

void execute_randomkey(const KvStore& store, uint64_t now, RespWriter* out) {
  // A read may use local randomness; writes never do (docs/kv.md).
  const std::string* key = store.random_key(
      local_random(), [&](std::string_view k) { return store.find_live(k, now) != nullptr; });
  if (key == nullptr) return out->null_bulk();
  out->bulk(*key);
}

}  // namespace raftkv::kv
