// ACL users (Redis 6+/7.0's ACL SETUSER rules), as replicated state: ACL SETUSER and
// DELUSER are log entries applied by every replica (acl_commands.h), and the users are in
// the snapshot. So every node authenticates and authorizes alike.
//
// The permission check is on every command's path, so a user is kept compiled: a bitmap of
// the commands it may run (by CommandId) and its key patterns, plus `unrestricted` for the
// common case (every command, every key: the `default` user as it starts), which the
// request path tests with one load and one branch. A connection holds a shared pointer to
// its user; ACL SETUSER changes that object in place, so connections see new rules at
// their next command, and ACL DELUSER marks it deleted (the server then closes them).
//
// Passwords are kept as SHA-256 (64 lower-case hex digits, as Redis shows them). The
// server rewrites `>password` and `<password` rules to `#hash` and `!hash` before
// proposing, so no clear-text password reaches the log or a snapshot.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/byte_codec.h"
#include "kv/commands.h"
#include "kv/resp_writer.h"
#include "kv/status.h"

namespace raftkv::kv {

inline constexpr size_t kAclCommandBits = 256;  // CommandId is a uint8_t
inline constexpr uint8_t kKeyRead = 1;
inline constexpr uint8_t kKeyWrite = 2;
inline constexpr uint8_t kKeyReadWrite = kKeyRead | kKeyWrite;

struct AclKeyPattern {
  std::string pattern;
  uint8_t flags = kKeyReadWrite;  // %R~ (read), %W~ (write), ~ (both)
  bool operator==(const AclKeyPattern&) const = default;
};

struct AclUser {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  bool sanitize_payload = false;  // shown as Redis shows them; no DUMP/RESTORE here
  bool skip_sanitize_payload = false;
  std::vector<std::string> passwords;  // SHA-256 hex, in the order added
  bool future_commands = false;        // +@all / allcommands: commands added later too
  std::bitset<kAclCommandBits> commands;
  bool all_keys = false;
  std::vector<AclKeyPattern> keys;
  bool all_channels = false;  // &* or allchannels: every Pub/Sub channel
  std::vector<std::string> channels;

  // Derived by refresh(): every command, every key and every channel, and not deleted. The request
  // path checks nothing else for such a user.
  bool unrestricted = false;
  // Not replicated: this object no longer names a user (ACL DELUSER, or a snapshot
  // without it was restored). Connections authenticated as it are closed.
  bool deleted = false;

  void refresh();
  bool same_rules(const AclUser& other) const;
};

// A new user as ACL SETUSER creates it ("off resetchannels -@all"), and the default user
// as a node starts ("on nopass ~* &* +@all").
AclUser make_acl_user(std::string_view name);
AclUser make_default_acl_user();

// Applies one ACL SETUSER rule; empty on success, else Redis's reason ("Syntax error", ...).
std::string apply_acl_rule(AclUser* user, std::string_view rule);
// ACL LIST's line without "user <name> " and ACL GETUSER's "commands" field.
std::string describe_acl_user(const AclUser& user);
// The same as rules that rebuild the user when applied to make_acl_user(name) in order;
// the last one holds the command rules, several words that split_acl_words() separates.
std::vector<std::string> describe_acl_rules(const AclUser& user);
std::vector<std::string_view> split_acl_words(std::string_view text);
std::string describe_acl_commands(const AclUser& user);
void write_getuser_reply(const AclUser& user, RespWriter* out);

std::string sha256_hex(std::string_view text);
// Whether `password` is one of the user's (its SHA-256 compared in constant time).
bool acl_password_matches(const AclUser& user, std::string_view password);

// Why a command is refused: not at all, the command, one of its keys, or one of its
// channels (PUBLISH and SUBSCRIBE: a channel no & pattern matches; PSUBSCRIBE: a pattern
// not literally among the user's, as in Redis 7.0).
enum class AclDenial : uint8_t { kNone, kCommand, kKey, kChannel };
struct AclVerdict {
  AclDenial denial = AclDenial::kNone;
  size_t key_index = 0;  // for kKey and kChannel: the argument that was refused
};
// Whether the user may use a channel (a subscription pattern, when `pattern`: literally one
// of its & patterns, as Redis 7.0 checks PSUBSCRIBE).
bool acl_channel_allowed(const AclUser& user, std::string_view name, bool pattern);
// `argv` is the command as classified (name first). Arity must have been checked.
AclVerdict check_acl(const AclUser& user, const CommandSpec& spec,
                     std::span<const std::string> argv);
// The command as Redis names it in NOPERM errors ("get", "client|kill").
std::string acl_command_name(const CommandSpec& spec, std::span<const std::string> argv);
// "NOPERM this user has no permissions to ..." for a client's command.
std::string acl_denied_error(AclDenial denial, const CommandSpec& spec,
                             std::span<const std::string> argv);

// The users, by name (ACL USERS's order). Always holds `default`.
class AclTable {
 public:
  using Users = std::map<std::string, std::shared_ptr<AclUser>, std::less<>>;

  AclTable();
  AclTable(AclTable&&) = default;
  AclTable& operator=(AclTable&&) = default;

  std::shared_ptr<const AclUser> find(std::string_view name) const;
  const std::shared_ptr<AclUser>& default_user() const { return default_; }
  const Users& users() const { return users_; }

  // ACL SETUSER <name> <rule>... (argv from "ACL"): all rules apply or none. Appends the reply.
  void setuser(std::span<const std::string> argv, RespWriter* out);
  // ACL DELUSER <name>...: the number deleted; `default` cannot be.
  void deluser(std::span<const std::string> argv, RespWriter* out);

  // Snapshot section: users in name order, each as its name and describe_acl_rules().
  void serialize(ByteWriter* w) const;
  static Status restore(ByteReader* r, AclTable* out);
  // Takes `restored`'s users, keeping this table's objects for names in both (so that
  // connections follow them) and marking the others deleted.
  void adopt(AclTable&& restored);

  bool operator==(const AclTable& other) const;

 private:
  Users users_;
  std::shared_ptr<AclUser> default_;
};

}  // namespace raftkv::kv
