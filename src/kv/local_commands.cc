#include "kv/local_commands.h"

#include "kv/acl_categories.h"
#include "kv/acl_commands.h"

#include <string_view>
#include <utility>
#include <vector>

#include "kv/command_support.h"
#include "kv/glob.h"
#include "kv/int_parse.h"
#include "kv/key_specs.h"
#include "kv/pubsub.h"
#include "kv/scripting.h"

namespace raftkv::kv {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  return out;
}

void write_flags(uint32_t flags, RespWriter* out) {
  size_t n = 0;
  for (uint32_t bit = 1; bit <= kFlagBlocking; bit <<= 1) n += (flags & bit) != 0 ? 1 : 0;
  out->array_header(n);
  if ((flags & kFlagWrite) != 0) out->simple("write");
  if ((flags & kFlagReadOnly) != 0) out->simple("readonly");
  if ((flags & kFlagAdmin) != 0) out->simple("admin");
  if ((flags & kFlagNoRaft) != 0) out->simple("no-raft");
  if ((flags & kFlagFast) != 0) out->simple("fast");
  if ((flags & kFlagNoScript) != 0) out->simple("noscript");
  if ((flags & kFlagMovableKeys) != 0) out->simple("movablekeys");
  if ((flags & kFlagBlocking) != 0) out->simple("blocking");
}

// The command's ACL categories ("@write", ...), in ACL CAT's order, as Redis lists them.
void write_categories(const CommandSpec& spec, RespWriter* out) {
  const uint32_t bits = command_categories(spec);
  size_t n = 0;
  for (const AclCategoryName& c : acl_categories()) n += (bits & c.bit) != 0 ? 1 : 0;
  out->array_header(n);
  for (const AclCategoryName& c : acl_categories()) {
    if ((bits & c.bit) != 0) out->simple("@" + std::string(c.name));
  }
}

// One COMMAND INFO entry in Redis 7's ten-element layout.
void write_command_info(const CommandSpec& spec, RespWriter* out) {
  out->array_header(10);
  out->bulk(spec.name);
  out->integer(spec.arity);
  write_flags(spec.flags, out);
  out->integer(spec.first_key);
  out->integer(spec.last_key);
  out->integer(spec.key_step);
  write_categories(spec, out);
  out->array_header(0);  // tips (none given)
  write_key_specs(spec, out);
  out->array_header(0);  // subcommands (none listed)
}

void execute_command(std::span<const std::string> argv, RespWriter* out) {
  const auto table = command_table();
  if (argv.size() == 1) {
    out->array_header(table.size());
    for (const auto& spec : table) write_command_info(spec, out);
    return;
  }
  const std::string sub = lower(argv[1]);
  if (sub == "count" && argv.size() == 2) return out->integer(static_cast<int64_t>(table.size()));
  // redis-cli asks for DOCS to build its hints; none are offered.
  if (sub == "docs") return out->array_header(0);
  if (sub == "list" && argv.size() == 2) {
    out->array_header(table.size());
    for (const auto& spec : table) out->bulk(spec.name);
    return;
  }
  if (sub == "info") {
    out->array_header(argv.size() - 2);
    for (size_t i = 2; i < argv.size(); ++i) {
      if (const CommandSpec* spec = find_command(argv[i])) {
        write_command_info(*spec, out);
      } else {
        out->null_bulk();  // as Redis answers for an unknown name
      }
    }
    return;
  }
  if (sub == "getkeys" || sub == "getkeysandflags") {
    return execute_command_getkeys(argv, sub == "getkeysandflags", out);
  }
  if (sub == "count" || sub == "list") return out->error(wrong_arity_error("command|" + sub));
  out->error(unknown_subcommand_error(argv[1], "command"));
}

void execute_client(std::span<const std::string> argv, ClientState* client, RespWriter* out) {
  const std::string sub = lower(argv[1]);
  if (sub == "id" && argv.size() == 2) return out->integer(static_cast<int64_t>(client->id));
  if (sub == "getname" && argv.size() == 2) {
    if (client->name.empty()) return out->null_bulk();
    return out->bulk(client->name);
  }
  if (sub == "setname" && argv.size() == 3) {
    if (std::string_view error = client_name_error(argv[2]); !error.empty()) {
      return out->error(error);
    }
    client->name = argv[2];
    return out->simple("OK");
  }
  if (sub == "reply" && argv.size() == 3) {
    switch (client_reply_mode(argv)) {
      case ClientReplyMode::kOn:
        client->reply_off = false;
        return out->simple("OK");
      case ClientReplyMode::kOff:
        client->reply_off = true;
        return out->simple("OK");  // dropped by the connection
      case ClientReplyMode::kSkip:
        client->reply_skip = true;
        return out->simple("OK");  // dropped by the connection
      default:
        return out->error("ERR syntax error");
    }
  }
  // Client libraries announce themselves (lib-name, lib-ver); nothing to record.
  if (sub == "setinfo" && argv.size() == 4) return out->simple("OK");
  // raftkv evicts no clients (it has no maxmemory-clients): accepted, as Redis does.
  if (sub == "no-evict" && argv.size() == 3) {
    const std::string mode = lower(argv[2]);
    if (mode != "on" && mode != "off") return out->error("ERR syntax error");
    return out->simple("OK");
  }
  // raftkv offers no client-side caching (CLIENT TRACKING): tracking is always off.
  if (sub == "getredir" && argv.size() == 2) return out->integer(-1);
  if (sub == "trackinginfo" && argv.size() == 2) {
    out->array_header(6);
    out->bulk("flags");
    out->array_header(1);
    out->bulk("off");
    out->bulk("redirect");
    out->integer(-1);
    out->bulk("prefixes");
    return out->array_header(0);
  }
  // Plain CLIENT LIST is the server's (it knows every connection); filters are not offered.
  if (sub == "list") return out->error("ERR CLIENT LIST filters (TYPE, ID) are not supported");
  if (sub == "id" || sub == "getname" || sub == "setname" || sub == "setinfo" ||
      sub == "no-evict" || sub == "info" || sub == "reply" || sub == "getredir" ||
      sub == "trackinginfo") {
    return out->error(wrong_arity_error("client|" + sub));
  }
  out->error(unknown_subcommand_error(argv[1], "client"));
}

