#include "kv/commands.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "kv/acl_commands.h"
#include "kv/data_commands.h"
#include "kv/int_parse.h"
#include "kv/scripting.h"

namespace raftkv::kv {

namespace {

constexpr uint32_t kW = kFlagWrite;
constexpr uint32_t kR = kFlagReadOnly;
constexpr uint32_t kA = kFlagAdmin;
constexpr uint32_t kN = kFlagNoRaft;
constexpr uint32_t kF = kFlagFast;
constexpr uint32_t kS = kFlagNoScript | kFlagMovableKeys;
constexpr uint32_t kM = kFlagMovableKeys;
// RESP3 reply shapes (resp3_shape.h), for the rows whose reply is not plain.
constexpr Resp3Shape k3Verbatim = Resp3Shape::kVerbatim;
constexpr Resp3Shape k3Map = Resp3Shape::kMap;
constexpr Resp3Shape k3Set = Resp3Shape::kSet;
constexpr Resp3Shape k3Double = Resp3Shape::kDouble;
constexpr Resp3Shape k3Doubles = Resp3Shape::kDoubles;
constexpr Resp3Shape k3Streams = Resp3Shape::kStreams;
constexpr Resp3Shape k3Transaction = Resp3Shape::kTransaction;
constexpr Resp3Shape k3Push = Resp3Shape::kPush;
constexpr Resp3Shape k3KeyMemberScore = Resp3Shape::kKeyMemberScore;
constexpr Resp3Shape k3KeyScorePairs = Resp3Shape::kKeyScorePairs;
constexpr Resp3Shape k3GeoPositions = Resp3Shape::kGeoPositions;
constexpr uint32_t kB = kFlagBlocking;
constexpr uint32_t kNS = kFlagNoScript;

using enum CommandId;
using enum Route;

constexpr std::array kTable = {
    // name, id, arity, flags, route, first key, last key, step[, RESP3 shape]
    CommandSpec{"ping", kPing, -1, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"echo", kEcho, 2, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"client", kClient, -2, kN | kA, kLocal, 0, 0, 0},
    CommandSpec{"command", kCommand, -1, kN, kLocal, 0, 0, 0},
    CommandSpec{"select", kSelect, 2, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"config", kConfig, -2, kN | kA, kLocal, 0, 0, 0},
    CommandSpec{"readonly", kReadOnlyMode, 1, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"readwrite", kReadWriteMode, 1, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"quit", kQuit, -1, kN | kF, kServer, 0, 0, 0},
    CommandSpec{"info", kInfo, -1, kN, kServer, 0, 0, 0, k3Verbatim},
    CommandSpec{"cluster", kCluster, -2, kN, kServer, 0, 0, 0},
    CommandSpec{"bgsave", kBgsave, -1, kN | kA, kServer, 0, 0, 0},
    CommandSpec{"time", kTime, 1, kN | kF, kServer, 0, 0, 0},
    CommandSpec{"wait", kWait, 3, kN | kNS, kServer, 0, 0, 0},
    CommandSpec{"role", kRole, 1, kN | kA | kF | kNS, kServer, 0, 0, 0},
    CommandSpec{"lastsave", kLastsave, 1, kN | kA | kF, kServer, 0, 0, 0},
    CommandSpec{"latency", kLatency, -2, kN | kA | kNS, kServer, 0, 0, 0},
    CommandSpec{"save", kSave, 1, kN | kA | kNS, kServer, 0, 0, 0},
    CommandSpec{"shutdown", kShutdown, -1, kN | kA | kNS, kServer, 0, 0, 0},
    CommandSpec{"raft", kRaft, -2, kN | kA, kServer, 0, 0, 0},
    CommandSpec{"slowlog", kSlowlog, -2, kN | kA, kServer, 0, 0, 0},
    CommandSpec{"monitor", kMonitor, 1, kN | kA, kServer, 0, 0, 0},
    CommandSpec{"get", kGet, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"mget", kMget, -2, kR | kF, kRead, 1, -1, 1},
    CommandSpec{"exists", kExists, -2, kR | kF, kRead, 1, -1, 1},
    CommandSpec{"strlen", kStrlen, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"type", kType, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"dbsize", kDbsize, 1, kR | kF, kRead, 0, 0, 0},
    CommandSpec{"scan", kScan, -2, kR, kRead, 0, 0, 0},
    CommandSpec{"debug", kDebug, -2, kR | kA, kRead, 0, 0, 0},
    CommandSpec{"set", kSet, -3, kW, kWrite, 1, 1, 1},
    CommandSpec{"getset", kGetset, 3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"del", kDel, -2, kW, kWrite, 1, -1, 1},
    CommandSpec{"incr", kIncr, 2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"incrby", kIncrby, 3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"decr", kDecr, 2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"decrby", kDecrby, 3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"append", kAppend, 3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"mset", kMset, -3, kW, kWrite, 1, -1, 2},
    CommandSpec{"flushall", kFlushall, -1, kW, kWrite, 0, 0, 0},
    CommandSpec{"ttl", kTtl, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"pttl", kPttl, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"expire", kExpire, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"pexpire", kPexpire, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"expireat", kExpireat, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"pexpireat", kPexpireat, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"persist", kPersist, 2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"setex", kSetex, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"psetex", kPsetex, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"flushdb", kFlushdb, -1, kW, kWrite, 0, 0, 0},
    CommandSpec{"setnx", kSetnx, 3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"getdel", kGetdel, 2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"unlink", kUnlink, -2, kW | kF, kWrite, 1, -1, 1},
    CommandSpec{"msetnx", kMsetnx, -3, kW, kWrite, 1, -1, 2},
    CommandSpec{"keys", kKeys, 2, kR, kRead, 0, 0, 0},
    CommandSpec{"hset", kHset, -4, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"hsetnx", kHsetnx, 4, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"hget", kHget, 3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"hmset", kHmset, -4, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"hmget", kHmget, -3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"hgetall", kHgetall, 2, kR, kRead, 1, 1, 1, k3Map},
    CommandSpec{"hdel", kHdel, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"hlen", kHlen, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"hexists", kHexists, 3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"hkeys", kHkeys, 2, kR, kRead, 1, 1, 1},
    CommandSpec{"hvals", kHvals, 2, kR, kRead, 1, 1, 1},
    CommandSpec{"hincrby", kHincrby, 4, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"hincrbyfloat", kHincrbyfloat, 4, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"hstrlen", kHstrlen, 3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"hscan", kHscan, -3, kR, kRead, 1, 1, 1},
    CommandSpec{"lpush", kLpush, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"rpush", kRpush, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"lpushx", kLpushx, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"rpushx", kRpushx, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"lpop", kLpop, -2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"rpop", kRpop, -2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"llen", kLlen, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"lrange", kLrange, 4, kR, kRead, 1, 1, 1},
    CommandSpec{"lindex", kLindex, 3, kR, kRead, 1, 1, 1},
    CommandSpec{"lset", kLset, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"lrem", kLrem, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"ltrim", kLtrim, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"linsert", kLinsert, 5, kW, kWrite, 1, 1, 1},
    CommandSpec{"rpoplpush", kRpoplpush, 3, kW, kWrite, 1, 2, 1},
    CommandSpec{"lmove", kLmove, 5, kW, kWrite, 1, 2, 1},
    CommandSpec{"lpos", kLpos, -3, kR, kRead, 1, 1, 1},
    // Blocking pops: applied, each is its non-blocking form (as inside MULTI); the server
    // makes the client wait (client_service_pop.cc). The *MPOP keys follow numkeys.
    CommandSpec{"blpop", kBlpop, -3, kW | kB | kNS, kWrite, 1, -2, 1},
    CommandSpec{"brpop", kBrpop, -3, kW | kB | kNS, kWrite, 1, -2, 1},
    CommandSpec{"brpoplpush", kBrpoplpush, 4, kW | kB | kNS, kWrite, 1, 2, 1},
    CommandSpec{"blmove", kBlmove, 6, kW | kB | kNS, kWrite, 1, 2, 1},
    CommandSpec{"blmpop", kBlmpop, -5, kW | kB | kM, kWrite, 0, 0, 0},
    CommandSpec{"lmpop", kLmpop, -4, kW | kM, kWrite, 0, 0, 0},
    CommandSpec{"sadd", kSadd, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"srem", kSrem, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"smembers", kSmembers, 2, kR, kRead, 1, 1, 1, k3Set},
    CommandSpec{"sismember", kSismember, 3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"smismember", kSmismember, -3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"scard", kScard, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"spop", kSpop, -2, kW | kF, kWrite, 1, 1, 1, k3Set},
    CommandSpec{"srandmember", kSrandmember, -2, kR, kRead, 1, 1, 1},
    CommandSpec{"sinter", kSinter, -2, kR, kRead, 1, -1, 1, k3Set},
    CommandSpec{"sunion", kSunion, -2, kR, kRead, 1, -1, 1, k3Set},
    CommandSpec{"sdiff", kSdiff, -2, kR, kRead, 1, -1, 1, k3Set},
    CommandSpec{"sscan", kSscan, -3, kR, kRead, 1, 1, 1},
    CommandSpec{"smove", kSmove, 4, kW | kF, kWrite, 1, 2, 1},
    CommandSpec{"sinterstore", kSinterstore, -3, kW, kWrite, 1, -1, 1},
    CommandSpec{"sunionstore", kSunionstore, -3, kW, kWrite, 1, -1, 1},
    CommandSpec{"sdiffstore", kSdiffstore, -3, kW, kWrite, 1, -1, 1},
    CommandSpec{"zadd", kZadd, -4, kW | kF, kWrite, 1, 1, 1, k3Double},
    CommandSpec{"zincrby", kZincrby, 4, kW | kF, kWrite, 1, 1, 1, k3Double},
    CommandSpec{"zscore", kZscore, 3, kR | kF, kRead, 1, 1, 1, k3Double},
    CommandSpec{"zmscore", kZmscore, -3, kR | kF, kRead, 1, 1, 1, k3Doubles},
    CommandSpec{"zcard", kZcard, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"zrange", kZrange, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"zrevrange", kZrevrange, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"zrangebyscore", kZrangebyscore, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"zrevrangebyscore", kZrevrangebyscore, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"zrank", kZrank, 3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"zrevrank", kZrevrank, 3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"zrem", kZrem, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"zpopmin", kZpopmin, -2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"zpopmax", kZpopmax, -2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"bzpopmin", kBzpopmin, -3, kW | kF | kB | kNS, kWrite, 1, -2, 1, k3KeyMemberScore},
    CommandSpec{"bzpopmax", kBzpopmax, -3, kW | kF | kB | kNS, kWrite, 1, -2, 1, k3KeyMemberScore},
    CommandSpec{"bzmpop", kBzmpop, -5, kW | kB | kM, kWrite, 0, 0, 0, k3KeyScorePairs},
    CommandSpec{"zmpop", kZmpop, -4, kW | kM, kWrite, 0, 0, 0, k3KeyScorePairs},
    CommandSpec{"zcount", kZcount, 4, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"zscan", kZscan, -3, kR, kRead, 1, 1, 1},
    CommandSpec{"zremrangebyscore", kZremrangebyscore, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"zremrangebyrank", kZremrangebyrank, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"zrangestore", kZrangestore, -5, kW, kWrite, 1, 2, 1},
    CommandSpec{"rename", kRename, 3, kW, kWrite, 1, 2, 1},
    CommandSpec{"renamenx", kRenamenx, 3, kW | kF, kWrite, 1, 2, 1},
    CommandSpec{"randomkey", kRandomkey, 1, kR, kRead, 0, 0, 0},
    CommandSpec{"memory", kMemory, -2, kR, kRead, 0, 0, 0},
    CommandSpec{"expiretime", kExpiretime, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"pexpiretime", kPexpiretime, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"incrbyfloat", kIncrbyfloat, 3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"getrange", kGetrange, 4, kR, kRead, 1, 1, 1},
    CommandSpec{"substr", kSubstr, 4, kR, kRead, 1, 1, 1},
    CommandSpec{"setrange", kSetrange, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"getex", kGetex, -2, kW | kF, kWrite, 1, 1, 1},
    // MULTI, DISCARD and UNWATCH change only the connection's state; WATCH takes a read
    // point (the log index its keys are watched from); EXEC is the transaction's write.
    CommandSpec{"multi", kMulti, 1, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"exec", kExec, 1, kW, kWrite, 0, 0, 0, k3Transaction},
    CommandSpec{"discard", kDiscard, 1, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"watch", kWatch, -2, kR | kF, kRead, 1, -1, 1},
    CommandSpec{"unwatch", kUnwatch, 1, kN | kF, kLocal, 0, 0, 0},
    CommandSpec{"auth", kAuth, -2, kN | kF, kLocal, 0, 0, 0},
    // Scripts: keys come from numkeys (movable, as Redis reports them). EVAL's route is
    // kRead for a no-writes shebang, SCRIPT's depends on the subcommand (script_route).
    CommandSpec{"eval", kEval, -3, kW | kS, kWrite, 0, 0, 0},
    CommandSpec{"evalsha", kEvalsha, -3, kW | kS, kWrite, 0, 0, 0},
    CommandSpec{"eval_ro", kEvalRo, -3, kR | kS, kRead, 0, 0, 0},
    CommandSpec{"evalsha_ro", kEvalshaRo, -3, kR | kS, kRead, 0, 0, 0},
    CommandSpec{"script", kScript, -2, kW | kFlagNoScript, kWrite, 0, 0, 0},
    // Functions: FCALL goes through the log (whether the function writes is state, not in
    // the arguments), FCALL_RO is a read; FUNCTION's route depends on the subcommand.
    CommandSpec{"fcall", kFcall, -3, kW | kS, kWrite, 0, 0, 0},
    CommandSpec{"fcall_ro", kFcallRo, -3, kR | kS, kRead, 0, 0, 0},
    CommandSpec{"function", kFunction, -2, kW | kFlagNoScript, kWrite, 0, 0, 0},
    CommandSpec{"session", kSession, -2, kW, kWrite, 0, 0, 0},
    // ACL: the route depends on the subcommand (acl_route): SETUSER and DELUSER are writes.
    CommandSpec{"acl", kAcl, -2, kA | kFlagNoScript, kLocal, 0, 0, 0},
    CommandSpec{"seq", kSeq, -4, kW, kWrite, 0, 0, 0},
    // Streams. XREAD's and XREADGROUP's keys follow STREAMS (movable); XGROUP's and XINFO's
    // key is argv[2]. XREADGROUP changes the group (PEL, last ID): a write.
    CommandSpec{"xadd", kXadd, -5, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"xlen", kXlen, 2, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"xrange", kXrange, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"xrevrange", kXrevrange, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"xdel", kXdel, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"xtrim", kXtrim, -4, kW, kWrite, 1, 1, 1},
    CommandSpec{"xsetid", kXsetid, -3, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"xread", kXread, -4, kR | kM, kRead, 0, 0, 0, k3Streams},
    CommandSpec{"xgroup", kXgroup, -2, kW, kWrite, 2, 2, 1},
    CommandSpec{"xreadgroup", kXreadgroup, -7, kW | kM, kWrite, 0, 0, 0, k3Streams},
    CommandSpec{"xack", kXack, -4, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"xpending", kXpending, -3, kR, kRead, 1, 1, 1},
    CommandSpec{"xclaim", kXclaim, -6, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"xautoclaim", kXautoclaim, -6, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"xinfo", kXinfo, -2, kR, kRead, 2, 2, 1},
    // Pub/sub. PUBLISH goes through the log (every node delivers it to its subscribers in
    // log order) but changes no data; the others are this node's, per connection.
    // In RESP3 their confirmations are pushes, as Redis 7.0 sends them.
    CommandSpec{"subscribe", kSubscribe, -2, kN | kFlagNoScript, kServer, 0, 0, 0, k3Push},
    CommandSpec{"unsubscribe", kUnsubscribe, -1, kN | kFlagNoScript, kServer, 0, 0, 0, k3Push},
    CommandSpec{"psubscribe", kPsubscribe, -2, kN | kFlagNoScript, kServer, 0, 0, 0, k3Push},
    CommandSpec{"punsubscribe", kPunsubscribe, -1, kN | kFlagNoScript, kServer, 0, 0, 0, k3Push},
    CommandSpec{"publish", kPublish, 3, kF, kWrite, 0, 0, 0},
    CommandSpec{"pubsub", kPubsub, -2, kN, kServer, 0, 0, 0},
    // The channel is where a cluster client routes these (a key position, as in Redis),
    // but no key: the ACL checks it as a channel.
    CommandSpec{"spublish", kSpublish, 3, kF, kWrite, 1, 1, 1},
    CommandSpec{"ssubscribe", kSsubscribe, -2, kN | kFlagNoScript, kServer, 1, -1, 1, k3Push},
    CommandSpec{"sunsubscribe", kSunsubscribe, -1, kN | kFlagNoScript, kServer, 1, -1, 1, k3Push},
    CommandSpec{"reset", kReset, 1, kN | kF | kFlagNoScript, kServer, 0, 0, 0},
    // The connection's protocol and AUTH; answered by the server's request path.
    CommandSpec{"hello", kHello, -1, kN | kF | kFlagNoScript, kLocal, 0, 0, 0, k3Map},
    CommandSpec{"hrandfield", kHrandfield, -2, kR, kRead, 1, 1, 1},
    CommandSpec{"zrandmember", kZrandmember, -2, kR, kRead, 1, 1, 1},
    // Keys counted by numkeys (movable, as Redis reports them): numkeys_key_range.
    CommandSpec{"sintercard", kSintercard, -3, kR | kM, kRead, 0, 0, 0},
    CommandSpec{"zrangebylex", kZrangebylex, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"zrevrangebylex", kZrevrangebylex, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"zlexcount", kZlexcount, 4, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"zremrangebylex", kZremrangebylex, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"setbit", kSetbit, 4, kW, kWrite, 1, 1, 1},
    CommandSpec{"getbit", kGetbit, 3, kR | kF, kRead, 1, 1, 1},
    CommandSpec{"bitcount", kBitcount, -2, kR, kRead, 1, 1, 1},
    CommandSpec{"bitpos", kBitpos, -3, kR, kRead, 1, 1, 1},
    CommandSpec{"bitop", kBitop, -4, kW, kWrite, 2, -1, 1},
    CommandSpec{"copy", kCopy, -3, kW, kWrite, 1, 2, 1},
    CommandSpec{"touch", kTouch, -2, kR | kF, kRead, 1, -1, 1},
    CommandSpec{"object", kObject, -2, kR, kRead, 2, 2, 1},
    CommandSpec{"dump", kDump, 2, kR, kRead, 1, 1, 1},
    // RESTORE-ASKING is what MIGRATE sends to a cluster node importing the slot.
    CommandSpec{"restore", kRestore, -4, kW, kWrite, 1, 1, 1},
    CommandSpec{"restore-asking", kRestoreAsking, -4, kW, kWrite, 1, 1, 1},
    // Sources counted by numkeys (numkeys_key_range); the STORE forms' destination first.
    CommandSpec{"zunion", kZunion, -3, kR | kM, kRead, 0, 0, 0},
    CommandSpec{"zinter", kZinter, -3, kR | kM, kRead, 0, 0, 0},
    CommandSpec{"zdiff", kZdiff, -3, kR | kM, kRead, 0, 0, 0},
    CommandSpec{"zunionstore", kZunionstore, -4, kW | kM, kWrite, 1, 1, 1},
    CommandSpec{"zinterstore", kZinterstore, -4, kW | kM, kWrite, 1, 1, 1},
    CommandSpec{"zdiffstore", kZdiffstore, -4, kW | kM, kWrite, 1, 1, 1},
    CommandSpec{"zintercard", kZintercard, -3, kR | kM, kRead, 0, 0, 0},
    CommandSpec{"lcs", kLcs, -3, kR, kRead, 1, 2, 1},
    CommandSpec{"bitfield", kBitfield, -2, kW, kWrite, 1, 1, 1},
    CommandSpec{"bitfield_ro", kBitfieldRo, -2, kR | kF, kRead, 1, 1, 1},
    // SORT's BY and GET patterns name further keys, which only a user with access to
    // every key may read (acl.cc), as in Redis; STORE's destination is found by sort_store_key.
    CommandSpec{"sort", kSort, -2, kW | kM, kWrite, 1, 1, 1},
    CommandSpec{"sort_ro", kSortRo, -2, kR | kM, kRead, 1, 1, 1},
    // PFCOUNT is a read: unlike Redis it never writes the cached count back (hll_commands.h).
    CommandSpec{"pfadd", kPfadd, -2, kW | kF, kWrite, 1, 1, 1},
    CommandSpec{"pfcount", kPfcount, -2, kR, kRead, 1, -1, 1},
    CommandSpec{"pfmerge", kPfmerge, -2, kW, kWrite, 1, -1, 1},
    // Geo: GEORADIUS and GEORADIUSBYMEMBER are writes (STORE) with a movable destination
    // (geo_store_key), as in Redis; their _RO forms and GEOSEARCH are reads.
    CommandSpec{"geoadd", kGeoadd, -5, kW, kWrite, 1, 1, 1},
    CommandSpec{"geopos", kGeopos, -2, kR, kRead, 1, 1, 1, k3GeoPositions},
    CommandSpec{"geodist", kGeodist, -4, kR, kRead, 1, 1, 1},
    CommandSpec{"geohash", kGeohash, -2, kR, kRead, 1, 1, 1},
    CommandSpec{"geosearch", kGeosearch, -7, kR, kRead, 1, 1, 1},
    CommandSpec{"geosearchstore", kGeosearchstore, -8, kW, kWrite, 1, 2, 1},
    CommandSpec{"georadius", kGeoradius, -6, kW | kM, kWrite, 1, 1, 1},
    CommandSpec{"georadiusbymember", kGeoradiusbymember, -5, kW | kM, kWrite, 1, 1, 1},
    CommandSpec{"georadius_ro", kGeoradiusRo, -6, kR, kRead, 1, 1, 1},
    CommandSpec{"georadiusbymember_ro", kGeoradiusbymemberRo, -5, kR, kRead, 1, 1, 1},
};

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Every command's name is looked up: an open-addressing table filled at compile time and
// probed with a hash taken while the name is lower-cased, usually one comparison. (An
// unordered_map<string_view> cost about 100 instructions more a command: a general hash
// of the name, then a bucket walk.)
constexpr size_t kMaxNameLength = 24;
constexpr size_t kNameSlots = 1024;  // at most a quarter full: probes stay short
constexpr uint32_t kNameHashSeed = 2166136261u;
constexpr uint32_t name_hash_step(uint32_t h, char c) {
  return (h ^ static_cast<uint8_t>(c)) * 16777619u;  // FNV-1a
}

constexpr std::array<int16_t, kNameSlots> build_name_index() {
  std::array<int16_t, kNameSlots> slots{};
  slots.fill(-1);
  for (size_t i = 0; i < kTable.size(); ++i) {
    uint32_t h = kNameHashSeed;
    for (const char c : kTable[i].name) h = name_hash_step(h, c);
    size_t s = h & (kNameSlots - 1);
    while (slots[s] >= 0) s = (s + 1) & (kNameSlots - 1);
    slots[s] = static_cast<int16_t>(i);
  }
  return slots;
}
constexpr std::array<int16_t, kNameSlots> kNameIndex = build_name_index();
static_assert(kTable.size() * 4 <= kNameSlots);
static_assert(std::ranges::all_of(kTable, [](const CommandSpec& spec) {
  return spec.name.size() <= kMaxNameLength;
}));

// Checks SESSION's subcommand: OPEN, or CLOSE <id>.
std::string validate_session(std::span<const std::string> argv) {
  std::string sub(argv[1]);
  for (char& c : sub) c = to_lower(c);
  if (sub == "open") return argv.size() == 2 ? "" : wrong_arity_error("session|open");
  if (sub == "close") {
    if (argv.size() != 3) return wrong_arity_error("session|close");
    return parse_uint64(argv[2]) ? "" : "ERR invalid session id";
  }
  return unknown_subcommand_error(argv[1], "session");
}

// Looks up argv[0], checks arity and arguments; fills spec/route or error.
void classify_plain(std::span<const std::string> argv, Classification* out) {
  const CommandSpec* spec = find_command(argv[0]);
  if (spec == nullptr) {
    out->error = unknown_command_error(argv);
    return;
  }
  if (!arity_matches(*spec, argv.size())) {
    out->error = wrong_arity_error(spec->name);
    return;
  }
  out->spec = spec;
  out->route = spec->route;
  if (spec->id == kSession) {
    out->error = validate_session(argv);
  } else if (spec->id == kAcl) {
    out->error = validate_acl_arguments(argv);
    if (out->ok()) out->route = acl_route(argv);
  } else {
    out->error = validate_arguments(*spec, argv);
  }
  if (out->ok() && is_script_command(spec->id)) out->route = script_route(*spec, argv);
}

}  // namespace

bool denied_when_out_of_memory(const CommandSpec& spec) {
  if (spec.route != kWrite) return false;
  switch (spec.id) {
    case kDel:
    case kUnlink:
    case kFlushall:
    case kFlushdb:
    case kGetdel:
    case kExpire:
    case kPexpire:
    case kExpireat:
    case kPexpireat:
    case kPersist:
    case kHdel:
    case kLpop:
    case kRpop:
    case kLrem:
    case kLtrim:
    case kSrem:
    case kSpop:
    case kZrem:
    case kZpopmin:
    case kZpopmax:
    case kBlpop:
    case kBrpop:
    case kBlmpop:
    case kLmpop:
    case kBzpopmin:
    case kBzpopmax:
    case kBzmpop:
    case kZmpop:
    case kZremrangebyscore:
    case kZremrangebyrank:
    case kZremrangebylex:
    case kXdel:
    case kXtrim:
    case kXack:
    case kXreadgroup:  // grows a PEL a little, as Redis allows
    case kSession:
    case kExec:     // its queued commands were checked when queued
    case kPublish:  // stores nothing
    case kSpublish:
      return false;
    default:
      return true;
  }
}

std::span<const CommandSpec> command_table() {
  return kTable;
}

bool arity_matches(const CommandSpec& spec, size_t argc) {
  return spec.arity >= 0 ? argc == static_cast<size_t>(spec.arity)
                         : argc >= static_cast<size_t>(-spec.arity);
}

const CommandSpec* find_command(std::string_view name) {
  // Longer than any command name: not a command (and no copy of a huge argument).
  if (name.size() > kMaxNameLength) return nullptr;
  char lower[kMaxNameLength];
  uint32_t h = kNameHashSeed;
  for (size_t i = 0; i < name.size(); ++i) {
    lower[i] = to_lower(name[i]);
    h = name_hash_step(h, lower[i]);
  }
  const std::string_view wanted(lower, name.size());
  for (size_t s = h & (kNameSlots - 1);; s = (s + 1) & (kNameSlots - 1)) {
    const int16_t i = kNameIndex[s];
    if (i < 0) return nullptr;
    if (kTable[static_cast<size_t>(i)].name == wanted) return &kTable[static_cast<size_t>(i)];
  }
}

std::string unknown_command_error(std::span<const std::string> argv) {
  // Redis quotes the name and then the arguments until 128 characters are shown.
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    args += '\'';
    args += std::string_view(argv[i]).substr(0, 128 - args.size() + 1);
    args += "' ";
  }
  std::string name = argv.empty() ? std::string() : argv[0].substr(0, 128);
  return "ERR unknown command '" + name + "', with args beginning with: " + args;
}

