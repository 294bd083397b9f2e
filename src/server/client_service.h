// ClientService: the request path of one node. It routes each client command (answered
// by the connection, a linearizable read, a write through the log, or the server's own
// command), keeps each connection's commands in order, and turns every failure into the
// Redis error a client expects. The simulator runs this class as it ships.
//
// Per-connection order (Redis's guarantee for one connection, pipelined or not):
//   - a read sees every write its connection sent before it: it is released only once
//     the state machine has applied that connection's latest earlier write;
//   - a write is not proposed while an earlier read of its connection is still waiting
//     for its read point: the read would otherwise be served after the write applied.
//     The write (and everything the connection sends after it) waits for those reads.
// Expiry that reads see is decided in log time, never by this node's clock alone (see
// kv::StateMachine::read_needs_log_time).
//
// Transactions (client_service_tx.cc): MULTI collects a connection's commands, validated
// and answered +QUEUED; EXEC proposes them as one log entry (kv/transaction.h), with the
// keys the connection WATCHes and the log index it watches them from. WATCH needs no read
// round: it watches from max(applied index, the connection's latest write), which every
// later read of the connection is at or after, so whatever those reads saw is what EXEC
// checks has not changed since.
//
// XREAD and XREADGROUP with BLOCK (client_service_block.cc) wait on the leader when there
// is nothing to read: the command is answered once an entry appended to one of its streams
// is applied (woken as blocking pops are, below) and it then finds something (a linearizable read
// for XREAD; XREADGROUP is proposed again), or with a nil array at its timeout. Losing leadership
// answers it with a redirect. While it waits, the connection's later writes wait behind it, as in
// Redis.
//
// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP
// (client_service_pop.cc) are proposed as they come; applied, each is its non-blocking
// form (kv/blocking_commands.h). When that finds every key empty, the client waits on the
// leader, in one queue in the order clients blocked. After each write this node applies
// (and every 100 ms), the queue is swept in order: a waiter one of whose keys has an
// element not yet promised to an earlier waiter has its command proposed again, which
// either serves it (a log entry: the pop happens on every replica) or, if another write
// was first, leaves it waiting in its place. A timeout answers nil and changes nothing;
// losing leadership answers a redirect; a client that disconnects is dropped before any
// further pop is proposed for it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "kv/argv.h"
#include "kv/blocking_commands.h"
#include "kv/commands.h"
#include "kv/local_commands.h"
#include "kv/state_machine.h"
#include "server/acl_log.h"
#include "server/hash_slot.h"
#include "server/password_check.h"
#include "server/raft_driver.h"
#include "server/reply_slot.h"
#include "server/runtime.h"
#include "server/server_stats.h"

namespace raftkv::server {

// Deliberate bugs, for the simulator to prove its checks catch them. Tests only.
struct ClientServiceBugs {
  bool ignore_write_floor = false;     // a read does not wait for its connection's writes
  bool expiry_on_local_clock = false;  // reads decide expiry with this node's clock alone
  bool exec_not_atomic = false;        // EXEC proposes each queued command as its own entry
  bool ignore_watch = false;           // EXEC does not send its WATCHed keys
  bool pop_without_log = false;        // LPOP answers the list's head and proposes nothing
};

class ClientService {
 public:
  struct Hooks {
    // The client address of a member (for -MOVED), if known.
    std::function<std::optional<std::string>(raft::NodeId)> client_address;
    // Route::kServer commands (INFO, CLUSTER, RAFT, ...), which need the whole server.
    std::function<void(const kv::Argv&, const kv::CommandSpec&, ReplySlot&)> server_command;
    // CLIENT LIST and CLIENT KILL, which need every connection (KILL: its RESP reply).
    std::function<std::string()> client_list;
    std::function<std::string(uint64_t client_id)> client_info;  // CLIENT INFO
    // maxmemory (memory_limit.h): whether the heap is over the limit now. Empty: no limit.
    std::function<bool()> out_of_memory;
    // requirepass (password_check.h); null: no password.
    const PasswordCheck* password = nullptr;
    std::function<std::string(const kv::Argv&, const ReplySlot&)> client_kill;
    // Closes the connection a slot belongs to (a client whose ACL user was deleted, as
    // Redis disconnects them). Empty: such a client is asked to AUTH again instead.
    std::function<void(const ReplySlot&)> close_client;
    // (P)SUBSCRIBE, (P)UNSUBSCRIBE and PUBSUB: the node's pub/sub (pubsub_hub.h).
    std::function<void(const kv::Argv&, const kv::CommandSpec&, kv::ClientState&, ReplySlot&)>
        pubsub;
    // RESET's part outside this class: leaves MONITOR and every subscription.
    std::function<void(kv::ClientState&, ReplySlot&)> reset;
  };