// CONFIG GET answers, for tools that ask (redis-benchmark asks for "save" and
// "appendonly"), what raftkv's fixed behaviour corresponds to. The server's CONFIG
// (server/runtime_config.h) adds the settable parameters; these are not settable.
constexpr std::pair<std::string_view, std::string_view> kConfigValues[] = {
    {"appendfsync", "always"},  // every write is fsynced on a majority before the reply
    {"appendonly", "yes"},      // every write is in the (Raft) log
    {"databases", "1"},
    {"latency-tracking", "yes"},  // INFO latencystats
    {"latency-tracking-info-percentiles", "50 99 99.9"},
    {"save", ""},  // no RDB: snapshots are taken by log size (raftkv serve --snapshot-*)
};

// Without a server (the kv layer alone): the fixed values only.
void execute_config(std::span<const std::string> argv, ClientState* client, RespWriter* out) {
  if (client->config != nullptr) return client->config->config(argv, out);
  const std::string sub = lower(argv[1]);
  if (sub == "get") {
    if (argv.size() < 3) return out->error(wrong_arity_error("config|get"));
    std::vector<std::pair<std::string_view, std::string_view>> hits;
    for (const auto& [name, value] : kConfigValues) {
      for (size_t i = 2; i < argv.size(); ++i) {
        if (glob_match(argv[i], name)) {
          hits.emplace_back(name, value);
          break;
        }
      }
    }
    out->array_header(hits.size() * 2);
    for (const auto& [name, value] : hits) {
      out->bulk(name);
      out->bulk(value);
    }
    return;
  }
  if (sub == "set" || sub == "resetstat" || sub == "rewrite") {
    return out->error("ERR CONFIG " + sub + " is not supported without a server");
  }
  out->error(unknown_subcommand_error(argv[1], "config"));
}

}  // namespace

std::span<const std::pair<std::string_view, std::string_view>> fixed_config_values() {
  return kConfigValues;
}

ClientReplyMode client_reply_mode(std::span<const std::string> argv) {
  // Cheap for every other command: most are not three words long.
  if (argv.size() != 3 || !equals_ci(argv[0], "client") || !equals_ci(argv[1], "reply")) {
    return ClientReplyMode::kNone;
  }
  if (equals_ci(argv[2], "on")) return ClientReplyMode::kOn;
  if (equals_ci(argv[2], "off")) return ClientReplyMode::kOff;
  if (equals_ci(argv[2], "skip")) return ClientReplyMode::kSkip;
  return ClientReplyMode::kNone;
}

std::string_view client_name_error(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') {
      return "ERR Client names cannot contain spaces, newlines or special characters.";
    }
  }
  return {};
}

void execute_local(const CommandSpec& spec, std::span<const std::string> argv, ClientState* client,
                   RespWriter* out) {
  switch (spec.id) {
    case CommandId::kPing:
      if (argv.size() > 2) return out->error(wrong_arity_error(spec.name));
      if (client->subscriptions != 0 && client->protocol == 2) {  // ["pong", message or ""]
        write_push_header(out, 2);
        out->bulk("pong");
        return out->bulk(argv.size() == 2 ? std::string_view(argv[1]) : std::string_view());
      }
      if (argv.size() == 1) return out->simple("PONG");
      if (argv.size() == 2) return out->bulk(argv[1]);
      return out->error(wrong_arity_error(spec.name));
    case CommandId::kEcho:
      return out->bulk(argv[1]);
    case CommandId::kClient:
      return execute_client(argv, client, out);
    case CommandId::kCommand:
      return execute_command(argv, out);
    case CommandId::kSelect: {
      const auto db = parse_int64(argv[1]);
      if (!db) return out->error("ERR value is not an integer or out of range");
      if (*db != 0) return out->error("ERR DB index is out of range");
      return out->simple("OK");
    }
    case CommandId::kReadOnlyMode:
    case CommandId::kReadWriteMode:
    case CommandId::kUnwatch:  // inside a transaction (the server handles it elsewhere)
      return out->simple("OK");
    case CommandId::kScript:  // HELP and KILL; the others are reads and writes
    case CommandId::kFunction:
      return execute_script_local(argv, out);
    case CommandId::kConfig:
      return execute_config(argv, client, out);
    case CommandId::kAcl:  // WHOAMI, CAT, GENPASS, HELP, LOAD, SAVE
      return execute_acl_local(argv, *client, out);
    default:
      return out->error("ERR internal error: not a local command");
  }
}

}  // namespace raftkv::kv
