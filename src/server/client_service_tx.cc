// ClientService's transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH (see
// client_service.h and kv/transaction.h).
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "kv/resp3.h"
#include "kv/resp_writer.h"
#include "kv/transaction.h"
#include "server/client_limits.h"
#include "server/client_service.h"

namespace raftkv::server {

namespace {

bool is(const kv::Classification& c, kv::CommandId id) {
  return c.spec->id == id;
}

// What EXEC runs on this node, in its place among the replies, rather than in the
// transaction's log entry: commands about the connection or the node, which Redis queues
// like any other (HELLO and CLIENT SETNAME change the connection; INFO, TIME, CONFIG, ...
// describe this node). PING, ECHO and SELECT go in the entry (the state machine answers
// them). Still refused: AUTH, ACL (users change through their own entries), RAFT and
// MONITOR, and the pub/sub commands that subscribe.
bool runs_at_exec(kv::CommandId id) {
  using enum kv::CommandId;
  switch (id) {
    case kHello:
    case kClient:
    case kCommand:
    case kConfig:
    case kReadOnlyMode:
    case kReadWriteMode:
    case kInfo:
    case kTime:
    case kCluster:
    case kSlowlog:
    case kPubsub:
    case kWait:
    case kRole:
    case kLastsave:
    case kLatency:
      return true;
    default:
      return false;
  }
}

// Takes the reply of a command run for EXEC (synchronously: every runs_at_exec command
// answers at once).
class Capture : public ReplyTarget {
 public:
  void complete(uint64_t, std::string reply) override {
    if (!done_) reply_ = std::move(reply);
    done_ = true;
  }
  std::string take() { return done_ ? std::move(reply_) : kv::encode_error("ERR no reply"); }

