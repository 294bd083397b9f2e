// Lua scripts at the state machine: Redis 7.0's replies and errors (the texts were taken
// from redis-server 7.0.15), the replicated script cache, read-only scripts, and
// determinism across replicas (scripting.h, lua_engine.h).
#include "kv/scripting.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <memory>

#include "kv/byte_codec.h"
#include "kv/key_specs.h"
#include "kv/sha1.h"
#include "kv/transaction.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

std::string eval(KvHarness& kv, std::string body, std::vector<std::string> rest = {"0"}) {
  Argv argv{"EVAL", std::move(body)};
  argv.insert(argv.end(), rest.begin(), rest.end());
  return kv.run(argv);
}

std::string err(std::string_view text) {
  return "-" + std::string(text) + "\r\n";
}

TEST(Sha1, KnownDigests) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex(std::string(1000, 'a')), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
  EXPECT_EQ(sha1_hex("return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(Scripting, LuaToRespConversions) {
  KvHarness kv;
  EXPECT_EQ(eval(kv, "return {1, 2.9, -3.7, 'a', true, false, nil, 'after'}"),
            "*6\r\n:1\r\n:2\r\n:-3\r\n$1\r\na\r\n:1\r\n$-1\r\n");
  EXPECT_EQ(eval(kv, "return {1, {2, {3, 'x'}}, {ok='fine'}, {err='bad'}}"),
            "*4\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n+fine\r\n-bad\r\n");
  EXPECT_EQ(eval(kv, "return 1e20"), ":-9223372036854775808\r\n");
  EXPECT_EQ(eval(kv, "return nil"), "$-1\r\n");
  EXPECT_EQ(eval(kv, "return redis.status_reply('FINE')"), "+FINE\r\n");
  EXPECT_EQ(eval(kv, "return redis.error_reply('My Error')"), err("My Error"));
  EXPECT_EQ(eval(kv, "return redis.error_reply('oops')"), err("ERR oops"));
  EXPECT_EQ(eval(kv, "local t = {} t[1] = t return t").substr(0, 4), "*1\r\n")
      << "a table containing itself ends in an error, not a crash";
}

// Redis sorts a set inside a script even BY a constant (sort.c), so that the result does
// not hang on hash order; lists keep their order, and outside scripts a set its own.
TEST(Scripting, SortOfASetByAConstantIsAlphaInsideAScript) {
  KvHarness kv;
  kv.run({"SADD", "s", "b", "c", "a", "10", "2"});
  kv.run({"RPUSH", "l", "b", "c", "a"});
  kv.run({"SET", "w_a", "3"});
  const std::string sorted = "*5\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
  EXPECT_EQ(eval(kv, "return redis.call('sort', 's', 'by', 'nosort')"), sorted);
  EXPECT_EQ(eval(kv, "return redis.call('sort_ro', 's', 'BY', 'x', 'by', 'w_*')"), sorted)
      << "a constant BY anywhere drops every BY";
  EXPECT_EQ(eval(kv, "return redis.call('sort', 's', 'by', 'nosort', 'desc', 'limit', '0', '2')"),
            "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
  EXPECT_EQ(eval(kv, "return redis.call('sort', 's', 'by', 'nosort', 'get', 'w_*', 'limit', 2, 1)"),
            "*1\r\n$1\r\n3\r\n");
  EXPECT_EQ(eval(kv, "return redis.call('sort', 'l', 'by', 'nosort')"),
            "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n");
  EXPECT_NE(kv.run({"SORT", "s", "BY", "nosort"}), sorted) << "outside a script: the set's order";
}

TEST(Scripting, RespToLuaConversions) {
  KvHarness kv;
  kv.run({"SET", "s", "v"});
  kv.run({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(eval(kv, "local r = redis.call('set','k','v') return type(r) .. r.ok"),
            "$7\r\ntableOK\r\n");
  EXPECT_EQ(eval(kv, "return type(redis.call('get','nokey'))"), "$7\r\nboolean\r\n");
  EXPECT_EQ(eval(kv, "return redis.call('incr','n') + 1"), ":2\r\n");
  EXPECT_EQ(eval(kv, "return redis.call('lrange','l',0,-1)"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  // Redis 7.0's pcall hands back a caught error table's text.
  EXPECT_EQ(eval(kv, "return {pcall(redis.call, 'incr', 's')}"),
            "*2\r\n$-1\r\n$43\r\nERR value is not an integer or out of range\r\n");
  EXPECT_EQ(eval(kv, "return {pcall(error, {1})}"), "*2\r\n$-1\r\n*1\r\n:1\r\n");
  EXPECT_EQ(eval(kv, "return redis.pcall('incr','s')['err']"),
            "$43\r\nERR value is not an integer or out of range\r\n");
  EXPECT_EQ(eval(kv, "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", {"1", "k1", "a1"}),
            "*4\r\n$2\r\nk1\r\n$2\r\na1\r\n:1\r\n:1\r\n");
  // Numbers as arguments are printed with %.17g, as Redis 7.0 does.
  EXPECT_EQ(eval(kv, "redis.call('set', 'f', 0.1) return redis.call('get', 'f')"),
            "$19\r\n0.10000000000000001\r\n");
}

// Each script's error, and the sha Redis names in it, as redis-server 7.0.15 answers.
TEST(Scripting, ErrorsAsRedisFormatsThem) {
  KvHarness kv;
  kv.run({"SET", "s", "a"});
  const std::pair<std::string, std::string> cases[] = {
      {"return redis.call('incr','s')", "ERR value is not an integer or out of range"},
      {"error('boom')", "ERR user_script:1: boom"},
      {"error({err='tbl'})", "tbl"},
      {"return x", "ERR user_script:1: Script attempted to access nonexistent global variable 'x'"},
      {"x = 5", "ERR user_script:1: Attempt to modify a readonly table"},
      {"string.foo = 1", "ERR user_script:1: Attempt to modify a readonly table"},
      {"return redis.call('nosuch')", "ERR Unknown Redis command called from script"},
      {"return redis.call('get')", "ERR Wrong number of args calling Redis command from script"},
      {"return redis.call('multi')", "ERR This Redis command is not allowed from script"},
      {"return redis.log()", "ERR redis.log() requires two arguments or more."},
  };
  for (const auto& [script, message] : cases) {
    EXPECT_EQ(eval(kv, script),
              err(message + " script: " + sha1_hex(script) + ", on @user_script:1."));
  }
  EXPECT_EQ(sha1_hex(cases[0].first), "c243b9f46db13ba8f69da41b45a77708832babed");
  EXPECT_EQ(eval(kv, "return 1 +"),
            err("ERR Error compiling script (new function): user_script:1: unexpected symbol "
                "near '<eof>'"));
  EXPECT_EQ(eval(kv, "return redis.log(redis.LOG_WARNING,'hello')"), "$-1\r\n");
}

TEST(Scripting, NumkeysIsCheckedBeforeProposing) {
  EXPECT_EQ(classify({"EVAL", "return 1", "-1"}).error, "ERR Number of keys can't be negative");
  EXPECT_EQ(classify({"EVAL", "return 1", "2", "a"}).error,
            "ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(classify({"EVAL", "return 1", "x"}).error,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(classify({"EVAL", "#!python\nreturn 1", "0"}).error,
            "ERR Unexpected engine in script shebang: #!python");
  EXPECT_EQ(classify({"EVAL", "#!lua flags=bogus\nreturn 1", "0"}).error,
            "ERR Unexpected flag in script shebang: bogus");
  EXPECT_EQ(classify({"SCRIPT", "FLUSH", "x"}).error,
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  EXPECT_EQ(classify({"SCRIPT", "LOAD"}).error,
            "ERR wrong number of arguments for 'script|load' command");
}

TEST(Scripting, RoutesAndKeys) {
  EXPECT_EQ(classify({"EVAL", "return 1", "0"}).route, Route::kWrite);
  EXPECT_EQ(classify({"EVAL", "#!lua flags=no-writes\nreturn 1", "0"}).route, Route::kRead);
  EXPECT_EQ(classify({"EVAL_RO", "return 1", "0"}).route, Route::kRead);
  EXPECT_EQ(classify({"SCRIPT", "LOAD", "return 1"}).route, Route::kWrite);
  EXPECT_EQ(classify({"SCRIPT", "exists", "x"}).route, Route::kRead);
  EXPECT_EQ(classify({"SCRIPT", "HELP"}).route, Route::kLocal);
  const CommandSpec& eval = *find_command("eval");
  EXPECT_EQ(command_keys(eval, Argv{"EVAL", "b", "1", "k", "a"}).first(), 3u);
  EXPECT_EQ(command_keys(eval, Argv{"EVAL", "b", "0", "a"}).first(), 0u);
}

TEST(Scripting, CacheLoadExistsFlushAndNoscript) {
  KvHarness kv;
  const std::string sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
  EXPECT_EQ(kv.run({"EVALSHA", sha, "0"}), err(kNoScriptError));
  EXPECT_EQ(kv.run({"SCRIPT", "LOAD", "return 1"}), "$40\r\n" + sha + "\r\n");
  EXPECT_EQ(kv.run({"EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"}), ":1\r\n");
  EXPECT_EQ(kv.run({"EVALSHA_RO", sha, "0"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SCRIPT", "EXISTS", sha, "abc"}), "*2\r\n:1\r\n:0\r\n");
  EXPECT_EQ(kv.run({"SCRIPT", "LOAD", "return 1 +"}),
            err("ERR Error compiling script (new function): user_script:1: unexpected symbol "
                "near '<eof>'"));
  EXPECT_EQ(kv.run({"SCRIPT", "FLUSH"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"EVALSHA", sha, "0"}), err(kNoScriptError));
  EXPECT_EQ(kv.run({"EVAL", "return 2", "0"}), ":2\r\n");
  EXPECT_NE(kv.sm.scripts().find(sha1_hex("return 2")), nullptr) << "EVAL caches its script";
  EXPECT_EQ(kv.run({"EVAL", "return 1 +", "0"}).substr(0, 28), "-ERR Error compiling script ");
  EXPECT_EQ(kv.sm.scripts().size(), 1u) << "a script that does not compile is not cached";
  EXPECT_EQ(kv.run({"SCRIPT", "KILL"}), err("NOTBUSY No scripts in execution right now."));
}

TEST(Scripting, ReadOnlyScriptsRefuseWrites) {
  KvHarness kv;
  kv.run({"SET", "k", "v"});
  EXPECT_EQ(kv.run({"EVAL_RO", "return redis.call('get','k')", "0"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"EVAL_RO", "return redis.call('set','a','b')", "0"}),
            err("ERR Write commands are not allowed from read-only scripts. script: "
                "ff967d0ae0e68b4f9e360fa91c54598bc25ad9b6, on @user_script:1."));
  EXPECT_EQ(kv.run({"EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"}),
            err("ERR Write commands are not allowed from read-only scripts. script: "
                "6acb400a50fe96e33eca4e0af6e9dcfb21193726, on @user_script:2."));
  EXPECT_EQ(kv.run({"EXISTS", "a"}), ":0\r\n");
  EXPECT_EQ(kv.sm.scripts().size(), 0u) << "the read path changes nothing";
}

TEST(Scripting, AFailingScriptKeepsItsEarlierWrites) {
  KvHarness kv;
  EXPECT_EQ(eval(kv, "redis.call('set','a','1') error('later')").substr(0, 29),
            "-ERR user_script:1: later scr");
  EXPECT_EQ(kv.run({"GET", "a"}), "$1\r\n1\r\n");
}

TEST(Scripting, SandboxHidesWhatRedisHides) {
  KvHarness kv;
  for (const char* name : {"os", "io", "print", "loadfile", "dofile", "require", "setfenv"}) {
    EXPECT_NE(
        eval(kv, std::string("return type(") + name + ")").find("nonexistent global variable"),
        std::string::npos)
        << name;
  }
  EXPECT_EQ(eval(kv, "return {type(cjson), type(bit), type(loadstring), type(coroutine)}"),
            "*4\r\n$5\r\ntable\r\n$5\r\ntable\r\n$8\r\nfunction\r\n$5\r\ntable\r\n");
  EXPECT_EQ(eval(kv, "return cjson.encode({1,2,'x'})"), "$9\r\n[1,2,\"x\"]\r\n");
  EXPECT_EQ(eval(kv, "return {bit.band(0xff, 0x0f), bit.tohex(255), bit.lshift(1,4)}"),
            "*3\r\n:15\r\n$8\r\n000000ff\r\n:16\r\n");
  EXPECT_EQ(eval(kv, "return {struct.unpack('<i4hc0', struct.pack('<i4hc0', -2, 3, 'xyz'))}"),
            "*3\r\n:-2\r\n$3\r\nxyz\r\n:10\r\n")
      << "struct, as Redis bundles it";
  EXPECT_EQ(eval(kv, "return loadstring(string.dump(function() return 1 end))"), "$-1\r\n")
      << "no precompiled chunks";
  EXPECT_EQ(eval(kv, "return tostring({})"), "$17\r\ntable: 0x00000001\r\n") << "no addresses";
}

// Redis's generator: as a fresh redis-server 7.0 starts it, its first math.random(1000) is 397.
TEST(Scripting, MathRandomIsRedisRand48SeededFromTheEntry) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"EVAL_RO", "return math.random(1000)", "0"}), ":397\r\n");
  const std::string first = eval(kv, "return {math.random(1000000), math.random(1000000)}");
  const std::string second = eval(kv, "return {math.random(1000000), math.random(1000000)}");
  EXPECT_NE(first, second) << "another entry, another seed";
  const std::string wide = eval(kv, "return math.random(-2147483648, 2147483647)");
  EXPECT_EQ(wide[0], ':') << "the whole int range, without overflow (UBSan)";
}

// Two replicas apply the same entries: the same replies and the same state, byte for byte.
TEST(Scripting, ReplicasComputeTheSameRandomAndTime) {
  KvHarness a, b;
  b.time_ms = a.time_ms;
  const std::vector<Argv> entries = {
      {"EVAL", "redis.call('set', KEYS[1], math.random()) return redis.call('time')", "1", "r"},
      {"EVAL",
       "local t = {} for i=1,100 do t[i] = math.random(1, 1000) end "
       "redis.call('rpush', 'l', unpack(t)) return t",
       "0"},
      {"EVAL", "return tostring({}) .. tostring(function() end)", "0"},
  };
  for (const Argv& argv : entries) {
    EXPECT_EQ(a.run(argv), b.run(argv));
  }
  EXPECT_EQ(a.sm.serialize(), b.sm.serialize());
  EXPECT_EQ(a.run({"EVAL", "return redis.call('time')", "0"}), "*2\r\n$4\r\n1000\r\n$1\r\n0\r\n")
      << "TIME inside a script is log time";
}

// Runs `script` on two fresh replicas with `limits`; expects the same reply from both.
// The first replica stays in `first` for more checks.
std::string on_two_replicas(ScriptLimits limits, const std::string& script,
                            std::unique_ptr<KvHarness>* first) {
  StateMachineOptions options;
  options.scripts = limits;
  *first = std::make_unique<KvHarness>(options);
  KvHarness second(options);
  const std::string reply = eval(**first, script);
  EXPECT_EQ(reply, eval(second, script));
  return reply;
}

TEST(Scripting, TheInstructionBudgetStopsALoopAtTheSamePointEverywhere) {
  std::unique_ptr<KvHarness> a;
  const std::string reply =
      on_two_replicas({.instructions = 1'000'000}, "redis.call('incr', 'n') while true do end", &a);
  EXPECT_NE(reply.find("ERR user_script:1: Script exceeded the instruction limit of 1000000 "
                       "instructions script: "),
            std::string::npos)
      << reply;
  EXPECT_EQ(a->run({"GET", "n"}), "$1\r\n1\r\n") << "earlier writes stay, as in Redis";
  // pcall cannot catch it and go on.
  const std::string caught = eval(*a, "while true do pcall(function() while true do end end) end");
  EXPECT_NE(caught.find("Script exceeded the instruction limit"), std::string::npos) << caught;
}

// Equal strings are one object in Lua, so this loop's memory hardly grows: what stops it is
// string.rep's work, charged to the instruction budget by what it allocates.
TEST(Scripting, TheBudgetStopsWorkDoneInsideLibraryFunctions) {
  std::unique_ptr<KvHarness> a;
  const std::string reply = on_two_replicas(
      {.instructions = 10'000'000}, "local t={} while true do t[#t+1]=string.rep('x',1e6) end", &a);
  EXPECT_NE(reply.find("Script exceeded the instruction limit"), std::string::npos) << reply;
}

TEST(Scripting, TheMemoryBoundStopsAGrowingScript) {
  std::unique_ptr<KvHarness> a;
  const std::string reply = on_two_replicas(
      {.memory_bytes = 4 << 20},
      "local t={} local i=0 while true do i=i+1 t[i]=string.rep('x',1e4)..i end", &a);
  EXPECT_NE(reply.find("more than its memory limit of 4194304 bytes"), std::string::npos) << reply;
  EXPECT_EQ(eval(*a, "return 1"), ":1\r\n") << "the next script runs normally";
}

TEST(Scripting, EvalInsideATransaction) {
  KvHarness kv;
  LogCommand tx;
  tx.transaction = true;
  tx.time_ms = kv.time_ms;
  tx.queued = {{"SET", "a", "1"},
               {"EVAL", "return redis.call('incr', KEYS[1])", "1", "a"},
               {"EVALSHA", sha1_hex("return redis.call('incr', KEYS[1])"), "1", "a"}};
  EXPECT_EQ(kv.sm.apply(++kv.index, encode_log_command(tx)), "*3\r\n+OK\r\n:2\r\n:3\r\n");
  EXPECT_EQ(transaction_queue_error(classify({"EVAL", "return 1", "0"})), "");
}

TEST(Scripting, TheCacheIsInTheSnapshot) {
  KvHarness kv;
  kv.run({"SCRIPT", "LOAD", "return 'b'"});
  kv.run({"SCRIPT", "LOAD", "return 'a'"});
  kv.run({"EVAL", "return 'c'", "0"});
  const std::string image = kv.sm.serialize();
  EXPECT_EQ(image.substr(0, 8), "RKVSNAP8");
  StateMachine restored;
  ASSERT_TRUE(restored.restore(image).is_ok());
  EXPECT_EQ(restored.scripts(), kv.sm.scripts());
  EXPECT_EQ(restored.serialize(), image);
  EXPECT_EQ(restored.read({"EVALSHA_RO", sha1_hex("return 'a'"), "0"}), "$1\r\na\r\n");
}

// An empty state's image of version `magic` with these script bodies (none for RKVSNAP4).
std::string image_with_scripts(std::string_view magic, std::vector<std::string> bodies) {
  std::string out;
  ByteWriter w(&out);
  w.raw(magic);
  for (int i = 0; i < 6; ++i) w.varint(i == 0 ? 5 : 0);  // applied index 5, then empty sections
  if (magic == "RKVSNAP5") w.varint(bodies.size());
  for (const auto& body : bodies) w.bytes(body);
  w.fixed64(XXH3_64bits(out.data(), out.size()));
  return out;
}

TEST(Scripting, SnapshotScriptsMustBeInShaOrderAndOlderImagesRestore) {
  std::vector<std::string> bodies = {"return 'a'", "return 'b'", "return 'c'"};
  std::sort(bodies.begin(), bodies.end(),
            [](const auto& x, const auto& y) { return sha1_hex(x) < sha1_hex(y); });
  StateMachine sm;
  ASSERT_TRUE(sm.restore(image_with_scripts("RKVSNAP5", bodies)).is_ok());
  EXPECT_EQ(sm.scripts().size(), 3u);
  std::swap(bodies[0], bodies[1]);
  EXPECT_FALSE(sm.restore(image_with_scripts("RKVSNAP5", bodies)).is_ok());
  EXPECT_FALSE(sm.restore(image_with_scripts("RKVSNAP5", {"x", "x"})).is_ok()) << "repeated";
  ASSERT_TRUE(sm.restore(image_with_scripts("RKVSNAP4", {})).is_ok());
  EXPECT_EQ(sm.scripts().size(), 0u);
  EXPECT_EQ(sm.applied_index(), 5u);
}

}  // namespace
}  // namespace raftkv::kv
