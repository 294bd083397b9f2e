// The server's introspection commands that need every connection: CLIENT KILL and
// MONITOR, with Redis 7.0's replies, errors and formats. (SLOWLOG and the INFO sections
// come from ServerStats; see command_stats.h and slow_log.h.)
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include "kv/ascii.h"
#include "kv/commands.h"
#include "kv/int_parse.h"
#include "kv/resp_writer.h"
#include "server/server.h"

namespace raftkv::server {

namespace {

// CLIENT KILL's filters. The old form (one address) kills even the caller.
struct KillFilter {
  std::optional<uint64_t> id;
  std::optional<std::string> addr, laddr;
  bool normal_type = true;  // every raftkv client is of type normal
  bool skipme = true;
  bool old_form = false;
};

// Empty on success, else the error reply (without '-').
std::string parse_kill_filter(const kv::Argv& argv, KillFilter* f) {
  if (argv.size() == 3) {
    f->addr = argv[2];
    f->skipme = false;
    f->old_form = true;
    return "";
  }
  if (argv.size() < 3) return kv::wrong_arity_error("client|kill");
  for (size_t i = 2; i < argv.size(); i += 2) {
    const std::string opt = kv::ascii_lower(argv[i]);
    if (i + 1 >= argv.size()) return "ERR syntax error";
    const std::string& value = argv[i + 1];
    if (opt == "id") {
      auto id = kv::parse_int64(value);
      if (!id || *id < 1) return "ERR client-id should be greater than 0";
      f->id = static_cast<uint64_t>(*id);
    } else if (opt == "type") {
      const std::string t = kv::ascii_lower(value);
      if (t != "normal" && t != "slave" && t != "replica" && t != "master" && t != "pubsub") {
        return "ERR Unknown client type '" + value + "'";
      }
      f->normal_type = t == "normal";
    } else if (opt == "addr") {
      f->addr = value;
    } else if (opt == "laddr") {
      f->laddr = value;
    } else if (opt == "user") {
      // No ACL users: every client is "default".
      if (value != "default") return "ERR No such user '" + value + "'";
    } else if (opt == "skipme") {
      const std::string v = kv::ascii_lower(value);
      if (v != "yes" && v != "no") return "ERR syntax error";
      f->skipme = v == "yes";
    } else {
      return "ERR syntax error";
    }
  }
  return "";
}

bool matches(const KillFilter& f, const ClientConnection& c, const ClientConnection* self) {
  if (f.addr && c.peer() != *f.addr) return false;
  if (f.laddr && c.local() != *f.laddr) return false;
  if (!f.normal_type) return false;
  if (f.id && c.state().id != *f.id) return false;
  return !(f.skipme && &c == self);
}

// Redis's sdscatrepr: a quoted string with \n, \r, \t, \a, \b, \\ and \" escaped and any
// other unprintable byte as \xHH.
void append_repr(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (c >= 0x20 && c <= 0x7e) {
          out += static_cast<char>(c);
        } else {
          out += fmt::format("\\x{:02x}", c);
        }
    }
  }
  out += '"';
}

}  // namespace

namespace {

// CLIENT LIST's flags, in Redis's order: O monitor, P subscribed, x in MULTI, b blocked,
// c closing after the reply; N for none.
std::string client_flags(bool monitor, bool subscribed, bool multi, bool blocked) {
  std::string flags;
  if (monitor) flags += 'O';
  if (subscribed) flags += 'P';
  if (multi) flags += 'x';
  if (blocked) flags += 'b';
  return flags.empty() ? "N" : flags;
}

// cmd=: the last command, by subcommand where Redis counts it so ("client|list").
std::string client_cmd(const ClientConnection& conn) {
  const kv::CommandSpec* spec = kv::find_command(conn.last_command());
  if (spec == nullptr) return kv::ascii_lower(conn.last_command());
  std::string name(spec->name);
  if (counted_by_subcommand(spec->id) && !conn.last_subcommand().empty()) {
    name += "|" + kv::ascii_lower(conn.last_subcommand());
  }
  return name;
}

}  // namespace

std::string Server::client_list() const {
  std::string out;
  for (const auto& [id, conn] : clients_) out += client_line(*conn);
  return out;
}

std::string Server::client_info(uint64_t id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? std::string() : client_line(*it->second);
}

