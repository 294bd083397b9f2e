#include "sim/node_sim.h"

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "sim/linearizability.h"
#include "sim/resp_reply.h"
#include "sim/stream_check.h"

namespace raftkv::sim {

namespace {

enum class OpKind : uint8_t {
  kGet,
  kSet,
  kAppend,
  kTtlSet,
  kTtlGet,
  kOpenSession,
  // Transactions (checked by check_transactions, not the per-key linearizability check):
  kTransfer,   // MULTI; DECRBY a<i> x; INCRBY a<j> x; EXEC (the accounts always sum to 0)
  kAudit,      // every account, by MGET or by MULTI; GET...; EXEC: must sum to 0
  kWatchIncr,  // WATCH c; GET c, then MULTI; SET c <read+1>; EXEC
  // A job queue (checked by check_queue): RPUSH of a unique element, LPOP or BLPOP of the
  // head.
  kPush,
  kPop,
  // A stream consumer group as a job queue (checked by check_stream_group): XGROUP CREATE,
  // XADD of a unique element, XREADGROUP ... > (blocking or not), XACK of what was read.
  kXGroup,
  kXAdd,
  kXRead,
  kXAck,
};

// Requests sent ahead of an operation's own command on its connection (MULTI, WATCH, the
// queued commands) carry this bit in their id: their replies are not the outcome (EXEC's
// is, and a refused one shows there as EXECABORT).
constexpr uint64_t kPreludeBit = uint64_t{1} << 63;

struct OpRecord {
  uint64_t id = 0;
  uint64_t client = 0;
  uint64_t connection = 0;
  OpKind kind = OpKind::kGet;
  std::string key;
  std::string value;
  Time invoke = 0;
  Time complete = kNever;
  Outcome outcome = Outcome::kPending;
  std::string result;  // the value read ("" for nil), or the reply
  bool nil = false;
  std::string stream_id;          // kXAdd: the id given; kXRead: the id delivered; kXAck: the id
  kv::Argv argv;                  // as sent (a session write is sent again, unchanged, on a retry)
  std::vector<kv::Argv> prelude;  // sent just before argv, on the same connection
  int attempts = 1;
  int phase = 1;  // kWatchIncr: 1 = WATCH + GET, 2 = MULTI + SET + EXEC
  bool writes() const { return kind != OpKind::kGet && kind != OpKind::kTtlGet; }
};

struct Client {
  uint64_t id = 0;
  raft::NodeId node = 1;
  uint64_t conn = 0;
  uint64_t sent = 0;
  std::map<uint64_t, Time> in_flight;  // op id -> deadline
  // Exactly-once writes (docs/sessions.md): a session client tags each write with
  // SEQ <session> <seq> and, when its outcome is unknown, sends the very same command
  // again on a new connection; the session allows one unacknowledged write at a time.
  bool uses_session = false;
  uint64_t session = 0;
  uint64_t next_seq = 0;
  uint64_t open_op = 0;   // the SESSION OPEN in flight
  uint64_t write_op = 0;  // the session write in flight
  // A WATCH increment in flight: the client sends nothing else meanwhile (another EXEC on
  // the connection would drop its WATCH).
  uint64_t watch_op = 0;
  std::deque<std::string> to_ack;  // stream ids this client read and has not XACKed yet
};

class NodeSimulation {
 public:
  NodeSimulation(uint64_t seed, const NodeSimOptions& o)
      : options_(o), rng_(seed), network_(o.network, rng_.fork()) {
    result_.seed = seed;
  }

  NodeSimResult run() {
    build();
    schedule_fault();
    queue_.at(options_.fault_time, [this] { heal(); });
    const Time end = options_.fault_time + options_.liveness_bound;
    while (!result_.violation && queue_.run_next(end)) {
      ++result_.events;
      check_leaders();
    }
    if (!result_.violation) final_checks();
    if (operator_) {
      result_.changes_sent = operator_->changes_sent();
      result_.changes_done = operator_->changes_done();
    }
    for (const auto& n : nodes_) {
      result_.snapshots_taken += n->snapshots_taken();
      result_.snapshots_installed += n->snapshots_installed();
    }
    return std::move(result_);
  }

 private:
  // --- setup -------------------------------------------------------------------------
  void build() {
    raft::ConfState conf;
    std::map<raft::NodeId, net::PeerAddress> founders, everyone;
    for (int i = 1; i <= pool(); ++i) {
      const auto id = static_cast<raft::NodeId>(i);
      everyone[id] = sim_peer_address(id);
      if (i > options_.nodes) continue;
      founders[id] = sim_peer_address(id);
      conf.voters.push_back(id);
    }
    for (int i = 1; i <= pool(); ++i) {
      ServerNode::Env env;
      env.send = [this](raft::Message m) { send(std::move(m)); };
      env.applied = [this](raft::NodeId id, const raft::Entry& e, const kv::StateMachine&) {
        on_applied(id, e);
      };
      env.reply = [this](uint64_t conn, uint64_t op, std::string reply) {
        queue_.at(in_order(reply_due_[conn]),
                  [this, conn, op, reply = std::move(reply)] { on_reply(conn, op, reply); });
      };
      ServerNodeConfig config = options_.node;
      if (options_.snapshot_every_max > 0) {
        config.snapshot_every =
            rng_.uniform(options_.snapshot_every_max / 4 + 1, options_.snapshot_every_max);
      }
      // The founders start as `--initial-cluster` does; the spares as `--join` with every
      // node's address.
      const bool founder = i <= options_.nodes;
      config.initial_peers = founder ? founders : everyone;
      nodes_.push_back(std::make_unique<ServerNode>(static_cast<raft::NodeId>(i),
                                                    founder ? conf : raft::ConfState{}, queue_,
                                                    rng_.fork(), config, std::move(env)));
    }
    for (int i = 1; i <= options_.clients; ++i) {
      Client c;
      c.id = static_cast<uint64_t>(i);
      c.uses_session = rng_.chance(options_.session_clients);
      c.node = any_node();
      clients_.push_back(c);
      connect(clients_.back(), clients_.back().node);
      schedule_client(clients_.size() - 1, rng_.uniform(1, kTick));
    }
    if (options_.membership) build_operator();
  }

