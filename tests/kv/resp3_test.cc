// RESP2 -> RESP3 conversion (resp3.h). Expected bytes are redis-server 7.0.15's for the
// same commands after HELLO 3 (tests/integration/test_resp3.py compares them live).
#include "kv/resp3.h"

#include <gtest/gtest.h>

#include <vector>

namespace raftkv::kv {
namespace {

using enum Resp3Shape;

std::string convert(std::string reply, Resp3Shape shape, std::vector<Resp3Shape> elements = {}) {
  to_resp3(&reply, shape, elements);
  return reply;
}

Resp3Shape shape_of(std::vector<std::string> argv) {
  const CommandSpec* spec = find_command(argv[0]);
  EXPECT_NE(spec, nullptr) << argv[0];
  return resp3_shape(*spec, argv);
}

TEST(Resp3, NullsBecomeUnderscoreAtAnyDepth) {
  EXPECT_EQ(convert("$-1\r\n", kPlain), "_\r\n");
  EXPECT_EQ(convert("*-1\r\n", kPlain), "_\r\n");
  EXPECT_EQ(convert("*3\r\n$1\r\na\r\n$-1\r\n*1\r\n*-1\r\n", kPlain),
            "*3\r\n$1\r\na\r\n_\r\n*1\r\n_\r\n");
  EXPECT_EQ(convert("$-1\r\n", kDouble), "_\r\n");
}

TEST(Resp3, LinesAndStringsOfPlainCommandsAreUnchanged) {
  for (std::string reply : {"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$2\r\n-1\r\n", "$0\r\n\r\n"}) {
    EXPECT_EQ(convert(reply, kPlain), reply);
  }
  EXPECT_EQ(convert("-ERR no\r\n", kMap), "-ERR no\r\n");
  EXPECT_EQ(convert(":3\r\n", kDouble), ":3\r\n");  // ZADD without INCR
  EXPECT_EQ(convert("*2\r\n$1\r\na\r\n:5\r\n", kPlain), "*2\r\n$1\r\na\r\n:5\r\n");
  // "-1\r\n" inside a value is not a null.
  EXPECT_EQ(convert("*2\r\n$4\r\nx-1\r\n\r\n:-1\r\n", kPlain), "*2\r\n$4\r\nx-1\r\n\r\n:-1\r\n");
}

TEST(Resp3, MapsSetsAndDoubles) {
  EXPECT_EQ(convert("*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", kMap),
            "%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n");
  EXPECT_EQ(convert("*0\r\n", kMap), "%0\r\n");
  EXPECT_EQ(convert("*2\r\n$1\r\na\r\n$1\r\nb\r\n", kSet), "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(convert("$3\r\n1.5\r\n", kDouble), ",1.5\r\n");
  EXPECT_EQ(convert("$3\r\ninf\r\n", kDouble), ",inf\r\n");
  EXPECT_EQ(convert("*3\r\n$1\r\n2\r\n$-1\r\n$1\r\n4\r\n", kDoubles), "*3\r\n,2\r\n_\r\n,4\r\n");
}

TEST(Resp3, ScoresPairUp) {
  EXPECT_EQ(convert("*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n4\r\n", kScorePairs),
            "*2\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,4\r\n");
  EXPECT_EQ(convert("*2\r\n$1\r\na\r\n$1\r\n2\r\n", kScorePair), "*2\r\n$1\r\na\r\n,2\r\n");
  EXPECT_EQ(convert("*0\r\n", kScorePairs), "*0\r\n");
  EXPECT_EQ(convert("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", kPairs),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
  // ZMPOP's RESP2 reply pairs its members and scores already, as Redis's does.
  EXPECT_EQ(convert("*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
                    "*2\r\n$1\r\nb\r\n$4\r\n-inf\r\n",
                    kKeyScorePairs),
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,-inf\r\n");
}

TEST(Resp3, VerbatimText) {
  EXPECT_EQ(convert("$5\r\na:1\r\n\r\n", kVerbatim), "=9\r\ntxt:a:1\r\n\r\n");
}

TEST(Resp3, StreamsByKey) {
  const std::string entries = "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n";
  EXPECT_EQ(convert("*1\r\n*2\r\n$2\r\nst\r\n" + entries, kStreams),
            "%1\r\n$2\r\nst\r\n" + entries);
  EXPECT_EQ(convert("*-1\r\n", kStreams), "_\r\n");
}

TEST(Resp3, NestedMapsByField) {
  // XINFO STREAM FULL: groups are maps, their consumers too, their PELs stay arrays.
  const std::string pel = "*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:5\r\n:1\r\n";
  EXPECT_EQ(convert("*4\r\n$6\r\nlength\r\n:1\r\n$6\r\ngroups\r\n*1\r\n*4\r\n$7\r\npending\r\n" +
                        pel + "$9\r\nconsumers\r\n*1\r\n*2\r\n$4\r\nname\r\n$2\r\nc1\r\n",
                    kXinfoStream),
            "%2\r\n$6\r\nlength\r\n:1\r\n$6\r\ngroups\r\n*1\r\n%2\r\n$7\r\npending\r\n" + pel +
                "$9\r\nconsumers\r\n*1\r\n%1\r\n$4\r\nname\r\n$2\r\nc1\r\n");
  // ACL GETUSER: flags a set.
  EXPECT_EQ(convert("*4\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$9\r\npasswords\r\n*0\r\n", kAclUser),
            "%2\r\n$5\r\nflags\r\n~1\r\n$2\r\non\r\n$9\r\npasswords\r\n*0\r\n");
  // ACL LOG: age-seconds a double.
  EXPECT_EQ(convert("*1\r\n*2\r\n$11\r\nage-seconds\r\n$5\r\n0.001\r\n", kAclLog),
            "*1\r\n%1\r\n$11\r\nage-seconds\r\n,0.001\r\n");
}

TEST(Resp3, ClusterShardsAndPushes) {
  EXPECT_EQ(convert("*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:1\r\n$5\r\nnodes\r\n*1\r\n*2\r\n$2"
                    "\r\nid\r\n$1\r\nx\r\n",
                    kClusterShards),
            "*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:1\r\n$5\r\nnodes\r\n*1\r\n%1\r\n$2\r\nid\r\n"
            "$1\r\nx\r\n");
  EXPECT_EQ(convert("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n", kPush),
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
}

TEST(Resp3, TransactionElementsTakeTheirCommandsShapes) {
  EXPECT_EQ(convert("*3\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\n2\r\n$-1\r\n", kTransaction,
                    {kMap, kDouble, kPlain}),
            "*3\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n,2\r\n_\r\n");
  EXPECT_EQ(convert("*-1\r\n", kTransaction), "_\r\n");  // a WATCHed key changed
}

TEST(Resp3, ScriptRepliesMayHoldResp3Types) {
  // To a RESP3 connection they pass through (its nulls still converted)...
  EXPECT_EQ(convert("*3\r\n%1\r\n$1\r\na\r\n$-1\r\n,2\r\n#t\r\n", kPlain),
            "*3\r\n%1\r\n$1\r\na\r\n_\r\n,2\r\n#t\r\n");
  // ...and a RESP2 connection gets them as Redis 7.0 writes them in RESP2.
  const auto down = [](std::string reply) {
    to_resp2(&reply);
    return reply;
  };
  EXPECT_EQ(down("%1\r\n$1\r\na\r\n:1\r\n"), "*2\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(down(",1.5\r\n"), "$3\r\n1.5\r\n");
  EXPECT_EQ(down("#t\r\n"), ":1\r\n");
  EXPECT_EQ(down("#f\r\n"), ":0\r\n");
  EXPECT_EQ(down("_\r\n"), "$-1\r\n");
  EXPECT_EQ(down("=6\r\ntxt:hi\r\n"), "$2\r\nhi\r\n");
  EXPECT_EQ(down("~1\r\n(12\r\n"), "*1\r\n$2\r\n12\r\n");
  EXPECT_EQ(down("*2\r\n$3\r\na_b\r\n$-1\r\n"), "*2\r\n$3\r\na_b\r\n$-1\r\n");
  EXPECT_EQ(down("*-1\r\n"), "*-1\r\n");
}

TEST(Resp3, MalformedInputIsLeftAlone) {
  EXPECT_EQ(convert("*2\r\n$1\r\na\r\n", kSet), "*2\r\n$1\r\na\r\n");
  EXPECT_EQ(convert("$5\r\nab\r\n", kDouble), "$5\r\nab\r\n");
}

TEST(Resp3, ShapesFromTheTableAndTheArguments) {
  EXPECT_EQ(shape_of({"get", "k"}), kPlain);
  EXPECT_EQ(shape_of({"HGETALL", "h"}), kMap);
  EXPECT_EQ(shape_of({"smembers", "s"}), kSet);
  EXPECT_EQ(shape_of({"zscore", "z", "m"}), kDouble);
  EXPECT_EQ(shape_of({"zrange", "z", "0", "-1"}), kPlain);
  EXPECT_EQ(shape_of({"zrange", "z", "0", "-1", "WithScores"}), kScorePairs);
  EXPECT_EQ(shape_of({"zrangebyscore", "z", "-inf", "+inf", "limit", "0", "1", "withscores"}),
            kScorePairs);
  EXPECT_EQ(shape_of({"zpopmin", "z"}), kScorePair);
  EXPECT_EQ(shape_of({"zpopmin", "z", "2"}), kScorePairs);
  EXPECT_EQ(shape_of({"config", "get", "*"}), kMap);
  EXPECT_EQ(shape_of({"config", "help"}), kPlain);
  EXPECT_EQ(shape_of({"xinfo", "stream", "s"}), kXinfoStream);
  EXPECT_EQ(shape_of({"xinfo", "groups", "s"}), kMaps);
  EXPECT_EQ(shape_of({"xinfo", "help"}), kPlain);
  EXPECT_EQ(shape_of({"client", "list"}), kVerbatim);
  EXPECT_EQ(shape_of({"info"}), kVerbatim);
  EXPECT_EQ(shape_of({"command", "docs", "get"}), kMap);
  EXPECT_EQ(shape_of({"exec"}), kTransaction);
}

TEST(Hello, ParsesAsRedis) {
  EXPECT_EQ(parse_hello(std::vector<std::string>{"hello"}).protocol, 0);
  EXPECT_EQ(parse_hello(std::vector<std::string>{"hello", "3"}).protocol, 3);
  EXPECT_EQ(parse_hello(std::vector<std::string>{"hello", "4"}).error,
            "NOPROTO unsupported protocol version");
  EXPECT_EQ(parse_hello(std::vector<std::string>{"hello", "x"}).error,
            "ERR Protocol version is not an integer or out of range");
  EXPECT_EQ(parse_hello(std::vector<std::string>{"hello", "4", "FOO"}).error,
            "NOPROTO unsupported protocol version");
  // Options in order, up to a syntax error (what came before it takes effect, as in Redis).
  const HelloRequest bad =
      parse_hello(std::vector<std::string>{"hello", "3", "SETNAME", "a", "AUTH", "u"});
  ASSERT_EQ(bad.steps.size(), 2u);
  EXPECT_EQ(bad.steps[0].kind, HelloStep::kSetName);
  EXPECT_EQ(bad.steps[0].value, "a");
  EXPECT_EQ(bad.steps[1].kind, HelloStep::kError);
  EXPECT_EQ(bad.steps[1].value, "ERR Syntax error in HELLO option 'AUTH'");
  const HelloRequest r =
      parse_hello(std::vector<std::string>{"hello", "2", "auth", "u", "p", "SETNAME", "n"});
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.protocol, 2);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].kind, HelloStep::kAuth);
  EXPECT_EQ(r.steps[0].value, "u");
  EXPECT_EQ(r.steps[0].password, "p");
  EXPECT_EQ(r.steps[1].kind, HelloStep::kSetName);
  EXPECT_EQ(r.steps[1].value, "n");
}

TEST(Hello, ReplyIsRedisLayout) {
  std::string out;
  RespWriter w(&out);
  write_hello(&w, 3, 7, HelloInfo{"7.0.0", "cluster", "master"});
  to_resp3(&out, kMap);
  EXPECT_EQ(out,
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:3"
            "\r\n$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7"
            "\r\nmodules\r\n*0\r\n");
}

}  // namespace
}  // namespace raftkv::kv
