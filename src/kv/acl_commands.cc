#include "kv/acl_commands.h"

#include <openssl/rand.h>

#include <array>

#include "kv/acl_categories.h"
#include "kv/ascii.h"
#include "kv/int_parse.h"
#include "kv/local_commands.h"

namespace raftkv::kv {

namespace {

struct AclSubcommand {
  std::string_view name;
  int arity;  // Redis's, counting "ACL" and the subcommand
  Route route;
};

constexpr std::array kSubcommands = {
    AclSubcommand{"cat", -2, Route::kLocal},   AclSubcommand{"deluser", -3, Route::kWrite},
    AclSubcommand{"dryrun", -4, Route::kRead}, AclSubcommand{"genpass", -2, Route::kLocal},
    AclSubcommand{"getuser", 3, Route::kRead}, AclSubcommand{"help", 2, Route::kLocal},
    AclSubcommand{"list", 2, Route::kRead},    AclSubcommand{"load", 2, Route::kLocal},
    AclSubcommand{"log", -2, Route::kServer},  // the node's own log (server/acl_log.h)
    AclSubcommand{"save", 2, Route::kLocal},   AclSubcommand{"setuser", -3, Route::kWrite},
    AclSubcommand{"users", 2, Route::kRead},   AclSubcommand{"whoami", 2, Route::kLocal},
};

constexpr std::string_view kHelp[] = {
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
};

const AclSubcommand* find_subcommand(std::string_view name) {
  for (const AclSubcommand& sub : kSubcommands) {
    if (equals_ignore_case(name, sub.name)) return &sub;
  }
  return nullptr;
}

void acl_cat(std::span<const std::string> argv, RespWriter* out) {
  if (argv.size() == 2) {
    out->array_header(acl_categories().size());
    for (const AclCategoryName& c : acl_categories()) out->bulk(c.name);
    return;
  }
  const auto category = find_acl_category(argv[2]);
  if (!category) return out->error("ERR Unknown category '" + argv[2] + "'");
  std::vector<std::string_view> names;
  for (const CommandSpec& spec : command_table()) {
    if ((command_categories(spec) & *category) != 0) names.push_back(spec.name);
  }
  out->array_header(names.size());
  for (std::string_view name : names) out->bulk(name);
}

void acl_genpass(std::span<const std::string> argv, RespWriter* out) {
  int64_t bits = 256;
  if (argv.size() > 2) {
    const auto n = parse_int64(argv[2]);
    if (!n || *n <= 0 || *n > 4096) {
      return out->error(
          "ERR ACL GENPASS argument must be the number of bits for the output "
          "password, a positive number up to 4096");
    }
    bits = *n;
  }
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::string bytes((chars + 1) / 2, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : bytes) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  out->bulk(hex.substr(0, chars));
}

void acl_dryrun(const AclTable& table, std::span<const std::string> argv, RespWriter* out) {
  const auto user = table.find(argv[2]);
  if (user == nullptr) return out->error("ERR User '" + argv[2] + "' not found");
  const std::span<const std::string> command = argv.subspan(3);
  const CommandSpec* spec = find_command(command[0]);
  if (spec == nullptr) return out->error("ERR Command '" + command[0] + "' not found");
  if (!arity_matches(*spec, command.size())) return out->error(wrong_arity_error(spec->name));
  const AclVerdict verdict = check_acl(*user, *spec, command);
  if (verdict.denial == AclDenial::kNone) return out->simple("OK");
  if (verdict.denial == AclDenial::kKey || verdict.denial == AclDenial::kChannel) {
    return out->bulk("This user has no permissions to access the '" + command[verdict.key_index] +
                     (verdict.denial == AclDenial::kKey ? "' key" : "' channel"));
  }
  out->bulk("This user has no permissions to run the '" + acl_command_name(*spec, command) +
            "' command");
}

}  // namespace

std::string validate_acl_arguments(std::span<const std::string> argv) {
  const AclSubcommand* sub = find_subcommand(argv[1]);
  if (sub == nullptr) return unknown_subcommand_error(argv[1], "acl");
  const size_t n = argv.size();
  const bool ok = sub->arity >= 0 ? n == static_cast<size_t>(sub->arity)
                                  : n >= static_cast<size_t>(-sub->arity);
  return ok ? "" : wrong_arity_error("acl|" + std::string(sub->name));
}

Route acl_route(std::span<const std::string> argv) {
  const AclSubcommand* sub = find_subcommand(argv[1]);
  return sub != nullptr ? sub->route : Route::kLocal;
}

void hash_acl_passwords(Argv* argv) {
  if (argv->size() < 4 || !equals_ignore_case((*argv)[1], "setuser")) return;
  for (size_t i = 3; i < argv->size(); ++i) {
    std::string& rule = (*argv)[i];
    if (rule.starts_with('>') || rule.starts_with('<')) {
      rule = (rule[0] == '>' ? "#" : "!") + sha256_hex(std::string_view(rule).substr(1));
    }
  }
}

void execute_acl_write(AclTable& table, std::span<const std::string> argv, RespWriter* out) {
  if (equals_ignore_case(argv[1], "setuser")) return table.setuser(argv, out);
  if (equals_ignore_case(argv[1], "deluser")) return table.deluser(argv, out);
  out->error("ERR not an ACL write");
}

void execute_acl_read(const AclTable& table, std::span<const std::string> argv, RespWriter* out) {
  const std::string sub = ascii_lower(argv[1]);
  if (sub == "getuser") {
    const auto user = table.find(argv[2]);
    return user ? write_getuser_reply(*user, out) : out->null_bulk();
  }
  if (sub == "users") {
    out->array_header(table.users().size());
    for (const auto& [name, user] : table.users()) out->bulk(name);
    return;
  }
  if (sub == "list") {
    out->array_header(table.users().size());
    for (const auto& [name, user] : table.users()) {
      out->bulk("user " + name + " " + describe_acl_user(*user));
    }
    return;
  }
  if (sub == "dryrun") return acl_dryrun(table, argv, out);
  out->error("ERR not an ACL read");
}

void execute_acl_local(std::span<const std::string> argv, const ClientState& client,
                       RespWriter* out) {
  const std::string sub = ascii_lower(argv[1]);
  if (sub == "whoami") return out->bulk(client.user ? client.user->name : "default");
  if (sub == "cat") return acl_cat(argv, out);
  if (sub == "genpass") return acl_genpass(argv, out);
  if (sub == "help") {
    out->help_lines(kHelp);
    return;
  }
  out->error(
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
      "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
      "Redis configuration file set) in order to store users in the Redis configuration.");
}

}  // namespace raftkv::kv