  int pool() const { return options_.nodes + (options_.membership ? options_.spare_nodes : 0); }
  raft::NodeId any_node() {
    return static_cast<raft::NodeId>(rng_.uniform(1, static_cast<uint64_t>(pool())));
  }

  // --- the operator (membership) -----------------------------------------------------
  void build_operator() {
    NodeOperator::Hooks hooks;
    hooks.new_connection = [this] { return ++next_conn_; };
    hooks.send = [this](raft::NodeId node, uint64_t conn, uint64_t op, kv::Argv argv) {
      queue_.at(in_order(request_due_[conn]), [this, node, conn, op, argv = std::move(argv)] {
        nodes_[node - 1]->request(conn, op, argv);
      });
    };
    hooks.removal_committed = [this](raft::NodeId id) { return removal_committed(id); };
    hooks.rejoin = [this](raft::NodeId id) { rejoin(id); };
    hooks.note = [this](std::string text) { note(text); };
    operator_ = std::make_unique<NodeOperator>(options_.operator_config, queue_, rng_.fork(),
                                               pool(), options_.nodes, std::move(hooks));
    operator_->start(10 * kTick, options_.fault_time);
  }

  // Whether the leader's committed configuration has left `id` out for good (the operator
  // waits for that before it wipes the node: a voter that forgot its log and votes could
  // elect a second leader).
  bool removal_committed(raft::NodeId id) const {
    const raft::NodeId leader = current_leader();
    if (leader == raft::kNoNode) return false;
    const server::RaftDriver& d = *nodes_[leader - 1]->driver();
    const raft::ConfState conf = d.node().conf_at(d.status().commit);
    if (conf.joint()) return false;
    for (const auto* ids : {&conf.voters, &conf.learners}) {
      if (std::count(ids->begin(), ids->end(), id)) return false;
    }
    return true;
  }

  void rejoin(raft::NodeId id) {
    std::map<raft::NodeId, net::PeerAddress> everyone;
    for (int i = 1; i <= pool(); ++i) {
      everyone[static_cast<raft::NodeId>(i)] = sim_peer_address(static_cast<raft::NodeId>(i));
    }
    note("n" + std::to_string(id) + " wiped: starts again as a joining node");
    nodes_[id - 1]->rejoin(std::move(everyone));
    for (Client& c : clients_) {
      if (c.node == id) abandon(c, "connection reset");
    }
  }

  void send(raft::Message m) {
    for (Time d : network_.deliveries(m.from, m.to)) {
      queue_.after(d, [this, m] {
        if (!network_.linked(m.from, m.to)) return;
        nodes_[m.to - 1]->deliver(m);
      });
    }
  }

  // --- clients -----------------------------------------------------------------------
  void connect(Client& c, raft::NodeId node) {
    c.node = node;
    c.conn = ++next_conn_;
    conn_owner_[c.conn] = c.id;
  }

  void schedule_client(size_t i, Time delay) {
    queue_.after(delay, [this, i] {
      Client& c = clients_[i];
      expire_ops(c);
      // New load stops when the faults heal; what is in flight still ends (or times out).
      const bool loading = queue_.now() < options_.fault_time;
      if (loading && c.uses_session && c.session == 0 && c.open_op == 0) {
        open_session(c);
      } else if (loading && c.in_flight.size() < static_cast<size_t>(options_.window) &&
                 (!c.uses_session || c.session != 0) && c.watch_op == 0) {
        if (rng_.chance(options_.tx_ops)) {
          issue_transaction(c);
        } else if (rng_.chance(options_.queue_ops)) {
          issue_queue_op(c);
        } else {
          issue(c);
        }
      }
      if (loading || !c.in_flight.empty()) schedule_client(i, rng_.uniform(1, kTick));
    });
  }

  void open_session(Client& c) {
    OpRecord op;
    op.id = ops_.size() + 1;
    op.client = c.id;
    op.kind = OpKind::kOpenSession;
    op.invoke = queue_.now();
    op.argv = {"SESSION", "OPEN"};
    c.open_op = op.id;
    ops_.push_back(op);
    send_op(c, ops_.back());
  }

  OpRecord new_op(const Client& c) const {
    OpRecord op;
    op.id = ops_.size() + 1;
    op.client = c.id;
    op.connection = c.conn;
    op.invoke = queue_.now();
    return op;
  }

  void issue(Client& c) {
    OpRecord op = new_op(c);
    kv::Argv argv;
    if (rng_.chance(options_.ttl_ops)) {
      if (!ttl_keys_.empty() && rng_.chance(0.7)) {
        op.kind = OpKind::kTtlGet;
        op.key = ttl_keys_[rng_.uniform(0, ttl_keys_.size() - 1)];
        argv = {"GET", op.key};
      } else {
        op.kind = OpKind::kTtlSet;
        op.key = "t" + std::to_string(op.id);
        op.value = "v" + std::to_string(op.id);
        argv = {"SET", op.key, op.value, "PX", std::to_string(rng_.uniform(5, 300))};
        ttl_keys_.push_back(op.key);
        if (ttl_keys_.size() > 6) ttl_keys_.erase(ttl_keys_.begin());
      }
    } else {
      op.key = "k" + std::to_string(rng_.uniform(0, options_.keys - 1));
      const uint64_t r = rng_.uniform(0, 99);
      op.kind = r < 40 ? OpKind::kGet : r < 75 ? OpKind::kSet : OpKind::kAppend;
      op.value = std::to_string(c.id) + "." + std::to_string(++c.sent) + ",";
      if (op.kind == OpKind::kGet) argv = {"GET", op.key};
      if (op.kind == OpKind::kSet) argv = {"SET", op.key, op.value};
      if (op.kind == OpKind::kAppend) argv = {"APPEND", op.key, op.value};
    }
    send_write(c, op, std::move(argv));
  }