std::string Server::client_line(const ClientConnection& c) const {
  const ClientConnection* conn = &c;
  const uint64_t id = c.state().id;
  const auto now = std::chrono::steady_clock::now();
  const auto seconds = [&](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
  };
  {
    const size_t sub = pubsub_.channel_count(id), psub = pubsub_.pattern_count(id),
                 ssub = pubsub_.shard_count(id);
    const ClientConnection::Usage u = conn->usage();
    const ClientService::ClientView v = service_->view(id);
    const kv::ClientState& st = conn->state();
    // Buffers and replies held, plus the connection object itself.
    const uint64_t tot_mem =
        sizeof(ClientConnection) + u.qbuf + u.qbuf_free + u.argv_mem + u.rbs + u.omem + v.multi_mem;
    return fmt::format(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db=0 sub={} psub={} "
        "ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl=0 "
        "oll={} omem={} tot-mem={} events={}{} cmd={} user={} redir=-1 resp={}\n",
        id, conn->peer(), conn->local(), u.fd, st.name, seconds(conn->connected_at()),
        seconds(conn->last_command_at()),
        client_flags(is_monitor(id), sub + psub + ssub != 0, v.multi >= 0, v.blocked), sub, psub,
        ssub, v.multi, u.qbuf, u.qbuf_free, u.argv_mem, v.multi_mem, u.rbs, u.rbs, u.oll, u.omem,
        tot_mem, u.reading ? "r" : "", u.writing ? "w" : "", client_cmd(*conn),
        st.user != nullptr ? st.user->name : std::string("default"), st.protocol);
  }
}

std::string Server::client_kill(const kv::Argv& argv, const ReplySlot& slot) {
  KillFilter f;
  if (std::string err = parse_kill_filter(argv, &f); !err.empty()) return kv::encode_error(err);
  auto self = std::dynamic_pointer_cast<ClientConnection>(slot.target());
  std::vector<std::shared_ptr<ClientConnection>> victims;
  for (const auto& weak : connections_) {
    auto c = weak.lock();
    if (c && clients_.count(c->state().id) && matches(f, *c, self.get())) victims.push_back(c);
  }
  for (const auto& c : victims) {
    spdlog::info("client {} ({}) killed by CLIENT KILL", c->state().id, c->peer());
    if (c == self) {
      c->close_after_replies();  // after this very reply, as Redis does
    } else {
      c->close();
    }
  }
  if (f.old_form) {
    return victims.empty() ? kv::encode_error("ERR No such client") : kv::encode_simple("OK");
  }
  std::string out;
  kv::RespWriter(&out).integer(static_cast<int64_t>(victims.size()));
  return out;
}

void Server::start_monitor(ReplySlot& slot) {
  auto conn = std::dynamic_pointer_cast<ClientConnection>(slot.target());
  if (!conn) {
    slot.complete(kv::encode_error("ERR MONITOR needs a client connection"));
    return;
  }
  if (is_monitor(conn->state().id)) {
    slot.complete("");  // Redis ignores MONITOR from a monitor: no reply at all
    return;
  }
  monitors_.push_back({conn->state().id, conn});
  slot.complete(kv::encode_simple("OK"));
}

bool Server::is_monitor(uint64_t client_id) const {
  for (const Monitor& m : monitors_) {
    if (m.client_id == client_id) return true;
  }
  return false;
}

bool Server::monitor_command(const kv::Argv& argv, uint64_t client_id, ReplySlot& slot) {
  std::erase_if(monitors_, [](const Monitor& m) { return m.conn.expired(); });
  const kv::CommandSpec* spec = argv.empty() ? nullptr : kv::find_command(argv[0]);
  if (is_monitor(client_id) && spec != nullptr &&
      (spec->route == kv::Route::kRead || spec->route == kv::Route::kWrite)) {
    // Redis treats a monitor as a replica, which may not touch the key space.
    slot.complete(kv::encode_error("ERR Replica can't interact with the keyspace"));
    return true;
  }
  // Not shown, as in Redis: admin commands (CONFIG, CLIENT, DEBUG, ACL, ...), AUTH and HELLO (a
  // password), and commands that never run (unknown ones, wrong arities, bad syntax).
  if (monitors_.empty() || spec == nullptr || (spec->flags & kv::kFlagAdmin) != 0 ||
      spec->id == kv::CommandId::kAuth || spec->id == kv::CommandId::kHello ||
      !kv::classify(argv).ok()) {
    return false;
  }
  auto it = clients_.find(client_id);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::string line = fmt::format("+{}.{:06} [0 {}]", us / 1000000, us % 1000000,
                                 it == clients_.end() ? std::string() : it->second->peer());
  for (const std::string& arg : argv) {
    line += ' ';
    append_repr(line, arg);
  }
  line += "\r\n";
  for (const Monitor& m : monitors_) {
    // A monitor's own RESET ends its MONITOR before Redis would show it.
    if (spec->id == kv::CommandId::kReset && m.client_id == client_id) continue;
    if (auto c = m.conn.lock()) c->push(line);  // closed by its output limit if it lags
  }
  return false;
}

}  // namespace raftkv::server
