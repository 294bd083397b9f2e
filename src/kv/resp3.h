// RESP3 for connections that sent HELLO 3: the reply shape of each command, the RESP2 to
// RESP3 conversion of a reply, and HELLO's arguments and reply.
//
// Design: every reply is made as RESP2 (the state machine's replies are replicated, kept in
// sessions for exactly-once retries, and must be the same bytes on every replica), and a
// RESP3 connection's replies are converted when the reply slot completes, following the
// command's Resp3Shape (resp3_shape.h). A RESP2 connection pays one branch per reply.
//
// A command declares its shape in the command table (CommandSpec::resp3, commands.cc);
// one whose shape depends on its arguments (ZRANGE ... WITHSCORES, XINFO STREAM|GROUPS)
// gets a case in resp3_shape().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/commands.h"
#include "kv/resp3_shape.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The shape of the reply to `args` (the command itself, without a SEQ prefix).
Resp3Shape resp3_shape(const CommandSpec& spec, std::span<const std::string> args);

// Converts one complete RESP2 reply to RESP3 in place. `elements`: for kTransaction, the
// shape of each of EXEC's elements (missing ones are kPlain). A reply that is not
// well-formed RESP2 is left as it is.
void to_resp3(std::string* reply, Resp3Shape shape, std::span<const Resp3Shape> elements = {});

// The RESP2 form of a reply that may hold RESP3 types, for a RESP2 connection: a script's
// (after redis.setresp(3), or returning {map=...}, {set=...}, {double=...}), as Redis 7.0
// writes them to a RESP2 client (maps flat, doubles as bulk strings, booleans 1 and 0).
void to_resp2(std::string* reply);

// HELLO [protover [AUTH username password] [SETNAME clientname]], parsed as Redis 7.0 does:
// the version first, then the options in order, each taking effect as it comes (an AUTH
// or SETNAME before a syntax error stays done, as in Redis).
struct HelloStep {
  enum Kind : uint8_t { kAuth, kSetName, kError } kind;
  std::string value;     // the username, the name, or the error (kError: the last step)
  std::string password;  // kAuth's
};
struct HelloRequest {
  std::string error;  // non-empty: the version is wrong; reply with this and change nothing
  int protocol = 0;   // 2 or 3; 0: keep the connection's
  std::vector<HelloStep> steps;
};
HelloRequest parse_hello(std::span<const std::string> argv);

// What HELLO reports about the node.
struct HelloInfo {
  std::string_view version;  // as INFO's redis_version
  std::string_view mode;     // "standalone", "cluster"
  std::string_view role;     // "master", "replica"
};
// HELLO's reply as RESP2 (a flat array of pairs); kMap makes it RESP3's map.
void write_hello(RespWriter* out, int protocol, uint64_t client_id, const HelloInfo& info);

// The Redis version raftkv answers as (INFO's redis_version, HELLO's version).
inline constexpr std::string_view kRedisVersion = "7.0.0";

inline constexpr std::string_view kHelloNoAuthError =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";

}  // namespace raftkv::kv