  using InjectedBugs = ClientServiceBugs;

  ClientService(Runtime& runtime, RaftDriver& driver, kv::StateMachine& machine, ServerStats& stats,
                Hooks hooks, InjectedBugs bugs = {});

  void handle(kv::Argv argv, kv::ClientState& client, ReplySlot slot);
  // The connection is gone: forget its order state (its queued commands get no reply).
  void on_disconnect(uint64_t client_id) { connections_.erase(client_id); }
  // CLIENT LIST: commands queued in MULTI (-1: not in MULTI), their bytes, and whether
  // the client waits in a blocking command.
  struct ClientView {
    int64_t multi = -1;
    uint64_t multi_mem = 0;
    bool blocked = false;
  };
  ClientView view(uint64_t client_id) const {
    ClientView v;
    auto it = connections_.find(client_id);
    if (it == connections_.end()) return v;
    if (it->second.multi) {
      v.multi = static_cast<int64_t>(it->second.multi->commands.size());
      v.multi_mem = it->second.multi->bytes;
    }
    v.blocked = it->second.blocked;
    return v;
  }
  // Clients waiting in a blocking pop (not XREAD BLOCK).
  size_t blocked_pops() const { return pop_waiters_.size(); }

  // `key_slot`: the hash slot of the command's first key (0 without keys), which -MOVED
  // must name for cluster clients to update the right slot.
  std::string redirect_error(RequestError e, uint16_t key_slot = 0) const;
  std::string request_error(RequestError e, uint16_t key_slot = 0) const;

 private:
  // What a held-back item does: a read or write, or a change to the WATCH state (which
  // must happen in order with the connection's EXECs).
  enum class Step : uint8_t { kCommand, kWatch, kUnwatch, kWait };
  // Where a command's first key is, counted from the end of its argv (0: it has none), so
  // that it still holds once a session prefix is stripped from the front. Only -MOVED
  // needs the key's hash slot, so that is computed then, not for every command.
  struct KeyRef {
    uint32_t from_end = 0;
    uint16_t slot(std::span<const std::string> argv) const {
      return from_end == 0 || from_end > argv.size() ? 0 : hash_slot(argv[argv.size() - from_end]);
    }
  };
  // A read or write held back to keep its connection's order.
  struct Queued {
    kv::Argv argv;
    kv::Classification c;
    KeyRef key;
    ReplySlot slot;
    Step step = Step::kCommand;
    std::vector<kv::Argv> transaction = {};  // EXEC's queued commands
    // A restricted ACL user's scripts and transactions: whose rules their commands are
    // checked against at apply time (kv::LogCommand::user). Empty otherwise.
    std::string acl_user = {};
  };
  // MULTI ... EXEC in progress.
  struct Multi {
    bool failed = false;  // a command was refused while queueing: EXEC answers EXECABORT
    std::vector<kv::Argv> commands;
    uint64_t bytes = 0;
    bool at_node = false;  // HELLO, CLIENT, INFO, ... queued: EXEC runs them (exec_at_node)
  };
  struct Connection {
    raft::Index last_write = 0;  // log index of its latest proposed write
    int reads_in_flight = 0;
    // In a blocking command (BLPOP, XREAD BLOCK, ...): everything it sends later waits, as
    // in Redis, reads too (which otherwise need not wait for an earlier read).
    bool blocked = false;
    std::deque<Queued> queued;
    std::optional<Multi> multi;
    // Distinct keys (a set: a WATCH of many keys costs n log n, not n squared).
    std::set<std::string, std::less<>> watched;
    uint64_t watched_bytes = 0;
    raft::Index watch_since = 0;  // they are watched from this log index
    // The applied index at the first WATCH: every later read of the connection is at or
    // past it, whatever becomes of its writes (see run_watch_step).
    raft::Index watch_applied = 0;
    void unwatch() {
      watched.clear();
      watched_bytes = 0;
      watch_since = 0;
      watch_applied = 0;
    }
  };
  // Proposals of expiry ticks that reads wait for (see read_needs_log_time).
  struct ClockTick {
    std::vector<std::function<void(std::optional<RequestError>)>> waiters;
  };

