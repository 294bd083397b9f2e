// cmsgpack in scripts (lua_cmsgpack.h): the bytes and errors redis-server 7.0.15 gives.
#include <gtest/gtest.h>

#include <string>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;
using namespace std::string_literals;

std::string eval(KvHarness& kv, const std::string& body) {
  return kv.run({"EVAL", body, "0"});
}

// The script's packed bytes as lowercase hex, in a bulk reply.
std::string packed_hex(KvHarness& kv, const std::string& args) {
  const std::string reply = eval(
      kv, "local s = cmsgpack.pack(" + args +
              ") return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))");
  const size_t start = reply.find("\r\n");
  if (reply.empty() || reply[0] != '$' || start == std::string::npos) return reply;
  return reply.substr(start + 2, reply.size() - start - 4);
}

bool has(const std::string& reply, const std::string& text) {
  return reply.find(text) != std::string::npos;
}

TEST(Cmsgpack, PacksNumbersAsRedisDoes) {
  KvHarness kv;
  EXPECT_EQ(packed_hex(kv, "1.5, 0.1, -1, -33, 300, 70000, 5000000000"),
            "ca3fc00000cb3fb999999999999affd0dfcd012cce00011170cf000000012a05f200");
  EXPECT_EQ(packed_hex(kv, "-200, -40000, -3000000000, 2^63, -2^63, -2^64"),
            "d1ff38d2ffff63c0d3ffffffff4d2fa200ca5f000000d38000000000000000cadf800000");
  EXPECT_EQ(packed_hex(kv, "0, 127, 128, -32, 1/0, 0/0, -0.0"),
            "007fcc80e0ca7f800000cbfff800000000000000");
}

TEST(Cmsgpack, PacksStringsBooleansNilAndTables) {
  KvHarness kv;
  EXPECT_EQ(packed_hex(kv, "'x', true, false, nil, {1,2}, {a=1}, {}"),
            "a178c3c2c0920102"
            "81a16101"
            "90");
  EXPECT_EQ(packed_hex(kv, "string.rep('x', 40)").substr(0, 6), "d92878");
  EXPECT_EQ(packed_hex(kv, "string.rep('z', 300)").substr(0, 8), "da012c7a");
  EXPECT_EQ(packed_hex(kv, "string.rep('z', 70000)").substr(0, 12), "db000111707a");
  // Keys 1..n make an array; a gap, a string "1" or a huge index make a map.
  EXPECT_EQ(packed_hex(kv, "{[1]=1,[3]=3}"), "8201010303");
  EXPECT_EQ(packed_hex(kv, "{['1']='a'}"), "81a131a161");
  EXPECT_EQ(packed_hex(kv, "{[2^40]=1}"), "81cf000001000000000001");
  EXPECT_EQ(packed_hex(kv, "'a', function() end"), "a161c0") << "a function is nil";
  std::string array16 = packed_hex(kv, "{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}");
  EXPECT_EQ(array16.substr(0, 6), "dc0010");
}

TEST(Cmsgpack, NestingStopsAtSixteenTables) {
  KvHarness kv;
  std::string expected;
  for (int i = 0; i < 16; ++i) expected += "81a174";
  expected += "c0";
  EXPECT_EQ(packed_hex(kv, "(function() local t = {} t.t = t return t end)()"), expected)
      << "a table containing itself ends in nil, not a crash";
}

TEST(Cmsgpack, RoundTrips) {
  KvHarness kv;
  EXPECT_EQ(eval(kv,
                 "local a, b, c, d = cmsgpack.unpack(cmsgpack.pack({1, {2, {x='y'}}, 's'}, -1.25, "
                 "2^53, 'bin\\0ary')) "
                 "return {a[1], a[2][1], a[2][2].x, a[3], tostring(b), tostring(c), d}"),
            "*7\r\n:1\r\n:2\r\n$1\r\ny\r\n$1\r\ns\r\n$5\r\n-1.25\r\n$18\r\n9.007199254741e+15\r\n"
            "$7\r\nbin\0ary\r\n"s);
  EXPECT_EQ(eval(kv,
                 "local n = {0, 1, -1, 127, 128, 255, 256, 65535, 65536, 2^32, -32, -33, -128, "
                 "-129, -32768, -32769, -2^31, -2^31-1, 2^53, -2^53, 0.5, 1e300, -1e-300} "
                 "local u = cmsgpack.unpack(cmsgpack.pack(n)) "
                 "for i = 1, #n do if u[i] ~= n[i] then return {i, tostring(u[i])} end end "
                 "return #u"),
            ":23\r\n");
  EXPECT_EQ(eval(kv,
                 "local m = cmsgpack.unpack(cmsgpack.pack({a={b={c='deep'}}, [5]=true, "
                 "s=string.rep('q', 100000)})) return {m.a.b.c, tostring(m[5]), #m.s}"),
            "*3\r\n$4\r\ndeep\r\n$4\r\ntrue\r\n:100000\r\n");
}

