// SORT and SORT_RO (BY, LIMIT, GET, ASC|DESC, ALPHA, STORE) on lists, sets and sorted
// sets, with Redis 7.0's replies, errors and orders. Elements compare byte-wise (Redis's
// strcoll in the C locale); ties that Redis leaves to qsort (ALPHA with BY) keep the
// collection's order, so every replica sorts alike. BY and GET patterns read other keys:
// only a user with access to every key may use them (check_acl, as Redis).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The option checks Redis makes before it looks the key up.
std::string validate_sort(const CommandSpec& spec, std::span<const std::string> argv);

// Whether SORT's arguments use a BY or GET pattern that reads other keys; STORE's argv
// index (0: none).
bool sort_reads_other_keys(std::span<const std::string> argv);
size_t sort_store_key(const CommandSpec& spec, std::span<const std::string> argv);

// `argv` has been validated. `target`: where STORE writes (null for SORT_RO and reads).
// `in_script`: run by a script or function.
void execute_sort(const KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  uint64_t now, KvStore* target, RespWriter* out, bool in_script);

}  // namespace raftkv::kv
