// Redis 7.0 functions at the state machine: FUNCTION LOAD's metadata, load-time API and
// errors, FCALL and FCALL_RO, LIST, STATS, DELETE, FLUSH, KILL, HELP, the libraries in the
// snapshot, and determinism across replicas. The expected texts were taken from
// redis-server 7.0.15 (function_commands.h, function_library.h).
#include <gtest/gtest.h>
#include <xxhash.h>

#include "kv/ascii.h"
#include "kv/byte_codec.h"
#include "kv/function_commands.h"
#include "kv/resp3.h"
#include "kv/state_machine.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

std::string err(std::string_view text) {
  return "-" + std::string(text) + "\r\n";
}

std::string bulk(std::string_view text) {
  return "$" + std::to_string(text.size()) + "\r\n" + std::string(text) + "\r\n";
}

std::string load(KvHarness& kv, std::string_view code, bool replace = false) {
  if (replace) return kv.run({"FUNCTION", "LOAD", "REPLACE", std::string(code)});
  return kv.run({"FUNCTION", "LOAD", std::string(code)});
}

constexpr std::string_view kLib =
    "#!lua name=mylib\n"
    "redis.register_function('echo', function(keys, args) return {keys, args} end)\n"
    "redis.register_function('boom', function(keys, args) error('boom') end)\n"
    "redis.register_function('setx', function(keys, args)\n"
    "  return redis.call('set', keys[1], args[1]) end)\n"
    "redis.register_function('glob', function(keys, args) return KEYS end)\n"
    "redis.register_function{function_name='ro', callback=function(keys, args)\n"
    "  return redis.call('get', keys[1]) end, flags={'no-writes'}, description='read it'}\n"
    "redis.register_function{function_name='rowrite', callback=function(keys, args)\n"
    "  return redis.call('set', keys[1], 'v') end, flags={'no-writes'}}\n"
    "redis.register_function('rand', function() return math.random(1000000) end)\n";

