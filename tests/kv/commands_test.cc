// Command classification and the locally answered commands, with Redis's error texts.
#include "kv/commands.h"

#include <gtest/gtest.h>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

TEST(Classify, RoutesEachKindOfCommand) {
  EXPECT_EQ(classify({"PING"}).route, Route::kLocal);
  EXPECT_EQ(classify({"ping", "x"}).route, Route::kLocal);
  EXPECT_EQ(classify({"client", "id"}).route, Route::kLocal);
  EXPECT_EQ(classify({"GET", "k"}).route, Route::kRead);
  EXPECT_EQ(classify({"DEBUG", "DIGEST"}).route, Route::kRead);
  EXPECT_EQ(classify({"scan", "0"}).route, Route::kRead);
  EXPECT_EQ(classify({"SET", "k", "v"}).route, Route::kWrite);
  EXPECT_EQ(classify({"FlushAll"}).route, Route::kWrite);
  EXPECT_EQ(classify({"INFO"}).route, Route::kServer);
  EXPECT_EQ(classify({"CLUSTER", "SLOTS"}).route, Route::kServer);
  for (const auto& spec : command_table()) {
    EXPECT_EQ(find_command(spec.name), &spec);
    // (S)PUBLISH goes through the log but changes no data: not a write for COMMAND or ACL.
    if (spec.id == CommandId::kPublish || spec.id == CommandId::kSpublish) continue;
    EXPECT_EQ(spec.route == Route::kWrite, (spec.flags & kFlagWrite) != 0) << spec.name;
    EXPECT_EQ(spec.route == Route::kRead, (spec.flags & kFlagReadOnly) != 0) << spec.name;
  }
}

TEST(Classify, UnknownCommandUsesRedisText) {
  EXPECT_EQ(classify({"foo", "a"}).error,
            "ERR unknown command 'foo', with args beginning with: 'a' ");
  EXPECT_EQ(classify({"foo"}).error, "ERR unknown command 'foo', with args beginning with: ");
  EXPECT_EQ(classify({"foo", "a", "b c"}).error,
            "ERR unknown command 'foo', with args beginning with: 'a' 'b c' ");
  // Arguments are shown until 128 characters are used, the last one cut to fit.
  const std::string long_arg(200, 'x');
  EXPECT_EQ(
      classify({"foo", long_arg, "y"}).error,
      "ERR unknown command 'foo', with args beginning with: '" + std::string(128, 'x') + "' ");
  EXPECT_EQ(classify({std::string(300, 'z')}).error,
            "ERR unknown command '" + std::string(128, 'z') + "', with args beginning with: ");
}