 private:
  bool done_ = false;
  std::string reply_;
};

}  // namespace

// Returns true when the command was a transaction command, or was queued inside MULTI.
bool ClientService::handle_transaction(kv::Argv& argv, const kv::Classification& c,
                                       kv::ClientState& client, KeyRef key, ReplySlot& slot) {
  using kv::CommandId;
  // The common case, decided without a lookup: neither in MULTI nor a transaction command.
  if (!client.in_multi && (c.spec->id < CommandId::kMulti || c.spec->id > CommandId::kUnwatch)) {
    return false;
  }
  const uint64_t client_id = client.id;
  auto it = connections_.find(client_id);
  const bool in_multi = it != connections_.end() && it->second.multi.has_value();
  client.in_multi = in_multi && !is(c, CommandId::kExec) && !is(c, CommandId::kDiscard);
  if (is(c, CommandId::kExec)) {
    if (in_multi) {
      exec(client, c, slot, acl_user_for(c, client));
    } else {
      slot.complete(kv::encode_error(kv::kExecWithoutMultiError));
    }
    return true;
  }
  if (is(c, CommandId::kDiscard)) {
    if (!in_multi) {
      slot.complete(kv::encode_error(kv::kDiscardWithoutMultiError));
      return true;
    }
    it->second.multi.reset();
    dispatch(client_id, Queued{{}, c, {}, std::move(slot), Step::kUnwatch});  // as Redis does
    return true;
  }
  if (is(c, CommandId::kMulti)) {
    if (in_multi) {
      slot.complete(kv::encode_error(kv::kNestedMultiError));
    } else {
      connections_[client_id].multi.emplace();
      client.in_multi = true;
      slot.complete(kv::encode_simple("OK"));
    }
    return true;
  }
  if (is(c, CommandId::kWatch) || is(c, CommandId::kUnwatch)) {
    if (in_multi && is(c, CommandId::kWatch)) {
      slot.complete(kv::encode_error(kv::kWatchInMultiError));
      return true;
    }
    const Step step = is(c, CommandId::kWatch) ? Step::kWatch : Step::kUnwatch;
    if (in_multi) {  // UNWATCH inside MULTI is queued; at EXEC it answers +OK (as Redis)
      queue_in_multi(it->second, argv, c, key, slot);
      return true;
    }
    dispatch(client_id, Queued{std::move(argv), c, key, std::move(slot), step});
    return true;
  }
  if (!in_multi || is(c, CommandId::kQuit)) return false;
  queue_in_multi(it->second, argv, c, key, slot);
  return true;
}

void ClientService::queue_in_multi(Connection& conn, kv::Argv& argv, const kv::Classification& c,
                                   KeyRef key, ReplySlot& slot) {
  Multi& multi = *conn.multi;
  // HELLO, CLIENT, INFO, ... are queued, as in Redis 7.0, and run at EXEC (exec_at_node).
  const bool at_node = c.spec != nullptr && runs_at_exec(c.spec->id);
  std::string error =
      at_node ? kv::queued_subcommand_error(*c.spec, argv) : kv::transaction_queue_error(c);
  // Like a Redis cluster node, refuse at once what this node cannot run (not the leader).
  if (auto err = driver_.unavailable(); error.empty() && err) {
    error = redirect_error(*err, key.slot(argv));
  }
  if (error.empty()) error = memory_refusal(*c.spec);  // Redis, too, refuses it when queued
  const uint64_t bytes = encoded_size_bound(argv);
  if (error.empty() && multi.bytes + bytes > kMaxCommandBytes) {
    error = "ERR transaction too large: " + command_too_large_error(multi.bytes + bytes);
  }
  if (!error.empty()) {
    multi.failed = true;  // EXEC will answer EXECABORT
    ++stats_.errors;
    // redirect_error() and memory_refusal() already encode; the others are plain texts.
    slot.complete(error.starts_with("-") ? error : kv::encode_error(error));
    return;
  }
  multi.bytes += bytes;
  multi.at_node = multi.at_node || at_node;
  multi.commands.push_back(std::move(argv));
  slot.complete(kv::encode_simple("QUEUED"));
}

void ClientService::exec(kv::ClientState& client, const kv::Classification& c, ReplySlot& slot,
                         std::string acl_user) {
  const uint64_t client_id = client.id;
  Connection& conn = connections_[client_id];
  Multi multi = std::move(*conn.multi);
  conn.multi.reset();
  if (multi.failed) {
    ++stats_.errors;
    slot.complete(kv::encode_error(kv::kExecAbortError));
    // EXEC unwatches whatever its outcome.
    dispatch(client_id, Queued{{}, c, 0, ReplySlot::none(), Step::kUnwatch});
    return;
  }
  if (multi.at_node) {
    exec_at_node(client, multi, slot);
  } else if (slot.resp3()) {  // each element of EXEC's reply has its command's shape
    std::vector<kv::Resp3Shape> shapes;
    shapes.reserve(multi.commands.size());
    for (const kv::Argv& argv : multi.commands) {
      const kv::Classification queued = kv::classify(argv);
      shapes.push_back(queued.ok() ? kv::resp3_shape(*queued.spec, argv) : kv::Resp3Shape::kPlain);
    }
    slot.use_resp3_elements(std::move(shapes));
  }
  Queued q{
      {}, c, 0, std::move(slot), Step::kCommand, std::move(multi.commands), std::move(acl_user)};
  dispatch(client_id, std::move(q));  // a write: in order behind the connection's reads
}

namespace {

// The end of the RESP value at `pos` (npos if it is not complete, well-formed RESP2).
size_t resp_value_end(std::string_view s, size_t pos) {
  const size_t eol = s.find("\r\n", pos);
  if (eol == std::string_view::npos || pos >= s.size()) return std::string_view::npos;
  const char type = s[pos];
  if (type != '$' && type != '*') return eol + 2;
  int64_t n = 0;
  for (size_t i = pos + 1; i < eol; ++i) {
    if (s[i] == '-') return eol + 2;  // null
    n = n * 10 + (s[i] - '0');
  }
  if (type == '$') return eol + 2 + static_cast<size_t>(n) + 2;
  size_t end = eol + 2;
  for (int64_t i = 0; i < n && end != std::string_view::npos; ++i) end = resp_value_end(s, end);
  return end;
}

// EXEC's reply with the replies of the commands run on the node put back in their places:
// `at_node[i]` is the reply of the i-th queued command if EXEC ran it (runs_at_exec); the
// others' come from the transaction entry, each converted for the protocol in effect when
// it ran (`protocols[i]`).
class AtNodeSplice : public ReplyTarget {
 public:
  AtNodeSplice(ReplySlot slot, std::vector<std::optional<std::string>> at_node,
               std::vector<int> protocols, std::vector<kv::Resp3Shape> shapes, int exec_protocol)
      : slot_(std::move(slot)),
        at_node_(std::move(at_node)),
        protocols_(std::move(protocols)),
        shapes_(std::move(shapes)),
        exec_protocol_(exec_protocol) {}

