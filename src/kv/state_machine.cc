#include "kv/state_machine.h"

#include <algorithm>
#include <span>

#include "kv/acl_commands.h"
#include "kv/commands.h"
#include "kv/data_commands.h"
#include "kv/int_parse.h"
#include "kv/transaction.h"

namespace raftkv::kv {

StateMachine::StateMachine(StateMachineOptions options)
    : options_(options), sessions_(options.sessions), scripts_{{}, options.scripts, {}} {}

std::string StateMachine::apply(uint64_t index, std::string_view entry) {
  if (index <= applied_index_) return {};
  applied_index_ = index;
  if (entry.empty()) return {};  // a new leader's no-op
  const auto command = decode_log_command(entry);
  if (!command) return encode_error("ERR corrupt log entry");
  log_time_ms_ = std::max(log_time_ms_, command->time_ms);
  sessions_.expire(log_time_ms_);
  store_.set_change_index(index);  // what this entry changes, it changes at `index` (WATCH)
  return apply_command(index, *command);
}

void StateMachine::prefetch(std::span<const std::string_view> entries) const {
  constexpr size_t kMaxBatch = 64;
  std::string_view keys[kMaxBatch];
  size_t n = 0;
  for (std::string_view entry : entries) {
    if (n == kMaxBatch) break;
    if (auto key = peek_log_command_key(entry)) keys[n++] = *key;
  }
  store_.prefetch(std::span<const std::string_view>(keys, n));
}

std::string StateMachine::apply_command(uint64_t index, const LogCommand& command) {
  // The proposer classified this command already; checking again costs little and makes
  // the outcome of any entry, however it got into the log, the same everywhere.
  const Classification c = classify(command.argv);
  // Every entry first removes some keys that are due at its log time; an expiry tick (a
  // PING entry, which only carries log time forward) removes more, and nothing else.
  const bool tick = c.ok() && c.spec->id == CommandId::kPing && command.session_id == 0;
  store_.purge_expired(log_time_ms_, tick ? kExpiredKeysPurgedPerTick : kExpiredKeysPurgedPerEntry);
  if (!c.ok()) return encode_error(c.error);
  if (tick) return encode_simple("PONG");
  if (c.route != Route::kWrite || c.spec->id == CommandId::kSeq) {
    return encode_error("ERR not a write command");
  }
  if (c.spec->id == CommandId::kSession) {
    // SESSION OPEN → the new session's id, which is this entry's index.
    if (command.argv.size() == 2) {
      sessions_.open(index, index, log_time_ms_);
      return encode_integer(static_cast<int64_t>(index));
    }
    // SESSION CLOSE <id> → 1 if it was open.
    const uint64_t id = *parse_uint64(command.argv[2]);  // validated by classify()
    return encode_integer(sessions_.close(id) ? 1 : 0);
  }

  if (command.session_id == 0) return execute(index, command, *c.spec);
  Session* session = sessions_.find(command.session_id);
  if (session == nullptr) {
    return encode_error("ERR unknown session: never opened, closed or expired");
  }
  if (command.seq < session->last_seq) {
    sessions_.touch(command.session_id, index, log_time_ms_);
    return encode_error("ERR stale sequence number");
  }
  if (command.seq == session->last_seq) {
    // A retry of the last write: answer as the first time, apply nothing.
    sessions_.touch(command.session_id, index, log_time_ms_);
    return session->last_reply;
  }
  std::string reply = execute(index, command, *c.spec);
  session->last_seq = command.seq;
  session->last_reply = reply;
  sessions_.touch(command.session_id, index, log_time_ms_);
  return reply;
}

std::string StateMachine::execute(uint64_t index, const LogCommand& command,
                                  const CommandSpec& spec) {
  std::string reply;
  RespWriter out(&reply);
  // A restricted user's scripts are checked command by command against its rules as they
  // are at this entry (a user deleted meanwhile may run nothing): the same everywhere.
  static const AclUser kNobody = make_acl_user("");
  std::shared_ptr<const AclUser> user = command.user.empty() ? nullptr : acl_.find(command.user);
  const AclUser* acl_user = command.user.empty() ? nullptr : user ? user.get() : &kNobody;
  const WriteContext ctx{log_time_ms_, index, acl_user, publish_sink_};
  if (spec.id == CommandId::kAcl) {
    execute_acl_write(acl_, command.argv, &out);
  } else if (is_script_command(spec.id)) {
    execute_script_write(store_, scripts_, spec, command.argv, ctx, &out);
  } else if (spec.id != CommandId::kExec) {
    execute_write(store_, spec, command.argv, ctx, &out);
  } else if (command.transaction) {
    run_transaction(store_, scripts_, command, ctx, &out);
  } else {
    out.error("ERR EXEC entry without a transaction");  // a plain "EXEC" entry: refuse it
  }
  return reply;
}

LogCommand expiry_tick_command(uint64_t now_ms) {
  LogCommand tick;
  tick.time_ms = now_ms;
  tick.argv = {"PING"};
  return tick;
}

void StateMachine::read(const Argv& argv, uint64_t now_ms, RespWriter* out,
                        const AclUser* user) const {
  const Classification c = classify(argv);
  if (!c.ok()) return out->error(c.error);
  if (c.route != Route::kRead) return out->error("ERR not a read command");
  read_classified(*c.spec, argv, now_ms, out, user);
}

void StateMachine::read_classified(const CommandSpec& spec, const Argv& argv, uint64_t now_ms,
                                   RespWriter* out, const AclUser* user) const {
  if (spec.id == CommandId::kAcl) return execute_acl_read(acl_, argv, out);
  if (is_script_command(spec.id)) {
    return execute_script_read(store_, scripts_, spec, argv, std::max(now_ms, log_time_ms_), out,
                               user);
  }
  execute_read(store_, spec, argv, std::max(now_ms, log_time_ms_), out);
}

std::string StateMachine::read(const CommandSpec& spec, const Argv& argv, uint64_t now_ms,
                               const AclUser* user) const {
  std::string reply;
  RespWriter out(&reply);
  read_classified(spec, argv, now_ms, &out, user);
  return reply;
}

bool StateMachine::read_needs_log_time(const CommandSpec& spec, const Argv& argv,
                                       uint64_t now_ms) const {
  if (now_ms <= log_time_ms_ || store_.expires() == 0) return false;
  if (spec.first_key <= 0) return store_.any_due_between(log_time_ms_, now_ms);
  const long n = static_cast<long>(argv.size());
  const long last = std::min<long>(spec.last_key < 0 ? n + spec.last_key : spec.last_key, n - 1);
  const long step = std::max(spec.key_step, 1);
  for (long i = spec.first_key; i <= last; i += step) {
    const uint64_t at = store_.expire_at(argv[static_cast<size_t>(i)]);
    if (at > log_time_ms_ && at <= now_ms) return true;
  }
  return false;
}

std::string StateMachine::read(const Argv& argv, uint64_t now_ms, const AclUser* user) const {
  std::string reply;
  RespWriter out(&reply);
  read(argv, now_ms, &out, user);
  return reply;
}

}  // namespace raftkv::kv