TEST(Classify, WrongArityUsesRedisText) {
  EXPECT_EQ(classify({"get"}).error, "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(classify({"GET", "a", "b"}).error, "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(classify({"SET", "k"}).error, "ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(classify({"MSET", "a", "1", "b"}).error,
            "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(classify({"echo"}).error, "ERR wrong number of arguments for 'echo' command");
}

TEST(Classify, WritesAreValidatedBeforeProposing) {
  EXPECT_EQ(classify({"INCRBY", "k", "x"}).error, "ERR value is not an integer or out of range");
  EXPECT_EQ(classify({"INCRBY", "k", "01"}).error, "ERR value is not an integer or out of range");
  EXPECT_EQ(classify({"INCRBY", "k", " 1"}).error, "ERR value is not an integer or out of range");
  EXPECT_EQ(classify({"DECRBY", "k", "-9223372036854775808"}).error,
            "ERR decrement would overflow");
  EXPECT_EQ(classify({"SET", "k", "v", "NX", "XX"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"SET", "k", "v", "BOGUS"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"SET", "k", "v", "EX"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"SET", "k", "v", "EX", "x"}).error,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(classify({"SET", "k", "v", "EX", "0"}).error,
            "ERR invalid expire time in 'set' command");
  EXPECT_EQ(classify({"SET", "k", "v", "PX", "100"}).error, "");
  EXPECT_EQ(classify({"SET", "k", "v", "EX", "5", "KEEPTTL"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"SET", "k", "v", "EX", "5", "PX", "5"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"SET", "k", "v", "EX", "9223372036854775807"}).error,
            "ERR invalid expire time in 'set' command");
  EXPECT_EQ(classify({"SETEX", "k", "0", "v"}).error, "ERR invalid expire time in 'setex' command");
  EXPECT_EQ(classify({"EXPIRE", "k", "x"}).error, "ERR value is not an integer or out of range");
  EXPECT_EQ(classify({"EXPIRE", "k", "10", "NX", "XX"}).error,
            "ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(classify({"EXPIRE", "k", "10", "GT", "LT"}).error,
            "ERR GT and LT options at the same time are not compatible");
  EXPECT_EQ(classify({"EXPIRE", "k", "x", "NX", "XX"}).error,
            "ERR NX and XX, GT or LT options at the same time are not compatible")
      << "Redis reads the flags before the time";
  EXPECT_EQ(classify({"PEXPIREAT", "k", "x", "SOON"}).error, "ERR Unsupported option SOON");
  EXPECT_EQ(classify({"EXPIRE", "k", "10", "SOON"}).error, "ERR Unsupported option SOON");
  EXPECT_EQ(classify({"EXPIRE", "k", "-5"}).error, "") << "a past deadline deletes the key";
  EXPECT_EQ(classify({"SET", "k", "v", "nx", "get", "keepttl"}).error, "");
  EXPECT_EQ(classify({"FLUSHALL", "ASYNC"}).error, "");
  EXPECT_EQ(classify({"FLUSHALL", "x"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"SCAN", "x"}).error, "ERR invalid cursor");
  // strtoul's rules, as Redis's parseScanCursorOrReply.
  for (const char* ok : {"", "-1", "+0", "-0", "007", "-18446744073709551615"}) {
    EXPECT_EQ(classify({"SCAN", ok}).error, "") << ok;
  }
  for (const char* bad : {"+", "-", " 1", "1 ", "+-1", "--1", "0x1", "-18446744073709551616"}) {
    EXPECT_EQ(classify({"SCAN", bad}).error, "ERR invalid cursor") << bad;
  }
  EXPECT_EQ(classify({"SCAN", "0", "COUNT", "0"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"SCAN", "0", "COUNT", "z"}).error,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(classify({"SCAN", "0", "MATCH"}).error, "ERR syntax error");
  EXPECT_EQ(classify({"DEBUG", "SLEEP", "0"}).error,
            "ERR unknown subcommand 'SLEEP'. Try DEBUG HELP.");
}

TEST(Classify, SeqTagsOneWrite) {
  const auto c = classify({"SEQ", "12", "3", "set", "k", "v"});
  ASSERT_TRUE(c.ok()) << c.error;
  EXPECT_EQ(c.route, Route::kWrite);
  EXPECT_EQ(c.spec->id, CommandId::kSet);
  EXPECT_EQ(c.session_id, 12u);
  EXPECT_EQ(c.seq, 3u);
  const auto entry = make_log_command({"SEQ", "12", "3", "set", "k", "v"}, c, 99);
  EXPECT_EQ(entry, (LogCommand{12, 3, 99, {"set", "k", "v"}}));

  EXPECT_EQ(classify({"SEQ", "0", "1", "SET", "k", "v"}).error, "ERR invalid session id");
  EXPECT_EQ(classify({"SEQ", "x", "1", "SET", "k", "v"}).error, "ERR invalid session id");
  EXPECT_EQ(classify({"SEQ", "1", "-1", "SET", "k", "v"}).error, "ERR invalid sequence number");
  EXPECT_EQ(classify({"SEQ", "1", "1", "GET", "k"}).error,
            "ERR SEQ only tags data-changing commands (not 'get')");
  EXPECT_EQ(classify({"SEQ", "1", "1", "SESSION", "OPEN"}).error,
            "ERR SEQ only tags data-changing commands (not 'session')");
  EXPECT_EQ(classify({"SEQ", "1", "1", "SET", "k"}).error,
            "ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(classify({"SEQ", "1", "1", "nope"}).error,
            "ERR unknown command 'nope', with args beginning with: ");
  EXPECT_EQ(classify({"SEQ", "1", "1"}).error, "ERR wrong number of arguments for 'seq' command");
  EXPECT_EQ(classify({"SESSION", "FOO"}).error, "ERR unknown subcommand 'FOO'. Try SESSION HELP.");
  EXPECT_EQ(classify({"SESSION", "CLOSE", "x"}).error, "ERR invalid session id");
}

TEST(LocalCommands, PingEchoSelect) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(kv.run({"PING", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(kv.run({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(kv.run({"ECHO", "x y"}), "$3\r\nx y\r\n");
  EXPECT_EQ(kv.run({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"SELECT", "1"}), "-ERR DB index is out of range\r\n");
}

TEST(LocalCommands, ClientNameAndId) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"CLIENT", "ID"}), ":7\r\n");
  EXPECT_EQ(kv.run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"CLIENT", "SETNAME", "worker-1"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"client", "getname"}), "$8\r\nworker-1\r\n");
  EXPECT_EQ(kv.run({"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(kv.run({"CLIENT", "SETNAME"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(kv.run({"CLIENT", "KILL"}), "-ERR unknown subcommand 'KILL'. Try CLIENT HELP.\r\n");
}

TEST(LocalCommands, CommandIntrospection) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"COMMAND", "COUNT"}), ":" + std::to_string(command_table().size()) + "\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "DOCS"}), "*0\r\n");
  EXPECT_EQ(kv.run({"COMMAND", "INFO", "get", "nope"}),
            "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
            "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n"
            "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
            "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
            "*2\r\n$5\r\nindex\r\n:1\r\n"
            "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
            "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
            "*0\r\n$-1\r\n");
  const std::string all = kv.run({"COMMAND"});
  EXPECT_EQ(all.rfind("*" + std::to_string(command_table().size()) + "\r\n", 0), 0u);
  EXPECT_EQ(kv.run({"COMMAND", "FOO"}), "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n");
}

// CONFIG GET answers what raftkv's fixed behaviour corresponds to (redis-benchmark asks
// for "save" and "appendonly" before it starts); nothing can be set.
TEST(LocalCommands, ConfigGetDescribesFixedBehaviourAndSetIsRefused) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"CONFIG", "GET", "appendonly"}), "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
  EXPECT_EQ(kv.run({"CONFIG", "GET", "save"}), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  EXPECT_EQ(kv.run({"CONFIG", "GET", "append*", "databases"}),
            "*6\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n"
            "$9\r\ndatabases\r\n$1\r\n1\r\n");
  EXPECT_EQ(kv.run({"CONFIG", "GET", "nothing"}), "*0\r\n");
  EXPECT_EQ(kv.run({"CONFIG", "SET", "save", ""}).substr(0, 26), "-ERR CONFIG set is not sup");
}

}  // namespace
}  // namespace raftkv::kv