  void complete(uint64_t, std::string reply) override {
    if (!reply.starts_with("*") || reply.starts_with("*-1")) {  // refused, or WATCH failed
      if (exec_protocol_ == 3) kv::to_resp3(&reply, kv::Resp3Shape::kPlain);
      return slot_.complete(std::move(reply));
    }
    std::string out = "*" + std::to_string(at_node_.size()) + "\r\n";
    size_t pos = reply.find("\r\n") + 2;
    for (size_t i = 0; i < at_node_.size(); ++i) {
      if (at_node_[i]) {
        out += *at_node_[i];
        continue;
      }
      const size_t end = resp_value_end(reply, pos);
      if (end == std::string::npos || end > reply.size()) break;  // not expected
      std::string element = reply.substr(pos, end - pos);
      pos = end;
      if (protocols_[i] == 3) kv::to_resp3(&element, shapes_[i]);
      out += element;
    }
    slot_.complete(std::move(out));
  }

 private:
  ReplySlot slot_;
  std::vector<std::optional<std::string>> at_node_;
  std::vector<int> protocols_;
  std::vector<kv::Resp3Shape> shapes_;
  int exec_protocol_;
};

}  // namespace

void ClientService::exec_at_node(kv::ClientState& client, Multi& multi, ReplySlot& slot) {
  // These change or describe only this connection or node: they run now, in their places
  // in the queue, so that the commands after EXEC see HELLO's protocol, name and user (as
  // in Redis, where they run inside EXEC). The others form the transaction entry, as
  // without them.
  const int exec_protocol = client.protocol;
  const size_t n = multi.commands.size();
  std::vector<std::optional<std::string>> at_node(n);
  std::vector<int> protocols(n);
  std::vector<kv::Resp3Shape> shapes(n, kv::Resp3Shape::kPlain);
  std::vector<kv::Argv> rest;
  for (size_t i = 0; i < n; ++i) {
    kv::Argv& argv = multi.commands[i];
    const kv::Classification queued = kv::classify(argv);
    if (queued.spec != nullptr && queued.spec->id == kv::CommandId::kHello) {
      at_node[i] = run_hello(argv, client, slot);
    } else if (queued.ok() && runs_at_exec(queued.spec->id)) {
      auto capture = std::make_shared<Capture>();
      ReplySlot captured(capture, 0);
      run_at_node(argv, queued, client, captured, slot);
      at_node[i] = capture->take();
      if (client.protocol == 3) kv::to_resp3(&*at_node[i], kv::resp3_shape(*queued.spec, argv));
    } else {
      shapes[i] = queued.spec ? kv::resp3_shape(*queued.spec, argv) : kv::Resp3Shape::kPlain;
      rest.push_back(std::move(argv));
    }
    protocols[i] = client.protocol;
  }
  multi.commands = std::move(rest);
  slot.no_conversion();  // AtNodeSplice converts each element for its own protocol
  auto splice = std::make_shared<AtNodeSplice>(
      std::move(slot), std::move(at_node), std::move(protocols), std::move(shapes), exec_protocol);
  slot = ReplySlot(std::move(splice), 0);
}

void ClientService::run_watch_step(uint64_t client_id, Queued& q) {
  Connection& conn = connections_[client_id];
  if (q.step == Step::kUnwatch) {
    conn.unwatch();
    q.slot.complete(kv::encode_simple("OK"));
    return;
  }
  // Every later read of this connection is at or after this index (its read floor is
  // last_write, its read index at least the commit index), so changes up to it are ones
  // those reads can see; EXEC checks that nothing changed after it. Counting from
  // last_write keeps the connection's own write before the WATCH from aborting EXEC. But
  // that write may yet be lost in a leader change, its index reused, and the connection's
  // next write put at a lower index, lowering the read floor: so a read lowers the mark to
  // its own point (note_watched_read) and a failed write to the applied index here.
  const raft::Index since = std::max(driver_.applied_index(), conn.last_write);
  if (conn.watched.empty()) {  // the earliest WATCH's (conservative)
    conn.watch_since = since;
    conn.watch_applied = driver_.applied_index();
  }
  for (size_t i = 1; i < q.argv.size(); ++i) {
    if (conn.watched.contains(q.argv[i])) continue;
    if (conn.watched_bytes + q.argv[i].size() > kMaxCommandBytes) {
      return q.slot.complete(kv::encode_error("ERR too many WATCHed keys"));
    }
    conn.watched_bytes += q.argv[i].size();
    conn.watched.insert(std::move(q.argv[i]));
  }
  q.slot.complete(kv::encode_simple("OK"));
}

void ClientService::start_exec(uint64_t client_id, Queued&& q) {
  Connection& conn = connections_[client_id];
  kv::LogCommand tx;  // (not make_log_command: a SEQ prefix is not in this argv)
  tx.session_id = q.c.session_id;
  tx.seq = q.c.seq;
  tx.time_ms = rt_.wall_ms();
  tx.transaction = true;
  tx.queued = std::move(q.transaction);
  tx.user = std::move(q.acl_user);
  if (!bugs_.ignore_watch) {
    tx.watched.reserve(conn.watched.size());
    while (!conn.watched.empty()) {
      tx.watched.push_back(std::move(conn.watched.extract(conn.watched.begin()).value()));
    }
  }
  tx.watch_index = conn.watch_since;
  conn.unwatch();  // EXEC unwatches whatever its outcome
  const auto is_write = [](const kv::Argv& argv) {
    return kv::classify(argv).route == kv::Route::kWrite;
  };
  if (bugs_.exec_not_atomic && tx.watched.empty() &&
      std::all_of(tx.queued.begin(), tx.queued.end(), is_write)) {
    q.transaction = std::move(tx.queued);
    return propose_each(client_id, std::move(q));
  }
  const std::string entry = kv::encode_log_command(tx);
  if (entry.size() > kMaxCommandBytes) {
    ++stats_.errors;
    return q.slot.complete(kv::encode_error(command_too_large_error(entry.size())));
  }
  propose(client_id, std::move(tx), std::move(q.slot), q.key);
}

// The injected bug: the queued commands as separate entries, each proposed once the one
// before it has applied, so other clients' commands run in between. The replies are
// gathered into EXEC's array as if it were atomic.
void ClientService::propose_each(uint64_t client_id, Queued&& q) {
  struct Chain {
    std::vector<kv::Argv> commands;
    std::string replies;
    size_t next = 0;
    ReplySlot slot;
  };
  auto chain = std::make_shared<Chain>(Chain{std::move(q.transaction), "", 0, std::move(q.slot)});
  auto step = std::make_shared<std::function<void()>>();
  *step = [this, client_id, chain, weak = std::weak_ptr<std::function<void()>>(step)] {
    if (chain->next == chain->commands.size()) {
      return chain->slot.complete("*" + std::to_string(chain->commands.size()) + "\r\n" +
                                  chain->replies);
    }
    kv::Argv argv = std::move(chain->commands[chain->next++]);
    const kv::Classification c = kv::classify(argv);
    const kv::LogCommand cmd = kv::make_log_command(std::move(argv), c, rt_.wall_ms());
    auto self = weak.lock();
    auto done = [chain, self](std::optional<RequestError> err, const std::string& reply) {
      chain->replies += err ? kv::encode_error("ERR lost") : reply;
      if (self) (*self)();
    };
    if (auto index = driver_.propose(kv::encode_log_command(cmd), done)) {
      connections_[client_id].last_write = *index;
    }
  };
  (*step)();
}

ClientService::Connection* ClientService::watching_connection(uint64_t client_id) {
  // find, not []: the connection may have closed while its read or write was in flight.
  auto it = connections_.find(client_id);
  return it == connections_.end() || it->second.watched.empty() ? nullptr : &it->second;
}

void ClientService::note_watched_read(uint64_t client_id) {
  if (Connection* conn = watching_connection(client_id)) {
    conn->watch_since = std::min(conn->watch_since, driver_.applied_index());
  }
}

void ClientService::note_failed_write(uint64_t client_id) {
  if (Connection* conn = watching_connection(client_id)) {
    conn->watch_since = std::min(conn->watch_since, conn->watch_applied);
  }
}

}  // namespace raftkv::server
