// The command table and the classification of each incoming command.
//
// The server asks classify() what to do with a parsed command:
//   Route::kLocal  — answer at once from the connection (execute_local in local_commands.h)
//   Route::kRead   — obtain a linearizable read point (ReadIndex), wait until the state
//                    machine has applied it, then StateMachine::read()
//   Route::kWrite  — propose make_log_command(...) through Raft and answer with the reply
//                    StateMachine::apply() returns for that entry
//   Route::kServer — the server's own commands (INFO, CLUSTER, QUIT): this layer checked
//                    the name and arity only
// Name, arity and argument validation all happen here, before anything is proposed, so a
// malformed write never reaches the log and costs no consensus round.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kv/argv.h"
#include "kv/command_codec.h"
#include "kv/resp3_shape.h"
#include "kv/value_type.h"

namespace raftkv::kv {

enum class Route : uint8_t { kLocal, kRead, kWrite, kServer };

enum class CommandId : uint8_t {
  // answered locally
  kPing,
  kEcho,
  kClient,
  kCommand,
  kSelect,
  kReadOnlyMode,
  kReadWriteMode,
  // the server's own
  kQuit,
  kInfo,
  kCluster,
  // reads
  kGet,
  kMget,
  kExists,
  kStrlen,
  kDbsize,
  kScan,
  kType,
  kDebug,
  // writes
  kSet,
  kGetset,
  kDel,
  kIncr,
  kIncrby,
  kDecr,
  kDecrby,
  kAppend,
  kMset,
  kFlushall,
  kSession,
  kSeq,
  // the server's own, added later (ids are not persisted, but kept in addition order)
  kBgsave,
  kRaft,
  // key expiry
  kTtl,
  kPttl,
  kExpire,
  kPexpire,
  kExpireat,
  kPexpireat,
  kPersist,
  kSetex,
  kPsetex,
  // more string and keyspace commands
  kFlushdb,
  kSetnx,
  kGetdel,
  kUnlink,
  kMsetnx,
  kKeys,
  kConfig,
  kTime,
  // Collection commands. Each type's commands are contiguous, from the first to the last
  // named in command_value_type() (which relies on it).
  kHset,
  kHsetnx,
  kHget,
  kHmset,
  kHmget,
  kHgetall,
  kHdel,
  kHlen,
  kHexists,
  kHkeys,
  kHvals,
  kHincrby,
  kHincrbyfloat,
  kHstrlen,
  kHscan,
  kLpush,
  kRpush,
  kLpushx,
  kRpushx,
  kLpop,
  kRpop,
  kLlen,
  kLrange,
  kLindex,
  kLset,
  kLrem,
  kLtrim,
  kLinsert,
  kRpoplpush,
  kLmove,
  // blocking and multi-key pops (blocking_commands.h)
  kBlpop,
  kBrpop,
  kBrpoplpush,
  kBlmove,
  kBlmpop,
  kLmpop,
  kLpos,
  kSadd,
  kSrem,
  kSmembers,
  kSismember,
  kSmismember,
  kScard,
  kSpop,
  kSrandmember,
  kSinter,
  kSunion,
  kSdiff,
  kSscan,
  kSmove,
  kSinterstore,
  kSunionstore,
  kSdiffstore,
  kZadd,
  kZincrby,
  kZscore,
  kZmscore,
  kZcard,
  kZrange,
  kZrevrange,
  kZrangebyscore,
  kZrevrangebyscore,
  kZrank,
  kZrevrank,
  kZrem,
  kZpopmin,
  kZpopmax,
  kBzpopmin,
  kBzpopmax,
  kBzmpop,
  kZmpop,
  kZcount,
  kZscan,
  kZremrangebyscore,
  kZremrangebyrank,
  kZrangestore,
  // more keyspace and string commands
  kRename,
  kRenamenx,
  kRandomkey,
  kExpiretime,
  kPexpiretime,
  kIncrbyfloat,
  kGetrange,
  kSubstr,
  kSetrange,
  kGetex,
  kMemory,  // MEMORY USAGE
  // transactions (transaction.h; the connection's state lives in the server)
  kMulti,
  kExec,
  kDiscard,
  kWatch,
  kUnwatch,
  // the server's introspection
  kSlowlog,
  kMonitor,
  // requirepass: answered by the server's request path (password_check.h)
  kAuth,
  // scripts (scripting.h)
  kEval,
  kEvalsha,
  kEvalRo,
  kEvalshaRo,
  kScript,
  kFcall,  // functions (function_commands.h)
  kFcallRo,
  kFunction,
  // streams (stream_commands.h), contiguous from kXadd to kXinfo
  kXadd,
  kXlen,
  kXrange,
  kXrevrange,
  kXdel,
  kXtrim,
  kXsetid,
  kXread,
  kXgroup,
  kXreadgroup,
  kXack,
  kXpending,
  kXclaim,
  kXautoclaim,
  kXinfo,
  // ACL users (acl.h): SETUSER and DELUSER are writes, the rest reads or local
  kAcl,
  // pub/sub (pubsub.h): PUBLISH is a log entry; the rest are the node's (server/pubsub_hub.h)
  kSubscribe,
  kUnsubscribe,
  kPsubscribe,
  kPunsubscribe,
  kPublish,
  kPubsub,
  kReset,
  // HELLO: the connection's protocol (RESP2 or RESP3, resp3.h), answered by the server
  kHello,
  // Redis 7.0's random picks and intersection cardinality (random_pick.h)
  kHrandfield,
  kZrandmember,
  kSintercard,
  // the sorted sets' lex family (zset_commands.h)
  kZrangebylex,
  kZrevrangebylex,
  kZlexcount,
  kZremrangebylex,
  // bitmaps (bitmap_commands.h)
  kSetbit,
  kGetbit,
  kBitcount,
  kBitpos,
  kBitop,
  // keys (keyspace_commands.h)
  kCopy,
  kTouch,
  kObject,
  kDump,
  kRestore,
  kRestoreAsking,
  // sorted-set algebra (zset_commands.h): keys counted by numkeys
  kZunion,
  kZinter,
  kZdiff,
  kZunionstore,
  kZinterstore,
  kZdiffstore,
  kZintercard,
  // strings
  kLcs,
  kBitfield,
  kBitfieldRo,
  kSort,
  kSortRo,
  // HyperLogLogs (hll_commands.h): string values in Redis's HLL format
  kPfadd,
  kPfcount,
  kPfmerge,
  // geo (geo_commands.h): sorted sets scored by geohash; contiguous from kGeoadd to
  // kGeoradiusbymemberRo (is_geo_command relies on it)
  kGeoadd,
  kGeopos,
  kGeodist,
  kGeohash,
  kGeosearch,
  kGeosearchstore,
  kGeoradius,
  kGeoradiusbymember,
  kGeoradiusRo,
  kGeoradiusbymemberRo,
  // the server's own, added in session 10
  kWait,
  kRole,
  kLastsave,
  kSave,
  kShutdown,
  // sharded pub/sub (Redis 7.0): channels in a namespace of their own, routed by slot
  kSpublish,
  kSsubscribe,
  kSunsubscribe,
  // session 11: LATENCY (the monitor's events: none; HISTOGRAM from INFO latencystats)
  kLatency,
};

// The kind of value a data command works on: kString for the string and keyspace commands
// (and for every command that is not a data command). Inline: every data command asks.
inline ValueType command_value_type(CommandId id) {
  using enum CommandId;
  if (id >= kHset && id <= kHscan) return ValueType::kHash;
  if (id >= kLpush && id <= kLpos) return ValueType::kList;
  if (id >= kSadd && id <= kSdiffstore) return ValueType::kSet;
  if (id >= kZadd && id <= kZrangestore) return ValueType::kZSet;
  if (id >= kXadd && id <= kXinfo) return ValueType::kStream;
  // Added after the contiguous ranges.
  switch (id) {
    case kHrandfield:
      return ValueType::kHash;
    case kZrandmember:
    case kZrangebylex:
    case kZrevrangebylex:
    case kZlexcount:
    case kZremrangebylex:
    case kZunion:
    case kZinter:
    case kZdiff:
    case kZunionstore:
    case kZinterstore:
    case kZdiffstore:
    case kZintercard:
      return ValueType::kZSet;
    case kSintercard:
      return ValueType::kSet;
    default:
      return ValueType::kString;
  }
}

// Flags, as COMMAND reports them.
enum CommandFlag : uint32_t {
  kFlagWrite = 1u << 0,        // changes the data set: goes through the Raft log
  kFlagReadOnly = 1u << 1,     // reads the data set: needs a read point
  kFlagAdmin = 1u << 2,        // operational command
  kFlagNoRaft = 1u << 3,       // never touches the log or the state machine
  kFlagFast = 1u << 4,         // O(1) or O(log n)
  kFlagNoScript = 1u << 5,     // may not be called from a script
  kFlagMovableKeys = 1u << 6,  // keys found from the arguments (EVAL's numkeys), not positions
  kFlagBlocking = 1u << 7,     // may block the client (BLPOP, ...; see blocking_commands.h)
};

struct CommandSpec {
  std::string_view name;  // lower case, as Redis prints it in error messages
  CommandId id;
  // Redis convention: the argument count including the name; negative means "at least".
  int arity;
  uint32_t flags;
  Route route;
  // Key positions for COMMAND INFO (0 when the command takes no keys; -1 = last argument).
  int first_key;
  int last_key;
  int key_step;
  // The reply's shape for a RESP3 connection (resp3_shape.h); one that depends on the
  // arguments is decided in resp3_shape() (resp3.h).
  Resp3Shape resp3 = Resp3Shape::kPlain;
};

std::span<const CommandSpec> command_table();
// Case-insensitive lookup; nullptr for an unknown name.
const CommandSpec* find_command(std::string_view name);
// Whether `argc` arguments (the name included) satisfy the command's arity.
bool arity_matches(const CommandSpec& spec, size_t argc);

struct Classification {
  // Non-empty: reply with this error (e.g. "ERR syntax error") and execute nothing.
  std::string error;
  Route route = Route::kLocal;
  const CommandSpec* spec = nullptr;  // the command to execute (the tagged one for SEQ)
  // For "SEQ <session> <seq> <command...>": the session tag, and where the tagged
  // command starts in argv. Without SEQ: 0, 0 and 0.
  uint64_t session_id = 0;
  uint64_t seq = 0;
  size_t command_offset = 0;

  bool ok() const { return error.empty(); }
};

// Never throws on client input.
Classification classify(const Argv& argv);

// argv[first..last], e.g. the keys a numkeys argument counts (numkeys_key_range in
// key_specs.h, where every command's keys are found); {0, 0}: none.
struct KeyRange {
  size_t first = 0;
  size_t last = 0;
};

// Whether maxmemory's noeviction policy refuses the command when memory is over the limit:
// writes that may grow the data set (Redis's "denyoom" commands). Reads and writes that
// only remove (DEL, LPOP, SREM, EXPIRE, FLUSHALL, ...) still run, so memory can be freed.
bool denied_when_out_of_memory(const CommandSpec& spec);

// The log entry for a write classified as Route::kWrite; `time_ms` is the leader's clock.
LogCommand make_log_command(Argv argv, const Classification& classification, uint64_t time_ms);

// Redis's error texts.
std::string unknown_command_error(std::span<const std::string> argv);
std::string wrong_arity_error(std::string_view command_name);
std::string unknown_subcommand_error(std::string_view subcommand, std::string_view command_name);

}  // namespace raftkv::kv