TEST(Functions, LoadAndCall) {
  KvHarness kv;
  EXPECT_EQ(load(kv, kLib), bulk("mylib"));
  EXPECT_EQ(kv.run({"FCALL", "echo", "2", "a", "b", "c", "d"}),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n$1\r\nc\r\n$1\r\nd\r\n");
  EXPECT_EQ(kv.run({"FCALL", "ECHO", "0"}), "*2\r\n*0\r\n*0\r\n") << "names are case-insensitive";
  EXPECT_EQ(kv.run({"FCALL", "setx", "1", "k", "v1"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), bulk("v1"));
  EXPECT_EQ(kv.run({"FCALL", "ro", "1", "k"}), bulk("v1"));
  EXPECT_EQ(kv.run({"FCALL_RO", "ro", "1", "k"}), bulk("v1"));
  EXPECT_EQ(kv.run({"FCALL", "boom", "0"}),
            err("ERR user_function:3: boom script: boom, on @user_function:3."));
  EXPECT_EQ(kv.run({"FCALL", "glob", "0"}),
            err("ERR user_function:6: Script attempted to access nonexistent global variable "
                "'KEYS' script: glob, on @user_function:6."));
}

TEST(Functions, ReadOnlyFunctions) {
  KvHarness kv;
  ASSERT_EQ(load(kv, kLib), bulk("mylib"));
  EXPECT_EQ(kv.run({"FCALL_RO", "setx", "1", "k", "v"}),
            err("ERR Can not execute a script with write flag using *_ro command."));
  const std::string refused =
      err("ERR Write commands are not allowed from read-only scripts. script: rowrite, on "
          "@user_function:10.");
  EXPECT_EQ(kv.run({"FCALL_RO", "rowrite", "1", "k"}), refused);
  EXPECT_EQ(kv.run({"FCALL", "rowrite", "1", "k"}), refused) << "no-writes holds for FCALL too";
  EXPECT_EQ(kv.run({"EXISTS", "k"}), ":0\r\n");
  EXPECT_EQ(classify({"FCALL_RO", "ro", "1", "k"}).route, Route::kRead);
  EXPECT_EQ(classify({"FCALL", "ro", "1", "k"}).route, Route::kWrite);
}

TEST(Functions, CallErrors) {
  KvHarness kv;
  ASSERT_EQ(load(kv, kLib), bulk("mylib"));
  EXPECT_EQ(kv.run({"FCALL", "nosuch", "0"}), err("ERR Function not found"));
  EXPECT_EQ(kv.run({"FCALL", "nosuch", "x"}), err("ERR Function not found"));
  EXPECT_EQ(kv.run({"FCALL_RO", "nosuch", "0"}), err("ERR Function not found"));
  EXPECT_EQ(kv.run({"FCALL", "echo", "x"}), err("ERR Bad number of keys provided"));
  EXPECT_EQ(kv.run({"FCALL_RO", "setx", "x"}), err("ERR Bad number of keys provided"));
  EXPECT_EQ(kv.run({"FCALL", "echo", "99999999999999999999"}),
            err("ERR Bad number of keys provided"));
  EXPECT_EQ(kv.run({"FCALL", "echo", "-1"}), err("ERR Number of keys can't be negative"));
  EXPECT_EQ(kv.run({"FCALL", "echo", "3", "a"}),
            err("ERR Number of keys can't be greater than number of args"));
  EXPECT_EQ(kv.run({"FCALL", "echo"}), err("ERR wrong number of arguments for 'fcall' command"));
  EXPECT_EQ(kv.run({"FCALL_RO"}), err("ERR wrong number of arguments for 'fcall_ro' command"));
}

TEST(Functions, MetadataErrors) {
  KvHarness kv;
  EXPECT_EQ(load(kv, "return 1"), err("ERR Missing library metadata"));
  EXPECT_EQ(load(kv, "#!lua name=lib2"), err("ERR Invalid library metadata"));
  EXPECT_EQ(load(kv, "#!lua\n"), err("ERR Library name was not given"));
  EXPECT_EQ(load(kv, "#!js\n"), err("ERR Library name was not given"));
  EXPECT_EQ(load(kv, "#!lua name=a foo=bar\n"), err("ERR Invalid metadata value given: foo=bar"));
  EXPECT_EQ(load(kv, "#!lua name=a name=b\n"),
            err("ERR Invalid metadata value, name argument was given multiple times"));
  EXPECT_EQ(load(kv, "#!  lua name=a\n"), err("ERR Invalid metadata value given: lua"));
  EXPECT_EQ(load(kv, "#!js name=a\n"), err("ERR Engine 'js' not found"));
  const std::string bad_name =
      err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
          "least one character long");
  EXPECT_EQ(load(kv, "#!lua name=bad-name!\n"), bad_name);
  EXPECT_EQ(load(kv, "#!lua name=\n"), bad_name);
  EXPECT_EQ(load(kv, "#!js name=bad!\n"), bad_name) << "the name is checked before the engine";
  EXPECT_EQ(load(kv, "#!lua name=\"a b\"\n"), bad_name);
  EXPECT_EQ(load(kv, "#!lua name=\"ab\n"), err("ERR Invalid library metadata"));
  EXPECT_EQ(load(kv, "#!lua name=lib2\nreturn 1"), err("ERR No functions registered"));
  EXPECT_EQ(load(kv, "#!LUA   NAME=ok  \nredis.register_function('f', function() end)"),
            bulk("ok"));
}

TEST(Functions, LoadTimeApiAndErrors) {
  KvHarness kv;
  auto body = [&](std::string code) { return load(kv, "#!lua name=lib\n" + code); };
  const std::string prefix = "ERR Error registering functions: ";
  EXPECT_EQ(body("syntax error here"),
            err("ERR Error compiling function: user_function:2: '=' expected near 'error'"));
  for (const char* name : {"error", "KEYS", "pairs", "math", "string", "tostring", "_G"}) {
    EXPECT_EQ(body(std::string("local x = ") + name),
              err(prefix +
                  "ERR user_function:2: Script attempted to access nonexistent global "
                  "variable '" +
                  name + "'"));
  }
  for (const char* name : {"call", "pcall", "setresp", "sha1hex", "error_reply"}) {
    EXPECT_EQ(body(std::string("local x = redis.") + name),
              err(prefix +
                  "ERR user_function:2: Script attempted to access nonexistent global "
                  "variable '" +
                  name + "'"));
  }
  EXPECT_EQ(body("x = 5"), err(prefix + "ERR user_function:2: Attempt to modify a readonly table"));
  EXPECT_EQ(body("redis.log(redis.LOG_WARNING)"),
            err(prefix + "ERR redis.log() requires two arguments or more."));
  EXPECT_EQ(body("redis.log(redis.LOG_WARNING, 'hi')\n"
                 "local l = redis.LOG_DEBUG + redis.LOG_VERBOSE + redis.LOG_NOTICE\n"
                 "redis.register_function('f', function() return l end)"),
            bulk("lib"));
  EXPECT_EQ(kv.run({"FCALL", "f", "0"}), ":3\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "FLUSH"}), "+OK\r\n");
  EXPECT_EQ(body("redis.register_function('x', function() end)\nwhile true do end"),
            err(prefix + "ERR FUNCTION LOAD timeout"));
  EXPECT_EQ(kv.run({"FUNCTION", "LIST"}), "*0\r\n") << "a failed load changes nothing";
}

TEST(Functions, RegisterFunctionErrors) {
  KvHarness kv;
  auto reg = [&](std::string code) { return load(kv, "#!lua name=lib\n" + code); };
  auto e = [](std::string text) { return err("ERR Error registering functions: ERR " + text); };
  EXPECT_EQ(reg("redis.register_function()"),
            e("wrong number of arguments to redis.register_function"));
  EXPECT_EQ(reg("redis.register_function('a', function() end, 3)"),
            e("wrong number of arguments to redis.register_function"));
  EXPECT_EQ(reg("redis.register_function('g')"),
            e("calling redis.register_function with a single argument is only applicable to "
              "Lua table (representing named arguments)."));
  EXPECT_EQ(reg("redis.register_function('g', 5)"),
            e("second argument to redis.register_function must be a function"));
  EXPECT_EQ(reg("redis.register_function(true, function() end)"),
            e("function_name argument given to redis.register_function must be a string"));
  EXPECT_EQ(reg("redis.register_function('bad name', function() end)"),
            e("Library names can only contain letters, numbers, or underscores(_) and must be "
              "at least one character long"));
  EXPECT_EQ(reg("redis.register_function('g', function() end)\n"
                "redis.register_function('g', function() end)"),
            e("Function already exists in the library"));
  auto named = [&](std::string fields) { return reg("redis.register_function{" + fields + "}"); };
  const std::string cb = "callback=function() end";
  EXPECT_EQ(named("function_name='g', " + cb + ", flags={'no-writes','bad'}"),
            e("unknown flag given"));
  EXPECT_EQ(named("function_name='g', " + cb + ", flags={5}"), e("unknown flag given"));
  EXPECT_EQ(named("function_name='g', " + cb + ", flags='no-writes'"),
            e("flags argument to redis.register_function must be a table representing "
              "function flags"));
  EXPECT_EQ(named("function_name='g', " + cb + ", foo=1"),
            e("unknown argument given to redis.register_function"));
  EXPECT_EQ(named("'q', function() end"), e("unknown argument given to redis.register_function"));
  EXPECT_EQ(named(cb), e("redis.register_function must get a function name argument"));
  EXPECT_EQ(named("function_name='g'"), e("redis.register_function must get a callback argument"));
  EXPECT_EQ(named("function_name='q', callback=5"),
            e("callback argument given to redis.register_function must be a function"));
  EXPECT_EQ(named("function_name={}, " + cb),
            e("function_name argument given to redis.register_function must be a string"));
  EXPECT_EQ(named("function_name='q', " + cb + ", description={}"),
            e("description argument given to redis.register_function must be a string"));
  EXPECT_EQ(kv.run({"FUNCTION", "LIST"}), "*0\r\n");
}

TEST(Functions, ReplaceAndCollisions) {
  KvHarness kv;
  ASSERT_EQ(load(kv, kLib), bulk("mylib"));
  EXPECT_EQ(load(kv, "#!lua name=mylib\nredis.register_function('x', function() end)"),
            err("ERR Library 'mylib' already exists"));
  EXPECT_EQ(load(kv, "#!lua name=other\nredis.register_function('ECHO', function() end)"),
            err("ERR Function ECHO already exists"));
  EXPECT_EQ(load(kv, "#!lua name=mylib\nx", true),
            err("ERR Error compiling function: user_function:2: '=' expected near '<eof>'"));
  EXPECT_EQ(kv.run({"FCALL", "echo", "0"}), "*2\r\n*0\r\n*0\r\n") << "still the old library";
  EXPECT_EQ(
      load(kv, "#!lua name=mylib\nredis.register_function('x', function() return 2 end)", true),
      bulk("mylib"));
  EXPECT_EQ(kv.run({"FCALL", "echo", "0"}), err("ERR Function not found"));
  EXPECT_EQ(kv.run({"FCALL", "x", "0"}), ":2\r\n");
  EXPECT_EQ(load(kv, "#!lua name=other\nredis.register_function('echo', function() end)"),
            bulk("other"))
      << "the replaced library's names are free again";
  EXPECT_EQ(kv.run({"FUNCTION", "DELETE", "mylib"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "DELETE", "mylib"}), err("ERR Library not found"));
  EXPECT_EQ(kv.run({"FCALL", "x", "0"}), err("ERR Function not found"));
  EXPECT_EQ(kv.run({"FUNCTION", "FLUSH", "ASYNC"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"FCALL", "echo", "0"}), err("ERR Function not found"));
}

TEST(Functions, ListAndStats) {
  KvHarness kv;
  const std::string code =
      "#!lua name=small\nredis.register_function{function_name='s1', callback=function() "
      "return 1 end, flags={'no-writes', 'ALLOW-OOM'}, description='d'}\n"
      "redis.register_function('s2', function() return 2 end)";
  ASSERT_EQ(load(kv, code), bulk("small"));
  ASSERT_EQ(load(kv, "#!lua name=b\nredis.register_function('b1', function() end)"), bulk("b"));
  const std::string small =
      "$12\r\nlibrary_name\r\n$5\r\nsmall\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n"
      "*2\r\n*6\r\n$4\r\nname\r\n$2\r\ns1\r\n$11\r\ndescription\r\n$1\r\nd\r\n$5\r\nflags\r\n"
      "*2\r\n+no-writes\r\n+allow-oom\r\n"
      "*6\r\n$4\r\nname\r\n$2\r\ns2\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n";
  EXPECT_EQ(kv.run({"FUNCTION", "LIST", "LIBRARYNAME", "sm*"}), "*1\r\n*6\r\n" + small);
  EXPECT_EQ(kv.run({"FUNCTION", "LIST", "withcode", "libraryname", "sm*"}),
            "*1\r\n*8\r\n" + small + "$12\r\nlibrary_code\r\n" + bulk(code));
  EXPECT_EQ(kv.run({"FUNCTION", "LIST", "LIBRARYNAME", "SM*"}), "*0\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "LIST"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "LIST", "LIBRARYNAME"}),
            err("ERR library name argument was not given"));
  EXPECT_EQ(kv.run({"FUNCTION", "LIST", "foo"}), err("ERR Unknown argument foo"));
  EXPECT_EQ(kv.run({"FUNCTION", "LIST", "WITHCODE", "withcode"}),
            err("ERR Unknown argument withcode"));
  EXPECT_EQ(kv.run({"FUNCTION", "LIST", "libraryname", "a", "libraryname", "b"}),
            err("ERR Unknown argument libraryname"));
  EXPECT_EQ(kv.run({"FUNCTION", "STATS"}),
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n"
            "$15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n");
}

TEST(Functions, SubcommandsAndAbusiveArguments) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"FUNCTION", "KILL"}), err("NOTBUSY No scripts in execution right now."));
  const std::string help =
      "*40\r\n+FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n";
  EXPECT_EQ(kv.run({"FUNCTION", "HELP"}).substr(0, help.size()), help);
  EXPECT_EQ(kv.run({"FUNCTION"}), err("ERR wrong number of arguments for 'function' command"));
  EXPECT_EQ(kv.run({"FUNCTION", "foo"}), err("ERR unknown subcommand 'foo'. Try FUNCTION HELP."));
  EXPECT_EQ(kv.run({"FUNCTION", "DELETE"}),
            err("ERR wrong number of arguments for 'function|delete' command"));
  EXPECT_EQ(kv.run({"FUNCTION", "DELETE", "a", "b"}),
            err("ERR wrong number of arguments for 'function|delete' command"));
  EXPECT_EQ(kv.run({"FUNCTION", "FLUSH", "foo"}),
            err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
  EXPECT_EQ(kv.run({"FUNCTION", "FLUSH", "async", "extra"}),
            err("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION "
                "HELP."));
  EXPECT_EQ(kv.run({"FUNCTION", "LOAD"}),
            err("ERR wrong number of arguments for 'function|load' command"));
  EXPECT_EQ(kv.run({"FUNCTION", "LOAD", "REPLACE"}), err("ERR Missing library metadata"));
  EXPECT_EQ(kv.run({"FUNCTION", "LOAD", "foo", "bar"}), err("ERR Unknown option given: foo"));
  for (const char* sub : {"STATS", "KILL", "HELP"}) {
    EXPECT_EQ(kv.run({"FUNCTION", sub, "x"}),
              err("ERR wrong number of arguments for 'function|" + ascii_lower(sub) + "' command"));
  }
  EXPECT_EQ(kv.run({"FUNCTION", "LOAD", std::string("#!lua name=z\n\0\xff", 15)}).substr(0, 30),
            "-ERR Error compiling function:");
  EXPECT_EQ(kv.run({"FUNCTION", "LOAD", "#!lua name=z\n" + std::string(100000, '(')}).substr(0, 30),
            "-ERR Error compiling function:");
  EXPECT_EQ(classify({"FUNCTION", "LOAD", "x"}).route, Route::kWrite);
  EXPECT_EQ(classify({"FUNCTION", "LIST"}).route, Route::kRead);
  EXPECT_EQ(classify({"FUNCTION", "KILL"}).route, Route::kLocal);
}