  void dispatch(uint64_t client_id, Queued&& q);
  // WAIT numreplicas timeout (client_service_wait.cc): how many followers hold the
  // connection's writes; `block`: wait for them (up to the timeout), else answer at once.
  void start_wait(uint64_t client_id, Queued&& q, bool block);
  struct Waiting;  // a WAIT that blocks
  // CLIENT UNBLOCK <id> [TIMEOUT|ERROR] (client_service_block.cc).
  void client_unblock(const kv::Argv& argv, ReplySlot& slot);
  // Answers client `id`'s blocking command as its timeout would, or with the UNBLOCKED
  // error; false if the client is not blocked. A command being tried again (a pop
  // proposed, XREADGROUP) is answered so once it comes back empty: what it took, it gets.
  bool unblock_client(uint64_t id, bool error);
  // The same for a blocking WAIT: `error` or, if null, the count its timeout gives.
  bool unblock_wait(uint64_t client_id, const std::string* error);
  void poll_wait(std::shared_ptr<Waiting> w);
  int64_t replicas_holding(raft::Index index) const;
  // Transactions (client_service_tx.cc).
  bool handle_transaction(kv::Argv& argv, const kv::Classification& c, kv::ClientState& client,
                          KeyRef key, ReplySlot& slot);
  void queue_in_multi(Connection& conn, kv::Argv& argv, const kv::Classification& c, KeyRef key,
                      ReplySlot& slot);
  void exec(kv::ClientState& client, const kv::Classification& c, ReplySlot& slot,
            std::string acl_user);
  void run_watch_step(uint64_t client_id, Queued& q);
  // A read of the connection is served now, or one of its writes failed: either may
  // lower the index its WATCH counts changes from (run_watch_step).
  void note_watched_read(uint64_t client_id);
  void note_failed_write(uint64_t client_id);
  // The connection if it is still open and watches keys, else nullptr.
  Connection* watching_connection(uint64_t client_id);
  void start_exec(uint64_t client_id, Queued&& q);
  void propose_each(uint64_t client_id, Queued&& q);  // the exec_not_atomic bug
  void start_read(uint64_t client_id, Queued&& q);
  void start_write(uint64_t client_id, Queued&& q);
  // Proposes `cmd` and answers `slot` with its reply; records the connection's last write.
  // `holds`: a blocking pop, which holds the connection's later commands (hold_connection).
  void propose(uint64_t client_id, kv::LogCommand&& cmd, ReplySlot&& slot, KeyRef key,
               bool holds = false);
  void serve_read(uint64_t client_id, Queued&& q);
  void finish_read(uint64_t client_id);
  // Runs `then` once an expiry tick proposed at or after now has applied.
  // AUTH, and NOAUTH for anything else a client sends before it. True when answered.
  bool handle_auth(const kv::Argv& argv, const kv::Classification& c, kv::ClientState& client,
                   ReplySlot& slot);
  // HELLO [protover [AUTH user pass] [SETNAME name]]: protocol, authentication, name.
  void hello(const kv::Argv& argv, kv::ClientState& client, ReplySlot& slot);
  // HELLO's effects on `client` and its reply, in the protocol it leaves (`slot`: whose
  // refusal ACL LOG records).
  std::string run_hello(const kv::Argv& argv, kv::ClientState& client, const ReplySlot& slot);
  // A command this node answers itself (route kLocal or kServer): CLIENT, CONFIG, INFO, ...
  // `owner`: the slot of the command the client sent (EXEC's, for one queued in MULTI),
  // which tells CLIENT KILL the connection that asked.
  void run_at_node(const kv::Argv& argv, const kv::Classification& c, kv::ClientState& client,
                   ReplySlot& slot, const ReplySlot& owner);
  // EXEC of a transaction with commands in it that this node runs itself (HELLO, CLIENT,
  // INFO, ...: runs_at_exec) (client_service_tx.cc).
  void exec_at_node(kv::ClientState& client, Multi& multi, ReplySlot& slot);
  // The default user needs no password on this node (it is `nopass` and on, and the node
  // has no requirepass): connections are authenticated as it from their first command.
  bool default_user_open() const;
  // AUTH's check: empty when `password` is right for the user, else the error to reply.
  std::string_view authenticate(const kv::Argv& argv,
                                std::shared_ptr<const kv::AclUser>* user) const;
  // NOPERM for a command the connection's (restricted) user may not run. True when answered.
  bool refused_by_acl(const kv::Argv& argv, const kv::Classification& c, kv::ClientState& client,
                      ReplySlot& slot);
  // The name of the user whose rules a script or transaction must be checked against.
  static std::string acl_user_for(const kv::Classification& c, const kv::ClientState& client);
  // The user a read-only script named by Queued::acl_user runs as (null: unchecked).
  std::shared_ptr<const kv::AclUser> acl_user(const std::string& name) const;
  // The same for a queued command (inline: most name no user).
  std::shared_ptr<const kv::AclUser> script_user(const Queued& q) const {
    return q.acl_user.empty() ? nullptr : acl_user(q.acl_user);
  }
  // Whether the command may wait (XREAD/XREADGROUP ... BLOCK): only those go to
  // block_if_empty, so other replies are not inspected.
  static bool may_block(const kv::CommandSpec& spec) {
    return spec.id == kv::CommandId::kXread || spec.id == kv::CommandId::kXreadgroup;
  }
  // Records an ACL refusal for ACL LOG.
  void log_acl(std::string_view reason, std::string_view object, std::string_view username,
               const kv::ClientState& client, const ReplySlot& slot);
  // RESET: as a new connection (no MULTI, WATCH, name, subscriptions, MONITOR, and
  // authenticated again at its next command), answering +RESET.
  void reset(const kv::Argv& argv, kv::ClientState& client, ReplySlot& slot);
  // A command refused inside MULTI discards the transaction (EXECABORT).
  void fail_multi(const kv::ClientState& client);
  // -OOM for a command maxmemory refuses now, else empty.
  std::string memory_refusal(const kv::CommandSpec& spec) const;
  void advance_log_time(uint64_t now_ms, std::function<void(std::optional<RequestError>)> then);