std::string wrong_arity_error(std::string_view command_name) {
  return "ERR wrong number of arguments for '" + std::string(command_name) + "' command";
}

std::string unknown_subcommand_error(std::string_view subcommand, std::string_view command_name) {
  std::string upper(command_name);
  for (char& c : upper) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c;
  return "ERR unknown subcommand '" + std::string(subcommand.substr(0, 128)) + "'. Try " + upper +
         " HELP.";
}

Classification classify(const Argv& argv) {
  Classification out;
  if (argv.empty()) {
    out.error = "ERR empty command";
    return out;
  }
  const std::span<const std::string> all(argv);
  classify_plain(all, &out);
  if (!out.ok() || out.spec->id != kSeq) return out;

  // SEQ <session-id> <seq> <write command...>
  const auto session_id = parse_uint64(argv[1]);
  const auto seq = parse_uint64(argv[2]);
  Classification tagged;
  if (!session_id || *session_id == 0) {
    tagged.error = "ERR invalid session id";
    return tagged;
  }
  if (!seq || *seq == 0) {
    tagged.error = "ERR invalid sequence number";
    return tagged;
  }
  classify_plain(all.subspan(3), &tagged);
  if (!tagged.ok()) return tagged;
  // PUBLISH's reply depends on the node's subscribers: a session must not keep it.
  if (tagged.route != kWrite || tagged.spec->id == kSeq || tagged.spec->id == kSession ||
      tagged.spec->id == kPublish || tagged.spec->id == kSpublish) {
    tagged.error =
        "ERR SEQ only tags data-changing commands (not '" + std::string(tagged.spec->name) + "')";
    return tagged;
  }
  tagged.session_id = *session_id;
  tagged.seq = *seq;
  tagged.command_offset = 3;
  return tagged;
}

LogCommand make_log_command(Argv argv, const Classification& classification, uint64_t time_ms) {
  LogCommand command;
  command.session_id = classification.session_id;
  command.seq = classification.seq;
  command.time_ms = time_ms;
  if (classification.command_offset > 0) {
    argv.erase(argv.begin(),
               argv.begin() + static_cast<std::ptrdiff_t>(classification.command_offset));
  }
  command.argv = std::move(argv);
  if (classification.spec != nullptr && classification.spec->id == kAcl) {
    hash_acl_passwords(&command.argv);  // no clear-text password in the log
  }
  return command;
}

}  // namespace raftkv::kv