  // Sends `op` with `argv`, tagged with the client's session if it has one and `op` writes.
  void send_write(Client& c, OpRecord& op, kv::Argv argv) {
    if (c.uses_session && op.writes()) {
      if (c.write_op != 0) return;  // one unacknowledged write per session
      argv.insert(argv.begin(), {"SEQ", std::to_string(c.session), std::to_string(++c.next_seq)});
      c.write_op = op.id;
    }
    op.argv = std::move(argv);
    ops_.push_back(op);
    send_op(c, ops_.back());
  }

  // --- the job queue -----------------------------------------------------------------
  static constexpr std::string_view kQueue = "q";

  void issue_queue_op(Client& c) {
    if (rng_.chance(0.5)) return issue_stream_op(c);
    OpRecord op = new_op(c);
    op.key = kQueue;
    if (rng_.chance(0.5)) {
      op.kind = OpKind::kPush;
      op.value = "j" + std::to_string(op.id);
      return send_write(c, op, {"RPUSH", op.key, op.value});
    }
    op.kind = OpKind::kPop;
    if (rng_.chance(0.5)) return send_write(c, op, {"LPOP", op.key});
    // Blocks on the leader for up to 300 ms (well inside the client's timeout).
    send_write(c, op, {"BLPOP", op.key, "0." + pad3(rng_.uniform(1, 299))});
  }

  static std::string pad3(uint64_t n) {
    std::string s = std::to_string(n);
    return std::string(3 - s.size(), '0') + s;
  }

  // --- the stream consumer group -----------------------------------------------------
  static constexpr std::string_view kStream = "s";

  void issue_stream_op(Client& c) {
    OpRecord op = new_op(c);
    op.key = kStream;
    const std::string s(kStream);
    if (!stream_group_ready_) {
      op.kind = OpKind::kXGroup;
      return send_write(c, op, {"XGROUP", "CREATE", s, "g", "0", "MKSTREAM"});
    }
    const uint64_t r = rng_.uniform(0, 99);
    if (!c.to_ack.empty() && r < 30) {
      op.kind = OpKind::kXAck;
      op.stream_id = c.to_ack.front();
      c.to_ack.pop_front();
      return send_write(c, op, {"XACK", s, "g", op.stream_id});
    }
    if (r < 65) {
      op.kind = OpKind::kXAdd;
      op.value = "e" + std::to_string(op.id);
      return send_write(c, op, {"XADD", s, "*", "f", op.value});
    }
    op.kind = OpKind::kXRead;
    kv::Argv argv = {"XREADGROUP", "GROUP", "g", "c" + std::to_string(c.id), "COUNT", "1"};
    if (rng_.chance(0.5)) argv.insert(argv.end(), {"BLOCK", std::to_string(rng_.uniform(1, 300))});
    argv.insert(argv.end(), {"STREAMS", s, ">"});
    send_write(c, op, std::move(argv));
  }

  // The outcome of a stream operation from its (non-error) reply.
  void interpret_stream(Client& c, OpRecord& op, const std::string& reply) {
    const std::optional<RespReply> r = parse_reply(reply);
    if (!r) return violate("protocol", "unparsable reply to op" + std::to_string(op.id));
    if (op.kind == OpKind::kXGroup) stream_group_ready_ = true;
    if (op.kind == OpKind::kXAdd) op.stream_id = r->text;
    if (op.kind == OpKind::kXAck) op.result = r->text;
    if (op.kind == OpKind::kXRead && r->nil) op.nil = true;
    if (op.kind == OpKind::kXRead && !r->nil) {
      // [[stream, [[id, [field, value]]]]]
      const RespReply& entry = r->items.at(0).items.at(1).items.at(0);
      op.stream_id = entry.items.at(0).text;
      op.result = entry.items.at(1).items.at(1).text;
      c.to_ack.push_back(op.stream_id);
    }
    finish(op, Outcome::kOk, op.result);
  }

  // --- transactions ------------------------------------------------------------------
  static constexpr int kAccounts = 3;
  static std::string account(uint64_t i) { return "a" + std::to_string(i); }

  void issue_transaction(Client& c) {
    OpRecord op = new_op(c);
    const uint64_t r = rng_.uniform(0, 99);
    if (r < 45) {
      op.kind = OpKind::kTransfer;
      const uint64_t from = rng_.uniform(0, kAccounts - 1);
      const uint64_t to = (from + rng_.uniform(1, kAccounts - 1)) % kAccounts;
      const std::string amount = std::to_string(rng_.uniform(1, 9));
      op.prelude = {{"MULTI"}, {"DECRBY", account(from), amount}, {"INCRBY", account(to), amount}};
      op.argv = {"EXEC"};
    } else if (r < 75) {
      op.kind = OpKind::kAudit;
      op.argv = {"MGET"};
      for (uint64_t i = 0; i < kAccounts; ++i) op.argv.push_back(account(i));
      if (rng_.chance(0.5)) {  // the same read as a transaction of GETs
        op.prelude = {{"MULTI"}};
        for (uint64_t i = 0; i < kAccounts; ++i) op.prelude.push_back({"GET", account(i)});
        op.argv = {"EXEC"};
      }
    } else {
      op.kind = OpKind::kWatchIncr;
      op.prelude = {{"WATCH", "counter"}};
      op.argv = {"GET", "counter"};
      c.watch_op = op.id;
    }
    ops_.push_back(op);
    send_op(c, ops_.back());
  }

