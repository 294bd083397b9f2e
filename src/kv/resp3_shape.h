// How a command's RESP2 reply becomes its RESP3 reply (for a connection that sent HELLO 3).
// Replies are made as RESP2 everywhere (the state machine's replies are replicated bytes
// and session results); the connection converts them when it sends them (resp3.h).
// Every shape also turns RESP2's nulls ($-1, *-1) into RESP3's `_`, at any depth.
#pragma once

#include <cstdint>

namespace raftkv::kv {

enum class Resp3Shape : uint8_t {
  kPlain,       // nulls only (the default: strings, integers, plain arrays)
  kMap,         // a flat array of pairs becomes a map (HGETALL, CONFIG GET, COMMAND DOCS)
  kSet,         // an array becomes a set (SMEMBERS, SINTER, SPOP with a count)
  kDouble,      // a bulk becomes a double (ZSCORE, ZINCRBY, ZADD INCR); others unchanged
  kDoubles,     // an array of bulks becomes an array of doubles (ZMSCORE)
  kScorePair,   // [member, score]: the score a double (ZPOPMIN without a count)
  kScorePairs,  // [m1, s1, m2, s2...] becomes [[m1, s1], [m2, s2]...], scores doubles (WITHSCORES)
  kPairs,       // [f1, v1, f2, v2...] becomes [[f1, v1], [f2, v2]...] (HRANDFIELD WITHVALUES)
  kKeyScorePairs,   // [key, [[m1, s1]...]]: the scores doubles (ZMPOP, BZMPOP)
  kKeyMemberScore,  // [key, member, score]: the score a double (BZPOPMIN, BZPOPMAX)
  kVerbatim,        // a bulk becomes a verbatim string of format txt (INFO, CLIENT LIST)
  kMaps,            // an array of flat pair arrays becomes an array of maps (XINFO GROUPS)
  kStreams,         // [[key, entries]...] becomes a map key -> entries (XREAD, XREADGROUP)
  kXinfoStream,     // a map; with FULL its groups and their consumers are maps too
  kAclUser,         // ACL GETUSER: a map, its flags a set, its selectors maps
  kAclLog,          // ACL LOG: maps, age-seconds a double
  kCommandInfo,     // COMMAND (INFO): flags, categories, tips, subcommands sets; kKeySpecs
  kKeysAndFlags,    // COMMAND GETKEYSANDFLAGS: [key, flags] pairs (kKeyAndFlags)
  kTransaction,     // EXEC: each element as its queued command's shape
  kClusterShards,   // CLUSTER SHARDS: maps, their nodes maps
  kPush,            // an array sent unasked becomes a push (`>`): pub/sub messages
  kGeoPositions,    // an array of [lon, lat] pairs (or nulls) whose bulks become doubles (GEOPOS)
  kGeoResults,      // GEOSEARCH WITHCOORD: each result's last element, [lon, lat], doubles
  kFunctionList,    // FUNCTION LIST: maps, their functions maps, each function's flags a set
  kFunctionStats,   // FUNCTION STATS: a map; its engines a map of maps
  // Nested parts of the shapes above (not for the command table).
  kXinfoGroups,        // XINFO STREAM FULL's groups: maps, their consumers maps
  kScorePairList,      // [[m1, s1]...]: the scores doubles (ZMPOP's pairs)
  kCommandEntry,       // one COMMAND INFO entry
  kGeoResult,          // one GEOSEARCH WITHCOORD result: [member, ..., [lon, lat]]
  kFunctions,          // FUNCTION LIST's functions of one library: maps, flags a set
  kMapOfMaps,          // a map whose every value is a map (FUNCTION STATS' engines)
  kKeySpecs,           // COMMAND INFO's key specs: a set of maps (kKeySpec)
  kKeySpec,            // one key spec: flags a set, begin_search and find_keys kKeySearch
  kKeySearch,          // {type, spec}: the spec a map
  kKeyAndFlags,        // [key, flags]: the flags a set
  kLatencyHistograms,  // LATENCY HISTOGRAM: a map of command -> kLatencyCdf
  kLatencyCdf,         // {calls, histogram_usec}: the histogram a map
};

}  // namespace raftkv::kv