TEST(Cmsgpack, UnpackOneAndLimitReturnTheNextOffset) {
  KvHarness kv;
  EXPECT_EQ(eval(kv, "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 0)}"), "*2\r\n:1\r\n:1\r\n");
  EXPECT_EQ(eval(kv, "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 1)}"),
            "*2\r\n:-1\r\n:2\r\n");
  EXPECT_EQ(eval(kv, "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}"),
            "*3\r\n:-1\r\n:2\r\n:3\r\n");
  EXPECT_EQ(eval(kv, "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 0)}"),
            "*3\r\n:1\r\n:2\r\n:3\r\n")
      << "limit and offset 0 decode everything, with no offset";
  EXPECT_EQ(eval(kv, "return cmsgpack.unpack('')"), "$-1\r\n");
  EXPECT_EQ(eval(kv, "return {cmsgpack._NAME, cmsgpack._VERSION}"),
            "*2\r\n$8\r\ncmsgpack\r\n$18\r\nlua-cmsgpack 0.4.0\r\n");
}

TEST(Cmsgpack, MalformedInputIsALuaError) {
  KvHarness kv;
  const std::pair<std::string, std::string> cases[] = {
      {"return cmsgpack.pack()",
       "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: "},
      {"return cmsgpack.unpack()",
       "ERR user_script:1: bad argument #1 to 'unpack' (string expected, got no value) script: "},
      {"return cmsgpack.unpack(string.char(0x92, 1))",
       "ERR user_script:1: Missing bytes in input. script: "},
      {"return cmsgpack.unpack(string.char(0xd9))", "Missing bytes in input."},
      {"return cmsgpack.unpack(string.char(0xdb, 0, 0, 0, 9, 65))", "Missing bytes in input."},
      {"return cmsgpack.unpack(string.char(0xdd, 0xff, 0xff, 0xff, 0xff))",
       "Missing bytes in input."},
      {"return cmsgpack.unpack(string.char(0xc1))",
       "ERR user_script:1: Bad data format in input. script: "},
      {"return cmsgpack.unpack(string.char(0xc4, 1, 65))", "Bad data format in input."},
      {"return cmsgpack.unpack(string.char(0x81, 0xc0, 1))", "table index is nil"},
      {"return cmsgpack.unpack(string.rep(string.char(0x91), 100000))",
       "ERR user_script:1: stack overflow (in function mp_decode_to_lua_array) script: "},
      {"return #{cmsgpack.unpack(string.rep(string.char(0xc0), 100000))}",
       "stack overflow (too many return values at once; use unpack_one or unpack_limit "
       "instead.)"},
      {"return cmsgpack.unpack_one(cmsgpack.pack(1, 2), -1)",
       "ERR user_script:1: Invalid request to unpack with offset of -1 and limit of 2. script: "},
      {"return cmsgpack.unpack_one(cmsgpack.pack(1, 2), 10)",
       "ERR user_script:1: Start offset 10 greater than input length 2. script: "},
      {"return cmsgpack.unpack_limit('a')",
       "bad argument #2 to 'unpack_limit' (number expected, got no value)"},
      {"cmsgpack.pack = nil", "Attempt to modify a readonly table"},
  };
  for (const auto& [script, error] : cases) {
    EXPECT_TRUE(has(eval(kv, script), error)) << script << " -> " << eval(kv, script);
  }
}

// Random bytes never crash the decoder: each run returns values or a Lua error.
TEST(Cmsgpack, GarbageNeverCrashes) {
  KvHarness kv;
  const std::string reply = eval(kv,
                                 "local ok = 0 for i = 1, 3000 do local b = {} "
                                 "for j = 1, math.random(1, 12) do b[j] = math.random(0, 255) end "
                                 "if pcall(cmsgpack.unpack, string.char(unpack(b))) then ok = ok + "
                                 "1 end end return ok");
  ASSERT_EQ(reply[0], ':') << reply;
}

}  // namespace
}  // namespace raftkv::kv