  void interpret_transaction(Client& c, OpRecord& op, const std::string& reply) {
    if (reply.starts_with("-MOVED ")) interpret_redirect(c, reply);
    if (reply.starts_with("-UNKNOWN")) return end_op(c, op, Outcome::kUnknown, "");
    if (reply.starts_with("-") || reply == "*-1\r\n") {  // refused, redirected or aborted
      return end_op(c, op, Outcome::kFailed, "");
    }
    if (op.kind == OpKind::kWatchIncr && op.phase == 1) {
      // The WATCH lives on the connection it was sent on: after a redirect to another
      // node, the transaction cannot follow it there (a client library would start over).
      if (c.conn != op.connection) return end_op(c, op, Outcome::kFailed, "");
      // The read of the WATCHed counter: now the transaction that writes read + 1.
      const std::vector<std::string> read = parse_bulks("*1\r\n" + reply);
      const uint64_t value = read.empty() || read[0].empty() ? 0 : std::stoull(read[0]);
      op.phase = 2;
      op.value = std::to_string(value + 1);
      op.prelude = {{"MULTI"}, {"SET", "counter", op.value}};
      op.argv = {"EXEC"};
      return send_op(c, op);
    }
    std::string result;
    if (op.kind == OpKind::kAudit) {
      int64_t sum = 0;
      for (const std::string& v : parse_bulks(reply)) sum += v.empty() ? 0 : std::stoll(v);
      result = std::to_string(sum);
    }
    end_op(c, op, Outcome::kOk, result);
  }

  // The bulk strings (or integers) of an array reply; "" for a nil.
  static std::vector<std::string> parse_bulks(const std::string& reply) {
    std::vector<std::string> out;
    size_t at = reply.find("\r\n") + 2;
    while (at < reply.size()) {
      const size_t eol = reply.find("\r\n", at);
      const std::string line = reply.substr(at, eol - at);
      at = eol + 2;
      if (line[0] == '$' && line != "$-1") {
        const size_t n = std::stoull(line.substr(1));
        out.push_back(reply.substr(at, n));
        at += n + 2;
      } else {
        out.push_back(line[0] == ':' ? line.substr(1) : "");
      }
    }
    return out;
  }

  void send_op(Client& c, const OpRecord& op) {
    c.in_flight[op.id] = queue_.now() + client_timeout();
    note("c" + std::to_string(c.id) + " -> n" + std::to_string(c.node) + " conn" +
         std::to_string(c.conn) + " op" + std::to_string(op.id) + " " + prelude_text(op) +
         join(op.argv));
    const raft::NodeId node = c.node;
    const uint64_t conn = c.conn;
    for (const kv::Argv& argv : op.prelude) {
      queue_.at(in_order(request_due_[conn]), [this, node, conn, id = op.id, argv]() {
        nodes_[node - 1]->request(conn, id | kPreludeBit, argv);
      });
    }
    queue_.at(in_order(request_due_[conn]), [this, node, conn, id = op.id, argv = op.argv]() {
      nodes_[node - 1]->request(conn, id, argv);
    });
  }

  // A session write whose outcome is unknown goes again, unchanged, on the client's
  // current connection: the session applies it at most once. It no longer belongs to one
  // connection's order.
  bool retry_session_write(Client& c, OpRecord& op) {
    if (op.id != c.write_op || op.attempts >= 5 || queue_.now() >= options_.fault_time) {
      return false;
    }
    ++op.attempts;
    op.connection = 0;
    send_op(c, op);
    return true;
  }

  // A connection is a TCP stream: what is sent on it arrives in order. `due` is when the
  // stream's previous message arrives; this one arrives no earlier.
  Time in_order(Time& due) {
    due = std::max(due, queue_.now() + network_.delay());
    return due;
  }

  Time client_timeout() const {
    return static_cast<Time>(options_.node.request_timeout / kTimeUnit) + 20 * kTick;
  }

  // A connection whose oldest command is overdue is given up (as a client library's
  // timeout does): everything in flight on it ends unknown, and the client reconnects.
  void expire_ops(Client& c) {
    for (const auto& [id, deadline] : c.in_flight) {
      if (deadline > queue_.now()) continue;
      abandon(c, "timeout");
      return;
    }
  }

  void abandon(Client& c, const std::string& why) {
    std::vector<uint64_t> lost;
    for (const auto& [id, deadline] : c.in_flight) lost.push_back(id);
    c.in_flight.clear();
    conn_owner_.erase(c.conn);
    note("c" + std::to_string(c.id) + " drops conn" + std::to_string(c.conn) + ": " + why);
    connect(c, any_node());
    for (uint64_t id : lost) {
      if (!retry_session_write(c, ops_[id - 1])) end_op(c, ops_[id - 1], Outcome::kUnknown, "");
    }
  }

  // finish() plus the client's own bookkeeping.
  void end_op(Client& c, OpRecord& op, Outcome outcome, std::string result) {
    if (op.id == c.write_op) c.write_op = 0;
    if (op.id == c.open_op) c.open_op = 0;
    if (op.id == c.watch_op) c.watch_op = 0;
    finish(op, outcome, std::move(result));
  }