  // XREAD / XREADGROUP BLOCK (client_service_block.cc).
  struct Blocked {
    uint64_t client_id = 0;
    Queued q;
    std::optional<Runtime::Clock::time_point> deadline;  // none: forever
    std::vector<std::string> last_seen;  // each stream's last entry ID, when last looked
    bool retrying = false;  // tried again (a read or a proposal), the outcome not known yet
    std::optional<std::string> unblocked;  // CLIENT UNBLOCK's reply, if it came while retrying
    uint64_t timer = 0;                    // only the latest poll_blocked timer acts
  };
  // For a BLOCK command whose reply is a nil array: waits instead, taking `q`; false for
  // any other command or reply. The connection counts as having a read in flight.
  bool block_if_empty(uint64_t client_id, Queued& q, const std::string& reply);
  void poll_blocked(std::shared_ptr<Blocked> b);
  void retry_blocked(std::shared_ptr<Blocked> b);
  void unblock(const std::shared_ptr<Blocked>& b, std::string reply);
  // The ID of the last entry of the stream at `key` ("" if none), as applied here.
  std::string last_entry_id(const std::string& key) const;
  bool streams_changed(Blocked& b) const;
  // After writes this node applied: tries again each waiting XREAD/XREADGROUP whose
  // streams changed (the timer only backs this up, and answers timeouts).
  void wake_stream_readers();

