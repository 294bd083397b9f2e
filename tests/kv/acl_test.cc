// ACL users: the rule parser, ACL LIST/GETUSER descriptions (checked against what
// redis-server 7.0.15 prints), command and key checks, scripts run as a user, snapshots,
// and replicas applying the same entries ending with the same users.
#include <gtest/gtest.h>

#include "kv/acl.h"
#include "kv/acl_categories.h"
#include "kv/acl_commands.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

AclUser user_with(std::initializer_list<std::string_view> rules) {
  AclUser user = make_acl_user("u");
  for (std::string_view rule : rules) EXPECT_EQ(apply_acl_rule(&user, rule), "") << rule;
  return user;
}

AclDenial denial(const AclUser& user, const Argv& argv) {
  const CommandSpec* spec = find_command(argv[0]);
  EXPECT_NE(spec, nullptr);
  return check_acl(user, *spec, argv).denial;
}

TEST(Acl, DescriptionsAreRedis70s) {
  // Each expected line is what redis-server 7.0.15 printed for the same rules.
  EXPECT_EQ(describe_acl_user(make_default_acl_user()), "on nopass ~* &* +@all");
  EXPECT_EQ(describe_acl_user(make_acl_user("bob")), "off resetchannels -@all");
  EXPECT_EQ(describe_acl_user(user_with({"on", ">pw", "~app:*", "+get", "+set", "+@hash"})),
            "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~app:* "
            "resetchannels -@all +@hash +get +set");
  EXPECT_EQ(describe_acl_user(user_with(
                {"+set", "+get", "-@all", "+mget", "+@string", "-append", "+@list", "-@list"})),
            "off resetchannels -@all +@string -append");
  EXPECT_EQ(describe_acl_user(user_with({"+@all", "-@dangerous", "-get", "~a", "~b", "%R~c", "%W~d",
                                         "%RW~e", "allchannels"})),
            "off ~a ~b %R~c %W~d ~e &* +@all -@dangerous -get");
  EXPECT_EQ(describe_acl_user(user_with({"%R~a", "%W~a", "~b", "%R~b", "&x", "&y"})),
            "off ~a ~b resetchannels &x &y -@all");
  EXPECT_EQ(describe_acl_user(user_with({"reset"})), "off sanitize-payload resetchannels -@all");
}

TEST(Acl, RuleErrorsAreRedis70s) {
  AclUser user = make_acl_user("x");
  EXPECT_EQ(apply_acl_rule(&user, "foo"), "Syntax error");
  EXPECT_EQ(apply_acl_rule(&user, "+nosuch"), "Unknown command or category name in ACL");
  EXPECT_EQ(apply_acl_rule(&user, "-@nosuch"), "Unknown command or category name in ACL");
  EXPECT_EQ(apply_acl_rule(&user, "%X~a"), "Syntax error");
  EXPECT_EQ(apply_acl_rule(&user, "<nopw"),
            "The password you are trying to remove from the user does not exist");
  EXPECT_EQ(apply_acl_rule(&user, "#abc"),
            "The password hash must be exactly 64 characters and contain only lowercase "
            "hexadecimal characters");
  EXPECT_EQ(apply_acl_rule(&user, "allkeys"), "");
  EXPECT_NE(apply_acl_rule(&user, "~foo").find("Adding a pattern after the * pattern"),
            std::string::npos);
}

TEST(Acl, PasswordsAreKeptAsSha256) {
  AclUser user = user_with({">a", ">b", ">a", "<b"});
  ASSERT_EQ(user.passwords.size(), 1u);
  EXPECT_EQ(user.passwords[0], sha256_hex("a"));
  EXPECT_TRUE(acl_password_matches(user, "a"));
  EXPECT_FALSE(acl_password_matches(user, "b"));
  EXPECT_EQ(apply_acl_rule(&user, "nopass"), "");
  EXPECT_TRUE(user.passwords.empty());
  EXPECT_EQ(apply_acl_rule(&user, "#" + sha256_hex("c")), "");
  EXPECT_FALSE(user.nopass);
  EXPECT_TRUE(acl_password_matches(user, "c"));
}