  void on_reply(uint64_t conn, uint64_t op_id, const std::string& reply) {
    if (operator_ && operator_->owns(conn)) return operator_->on_reply(op_id, reply);
    if (op_id & kPreludeBit) return;
    auto owner = conn_owner_.find(conn);
    if (owner == conn_owner_.end()) return;  // a connection the client gave up
    Client& c = clients_[owner->second - 1];
    if (!c.in_flight.erase(op_id)) return;
    OpRecord& op = ops_[op_id - 1];
    note("c" + std::to_string(c.id) + " <- op" + std::to_string(op_id) + " " + printable(reply));
    if (op.kind == OpKind::kOpenSession) {
      if (reply.starts_with(":")) c.session = std::stoull(reply.substr(1));
      end_op(c, op, reply.starts_with(":") ? Outcome::kOk : Outcome::kFailed, "");
      return;
    }
    if (reply.starts_with("-UNKNOWN") && retry_session_write(c, op)) return;
    // A node outside the cluster (joining, or removed) knows no leader: a cluster client
    // tries another node. Later commands go there; earlier ones still answer here.
    if (options_.membership && reply.starts_with("-CLUSTERDOWN") && c.node != raft::kNoNode) {
      connect(c, any_node());
    }
    if (op.kind >= OpKind::kTransfer && op.kind <= OpKind::kWatchIncr) {
      return interpret_transaction(c, op, reply);
    }
    interpret(c, op, reply);
  }

  void interpret_redirect(Client& c, const std::string& reply) {
    // -MOVED <slot> <host:port>: the node at that (simulated) client address.
    const size_t end = reply.find('\r');
    const size_t at = reply.rfind(' ', end);
    const raft::NodeId to = sim_node_at(reply.substr(at + 1, end - at - 1));
    if (to >= 1 && to <= static_cast<raft::NodeId>(pool()) && to != c.node &&
        conn_owner_.count(c.conn)) {
      connect(c, to);  // later commands go to the leader; earlier ones still answer here
    }
  }

  void interpret(Client& c, OpRecord& op, const std::string& reply) {
    const bool moved = reply.starts_with("-MOVED ");
    if (moved) interpret_redirect(c, reply);
    if (moved || reply.starts_with("-CLUSTERDOWN") || reply.starts_with("-TRYAGAIN")) {
      // Not executed. For a retried session write that says nothing of the earlier
      // attempts, which may have applied: try again, or count it unknown.
      if (op.attempts > 1 && retry_session_write(c, op)) return;
      if (op.id == c.write_op) c.write_op = 0;
      finish(op, op.attempts > 1 ? Outcome::kUnknown : Outcome::kFailed, "");
      return;
    }
    if (op.id == c.write_op) c.write_op = 0;
    if (reply.starts_with("-ERR unknown session")) c.session = 0;  // open a new one
    if (op.kind == OpKind::kXGroup && reply.starts_with("-BUSYGROUP")) {
      stream_group_ready_ = true;  // another client's XGROUP CREATE applied first
      return finish(op, Outcome::kFailed, "");
    }
    if (op.kind >= OpKind::kXGroup && !reply.starts_with("-"))
      return interpret_stream(c, op, reply);
    if (op.kind == OpKind::kPop && reply.starts_with("*")) {  // BLPOP: [key, element] or nil
      const std::vector<std::string> popped = parse_bulks(reply);
      op.nil = popped.size() != 2;
      return finish(op, Outcome::kOk, op.nil ? "" : popped[1]);
    }
    if (reply.starts_with("-")) {  // -UNKNOWN, or a failed node's error
      finish(op, Outcome::kUnknown, "");
      return;
    }
    if (reply.starts_with("$-1")) {
      op.nil = true;
      finish(op, Outcome::kOk, "");
      return;
    }
    if (reply.starts_with("$")) {
      const size_t start = reply.find("\r\n") + 2;
      finish(op, Outcome::kOk, reply.substr(start, reply.size() - start - 2));
      return;
    }
    finish(op, Outcome::kOk, "ok");  // +OK, or APPEND's length
  }

  void finish(OpRecord& op, Outcome outcome, std::string result) {
    if (op.outcome != Outcome::kPending) return;
    op.outcome = outcome;
    op.result = std::move(result);
    if (outcome == Outcome::kOk) op.complete = queue_.now();
    if (outcome == Outcome::kOk) ++result_.ops_ok;
    if (outcome == Outcome::kFailed) ++result_.ops_failed;
    if (outcome == Outcome::kUnknown) ++result_.ops_unknown;
  }

  // --- faults ------------------------------------------------------------------------
  void schedule_fault() {
    queue_.after(rng_.uniform(options_.min_fault_gap, options_.max_fault_gap), [this] {
      if (healed_) return;
      inject_fault();
      schedule_fault();
    });
  }

  raft::NodeId victim() {
    raft::NodeId leader = current_leader();
    if (leader != raft::kNoNode && rng_.chance(0.5)) return leader;
    return any_node();
  }

