#include "kv/acl.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "kv/acl_categories.h"
#include "kv/ascii.h"
#include "kv/glob.h"
#include "kv/int_parse.h"
#include "kv/key_specs.h"
#include "kv/scripting.h"
#include "kv/sort_command.h"

namespace raftkv::kv {

namespace {

using enum CommandId;

constexpr std::string_view kAclSyntaxError = "Syntax error";
constexpr std::string_view kUnknownCommand = "Unknown command or category name in ACL";

void set_category(AclUser* user, uint32_t category, bool allow) {
  for (const CommandSpec& spec : command_table()) {
    if ((command_categories(spec) & category) != 0) {
      user->commands.set(static_cast<size_t>(spec.id), allow);
    }
  }
}

void set_all_commands(AclUser* user, bool allow) {
  if (allow) {
    user->commands.set();
  } else {
    user->commands.reset();
  }
  user->future_commands = allow;
}

bool is_password_hash(std::string_view hash) {
  return hash.size() == 64 && std::all_of(hash.begin(), hash.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string command_rule(AclUser* user, std::string_view rule) {
  const bool allow = rule[0] == '+';
  const std::string_view name = rule.substr(1);
  if (name.starts_with('@')) {
    if (equals_ignore_case(name, "@all")) {
      set_all_commands(user, allow);
      return {};
    }
    const auto category = find_acl_category(name.substr(1));
    if (!category) return std::string(kUnknownCommand);
    set_category(user, *category, allow);
    return {};
  }
  // Per-subcommand rules ("+client|setname") are not offered: a command is all or nothing.
  const CommandSpec* spec = find_command(name);
  if (spec == nullptr) return std::string(kUnknownCommand);
  user->commands.set(static_cast<size_t>(spec->id), allow);
  return {};
}

std::string password_rule(AclUser* user, std::string_view rule) {
  std::string hash;
  if (rule[0] == '>' || rule[0] == '<') {
    hash = sha256_hex(rule.substr(1));
  } else {
    hash = std::string(rule.substr(1));
    if (!is_password_hash(hash)) {
      return "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters";
    }
  }
  auto it = std::find(user->passwords.begin(), user->passwords.end(), hash);
  if (rule[0] == '>' || rule[0] == '#') {
    if (it == user->passwords.end()) user->passwords.push_back(std::move(hash));
    user->nopass = false;
    return {};
  }
  if (it == user->passwords.end()) {
    return "The password you are trying to remove from the user does not exist";
  }
  user->passwords.erase(it);
  return {};
}

// ~pattern, %R~pattern, %W~pattern, %RW~pattern.
std::string key_rule(AclUser* user, std::string_view rule) {
  if (user->all_keys) {
    return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
           "not have any effect. Try 'resetkeys' to start with an empty list of patterns";
  }
  uint8_t flags = kKeyReadWrite;
  size_t at = 1;
  if (rule[0] == '%') {
    flags = 0;
    for (; at < rule.size() && rule[at] != '~'; ++at) {
      const char c = rule[at];
      if (c == 'R' || c == 'r') {
        flags |= kKeyRead;
      } else if (c == 'W' || c == 'w') {
        flags |= kKeyWrite;
      } else {
        return std::string(kAclSyntaxError);
      }
    }
    if (flags == 0 || at == rule.size()) return std::string(kAclSyntaxError);
    ++at;
  }
  const std::string_view pattern = rule.substr(at);
  if (pattern == "*" && flags == kKeyReadWrite) {
    user->all_keys = true;
    user->keys.clear();
    return {};
  }
  for (AclKeyPattern& p : user->keys) {
    if (p.pattern == pattern) {
      p.flags |= flags;  // as Redis: one entry per pattern, its permissions merged
      return {};
    }
  }
  user->keys.push_back({std::string(pattern), flags});
  return {};
}

std::string channel_rule(AclUser* user, std::string_view rule) {
  if (user->all_channels) {
    return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
           "does not have any effect. Try 'resetchannels' to start with an empty list of "
           "channels";
  }
  const std::string_view pattern = rule.substr(1);
  if (pattern == "*") {
    user->all_channels = true;
    user->channels.clear();
  } else if (std::find(user->channels.begin(), user->channels.end(), pattern) ==
             user->channels.end()) {
    user->channels.emplace_back(pattern);
  }
  return {};
}

void reset_user(AclUser* user) {
  user->passwords.clear();
  user->nopass = false;
  user->keys.clear();
  user->all_keys = false;
  user->channels.clear();
  user->all_channels = false;
  user->enabled = false;
  set_all_commands(user, false);
  user->sanitize_payload = true;
  user->skip_sanitize_payload = false;
}

// Rules that are one word.
bool keyword_rule(AclUser* user, std::string_view rule) {
  const std::string word = ascii_lower(rule);
  if (word == "on" || word == "off") {
    user->enabled = word == "on";
  } else if (word == "nopass") {
    user->nopass = true;
    user->passwords.clear();
  } else if (word == "resetpass") {
    user->nopass = false;
    user->passwords.clear();
  } else if (word == "allkeys") {
    user->all_keys = true;
    user->keys.clear();
  } else if (word == "resetkeys") {
    user->all_keys = false;
    user->keys.clear();
  } else if (word == "allchannels") {
    user->all_channels = true;
    user->channels.clear();
  } else if (word == "resetchannels") {
    user->all_channels = false;
    user->channels.clear();
  } else if (word == "allcommands" || word == "nocommands") {
    set_all_commands(user, word == "allcommands");
  } else if (word == "sanitize-payload" || word == "skip-sanitize-payload") {
    user->sanitize_payload = word == "sanitize-payload";
    user->skip_sanitize_payload = !user->sanitize_payload;
  } else if (word == "reset") {
    reset_user(user);
  } else {
    return false;
  }
  return true;
}

// How many of a category's commands the user may run, and may not.
std::pair<size_t, size_t> count_category(const AclUser& user, uint32_t category) {
  size_t on = 0, off = 0;
  for (const CommandSpec& spec : command_table()) {
    if ((command_categories(spec) & category) == 0) continue;
    (user.commands.test(static_cast<size_t>(spec.id)) ? on : off) += 1;
  }
  return {on, off};
}

void append_key_pattern(const AclKeyPattern& p, std::string* out) {
  if (p.flags == kKeyRead) *out += "%R";
  if (p.flags == kKeyWrite) *out += "%W";
  *out += '~';
  *out += p.pattern;
}

std::string keys_field(const AclUser& user) {
  if (user.all_keys) return "~*";
  std::string out;
  for (const AclKeyPattern& p : user.keys) {
    if (!out.empty()) out += ' ';
    append_key_pattern(p, &out);
  }
  return out;
}

std::string channels_field(const AclUser& user) {
  if (user.all_channels) return "&*";
  std::string out;
  for (const std::string& c : user.channels) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += c;
  }
  return out;
}

// What a command does with its keys: a read needs read permission on them, a write
// write permission, and also read permission when it returns or depends on their values
// (INCR, GETSET, LPOP, ...), as Redis's key specs say. Writes that only store or remove
// need write permission alone. One verdict for all of a command's keys (stricter than
// Redis for RPOPLPUSH-like commands, whose destination needs only write).
uint8_t key_access(const CommandSpec& spec, std::span<const std::string> argv) {
  if ((spec.flags & kFlagWrite) == 0) return kKeyRead;
  switch (spec.id) {
    case kSet:
      for (size_t i = 3; i < argv.size(); ++i) {
        if (equals_ignore_case(argv[i], "get")) return kKeyReadWrite;
      }
      return kKeyWrite;
    case kSetex:
    case kPsetex:
    case kSetnx:
    case kMset:
    case kMsetnx:
    case kDel:
    case kUnlink:
    case kExpire:
    case kPexpire:
    case kExpireat:
    case kPexpireat:
    case kPersist:
    case kAppend:
    case kLpush:
    case kRpush:
    case kSadd:
    case kHset:
    case kHmset:
    case kHsetnx:
    case kHdel:
    case kSrem:
    case kZrem:
      return kKeyWrite;
    default:
      return kKeyReadWrite;
  }
}

bool key_allowed(const AclUser& user, std::string_view key, uint8_t access) {
  for (const AclKeyPattern& p : user.keys) {
    if ((p.flags & access) == access && glob_match(p.pattern, key)) return true;
  }
  return false;
}

bool is_container(CommandId id) {
  return id == kClient || id == kConfig || id == kAcl || is_script_admin_command(id) ||
         id == kSlowlog || id == kMemory || id == kCluster || id == kCommand;
}

}  // namespace

void AclUser::refresh() {
  bool every_command = true;
  for (const CommandSpec& spec : command_table()) {
    every_command = every_command && commands.test(static_cast<size_t>(spec.id));
  }
  unrestricted = every_command && all_keys && all_channels && !deleted;
}

bool AclUser::same_rules(const AclUser& o) const {
  return name == o.name && enabled == o.enabled && nopass == o.nopass &&
         sanitize_payload == o.sanitize_payload &&
         skip_sanitize_payload == o.skip_sanitize_payload && passwords == o.passwords &&
         future_commands == o.future_commands && commands == o.commands && all_keys == o.all_keys &&
         keys == o.keys && all_channels == o.all_channels && channels == o.channels;
}

AclUser make_acl_user(std::string_view name) {
  AclUser user;
  user.name = std::string(name);
  user.refresh();
  return user;
}

AclUser make_default_acl_user() {
  AclUser user;
  user.name = "default";
  user.enabled = true;
  user.nopass = true;
  user.all_keys = true;
  user.all_channels = true;
  set_all_commands(&user, true);
  user.refresh();
  return user;
}

std::string apply_acl_rule(AclUser* user, std::string_view rule) {
  if (rule.empty()) return std::string(kAclSyntaxError);
  std::string error;
  switch (rule[0]) {
    case '+':
    case '-':
      error = rule.size() > 1 ? command_rule(user, rule) : std::string(kAclSyntaxError);
      break;
    case '>':
    case '<':
    case '#':
    case '!':
      error = password_rule(user, rule);
      break;
    case '~':
    case '%':
      error = key_rule(user, rule);
      break;
    case '&':
      error = channel_rule(user, rule);
      break;
    default:
      // Selectors ("(...)") and anything else unknown.
      if (!keyword_rule(user, rule)) error = std::string(kAclSyntaxError);
  }
  user->refresh();
  return error;
}

std::string describe_acl_commands(const AclUser& user) {
  // Redis's way: start from +@all (if the user also gets future commands) or -@all, add
  // (or remove) each category most of whose commands differ from that start, then fix
  // single commands, so that replaying the description gives the same bitmap. Single
  // commands come in command table order (Redis's order depends on a hash seed).
  const bool add = !user.future_commands;
  std::vector<const AclCategoryName*> chosen;
  for (const AclCategoryName& category : acl_categories()) {
    const auto [on, off] = count_category(user, category.bit);
    if (add ? on > off : off > on) chosen.push_back(&category);
  }
  // A category wholly inside the others chosen is left out (@admin beside @dangerous: here
  // every admin command is dangerous), as Redis's larger table leaves it out.
  for (size_t i = 0; i < chosen.size();) {
    AclUser others;
    for (size_t j = 0; j < chosen.size(); ++j) {
      if (j != i) set_category(&others, chosen[j]->bit, true);
    }
    AclUser with = others;
    set_category(&with, chosen[i]->bit, true);
    if (with.commands == others.commands) {
      chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  AclUser fake;
  set_all_commands(&fake, !add);
  std::string out = add ? "-@all" : "+@all";
  for (const AclCategoryName* category : chosen) {
    set_category(&fake, category->bit, add);
    out += add ? " +@" : " -@";
    out += category->name;
  }
  for (const CommandSpec& spec : command_table()) {
    const auto id = static_cast<size_t>(spec.id);
    if (user.commands.test(id) == fake.commands.test(id)) continue;
    out += user.commands.test(id) ? " +" : " -";
    out += spec.name;
  }
  return out;
}

std::vector<std::string> describe_acl_rules(const AclUser& user) {
  std::vector<std::string> rules{user.enabled ? "on" : "off"};
  if (user.nopass) rules.emplace_back("nopass");
  if (user.skip_sanitize_payload) rules.emplace_back("skip-sanitize-payload");
  if (user.sanitize_payload) rules.emplace_back("sanitize-payload");
  for (const std::string& hash : user.passwords) rules.push_back("#" + hash);
  if (user.all_keys) rules.emplace_back("~*");
  for (const AclKeyPattern& p : user.keys) {
    rules.emplace_back();
    append_key_pattern(p, &rules.back());
  }
  if (user.all_channels) rules.emplace_back("&*");
  if (!user.all_channels) rules.emplace_back("resetchannels");
  for (const std::string& c : user.channels) rules.push_back("&" + c);
  rules.push_back(describe_acl_commands(user));  // several words, but never a pattern
  return rules;
}

std::string describe_acl_user(const AclUser& user) {
  std::string out;
  for (const std::string& rule : describe_acl_rules(user)) {
    if (!out.empty()) out += ' ';
    out += rule;
  }
  return out;
}

void write_getuser_reply(const AclUser& user, RespWriter* out) {
  out->array_header(12);
  out->bulk("flags");
  std::vector<std::string_view> flags{user.enabled ? "on" : "off"};
  if (user.nopass) flags.push_back("nopass");
  if (user.skip_sanitize_payload) flags.push_back("skip-sanitize-payload");
  if (user.sanitize_payload) flags.push_back("sanitize-payload");
  out->array_header(flags.size());
  for (std::string_view f : flags) out->bulk(f);
  out->bulk("passwords");
  out->array_header(user.passwords.size());
  for (const std::string& hash : user.passwords) out->bulk(hash);
  out->bulk("commands");
  out->bulk(describe_acl_commands(user));
  out->bulk("keys");
  out->bulk(keys_field(user));
  out->bulk("channels");
  out->bulk(channels_field(user));
  out->bulk("selectors");
  out->array_header(0);
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool acl_password_matches(const AclUser& user, std::string_view password) {
  const std::string guess = sha256_hex(password);
  bool match = false;
  for (const std::string& hash : user.passwords) {
    match |= CRYPTO_memcmp(guess.data(), hash.data(), guess.size()) == 0;
  }
  return match;
}

namespace {

// The first channel argument the user may not use (0: none).
size_t refused_channel(const AclUser& user, const CommandSpec& spec,
                       std::span<const std::string> argv) {
  size_t first = 1, last = argv.size() - 1;
  switch (spec.id) {
    case kPublish:
    case kSpublish:
      last = 1;
      break;
    case kSubscribe:
    case kPsubscribe:
    case kSsubscribe:
      break;
    default:
      return 0;
  }
  for (size_t i = first; i <= last; ++i) {
    if (!acl_channel_allowed(user, argv[i], spec.id == kPsubscribe)) return i;
  }
  return 0;
}

}  // namespace

bool acl_channel_allowed(const AclUser& user, std::string_view name, bool pattern) {
  if (user.all_channels) return true;
  return std::any_of(user.channels.begin(), user.channels.end(), [&](const std::string& p) {
    return pattern ? p == name : glob_match(p, name);
  });
}

AclVerdict check_acl(const AclUser& user, const CommandSpec& spec,
                     std::span<const std::string> argv) {
  // AUTH, HELLO, QUIT and RESET work for anyone, as Redis's no-auth commands do.
  if (spec.id == kAuth || spec.id == kHello || spec.id == kQuit || spec.id == kReset) return {};
  // ACL WHOAMI, CAT and HELP tell nothing about other users: anyone may (Redis puts them
  // in @slow, so "+@all -@dangerous" users can run them; here ACL is one command).
  if (spec.id == kAcl &&
      (equals_ignore_case(argv[1], "whoami") || equals_ignore_case(argv[1], "cat") ||
       equals_ignore_case(argv[1], "help"))) {
    return {};
  }
  if (!user.commands.test(static_cast<size_t>(spec.id))) return {AclDenial::kCommand, 0};
  if (!user.all_channels) {
    if (const size_t refused = refused_channel(user, spec, argv)) {
      return {AclDenial::kChannel, refused};
    }
  }
  if (user.all_keys) return {};
  const uint8_t access = key_access(spec, argv);
  size_t refused = 0;
  command_keys(spec, argv).each([&](size_t i, uint16_t) {
    if (refused == 0 && !key_allowed(user, argv[i], access)) refused = i;
  });
  if (refused != 0) return {AclDenial::kKey, refused};
  // SORT's BY and GET patterns read keys no argument names: only for users with every key
  // (as Redis).
  if ((spec.id == kSort || spec.id == kSortRo) && sort_reads_other_keys(argv)) {
    return {AclDenial::kKey, 1};
  }
  return {};
}

std::string acl_command_name(const CommandSpec& spec, std::span<const std::string> argv) {
  if (!is_container(spec.id) || argv.size() < 2) return std::string(spec.name);
  return std::string(spec.name) + "|" + ascii_lower(argv[1]);
}

std::string acl_denied_error(AclDenial denial, const CommandSpec& spec,
                             std::span<const std::string> argv) {
  if (denial == AclDenial::kKey) {
    return "NOPERM this user has no permissions to access one of the keys used as arguments";
  }
  if (denial == AclDenial::kChannel) {
    return "NOPERM this user has no permissions to access one of the channels used as arguments";
  }
  return "NOPERM this user has no permissions to run the '" + acl_command_name(spec, argv) +
         "' command";
}

}  // namespace raftkv::kv
