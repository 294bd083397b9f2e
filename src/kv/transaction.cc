#include "kv/transaction.h"

#include "kv/acl.h"
#include "kv/ascii.h"
#include "kv/data_commands.h"
#include "kv/key_specs.h"
#include "kv/local_commands.h"

namespace raftkv::kv {

std::string transaction_queue_error(const Classification& c) {
  if (c.session_id != 0) return "ERR SEQ is not allowed inside MULTI";
  switch (c.spec->id) {
    case CommandId::kPing:
    case CommandId::kEcho:
    case CommandId::kSelect:
    case CommandId::kUnwatch:  // +OK at EXEC, which unwatches anyway
      return {};
    case CommandId::kSession:
    case CommandId::kDebug:
    case CommandId::kAcl:  // users change through their own entries
      break;
    default:
      if (c.route == Route::kRead || c.route == Route::kWrite) return {};
      break;
  }
  return "ERR Command not allowed inside a transaction";
}

std::string queued_subcommand_error(const CommandSpec& spec, std::span<const std::string> argv) {
  const std::string container(spec.name);
  if (argv.size() < 2 || find_key_specs(container + "|help") == nullptr) return {};
  const std::string name = container + "|" + ascii_lower(argv[1]);
  if (name == "client|setinfo") return {};  // Redis 7.2's, which client libraries send
  const NamedKeySpecs* named = find_key_specs(name);
  if (named == nullptr) return unknown_subcommand_error(argv[1], container);
  const auto n = static_cast<int>(argv.size());
  if (named->arity >= 0 ? n != named->arity : n < -named->arity) return wrong_arity_error(name);
  return {};
}

bool refused_when_queued(const Classification& c) {
  if (c.ok()) return false;
  if (c.spec == nullptr || c.session_id != 0) return true;
  // Subcommands are looked up, and their arity checked, as commands are.
  return c.error.starts_with("ERR wrong number of arguments") ||
         c.error.starts_with("ERR unknown subcommand '");
}

bool watched_key_changed(KvStore& store, const std::string& key, uint64_t since, uint64_t now_ms) {
  const uint64_t at = store.expire_at(key);
  if (at != 0 && at <= now_ms) store.erase(key);  // counts as a change at this entry
  return store.changed_after(key, since);
}

namespace {

void run_queued(KvStore& store, Scripts& scripts, const Argv& argv, WriteContext ctx,
                RespWriter* out) {
  // Checked when queued; checked again so that any entry gets the same reply everywhere.
  const Classification c = classify(argv);
  if (!c.ok()) return out->error(c.error);
  if (std::string error = transaction_queue_error(c); !error.empty()) return out->error(error);
  // Checked when queued; the user's rules may have changed since (as Redis checks at EXEC).
  if (const AclUser* user = ctx.acl_user; user != nullptr && !user->unrestricted) {
    const AclDenial denial = check_acl(*user, *c.spec, argv).denial;
    if (denial != AclDenial::kNone) {
      return out->error(
          "NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
          "EXEC call. This command is no longer allowed for the following reason: " +
          std::string(denial == AclDenial::kKey ? "no permission to touch the specified keys"
                      : denial == AclDenial::kChannel
                          ? "no permission to access one of the channels used as arguments"
                          : "no permission to execute the command or subcommand"));
    }
  }
  // EVAL inside MULTI, and SCRIPT LOAD, EXISTS and FLUSH: all at this entry's time and index.
  if (is_script_command(c.spec->id)) {
    return execute_script_write(store, scripts, *c.spec, argv, ctx, out);
  }
  switch (c.route) {
    case Route::kWrite:
      return execute_write(store, *c.spec, argv, ctx, out);
    case Route::kRead:
      return execute_read(store, *c.spec, argv, ctx.now_ms, out);
    default: {
      ClientState none;  // PING, ECHO, SELECT: no connection state involved
      return execute_local(*c.spec, argv, &none, out);
    }
  }
}

}  // namespace

void run_transaction(KvStore& store, Scripts& scripts, const LogCommand& transaction,
                     WriteContext ctx, RespWriter* out) {
  bool changed = false;
  for (const std::string& key : transaction.watched) {
    changed |= watched_key_changed(store, key, transaction.watch_index, ctx.now_ms);
  }
  if (changed) return out->null_array();
  out->array_header(transaction.queued.size());
  for (const Argv& argv : transaction.queued) run_queued(store, scripts, argv, ctx, out);
}

}  // namespace raftkv::kv