TEST(Functions, DeterministicAcrossReplicas) {
  KvHarness a, b;
  for (KvHarness* kv : {&a, &b}) {
    ASSERT_EQ(load(*kv, kLib), bulk("mylib"));
    kv->run({"SET", "pad", "x"});  // the FCALL's log index, hence its seed, differs from 0
  }
  const std::string first = a.run({"FCALL", "rand", "0"});
  EXPECT_EQ(b.run({"FCALL", "rand", "0"}), first);
  EXPECT_NE(a.run({"FCALL", "rand", "0"}), first) << "each entry seeds its own sequence";
  EXPECT_EQ(a.sm.serialize().substr(0, 8), "RKVSNAP8");
}

TEST(Functions, LibrariesAreInTheSnapshot) {
  KvHarness kv;
  ASSERT_EQ(load(kv, kLib), bulk("mylib"));
  ASSERT_EQ(load(kv, "#!lua name=alib\nredis.register_function('a1', function() return 7 end)"),
            bulk("alib"));
  const std::string image = kv.sm.serialize();
  StateMachine restored;
  ASSERT_TRUE(restored.restore(image).is_ok());
  EXPECT_EQ(restored.functions(), kv.sm.functions());
  EXPECT_EQ(restored.functions().function_count(), 8u);
  EXPECT_EQ(restored.serialize(), image);
  EXPECT_EQ(restored.read({"FCALL_RO", "ro", "1", "nokey"}), "$-1\r\n");
  EXPECT_EQ(restored.read({"FUNCTION", "LIST", "LIBRARYNAME", "alib"}).substr(0, 4), "*1\r\n");
}

