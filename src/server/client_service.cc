#include "server/client_service.h"

#include <algorithm>
#include <cctype>

#include "kv/key_specs.h"
#include "kv/pubsub.h"
#include "kv/resp3.h"
#include "kv/resp_writer.h"
#include "kv/scripting.h"
#include "kv/transaction.h"
#include "server/client_limits.h"
#include "server/hash_slot.h"
#include "server/memory_limit.h"

namespace raftkv::server {

namespace {

// CLIENT LIST (no arguments) or CLIENT KILL (any): the server's, which knows every connection.
bool is_client_command(const kv::Classification& c, const kv::Argv& argv, std::string_view sub) {
  if (c.spec->id != kv::CommandId::kClient || argv.size() < 2) return false;
  if (sub == "list" && argv.size() != 2) return false;
  std::string name = argv[1];
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name == sub;
}

bool is_pubsub_command(kv::CommandId id) {
  using enum kv::CommandId;
  return id == kSubscribe || id == kUnsubscribe || id == kPsubscribe || id == kPunsubscribe ||
         id == kSsubscribe || id == kSunsubscribe || id == kPubsub;
}

// What a connection in subscribed mode may run (RESP2), as in Redis.
bool allowed_when_subscribed(kv::CommandId id) {
  using enum kv::CommandId;
  return id == kSubscribe || id == kUnsubscribe || id == kPsubscribe || id == kPunsubscribe ||
         id == kSsubscribe || id == kSunsubscribe || id == kPing || id == kQuit || id == kReset;
}

}  // namespace

ClientService::ClientService(Runtime& runtime, RaftDriver& driver, kv::StateMachine& machine,
                             ServerStats& stats, Hooks hooks, InjectedBugs bugs)
    : rt_(runtime),
      driver_(driver),
      machine_(machine),
      stats_(stats),
      hooks_(std::move(hooks)),
      bugs_(bugs) {}

std::string ClientService::redirect_error(RequestError e, uint16_t key_slot) const {
  if (e == RequestError::kNotLeader && hooks_.client_address) {
    if (auto addr = hooks_.client_address(driver_.leader())) {
      return kv::encode_error("MOVED " + std::to_string(key_slot) + " " + *addr);
    }
  }
  if (e == RequestError::kStorage) {
    return kv::encode_error("ERR this node's storage failed; it no longer serves requests");
  }
  return kv::encode_error("CLUSTERDOWN no leader");
}

std::string ClientService::request_error(RequestError e, uint16_t key_slot) const {
  switch (e) {
    case RequestError::kNotLeader:
    case RequestError::kNoLeader:
      return redirect_error(e, key_slot);
    case RequestError::kLost:
      return kv::encode_error("TRYAGAIN the write was lost in a leader change and not executed");
    case RequestError::kUnknown:
    case RequestError::kStorage:
      return kv::encode_error(
          "UNKNOWN outcome unknown: leadership or storage was lost before the write was "
          "confirmed; it may or may not have been applied");
    case RequestError::kTimeout:
      return kv::encode_error("TRYAGAIN the read could not be confirmed in time; not executed");
    case RequestError::kBusy:
      return kv::encode_error(
          "TRYAGAIN a membership change or leadership transfer is in progress; not executed");
    case RequestError::kInvalid:
      return kv::encode_error("ERR invalid configuration; not executed");
  }
  return kv::encode_error("ERR internal error");
}

void ClientService::handle(kv::Argv argv, kv::ClientState& client, ReplySlot slot) {
  const auto arrived = slot.arrival_or_now();  // the command's time starts (SLOWLOG, INFO)
  ++stats_.total_commands;
  kv::Classification c = kv::classify(argv);
  // Inside MULTI a command with bad arguments is queued, and its error becomes its reply
  // within EXEC's while the others run (kv::refused_when_queued).
  if (!c.ok() && (!client.in_multi || kv::refused_when_queued(c))) {
    ++stats_.errors;
    // Refused before executing: counted as a rejected call of the command it names.
    const kv::CommandSpec* named = argv.empty() ? nullptr : kv::find_command(argv[0]);
    slot.account_into(&stats_, c.spec ? c.spec : named, arrived, /*rejected=*/true);
    fail_multi(client);
    slot.complete(kv::encode_error(c.error));
    return;
  }
  slot.account_into(&stats_, c.spec, arrived);  // /metrics, INFO commandstats, SLOWLOG
  // (In RESP2's subscribed mode HELLO is refused below, as in Redis.)
  if (c.spec->id == kv::CommandId::kHello && !client.in_multi &&
      (client.subscriptions == 0 || client.protocol == 3)) {
    return hello(argv, client, slot);
  }
  if (client.protocol == 3) [[unlikely]] {  // made as RESP2, converted when completed
    slot.use_resp3(kv::resp3_shape(*c.spec, std::span(argv).subspan(c.command_offset)));
  } else if (kv::is_script_command(c.spec->id) || c.spec->id == kv::CommandId::kExec) {
    slot.use_resp2();  // a script's reply may hold RESP3 types (redis.setresp(3), {map=...})
  }
  // An authenticated client's command other than AUTH has nothing to check (inline).
  // (In subscribed mode AUTH is refused below, as in Redis.)
  const bool auth_step =
      (c.spec->id == kv::CommandId::kAuth && client.subscriptions == 0) || !client.authenticated;
  if (auth_step && handle_auth(argv, c, client, slot)) return;
  // One load and one branch for an unrestricted user (the default user as it starts).
  if (const kv::AclUser* user = client.user.get(); user != nullptr && !user->unrestricted) {
    if (refused_by_acl(argv, c, client, slot)) return;
  }
  // Subscribed mode (RESP2): only the pub/sub commands, PING, QUIT and RESET (inline).
  if (client.subscriptions != 0 && client.protocol == 2 && !allowed_when_subscribed(c.spec->id)) {
    ++stats_.errors;
    const auto args = std::span<const std::string>(argv).subspan(c.command_offset);
    slot.complete(kv::encode_error(kv::subscribed_mode_error(kv::acl_command_name(*c.spec, args))));
    return;
  }
  // The first key names the slot a -MOVED reply must name. It is at the table's fixed
  // position unless the command's keys move (kv::first_key_at; the key finder, which
  // ACL and COMMAND GETKEYS use, only for those: it costs ~130 instructions a command).
  const size_t key_at =
      kv::first_key_at(*c.spec, std::span<const std::string>(argv).subspan(c.command_offset));
  const size_t first_key = c.command_offset + key_at;
  const KeyRef key{
      key_at > 0 && first_key < argv.size() ? static_cast<uint32_t>(argv.size() - first_key) : 0};
  if (c.spec->id == kv::CommandId::kReset) return reset(argv, client, slot);  // even in MULTI
  const bool tx_step = client.in_multi || (c.spec->id >= kv::CommandId::kMulti &&
                                           c.spec->id <= kv::CommandId::kUnwatch);
  if (tx_step && handle_transaction(argv, c, client, key, slot)) return;
  switch (c.route) {
    case kv::Route::kLocal:
    case kv::Route::kServer:
      if (c.spec->id == kv::CommandId::kWait) {  // in order behind the connection's writes
        return dispatch(client.id, Queued{std::move(argv), c, {}, std::move(slot), Step::kWait});
      }
      run_at_node(argv, c, client, slot, slot);
      return;
    case kv::Route::kRead:
    case kv::Route::kWrite: {
      // Only a restricted user's EXEC or script carries its name (inline: the common case).
      std::string acl_user = client.user == nullptr || client.user->unrestricted
                                 ? std::string()
                                 : acl_user_for(c, client);
      dispatch(client.id, Queued{std::move(argv),
                                 std::move(c),
                                 key,
                                 std::move(slot),
                                 Step::kCommand,
                                 {},
                                 std::move(acl_user)});
      return;
    }
  }
}

void ClientService::run_at_node(const kv::Argv& argv, const kv::Classification& c,
                                kv::ClientState& client, ReplySlot& slot, const ReplySlot& owner) {
  if (is_client_command(c, argv, "list") && hooks_.client_list) {
    slot.complete(kv::encode_bulk(hooks_.client_list()), argv);  // needs every connection
    return;
  }
  if (is_client_command(c, argv, "info") && argv.size() == 2 && hooks_.client_info) {
    slot.complete(kv::encode_bulk(hooks_.client_info(client.id)), argv);
    return;
  }
  if (is_client_command(c, argv, "unblock")) return client_unblock(argv, slot);
  if (is_client_command(c, argv, "kill") && hooks_.client_kill) {
    slot.complete(hooks_.client_kill(argv, owner), argv);  // needs every connection
    return;
  }
  if (c.spec->id == kv::CommandId::kWait) {  // inside EXEC, which never blocks (as Redis)
    return start_wait(client.id, Queued{argv, c, {}, std::move(slot), Step::kWait},
                      /*block=*/false);
  }
  if (c.route == kv::Route::kLocal) {
    std::string out;
    kv::RespWriter w(&out);
    kv::execute_local(*c.spec, argv, &client, &w);
    slot.complete(std::move(out), argv);
    return;
  }
  if (c.spec->id == kv::CommandId::kAcl) {  // ACL LOG: the log is this class's
    slot.complete(acl_log_.reply(argv, ReplySlot::Clock::now()), argv);
    return;
  }
  if (is_pubsub_command(c.spec->id) && hooks_.pubsub) {
    hooks_.pubsub(argv, *c.spec, client, slot);
    return;
  }
  if (hooks_.server_command) {
    slot.keep_argv(argv);  // some complete later (RAFT); not the data path
    hooks_.server_command(argv, *c.spec, slot);
  } else {
    slot.complete(kv::encode_error("ERR unsupported command"));
  }
}

void ClientService::dispatch(uint64_t client_id, Queued&& q) {
  auto it = connections_.find(client_id);
  if (it != connections_.end() && (!it->second.queued.empty() || it->second.blocked)) {
    it->second.queued.push_back(std::move(q));  // behind an earlier held-back command
    return;
  }
  if (q.step == Step::kWait) return start_wait(client_id, std::move(q), /*block=*/true);
  if (q.step != Step::kCommand) {
    run_watch_step(client_id, q);
    return;
  }
  if (q.c.route == kv::Route::kRead) {
    start_read(client_id, std::move(q));
    return;
  }
  if (it != connections_.end() && it->second.reads_in_flight > 0) {
    it->second.queued.push_back(std::move(q));  // an earlier read must not see this write
    return;
  }
  start_write(client_id, std::move(q));
}

void ClientService::start_read(uint64_t client_id, Queued&& q) {
  if (q.c.spec->id == kv::CommandId::kDebug) {
    // DEBUG DIGEST describes this replica's own state (to compare replicas at equal
    // applied index), so every node answers it locally.
    q.slot.complete(machine_.read(q.argv), q.argv);
    return;
  }
  if (auto err = driver_.unavailable()) {
    ++stats_.redirects;
    q.slot.complete(redirect_error(*err, q.key.slot(q.argv)),
                    q.argv);  // not executed: go elsewhere
    return;
  }
  Connection& conn = connections_[client_id];
  ++conn.reads_in_flight;
  const raft::Index floor = bugs_.ignore_write_floor ? 0 : conn.last_write;
  // (Known here, where the connection is at hand: the read path stays one lookup.)
  const bool watching = !conn.watched.empty();
  driver_.read(
      [this, client_id, watching, q = std::move(q)](std::optional<RequestError> err) mutable {
        if (err) {
          ++stats_.errors;
          q.slot.complete(request_error(*err, q.key.slot(q.argv)), q.argv);
          finish_read(client_id);
          return;
        }
        // A WATCH counts changes from no later than this read (run_watch_step).
        if (watching) note_watched_read(client_id);
        serve_read(client_id, std::move(q));
      },
      floor);
}

void ClientService::serve_read(uint64_t client_id, Queued&& q) {
  if (q.c.command_offset > 0) {  // a prefix (the session extension) to strip
    q.argv.erase(q.argv.begin(), q.argv.begin() + static_cast<long>(q.c.command_offset));
  }
  const uint64_t now = rt_.wall_ms();
  if (bugs_.expiry_on_local_clock || !machine_.read_needs_log_time(*q.c.spec, q.argv, now)) {
    ++stats_.reads_ok;
    std::string reply = machine_.read(*q.c.spec, q.argv, now, script_user(q).get());
    // XREAD BLOCK: finish_read when done.
    if (may_block(*q.c.spec) && block_if_empty(client_id, q, reply)) return;
    q.slot.complete(std::move(reply), q.argv);
    finish_read(client_id);
    return;
  }
  // A key it names expired by this node's clock but not yet in log time: move log time
  // forward through the log first, then read at log time.
  advance_log_time(now, [this, client_id, q = std::move(q)](std::optional<RequestError> err) {
    if (err) {
      ++stats_.errors;
      // The tick is a write, but this is a read: it either redirects or was not served.
      const bool redirect = *err == RequestError::kNotLeader || *err == RequestError::kNoLeader ||
                            *err == RequestError::kStorage;
      q.slot.complete(request_error(redirect ? *err : RequestError::kTimeout, q.key.slot(q.argv)),
                      q.argv);
    } else {
      ++stats_.reads_ok;
      q.slot.complete(machine_.read(*q.c.spec, q.argv, 0, script_user(q).get()), q.argv);
    }
    finish_read(client_id);
  });
}

std::shared_ptr<const kv::AclUser> ClientService::acl_user(const std::string& name) const {
  if (name.empty()) return nullptr;
  // A user deleted since the command arrived may run nothing, as at apply time.
  static const auto kNobody = std::make_shared<const kv::AclUser>(kv::make_acl_user(""));
  auto user = machine_.acl().find(name);
  return user ? user : kNobody;
}

void ClientService::finish_read(uint64_t client_id) {
  auto it = connections_.find(client_id);
  if (it == connections_.end()) return;  // disconnected meanwhile
  --it->second.reads_in_flight;
  // Held-back commands go now, in order, until one has to wait again. (A start_* may
  // answer at once and re-enter here, so the entry is looked up again each time.)
  while (it != connections_.end() && it->second.reads_in_flight == 0 &&
         !it->second.queued.empty()) {
    Queued q = std::move(it->second.queued.front());
    it->second.queued.pop_front();
    if (q.step == Step::kWait) {
      start_wait(client_id, std::move(q), /*block=*/true);
    } else if (q.step != Step::kCommand) {
      run_watch_step(client_id, q);
    } else if (q.c.route == kv::Route::kRead) {
      start_read(client_id, std::move(q));
    } else {
      start_write(client_id, std::move(q));
    }
    it = connections_.find(client_id);
  }
}

void ClientService::start_write(uint64_t client_id, Queued&& q) {
  if (auto err = driver_.unavailable()) {
    ++stats_.redirects;
    q.slot.complete(redirect_error(*err, q.key.slot(q.argv)),
                    q.argv);  // not executed: go elsewhere
    return;
  }
  if (q.c.spec->id == kv::CommandId::kExec) return start_exec(client_id, std::move(q));
  if (bugs_.pop_without_log && q.c.spec->id == kv::CommandId::kLpop &&
      q.argv.size() == q.c.command_offset + 2) {
    // The injected bug: the head is handed out, but no log entry removes it.
    return q.slot.complete(machine_.read({"LINDEX", q.argv[q.c.command_offset + 1], "0"}), q.argv);
  }
  if (std::string oom = memory_refusal(*q.c.spec); !oom.empty()) {
    ++stats_.errors;
    return q.slot.complete(std::move(oom));
  }
  const bool holds = (q.c.spec->flags & kv::kFlagBlocking) != 0 && q.c.session_id == 0;
  if (holds && wait_behind_others(client_id, q)) return;
  kv::LogCommand cmd = kv::make_log_command(std::move(q.argv), q.c, rt_.wall_ms());
  cmd.user = std::move(q.acl_user);
  if (uint64_t bytes = encoded_size_bound(cmd.argv); bytes > kMaxCommandBytes) {
    ++stats_.errors;  // such an entry could never reach the followers
    q.slot.complete(kv::encode_error(command_too_large_error(bytes)), cmd.argv);
    return;
  }
  if (holds) hold_connection(client_id);
  propose(client_id, std::move(cmd), std::move(q.slot), q.key, holds);
}

void ClientService::propose(uint64_t client_id, kv::LogCommand&& cmd, ReplySlot&& slot, KeyRef key,
                            bool holds) {
  std::string entry = kv::encode_log_command(cmd);
  // The arguments ride along (moved, not copied) for the slow log.
  std::optional<raft::Index> index = driver_.propose(
      std::move(entry), [this, client_id, slot = std::move(slot), key, holds,
                         argv = std::move(cmd.argv), session = cmd.session_id](
                            std::optional<RequestError> err, const std::string& reply) mutable {
        if (err) {
          ++stats_.proposals_failed;  // for /metrics
          if (*err == RequestError::kUnknown) ++stats_.unknown_outcomes;
          ++stats_.errors;
          note_failed_write(client_id);  // a WATCH may have counted from its index
          slot.complete(request_error(*err, key.slot(argv)), argv);
          if (holds) release_connection(client_id);
          return;
        }
        ++stats_.writes_ok;
        wake_pops();
        if (holds) {  // a blocking pop: waits if it found nothing
          kv::Classification c = kv::classify(argv);
          Queued q{std::move(argv), std::move(c), key, std::move(slot)};
          if (block_pop(client_id, q, reply)) return;
          q.slot.complete(reply, q.argv);
          return release_connection(client_id);
        }
        if (reply.size() == 5 && session == 0 && reply == "*-1\r\n") {  // XREADGROUP BLOCK?
          kv::Classification c = kv::classify(argv);
          Queued q{std::move(argv), std::move(c), key, std::move(slot)};
          if (!block_if_empty(client_id, q, reply)) q.slot.complete(reply, q.argv);
          return;
        }
        slot.complete(reply, argv);
      });
  if (index && *index > driver_.applied_index()) connections_[client_id].last_write = *index;
}

bool ClientService::default_user_open() const {
  const kv::AclUser& user = *machine_.acl().default_user();
  const bool requirepass = hooks_.password != nullptr && hooks_.password->required();
  return user.enabled && user.nopass && !requirepass;
}

bool ClientService::handle_auth(const kv::Argv& argv, const kv::Classification& c,
                                kv::ClientState& client, ReplySlot& slot) {
  if (c.spec->id != kv::CommandId::kAuth) {
    if (client.authenticated) return false;
    // As Redis: unknown commands and wrong arities were answered already; QUIT needs no AUTH.
    if (default_user_open()) {
      client.authenticated = true;
      client.user = machine_.acl().default_user();
      return false;
    }
    if (c.spec->id == kv::CommandId::kQuit || c.spec->id == kv::CommandId::kReset) return false;
    ++stats_.errors;
    slot.complete(kv::encode_error(kNoAuthError));
    return true;
  }
  if (argv.size() > 3) {
    slot.complete(kv::encode_error("ERR syntax error"));
    return true;
  }
  std::shared_ptr<const kv::AclUser> user;
  const std::string_view error = authenticate(argv, &user);
  if (!error.empty()) {
    ++stats_.errors;
    if (error == kWrongPassError)
      log_acl("auth", "AUTH", argv.size() == 3 ? argv[1] : "default", client, slot);
    slot.complete(kv::encode_error(error));
    return true;
  }
  client.authenticated = true;
  client.user = std::move(user);
  slot.complete(kv::encode_simple("OK"));
  return true;
}

void ClientService::hello(const kv::Argv& argv, kv::ClientState& client, ReplySlot& slot) {
  slot.complete(run_hello(argv, client, slot));
}

std::string ClientService::run_hello(const kv::Argv& argv, kv::ClientState& client,
                                     const ReplySlot& slot) {
  const kv::HelloRequest request = kv::parse_hello(argv);
  const auto fail = [&](std::string_view error) {
    ++stats_.errors;
    return kv::encode_error(error);
  };
  if (!request.error.empty()) return fail(request.error);
  // Each option takes effect in order, as in Redis (even before a later one fails).
  for (const kv::HelloStep& step : request.steps) {
    if (step.kind == kv::HelloStep::kError) return fail(step.value);
    if (step.kind == kv::HelloStep::kSetName) {
      if (std::string_view error = kv::client_name_error(step.value); !error.empty()) {
        return fail(error);
      }
      client.name = step.value;
      continue;
    }
    std::shared_ptr<const kv::AclUser> user;
    const std::string_view error = authenticate(kv::Argv{"AUTH", step.value, step.password}, &user);
    if (!error.empty()) {
      log_acl("auth", "HELLO", step.value, client, slot);
      return fail(error);
    }
    client.authenticated = true;
    client.user = std::move(user);
  }
  if (!client.authenticated && default_user_open()) {
    client.authenticated = true;
    client.user = machine_.acl().default_user();
  }
  if (!client.authenticated) return fail(kv::kHelloNoAuthError);
  if (request.protocol != 0) client.protocol = request.protocol;
  std::string out;
  kv::RespWriter w(&out);
  const kv::HelloInfo info{kv::kRedisVersion, "cluster",
                           driver_.is_leader() ? "master" : "replica"};
  kv::write_hello(&w, client.protocol, client.id, info);
  if (client.protocol == 3) kv::to_resp3(&out, kv::Resp3Shape::kMap);
  return out;
}

std::string_view ClientService::authenticate(const kv::Argv& argv,
                                             std::shared_ptr<const kv::AclUser>* out) const {
  // The default user's password is the replicated one or, on top, this node's requirepass
  // (a node option, as in Redis's config file).
  const bool requirepass = hooks_.password != nullptr && hooks_.password->required();
  const std::shared_ptr<kv::AclUser>& default_user = machine_.acl().default_user();
  if (argv.size() == 2 && default_user->nopass && !requirepass) return kNoPasswordError;
  std::shared_ptr<const kv::AclUser> user =
      argv.size() == 3 ? machine_.acl().find(argv[1]) : default_user;
  if (user == nullptr || !user->enabled) return kWrongPassError;
  const bool is_default = user == default_user;
  const std::string& password = argv.back();
  const bool ok =
      (user->nopass && !(is_default && requirepass)) ||
      (is_default && requirepass && hooks_.password->authenticate("default", password).empty()) ||
      kv::acl_password_matches(*user, password);
  if (!ok) return kWrongPassError;
  *out = std::move(user);
  return {};
}

bool ClientService::refused_by_acl(const kv::Argv& argv, const kv::Classification& c,
                                   kv::ClientState& client, ReplySlot& slot) {
  if (client.user->deleted) {
    // Redis disconnects the clients of a deleted user; without a way to, ask for AUTH.
    client.user = nullptr;
    client.authenticated = false;
    ++stats_.errors;
    if (hooks_.close_client) hooks_.close_client(slot);
    slot.complete(kv::encode_error(kNoAuthError));
    return true;
  }
  const auto args = std::span<const std::string>(argv).subspan(c.command_offset);
  const kv::AclVerdict verdict = kv::check_acl(*client.user, *c.spec, args);
  if (verdict.denial == kv::AclDenial::kNone) return false;
  ++stats_.errors;
  const bool key = verdict.denial == kv::AclDenial::kKey;
  const bool channel = verdict.denial == kv::AclDenial::kChannel;
  log_acl(
      key       ? "key"
      : channel ? "channel"
                : "command",
      key || channel ? std::string(args[verdict.key_index]) : kv::acl_command_name(*c.spec, args),
      client.user->name, client, slot);
  fail_multi(client);  // as Redis: refused when queued, so EXEC answers EXECABORT
  slot.complete(kv::encode_error(kv::acl_denied_error(verdict.denial, *c.spec, args)));
  return true;
}

std::string ClientService::acl_user_for(const kv::Classification& c,
                                        const kv::ClientState& client) {
  if (client.user == nullptr || client.user->unrestricted) return {};
  const kv::CommandId id = c.spec->id;
  const bool runs_commands =
      id == kv::CommandId::kExec || (kv::is_script_command(id) && !kv::is_script_admin_command(id));
  return runs_commands ? client.user->name : std::string();
}

void ClientService::log_acl(std::string_view reason, std::string_view object,
                            std::string_view username, const kv::ClientState& client,
                            const ReplySlot& slot) {
  // Redis's client-info is a CLIENT LIST line; this one has the fields that identify it.
  std::string info = "id=" + std::to_string(client.id);
  if (slot.target()) info += " addr=" + slot.target()->client_addr();
  info += " name=" + client.name + " user=" + (client.user ? client.user->name : "default");
  acl_log_.add(reason, client.in_multi ? "multi" : "toplevel", object, username, std::move(info),
               ReplySlot::Clock::now());
}

void ClientService::reset(const kv::Argv& argv, kv::ClientState& client, ReplySlot& slot) {
  if (auto it = connections_.find(client.id); it != connections_.end()) {
    it->second.multi.reset();
    it->second.unwatch();
  }
  client.in_multi = false;
  client.name.clear();
  if (hooks_.reset) hooks_.reset(client, slot);
  client.authenticated = false;  // as the default user, at its next command (or AUTH)
  client.user = nullptr;
  slot.complete(kv::encode_simple("RESET"), argv);
}

void ClientService::fail_multi(const kv::ClientState& client) {
  if (!client.in_multi) return;
  if (auto it = connections_.find(client.id); it != connections_.end() && it->second.multi) {
    it->second.multi->failed = true;
  }
}

std::string ClientService::memory_refusal(const kv::CommandSpec& spec) const {
  if (!hooks_.out_of_memory || !kv::denied_when_out_of_memory(spec)) return {};
  return hooks_.out_of_memory() ? kv::encode_error(kOomError) : std::string();
}

void ClientService::advance_log_time(uint64_t now_ms,
                                     std::function<void(std::optional<RequestError>)> then) {
  // Reads that need a tick while one is in flight share it: it applies after they were
  // confirmed, and they then read at the log time it leaves behind. That is the time of
  // a point inside each read's own interval, which is all linearizability asks.
  if (clock_tick_) {
    clock_tick_->waiters.push_back(std::move(then));
    return;
  }
  auto tick = std::make_shared<ClockTick>();
  tick->waiters.push_back(std::move(then));
  clock_tick_ = tick;
  driver_.propose(kv::encode_log_command(kv::expiry_tick_command(now_ms)),
                  [this, tick](std::optional<RequestError> err, const std::string&) {
                    if (clock_tick_ == tick) clock_tick_.reset();
                    for (auto& waiter : tick->waiters) waiter(err);
                  });
}

}  // namespace raftkv::server