  void inject_fault() {
    ++result_.faults;
    const raft::NodeId v = victim();
    ServerNode& n = *nodes_[v - 1];
    const Time duration = rng_.uniform(kTick, options_.max_fault_duration);
    switch (rng_.uniform(0, 4)) {
      case 0:
        if (!options_.partitions) return;
        for (int i = 1; i <= pool(); ++i) {
          if (static_cast<raft::NodeId>(i) != v) network_.cut_both(v, static_cast<raft::NodeId>(i));
        }
        note("fault: n" + std::to_string(v) + " isolated");
        queue_.after(duration, [this] { network_.heal(); });
        return;
      case 1:
        if (!options_.crashes || !n.up()) return;
        note("fault: crash n" + std::to_string(v));
        n.crash();
        for (Client& c : clients_) {
          if (c.node == v) abandon(c, "connection reset");
        }
        queue_.after(rng_.uniform(kTick, 40 * kTick), [this, v] { restart(v); });
        return;
      case 2:
        if (!options_.pauses || !n.live()) return;
        note("fault: pause n" + std::to_string(v));
        n.pause();
        queue_.after(duration, [this, v] { nodes_[v - 1]->resume(); });
        return;
      case 3: {
        if (!options_.disk_stalls) return;
        const Time until = queue_.now() + rng_.uniform(1, 5) *
                                              static_cast<Time>(options_.node.election_tick) *
                                              kTick;
        note("fault: n" + std::to_string(v) + "'s disk stalls until t=" + std::to_string(until));
        n.stall_disk(until);
        return;
      }
      default: {
        if (!options_.clock_faults) return;
        const int64_t max = options_.max_clock_step_ms;
        const int64_t step = static_cast<int64_t>(rng_.uniform(0, 2 * max)) - max;
        note("fault: n" + std::to_string(v) + "'s wall clock steps " + std::to_string(step) +
             " ms");
        n.step_clock(step);
        return;
      }
    }
  }

  void restart(raft::NodeId id) {
    if (nodes_[id - 1]->up()) return;
    note("restart n" + std::to_string(id));
    nodes_[id - 1]->restart();
    if (!nodes_[id - 1]->recovery_error().empty()) {
      violate("durability", nodes_[id - 1]->recovery_error());
    }
  }

  void heal() {
    healed_ = true;
    note("heal: partitions, crashes, pauses and disk stalls end");
    network_.heal();
    network_.set_loss(0);
    network_.set_duplicate(0);
    for (auto& n : nodes_) {
      restart(n->id());
      n->resume();
      n->stall_disk(0);
    }
  }

  // --- checks ------------------------------------------------------------------------
  raft::NodeId current_leader() const {
    raft::NodeId leader = raft::kNoNode;
    raft::Term term = 0;
    for (const auto& n : nodes_) {
      if (n->live() && n->driver()->is_leader() && n->driver()->status().term >= term) {
        leader = n->id();
        term = n->driver()->status().term;
      }
    }
    return leader;
  }

  void check_leaders() {
    for (const auto& n : nodes_) {
      if (!n->up() || !n->driver()->is_leader()) continue;
      const raft::Term t = n->driver()->status().term;
      auto [it, inserted] = leaders_.emplace(t, n->id());
      if (!inserted && it->second != n->id()) {
        violate("election safety", "two leaders in term " + std::to_string(t) + ": n" +
                                       std::to_string(it->second) + " and n" +
                                       std::to_string(n->id()));
      }
    }
  }

  void on_applied(raft::NodeId id, const raft::Entry& e) {
    const size_t hash = std::hash<std::string>{}(e.data);
    auto [it, inserted] = applied_.emplace(e.index, std::make_pair(e.term, hash));
    if (!inserted && (it->second.first != e.term || it->second.second != hash)) {
      violate("state-machine safety", "n" + std::to_string(id) + " applied " +
                                          std::to_string(e.index) + "/" + std::to_string(e.term) +
                                          ", another node applied " + std::to_string(e.index) +
                                          "/" + std::to_string(it->second.first));
    }
  }

  void final_checks() {
    if (current_leader() == raft::kNoNode) {
      return violate("liveness", "no leader after the faults healed");
    }
    for (const OpRecord& op : ops_) {
      if (op.outcome == Outcome::kPending) {
        return violate("liveness", "op" + std::to_string(op.id) + " never answered");
      }
    }
    check_replicas();
    if (!result_.violation) check_expiry();
    if (!result_.violation) check_history();
    if (!result_.violation) check_transactions();
    if (!result_.violation) check_queue();
    if (!result_.violation) check_stream();
  }

  void check_stream() {
    if (!stream_group_ready_) return;
    std::vector<StreamOp> ops;
    for (const OpRecord& op : ops_) {
      if (op.kind < OpKind::kXAdd) continue;
      StreamOp s;
      s.kind = op.kind == OpKind::kXAdd    ? StreamOp::Kind::kAdd
               : op.kind == OpKind::kXRead ? StreamOp::Kind::kRead
                                           : StreamOp::Kind::kAck;
      s.op = op.id;
      s.outcome = op.outcome;
      s.id = op.stream_id;
      s.element = op.kind == OpKind::kXAdd ? op.value : op.result;
      s.delivered = op.kind == OpKind::kXRead && !op.nil;
      s.acked = op.kind == OpKind::kXAck && !op.result.empty() ? std::stoll(op.result) : 0;
      ops.push_back(std::move(s));
    }
    const std::optional<StreamFinal> final_state = read_stream();
    if (!final_state) return violate("stream", "the final stream state is unreadable");
    if (auto err = check_stream_group(ops, *final_state)) violate("stream", *err);
  }