// An image of one key with these library codes (RKVSNAP7), or without the section
// (RKVSNAP6): the state's own image, its (empty) library section replaced and, as both
// formats are older than encodings, without the key's encoding byte.
std::string image_with_libraries(std::string_view magic, std::vector<std::string> codes) {
  KvHarness kv;
  kv.run({"SET", "k", "v"});
  std::string out = kv.sm.serialize();
  out.resize(out.size() - 8 - 1);  // the checksum, and the library count (0)
  out.replace(0, 8, magic);
  const std::string key_value_encoding("\x01k\x00\x01v\x00", 6);
  out.erase(out.find(key_value_encoding) + 5, 1);
  ByteWriter w(&out);
  if (magic == "RKVSNAP7") w.varint(codes.size());
  for (const auto& code : codes) w.bytes(code);
  w.fixed64(XXH3_64bits(out.data(), out.size()));
  return out;
}

TEST(Functions, SnapshotLibrariesInNameOrderAndOlderImagesRestore) {
  const std::string a = "#!lua name=a\nredis.register_function('fa', function() end)";
  const std::string b = "#!lua name=b\nredis.register_function('fb', function() end)";
  StateMachine sm;
  ASSERT_TRUE(sm.restore(image_with_libraries("RKVSNAP7", {a, b})).is_ok());
  EXPECT_EQ(sm.functions().libraries().size(), 2u);
  EXPECT_FALSE(sm.restore(image_with_libraries("RKVSNAP7", {b, a})).is_ok()) << "out of order";
  EXPECT_FALSE(sm.restore(image_with_libraries("RKVSNAP7", {a, a})).is_ok()) << "repeated";
  EXPECT_FALSE(sm.restore(image_with_libraries("RKVSNAP7", {"#!lua name=c\nreturn 1"})).is_ok())
      << "a library that does not load";
  EXPECT_EQ(sm.functions().libraries().size(), 2u) << "a failed restore changes nothing";
  ASSERT_TRUE(sm.restore(image_with_libraries("RKVSNAP6", {})).is_ok());
  EXPECT_EQ(sm.functions().libraries().size(), 0u);
  EXPECT_EQ(sm.applied_index(), 1u);
  EXPECT_EQ(sm.read({"GET", "k"}), "$1\r\nv\r\n");
}