  // BLPOP and the other blocking pops (client_service_pop.cc).
  struct PopWaiter {
    uint64_t client_id = 0;
    Queued q;
    std::optional<Runtime::Clock::time_point> deadline;  // none: forever
    kv::PopBlock block;
    bool in_flight = false;  // its command is proposed again, the outcome not known yet
    std::optional<std::string> unblocked;  // CLIENT UNBLOCK's reply, if it came in flight
  };
  using PopWaiters = std::map<uint64_t, std::shared_ptr<PopWaiter>>;  // in blocking order
  // For a blocking pop whose reply was nil: waits instead, taking `q`; false for any
  // other command or reply. The connection stays held (hold_connection).
  bool block_pop(uint64_t client_id, Queued& q, const std::string& reply);
  // A blocking pop that arrives while others wait on one of its keys joins the queue
  // behind them without trying first (an element pushed meanwhile is theirs); true if so.
  bool wait_behind_others(uint64_t client_id, Queued& q);
  bool enqueue_pop(uint64_t client_id, Queued& q);
  // From the proposal of a blocking pop until it is answered, the connection's later
  // commands wait (Connection::blocked).
  void hold_connection(uint64_t client_id);
  void release_connection(uint64_t client_id);
  // A write applied: sweeps the waiters soon (the only cost when none wait: one compare).
  void wake_pops() {
    if (!pop_waiters_.empty() || !stream_waiters_.empty()) post_pop_sweep();
  }
  void post_pop_sweep();
  void arm_pop_tick();
  // Serves, times out or redirects waiters, in order; `check_keys`: looks for elements.
  void sweep_pops(bool check_keys);
  void propose_pop(uint64_t seq);
  // The outcome of a waiter's command, proposed again: its reply, or wait on.
  void pop_outcome(uint64_t seq, std::optional<RequestError> err, const std::string& reply);
  // Answers the waiter at `it` and forgets it.
  PopWaiters::iterator end_pop(PopWaiters::iterator it, std::string reply);
  // How many elements the list (or sorted set) at `key` has, as applied here.
  int64_t pop_size(const std::string& key, bool zset) const;

  Runtime& rt_;
  RaftDriver& driver_;
  kv::StateMachine& machine_;
  ServerStats& stats_;
  Hooks hooks_;
  InjectedBugs bugs_;
  // By client id, from its first read or write until it disconnects (one lookup per
  // command, no allocation after the first).
  std::unordered_map<uint64_t, Connection> connections_;
  std::shared_ptr<ClockTick> clock_tick_;  // the tick in flight, if any
  Liveness life_;   // for timers that may outlive this object (blocked commands)
  AclLog acl_log_;  // this node's ACL refusals (ACL LOG)
  PopWaiters pop_waiters_;
  std::set<std::shared_ptr<Blocked>> stream_waiters_;   // XREAD/XREADGROUP BLOCK
  std::map<uint64_t, std::shared_ptr<Waiting>> waits_;  // blocking WAITs, by client id
  uint64_t next_pop_seq_ = 0;
  uint64_t pop_ticks_ = 0;
  bool pop_sweep_posted_ = false;
  bool pop_tick_armed_ = false;
};

}  // namespace raftkv::server
