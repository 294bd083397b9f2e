// Where a command's keys are: Redis 7's key specifications (COMMAND INFO's ninth element),
// and command_keys(), the one function that finds a command's keys in its arguments. ACL
// key checks, COMMAND GETKEYS and the cluster routing (the slot a -MOVED names) all use
// it, so they cannot disagree about which arguments are keys.
//
// The specs themselves are Redis's (key_spec_table.cc, generated from redis-server by
// tools/gen_key_specs.py); command_keys() interprets them as Redis 7.0 does, and where a
// spec cannot say (SORT's STORE, SET's flags that depend on GET, an unparsable numkeys)
// it falls back to the command's own rule, as Redis's getkeys procedures do.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kv/commands.h"
#include "kv/resp_writer.h"
#include "raft/check.h"

namespace raftkv::kv {

// A key's flags, as COMMAND INFO and COMMAND GETKEYSANDFLAGS name them (in this order).
enum KeySpecFlag : uint16_t {
  kKeyRO = 1u << 0,
  kKeyRW = 1u << 1,
  kKeyOW = 1u << 2,
  kKeyRM = 1u << 3,
  kKeyAccess = 1u << 4,
  kKeyUpdate = 1u << 5,
  kKeyInsert = 1u << 6,
  kKeyDelete = 1u << 7,
  kKeyNotKey = 1u << 8,
  kKeyIncomplete = 1u << 9,
  kKeyVariableFlags = 1u << 10,
};

// Where the search for a spec's first key begins.
struct BeginSearch {
  enum class Kind : uint8_t { kUnknown, kIndex, kKeyword };
  Kind kind = Kind::kUnknown;
  int index = 0;             // kIndex: the argument's position
  std::string_view keyword;  // kKeyword: the first key follows it; searched from
  int startfrom = 0;         // startfrom (negative: that far from the end, backwards)
};

// How many keys follow the first.
struct FindKeys {
  enum class Kind : uint8_t { kUnknown, kRange, kKeynum };
  Kind kind = Kind::kUnknown;
  // kRange: last key (relative to the first; negative: from the end), step, limit (when
  // the last key is -1: only 1/limit of the remaining arguments are keys).
  // kKeynum: where numkeys is and where the first key is (relative to the search's
  // start), step.
  int a = 0;
  int b = 0;
  int c = 0;
};

constexpr BeginSearch at_index(int index) {
  return {BeginSearch::Kind::kIndex, index, {}, 0};
}
constexpr BeginSearch after_keyword(std::string_view keyword, int startfrom) {
  return {BeginSearch::Kind::kKeyword, 0, keyword, startfrom};
}
constexpr FindKeys key_range(int lastkey, int keystep, int limit) {
  return {FindKeys::Kind::kRange, lastkey, keystep, limit};
}
constexpr FindKeys key_count(int keynumidx, int firstkey, int keystep) {
  return {FindKeys::Kind::kKeynum, keynumidx, firstkey, keystep};
}

struct KeySpec {
  std::string_view notes;
  uint16_t flags;
  BeginSearch begin;
  FindKeys find;
};

// A command's (or a container's subcommand's, "object|freq") specs, as a slice of the
// generated rows, with what COMMAND GETKEYS needs besides: the arity and whether a call
// may name no key at all (Redis's no_mandatory_keys: EVAL, FCALL, ...).
struct NamedKeySpecs {
  std::string_view name;
  uint16_t first;
  uint16_t count;
  int arity;
  bool keys_optional;
};
std::span<const NamedKeySpecs> key_spec_index();  // key_spec_table.cc
std::span<const KeySpec> key_spec_rows();

// The specs of `name` (lower case; "container|subcommand"), or nullptr without any.
const NamedKeySpecs* find_key_specs(std::string_view name);
std::span<const KeySpec> specs_of(const NamedKeySpecs* named);

// argv[first], argv[first + step], ... argv[last] (first <= last), with their flags.
struct KeyRun {
  size_t first = 0;
  size_t last = 0;
  size_t step = 1;
  uint16_t flags = 0;
};

// A command's keys, in Redis's order, as a few runs (no allocation: ACL asks for every
// command of a restricted user, and routing for every command whose keys move).
struct CommandKeys {
  static constexpr size_t kMaxRuns = 4;
  std::array<KeyRun, kMaxRuns> runs{};
  size_t count = 0;

  void add(KeyRun run) {
    RAFTKV_CHECK(count < kMaxRuns, "a command has at most 4 key specs");
    runs[count++] = run;
  }
  bool empty() const { return count == 0; }
  // The first key's position, 0 without keys.
  size_t first() const { return count == 0 ? 0 : runs[0].first; }
  template <typename F>
  void each(F&& f) const {
    for (size_t r = 0; r < count; ++r) {
      for (size_t i = runs[r].first; i <= runs[r].last; i += runs[r].step) f(i, runs[r].flags);
    }
  }
};

// The keys `argv` (a command that classify() accepted, its name at argv[0]) names. No keys
// when its arguments name none the way the command expects (a bad numkeys, ...): it will
// fail with a syntax error anyway.
CommandKeys command_keys(const CommandSpec& spec, std::span<const std::string> argv);

// The keys counted by a numkeys argument (SINTERCARD numkeys key..., ZUNIONSTORE dest
// numkeys key..., LMPOP, EVAL, ...): [first, last], or {0, 0} for any other command or a
// numkeys that is not a positive count of the arguments that follow.
KeyRange numkeys_key_range(const CommandSpec& spec, std::span<const std::string> argv);

// COMMAND GETKEYS / GETKEYSANDFLAGS <command> <args...>: `argv` is the whole command.
void execute_command_getkeys(std::span<const std::string> argv, bool with_flags, RespWriter* out);
// COMMAND INFO's key specifications element for `spec`.
void write_key_specs(const CommandSpec& spec, RespWriter* out);

// The position of the command's first key in argv (0 if it has none): the table's fixed
// first key unless the command's keys move (EVAL's numkeys, XREAD's STREAMS ...) or are
// its subcommand's (XGROUP, OBJECT ...), where command_keys() finds it. The request path's
// cheap way to the slot a -MOVED names (the key finder costs ~130 instructions).
size_t first_key_at(const CommandSpec& spec, std::span<const std::string> argv);

}  // namespace raftkv::kv