// FUNCTION DUMP's payload is redis-server 7.0.15's byte for byte (taken from it with these
// two libraries), and FUNCTION RESTORE takes it back under each policy, all or nothing.
TEST(Functions, DumpAndRestore) {
  KvHarness kv;
  const std::string a =
      "#!lua name=alib\nredis.register_function('f2', function(k,a) return 2 end)";
  const std::string m =
      "#!lua name=mylib\nredis.register_function('f1', function(k,a) return 1 end)";
  ASSERT_EQ(load(kv, m), bulk("mylib"));
  ASSERT_EQ(load(kv, a), bulk("alib"));
  const std::string payload =
      "\xf5@I" + a + "\xf5@J" + m + std::string("\n\x00", 2) + "\xe5\xa3\x08\xf3\x19L\xb0K";
  ASSERT_EQ(kv.run({"FUNCTION", "DUMP"}), bulk(payload));

  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", payload}), err("ERR Library alib already exists"));
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", payload, "REPLACE"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "FLUSH"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", payload}), "+OK\r\n");
  EXPECT_EQ(kv.run({"FCALL", "f1", "0"}), ":1\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "DUMP"}), bulk(payload));

  // A function name another library holds: refused under every policy but FLUSH, and
  // nothing of the payload is loaded.
  const std::string other =
      "#!lua name=zlib\nredis.register_function('f1', function(k,a) return 3 end)";
  EXPECT_EQ(kv.run({"FUNCTION", "FLUSH"}), "+OK\r\n");
  ASSERT_EQ(load(kv, other), bulk("zlib"));
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", payload, "append"}),
            err("ERR Function f1 already exists"));
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", payload, "REPLACE"}),
            err("ERR Function f1 already exists"));
  EXPECT_EQ(kv.run({"FCALL", "f2", "0"}), err("ERR Function not found"));
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", payload, "FLUSH"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"FCALL", "f1", "0"}), ":1\r\n");

  // Errors, as redis-server 7.0.15 answers them.
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", "bad"}),
            err("ERR DUMP payload version or checksum are wrong"));
  std::string flipped = payload;
  flipped[5] ^= 1;
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", flipped}),
            err("ERR DUMP payload version or checksum are wrong"));
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", payload, "BOGUS"}),
            err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
                "REPLACE."));
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE", "x", "y", "z"}),
            err("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try "
                "FUNCTION HELP."));
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE"}),
            err("ERR wrong number of arguments for 'function|restore' command"));
  EXPECT_EQ(kv.run({"FUNCTION", "DUMP", "x"}),
            err("ERR wrong number of arguments for 'function|dump' command"));
  ASSERT_EQ(kv.run({"SET", "k", "v"}), "+OK\r\n");
  const std::string key_dump = kv.run({"DUMP", "k"});
  EXPECT_EQ(kv.run({"FUNCTION", "RESTORE",
                    key_dump.substr(key_dump.find("\r\n") + 2,
                                    key_dump.size() - key_dump.find("\r\n") - 4)}),
            err("ERR given type is not a function"));
  EXPECT_EQ(kv.run({"FUNCTION", "FLUSH"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"FUNCTION", "DUMP"}),
            bulk(std::string("\n\x00", 2) + "]\x9b\\@\x0f\x7f\xa2\xda"))
      << "no libraries: the footer alone, as Redis";
}

