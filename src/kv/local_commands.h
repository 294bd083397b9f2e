// Commands answered by the connection itself, without Raft or the state machine: PING,
// ECHO, CLIENT SETNAME/GETNAME/ID/SETINFO/NO-EVICT, COMMAND (COUNT, DOCS, INFO, LIST), SELECT 0,
// READONLY and READWRITE (accepted so cluster-mode clients can talk to any node).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/acl.h"
#include "kv/commands.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// CONFIG as the server answers it (server/runtime_config.h: GET, SET, RESETSTAT, REWRITE).
class ConfigHandler {
 public:
  virtual ~ConfigHandler() = default;
  // argv[0] is CONFIG; appends the reply.
  virtual void config(std::span<const std::string> argv, RespWriter* out) = 0;
};

// CONFIG GET's values that describe raftkv's fixed behaviour (name, value); not settable.
std::span<const std::pair<std::string_view, std::string_view>> fixed_config_values();

// Per-connection state these commands read and change.
struct ClientState {
  uint64_t id = 0;   // unique per server process, assigned by the server at accept
  std::string name;  // CLIENT SETNAME; empty = none
  // The server's CONFIG; null (no server): CONFIG GET reports only the fixed values.
  ConfigHandler* config = nullptr;
  // Between MULTI and EXEC/DISCARD (the server keeps the queue; this saves it a lookup).
  bool in_multi = false;
  // AUTH succeeded, or the default user needs no password (decided at the first command).
  bool authenticated = false;
  // The ACL user it runs as (acl.h); null until its first command, then the default user
  // or the one it authenticated as.
  std::shared_ptr<const AclUser> user = nullptr;
  // Channels plus patterns it is subscribed to on this node (the server's pub/sub);
  // non-zero: subscribed mode, where only (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT and
  // RESET run, and PING answers as a push.
  size_t subscriptions = 0;
  // HELLO's protocol: 2 (RESP2, the default) or 3 (RESP3: replies converted, resp3.h).
  int protocol = 2;
  // CLIENT REPLY OFF (no replies until ON) and SKIP (none for the next command): the
  // connection drops the replies; pushes (pub/sub messages) still go out, as in Redis.
  bool reply_off = false;
  bool reply_skip = false;
};

// CLIENT REPLY's mode when `argv` is a well-formed CLIENT REPLY ON|OFF|SKIP, else kNone
// (a connection decides before running a command whether its reply is sent).
enum class ClientReplyMode : uint8_t { kNone, kOn, kOff, kSkip };
ClientReplyMode client_reply_mode(std::span<const std::string> argv);

// CLIENT SETNAME's (and HELLO SETNAME's) check: the error for an invalid name, else empty.
std::string_view client_name_error(std::string_view name);

// `argv` was classified as Route::kLocal with `spec`. Appends the reply.
void execute_local(const CommandSpec& spec, std::span<const std::string> argv, ClientState* client,
                   RespWriter* out);

}  // namespace raftkv::kv