  // The stream and its group as the leader holds them (every member agrees by now).
  std::optional<StreamFinal> read_stream() const {
    const kv::StateMachine& sm = reference();
    const std::string s(kStream);
    const std::optional<RespReply> range = parse_reply(sm.read({"XRANGE", s, "-", "+"}));
    const std::optional<RespReply> groups = parse_reply(sm.read({"XINFO", "GROUPS", s}));
    const std::optional<RespReply> pending =
        parse_reply(sm.read({"XPENDING", s, "g", "-", "+", "1000000"}));
    if (!range || !groups || !pending || groups->items.size() != 1) return std::nullopt;
    StreamFinal out;
    for (const RespReply& e : range->items) {
      out.entries.emplace_back(e.items.at(0).text, e.items.at(1).items.at(1).text);
    }
    const std::vector<RespReply>& fields = groups->items[0].items;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].text == "last-delivered-id") out.last_delivered = fields[i + 1].text;
    }
    for (const RespReply& p : pending->items) out.pending.insert(p.items.at(0).text);
    return out;
  }

  // The job queue loses nothing and hands out nothing twice: every element popped was
  // pushed, none is popped twice or both popped and still queued, and every acknowledged
  // push is popped, still queued, or may have been taken by a pop whose outcome is unknown
  // (each such pop takes at most one).
  void check_queue() {
    std::map<std::string, uint64_t> pushed;  // element -> push op (acknowledged or unknown)
    std::set<std::string> acked;
    std::map<std::string, uint64_t> taken;  // element -> the pop, or 0: still queued
    uint64_t unknown_pops = 0;
    for (const OpRecord& op : ops_) {
      if (op.kind == OpKind::kPush && op.outcome != Outcome::kFailed) pushed[op.value] = op.id;
      if (op.kind == OpKind::kPush && op.outcome == Outcome::kOk) acked.insert(op.value);
      if (op.kind == OpKind::kPop) unknown_pops += op.outcome == Outcome::kUnknown;
    }
    const auto take = [&](const std::string& element, uint64_t by) {
      if (!pushed.contains(element)) {
        return violate("queue",
                       "element " + element + " was never pushed (op" + std::to_string(by) + ")");
      }
      auto [it, inserted] = taken.emplace(element, by);
      if (!inserted) {
        violate("queue", "element " + element + " handed out twice: by op" +
                             std::to_string(it->second) + " and " +
                             (by == 0 ? "still queued" : "op" + std::to_string(by)));
      }
    };
    for (const OpRecord& op : ops_) {
      if (op.kind == OpKind::kPop && op.outcome == Outcome::kOk && !op.nil) take(op.result, op.id);
      if (result_.violation) return;
    }
    const kv::StateMachine& sm = reference();
    for (const std::string& element :
         parse_bulks(sm.read({"LRANGE", std::string(kQueue), "0", "-1"}))) {
      take(element, 0);
      if (result_.violation) return;
    }
    uint64_t lost = 0;
    for (const std::string& element : acked) lost += !taken.contains(element);
    if (lost > unknown_pops) {
      violate("queue", std::to_string(lost) + " acknowledged elements lost (" +
                           std::to_string(unknown_pops) + " pops had an unknown outcome)");
    }
  }

  // Transfers are atomic: every audit, and the final state, sums to 0. WATCH increments are
  // serializable: the committed ones form the chain 1, 2, ..., final, so no two
  // acknowledged ones wrote the same value, and final lies between the acknowledged count
  // and that plus the unknown outcomes.
  void check_transactions() {
    std::set<std::string> written;
    uint64_t acked = 0, unknown = 0;
    for (const OpRecord& op : ops_) {
      if (op.kind == OpKind::kAudit && op.outcome == Outcome::kOk && op.result != "0") {
        return violate("transaction atomicity",
                       "op" + std::to_string(op.id) + " read accounts summing to " + op.result);
      }
      if (op.kind != OpKind::kWatchIncr) continue;
      unknown += op.outcome == Outcome::kUnknown;
      if (op.outcome != Outcome::kOk) continue;
      ++acked;
      if (!written.insert(op.value).second) {
        return violate("WATCH serializability", "two acknowledged increments both wrote " +
                                                    op.value + " (op" + std::to_string(op.id) +
                                                    ")");
      }
    }
    const kv::StateMachine& sm = reference();
    const std::vector<std::string> accounts =
        parse_bulks(sm.read({"MGET", account(0), account(1), account(2)}));
    int64_t sum = 0;
    for (const std::string& v : accounts) sum += v.empty() ? 0 : std::stoll(v);
    if (sum != 0) return violate("transaction atomicity", "final sum " + std::to_string(sum));
    const std::vector<std::string> counter = parse_bulks("*1\r\n" + sm.read({"GET", "counter"}));
    const uint64_t final_value = counter[0].empty() ? 0 : std::stoull(counter[0]);
    if (final_value < acked || final_value > acked + unknown) {
      violate("WATCH serializability", "counter " + std::to_string(final_value) + " after " +
                                           std::to_string(acked) + " acknowledged and " +
                                           std::to_string(unknown) + " unknown increments");
    }
  }

  // Why a member lags, for the report: its role, term and leader, and whether it and the
  // leader reach each other (each node's network sends only to peers its membership
  // service connected).
  std::string lag_story(const ServerNode& n) const {
    const raft::NodeId leader = current_leader();
    const raft::Status st = n.driver()->status();
    std::string s = " (" + std::string(raft::to_string(st.role)) + ", term " +
                    std::to_string(st.term) + ", knows leader n" + std::to_string(st.leader) +
                    "; leader n" + std::to_string(leader);
    if (leader != raft::kNoNode) {
      s += nodes_[leader - 1]->dials(n.id()) ? " dials it" : " does not dial it";
      s += n.dials(leader) ? ", it dials the leader" : ", it does not dial the leader";
    }
    return s + ")";
  }

  // Members must have applied the whole log; nodes outside the configuration (never added,
  // or removed) need not, as nothing replicates to them.
  void check_replicas() {
    const raft::ConfState conf = nodes_[current_leader() - 1]->driver()->status().conf;
    std::vector<const ServerNode*> members;
    for (const auto& n : nodes_) {
      for (const auto* ids : {&conf.voters, &conf.voters_outgoing, &conf.learners}) {
        if (std::count(ids->begin(), ids->end(), n->id())) {
          members.push_back(n.get());
          break;
        }
      }
    }
    raft::Index top = 0;
    for (const ServerNode* n : members) top = std::max(top, n->driver()->applied_index());
    std::string digest;
    for (const ServerNode* n : members) {
      if (n->driver()->applied_index() != top) {
        return violate("liveness", "n" + std::to_string(n->id()) + " applied " +
                                       std::to_string(n->driver()->applied_index()) + " of " +
                                       std::to_string(top) + lag_story(*n));
      }
      if (digest.empty()) digest = n->machine()->digest();
      if (n->machine()->digest() != digest) {
        return violate("state agreement", "n" + std::to_string(n->id()) +
                                              "'s digest differs at applied index " +
                                              std::to_string(top));
      }
    }
  }

  // Once a read saw a TTL key gone (and the key had been written before that read
  // began), no read that begins later may see it.
  void check_expiry() {
    std::map<std::string, Time> written, gone;  // key -> SET completed / first nil seen
    for (const OpRecord& op : ops_) {
      if (op.kind == OpKind::kTtlSet && op.outcome == Outcome::kOk) written[op.key] = op.complete;
    }
    for (const OpRecord& op : ops_) {
      if (op.kind != OpKind::kTtlGet || op.outcome != Outcome::kOk || !op.nil) continue;
      auto w = written.find(op.key);
      if (w == written.end() || op.invoke < w->second) continue;
      auto [it, inserted] = gone.emplace(op.key, op.complete);
      if (!inserted) it->second = std::min(it->second, op.complete);
    }
    for (const OpRecord& op : ops_) {
      if (op.kind != OpKind::kTtlGet || op.outcome != Outcome::kOk || op.nil) continue;
      auto g = gone.find(op.key);
      if (g != gone.end() && op.invoke > g->second) {
        return violate("expiry", "key " + op.key +
                                     " read as gone by t=" + std::to_string(g->second) +
                                     ", then read again by op" + std::to_string(op.id) +
                                     " invoked at t=" + std::to_string(op.invoke));
      }
    }
  }

  void check_history() {
    History h;
    for (const OpRecord& op : ops_) {
      if (op.kind == OpKind::kTtlSet || op.kind == OpKind::kTtlGet) continue;
      if (op.kind == OpKind::kOpenSession || op.kind >= OpKind::kTransfer) continue;  // not KV
      Operation o;
      o.id = op.id;
      o.command.client = op.client;
      o.command.op = op.kind == OpKind::kGet   ? KvOp::kGet
                     : op.kind == OpKind::kSet ? KvOp::kPut
                                               : KvOp::kAppend;
      o.command.key = op.key;
      o.command.arg = op.value;
      o.invoke = op.invoke;
      o.complete = op.complete;
      o.outcome = op.outcome;
      o.result = op.result;
      o.connection = op.connection;
      h.push_back(std::move(o));
    }
    LinearizabilityReport r = check_linearizable(h, options_.linearizability_steps);
    if (r.verdict == Linearizable::kNo) {
      violate("linearizability", "key " + r.key + " (with per-connection order):\n" + r.detail);
    }
  }

  // Every member's state agrees by now (check_replicas): the leader's stands for them.
  const kv::StateMachine& reference() const { return *nodes_[current_leader() - 1]->machine(); }

  // --- trace -------------------------------------------------------------------------
  void violate(std::string property, std::string detail) {
    if (result_.violation) return;
    result_.violation = Violation{std::move(property), std::move(detail)};
    result_.at = queue_.now();
  }
  void note(const std::string& text) {
    std::string line = "t=" + std::to_string(queue_.now() / kTick) + "." +
                       std::to_string(queue_.now() % kTick) + " " + text;
    if (options_.trace_out) *options_.trace_out << line << "\n";
    tail_.push_back(std::move(line));
    if (tail_.size() > 60) tail_.pop_front();
    result_.trace_tail.assign(tail_.begin(), tail_.end());
  }
  static std::string prelude_text(const OpRecord& op) {
    std::string out;
    for (const kv::Argv& argv : op.prelude) out += join(argv) + "; ";
    return out;
  }
  static std::string join(const kv::Argv& argv) {
    std::string out;
    for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
    return out;
  }
  static std::string printable(const std::string& reply) {
    std::string out;
    for (char ch : reply) {
      if (ch == '\r') continue;
      out += ch == '\n' ? ' ' : ch;
    }
    return out.substr(0, 80);
  }

  NodeSimOptions options_;
  Rng rng_;
  EventQueue queue_;
  bool stream_group_ready_ = false;  // an XGROUP CREATE applied: reads and acks may start
  Network network_;
  std::vector<std::unique_ptr<ServerNode>> nodes_;
  std::unique_ptr<NodeOperator> operator_;  // membership changes, if on
  std::vector<Client> clients_;
  std::map<uint64_t, uint64_t> conn_owner_;           // connection -> client, while in use
  std::map<uint64_t, Time> request_due_, reply_due_;  // per connection: FIFO delivery
  uint64_t next_conn_ = 0;
  std::vector<OpRecord> ops_;
  std::vector<std::string> ttl_keys_;
  std::map<raft::Index, std::pair<raft::Term, size_t>> applied_;
  std::map<raft::Term, raft::NodeId> leaders_;
  bool healed_ = false;
  std::deque<std::string> tail_;
  NodeSimResult result_;
};

}  // namespace

std::string NodeSimResult::report() const {
  std::ostringstream out;
  if (!violation) {
    out << "seed " << seed << ": ok\n";
    return out.str();
  }
  out << "seed " << seed << ": VIOLATION of " << violation->property << " at t=" << at / kTick
      << " ticks\n  " << violation->detail << "\nlast events (replay with --whole-node --seed "
      << seed << " --trace):\n";
  for (const auto& line : trace_tail) out << "  " << line << "\n";
  return out.str();
}

NodeSimResult run_node_simulation(uint64_t seed, const NodeSimOptions& options) {
  return NodeSimulation(seed, options).run();
}

}  // namespace raftkv::sim