// In RESP3, FUNCTION LIST is maps (each function a map, its flags a set) and FUNCTION
// STATS a map of maps: redis-server 7.0.15's bytes for the same library.
TEST(Functions, Resp3ShapesAreRedis) {
  KvHarness kv;
  const std::string code =
      "#!lua name=lib1\nredis.register_function{function_name='f1', callback=function(k,a) "
      "return 1 end, flags={'no-writes','allow-oom'}, description='d'}";
  ASSERT_EQ(load(kv, code), bulk("lib1"));
  const auto resp3 = [&](std::vector<std::string> argv) {
    std::string reply = kv.run(argv);
    to_resp3(&reply, resp3_shape(*find_command(argv[0]), argv));
    return reply;
  };
  const std::string library =
      "$12\r\nlibrary_name\r\n$4\r\nlib1\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n"
      "*1\r\n%3\r\n$4\r\nname\r\n$2\r\nf1\r\n$11\r\ndescription\r\n$1\r\nd\r\n$5\r\nflags\r\n"
      "~2\r\n+no-writes\r\n+allow-oom\r\n";
  EXPECT_EQ(resp3({"FUNCTION", "LIST"}), "*1\r\n%3\r\n" + library);
  EXPECT_EQ(resp3({"FUNCTION", "LIST", "WITHCODE"}),
            "*1\r\n%4\r\n" + library + "$12\r\nlibrary_code\r\n" + bulk(code));
  EXPECT_EQ(resp3({"FUNCTION", "STATS"}),
            "%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n%2\r\n"
            "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n");
}

TEST(Functions, InATransaction) {
  KvHarness kv;
  ASSERT_EQ(load(kv, kLib), bulk("mylib"));
  LogCommand tx;
  tx.transaction = true;
  tx.time_ms = kv.time_ms;
  tx.queued = {{"FCALL", "setx", "1", "a", "1"},
               {"FCALL_RO", "ro", "1", "a"},
               {"FUNCTION", "DELETE", "mylib"},
               {"FCALL", "setx", "1", "a", "2"}};
  EXPECT_EQ(kv.sm.apply(++kv.index, encode_log_command(tx)),
            "*4\r\n+OK\r\n$1\r\n1\r\n+OK\r\n-ERR Function not found\r\n");
}

}  // namespace
}  // namespace raftkv::kv