TEST(Acl, CommandsAndCategories) {
  const AclUser user = user_with({"+@read", "-keys", "allkeys"});
  EXPECT_EQ(denial(user, {"GET", "k"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"HGETALL", "k"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SET", "k", "v"}), AclDenial::kCommand);
  EXPECT_EQ(denial(user, {"KEYS", "*"}), AclDenial::kCommand);
  EXPECT_EQ(denial(user, {"AUTH", "p"}), AclDenial::kNone) << "AUTH needs no permission";
  const AclUser admin = user_with({"+@all", "-@dangerous", "allkeys"});
  EXPECT_EQ(denial(admin, {"RAFT", "STATUS"}), AclDenial::kCommand);
  EXPECT_EQ(denial(admin, {"BGSAVE"}), AclDenial::kCommand);
  EXPECT_EQ(denial(admin, {"FLUSHALL"}), AclDenial::kCommand);
  EXPECT_EQ(denial(admin, {"CONFIG", "GET", "x"}), AclDenial::kCommand);
  EXPECT_EQ(denial(admin, {"ACL", "SETUSER", "x"}), AclDenial::kCommand);
  EXPECT_EQ(denial(admin, {"ACL", "WHOAMI"}), AclDenial::kNone);
  EXPECT_EQ(denial(admin, {"INCR", "k"}), AclDenial::kNone);
  EXPECT_EQ(acl_denied_error(AclDenial::kCommand, *find_command("client"), Argv{"CLIENT", "KILL"}),
            "NOPERM this user has no permissions to run the 'client|kill' command");
}

TEST(Acl, EveryCommandHasCategories) {
  for (const CommandSpec& spec : command_table()) {
    const uint32_t cats = command_categories(spec);
    EXPECT_NE(cats & (kCatFast | kCatSlow), 0u) << spec.name;
    if ((spec.flags & kFlagAdmin) != 0) {
      EXPECT_NE(cats & kCatDangerous, 0u) << spec.name;
    }
  }
}

TEST(Acl, KeyPatterns) {
  const AclUser user = user_with({"+@all", "~app:*", "%R~ro:*", "%W~wo:*"});
  EXPECT_EQ(denial(user, {"SET", "app:1", "v"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SET", "other", "v"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"MSET", "app:1", "v", "other", "v"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"MSET", "app:1", "other", "app:2", "v"}), AclDenial::kNone)
      << "values are not keys";
  EXPECT_EQ(denial(user, {"GET", "ro:1"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SET", "ro:1", "v"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"SET", "wo:1", "v"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SET", "wo:1", "v", "GET"}), AclDenial::kKey) << "SET GET reads";
  EXPECT_EQ(denial(user, {"GET", "wo:1"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"INCR", "wo:1"}), AclDenial::kKey) << "INCR returns the value";
  EXPECT_EQ(denial(user, {"EVAL", "return 1", "1", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"EVAL", "return 1", "1", "app:x", "other"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"MEMORY", "USAGE", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"RENAME", "app:1", "other"}), AclDenial::kKey);
  // Keys found after a keyword or a count (command_keys), as COMMAND GETKEYS reports them.
  EXPECT_EQ(denial(user, {"XREAD", "STREAMS", "app:s", "other", "0", "0"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"XREAD", "STREAMS", "app:s", "0"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SORT", "app:l", "STORE", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"GEORADIUS", "app:g", "1", "2", "3", "m", "STORE", "other"}),
            AclDenial::kKey);
  EXPECT_EQ(denial(user, {"ZUNIONSTORE", "other", "1", "app:z"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"ZUNIONSTORE", "app:d", "2", "app:z", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"LMPOP", "2", "app:a", "other", "LEFT"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"OBJECT", "ENCODING", "other"}), AclDenial::kKey);
}

TEST(Acl, UnrestrictedIsOnlyEverythingEverywhere) {
  EXPECT_TRUE(make_default_acl_user().unrestricted);
  EXPECT_FALSE(user_with({"+@all", "~a*"}).unrestricted);
  EXPECT_FALSE(user_with({"+@all", "-get", "allkeys"}).unrestricted);
  EXPECT_FALSE(user_with({"+@all", "allkeys"}).unrestricted);  // no channels (Redis 7.0)
  EXPECT_TRUE(user_with({"+@all", "allkeys", "allchannels"}).unrestricted);
}

TEST(Acl, SetuserIsAllOrNothingAndReplicated) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"ACL", "SETUSER", "a", "on", ">pw", "~k*", "+get"}), "+OK\r\n");
  const std::string before = describe_acl_user(*kv.sm.acl().find("a"));
  EXPECT_EQ(kv.run({"ACL", "SETUSER", "a", "+set", "bogus"}),
            "-ERR Error in ACL SETUSER modifier 'bogus': Syntax error\r\n");
  EXPECT_EQ(describe_acl_user(*kv.sm.acl().find("a")), before) << "nothing applied";
  EXPECT_EQ(kv.run({"ACL", "SETUSER", "a b"}),
            "-ERR Usernames can't contain spaces or null characters\r\n");
  EXPECT_EQ(kv.run({"ACL", "DELUSER", "default"}), "-ERR The 'default' user cannot be removed\r\n");
  EXPECT_EQ(kv.run({"ACL", "USERS"}), testing::bulks({"a", "default"}));
  EXPECT_EQ(kv.run({"ACL", "GETUSER", "nosuch"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"ACL", "DRYRUN", "a", "get", "other"}),
            "$54\r\nThis user has no permissions to access the 'other' key\r\n");
  EXPECT_EQ(kv.run({"ACL", "DRYRUN", "a", "get", "k1"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"ACL", "GETUSERS"}), "-ERR unknown subcommand 'GETUSERS'. Try ACL HELP.\r\n");
  EXPECT_EQ(kv.run({"ACL", "GETUSER"}),
            "-ERR wrong number of arguments for 'acl|getuser' command\r\n");
  // A connection holding the user sees it change in place, and sees it deleted.
  const std::shared_ptr<const AclUser> held = kv.sm.acl().find("a");
  kv.run({"ACL", "SETUSER", "a", "+set"});
  EXPECT_TRUE(held->commands.test(static_cast<size_t>(CommandId::kSet)));
  EXPECT_EQ(kv.run({"ACL", "DELUSER", "a", "nosuch"}), ":1\r\n");
  EXPECT_TRUE(held->deleted);
  EXPECT_FALSE(held->unrestricted);
}

TEST(Acl, NoClearTextPasswordInTheLog) {
  const Argv argv{"ACL", "SETUSER", "a", ">secret", "<old"};
  const LogCommand cmd = make_log_command(argv, classify(argv), 1);
  const std::string entry = encode_log_command(cmd);
  EXPECT_EQ(entry.find("secret"), std::string::npos);
  EXPECT_EQ(cmd.argv[3], "#" + sha256_hex("secret"));
  EXPECT_EQ(cmd.argv[4], "!" + sha256_hex("old"));
}

TEST(Acl, UsersAreInTheSnapshot) {
  KvHarness kv;
  kv.run({"ACL", "SETUSER", "app", "on", ">pw", "~app:*", "%R~ro:*", "&ch", "+@all", "-@admin"});
  kv.run({"ACL", "SETUSER", "default", "resetpass", ">x"});
  kv.run({"SET", "k", "v"});
  const std::string image = kv.sm.serialize();
  EXPECT_EQ(image.substr(0, 8), "RKVSNAP8");
  StateMachine restored;
  const std::shared_ptr<const AclUser> held = restored.acl().default_user();
  ASSERT_TRUE(restored.restore(image).is_ok());
  EXPECT_TRUE(restored.acl() == kv.sm.acl());
  EXPECT_EQ(restored.serialize(), image);
  EXPECT_FALSE(held->nopass) << "a restore changes the users connections hold, in place";
  // Another image without `app`: connections authenticated as it are told it is gone.
  const std::shared_ptr<const AclUser> app = restored.acl().find("app");
  ASSERT_TRUE(restored.restore(StateMachine().serialize()).is_ok());
  EXPECT_TRUE(app->deleted);
}

TEST(Acl, ScriptsRunAsTheirUser) {
  KvHarness kv;
  kv.run({"ACL", "SETUSER", "app", "on", "nopass", "~app:*", "+@all"});
  LogCommand eval;
  eval.time_ms = kv.time_ms;
  eval.user = "app";
  eval.argv = {"EVAL", "return redis.pcall('set', KEYS[1], 'v')", "1", "other"};
  const std::string entry = encode_log_command(eval);
  EXPECT_EQ(decode_log_command(entry), eval);
  EXPECT_EQ(kv.sm.apply(++kv.index, entry),
            "-ERR The user executing the script can't access at least one of the keys mentioned "
            "in the command arguments\r\n");
  eval.argv[3] = "app:1";
  EXPECT_EQ(kv.sm.apply(++kv.index, encode_log_command(eval)), "+OK\r\n");
  // A user deleted before the entry applies runs nothing, on every replica alike.
  eval.user = "gone";
  EXPECT_EQ(kv.sm.apply(++kv.index, encode_log_command(eval)),
            "-ERR The user executing the script can't run this command or subcommand\r\n");
}

TEST(Acl, ExecChecksQueuedCommandsAgainstTheRulesItAppliesWith) {
  KvHarness kv;
  kv.run({"ACL", "SETUSER", "tx", "on", "nopass", "~app:n", "+@all", "-set"});
  LogCommand exec;
  exec.time_ms = kv.time_ms;
  exec.transaction = true;
  exec.argv = {"EXEC"};
  exec.user = "tx";
  exec.queued = {{"SET", "app:n", "1"}, {"GET", "app:1"}, {"INCR", "app:n"}};
  EXPECT_EQ(decode_log_command(encode_log_command(exec)), exec);
  const std::string prefix =
      "-NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
      "EXEC call. This command is no longer allowed for the following reason: ";
  EXPECT_EQ(kv.sm.apply(++kv.index, encode_log_command(exec)),
            "*3\r\n" + prefix + "no permission to execute the command or subcommand\r\n" + prefix +
                "no permission to touch the specified keys\r\n:1\r\n");
}

TEST(Acl, ReplicasApplyingTheSameEntriesAgree) {
  KvHarness a, b;
  const std::vector<Argv> commands = {
      {"ACL", "SETUSER", "x", "on", ">p", "~a*", "+@read"},
      {"ACL", "SETUSER", "y", "+@all", "-@dangerous", "allkeys"},
      {"ACL", "SETUSER", "x", "+set", "%W~w*"},
      {"ACL", "DELUSER", "y"},
      {"ACL", "SETUSER", "z", "reset", "on", "nopass", "+get", "-get", "+incr"},
  };
  for (const Argv& argv : commands) {
    const LogCommand cmd = make_log_command(argv, classify(argv), 5);
    const std::string entry = encode_log_command(cmd);
    EXPECT_EQ(a.sm.apply(++a.index, entry), b.sm.apply(++b.index, entry));
  }
  EXPECT_EQ(a.sm.serialize(), b.sm.serialize());
  EXPECT_EQ(a.run({"ACL", "LIST"}), b.run({"ACL", "LIST"}));
}

TEST(Acl, RestoreRefusesMalformedUsers) {
  KvHarness kv;
  kv.run({"ACL", "SETUSER", "app", "on", "~a*"});
  std::string image = kv.sm.serialize();
  const size_t at = image.find("~a*");
  ASSERT_NE(at, std::string::npos);
  image[at] = '!';  // no longer a key pattern (and the checksum no longer matches)
  EXPECT_FALSE(StateMachine().restore(image).is_ok());
}

// Keys counted by numkeys (SINTERCARD, ZUNION, ZUNIONSTORE's sources and destination) and
// SORT's patterns and STORE key are all checked (issue 18's commands).
TEST(Acl, CountedKeysAndSortPatternsAreChecked) {
  const AclUser user = user_with({"on", "~app:*", "+@all"});
  EXPECT_EQ(denial(user, {"SINTERCARD", "2", "app:a", "app:b", "LIMIT", "1"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SINTERCARD", "2", "app:a", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"ZUNION", "2", "app:a", "other", "WITHSCORES"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"ZUNIONSTORE", "app:d", "2", "app:a", "app:b"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"ZUNIONSTORE", "other", "1", "app:a"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"ZINTERSTORE", "app:d", "2", "app:a", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"SORT", "app:l", "ALPHA", "LIMIT", "0", "2"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SORT", "app:l", "BY", "nosort"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"SORT", "app:l", "BY", "app:w_*"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"SORT_RO", "app:l", "GET", "#"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"SORT", "app:l", "STORE", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"SORT", "app:l", "STORE", "app:d"}), AclDenial::kNone);
  EXPECT_EQ(denial(user, {"COPY", "app:a", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"BITOP", "AND", "app:d", "app:a", "other"}), AclDenial::kKey);
  EXPECT_EQ(denial(user, {"LCS", "app:a", "other"}), AclDenial::kKey);
  const AclUser everything = user_with({"on", "~*", "+@all"});
  EXPECT_EQ(denial(everything, {"SORT", "l", "BY", "w_*", "GET", "#"}), AclDenial::kNone);
}

}  // namespace
}  // namespace raftkv::kv
