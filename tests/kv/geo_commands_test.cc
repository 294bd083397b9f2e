// Geo commands: Redis's scores, coordinates, distances and geohash strings for known
// cities (the values Redis's documentation shows), searches and their STORE forms, the
// error texts, and snapshots.
#include <gtest/gtest.h>

#include "kv/geohash.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

void add_sicily(KvHarness& kv) {
  ASSERT_EQ(kv.run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269",
                    "37.502669", "Catania"}),
            ":2\r\n");
}

TEST(GeoCommands, ScoresPositionsAndHashesAreRedis) {
  KvHarness kv;
  add_sicily(kv);
  EXPECT_EQ(kv.run({"ZRANGE", "Sicily", "0", "-1", "WITHSCORES"}),
            bulks({"Palermo", "3479099956230698", "Catania", "3479447370796909"}));
  EXPECT_EQ(kv.run({"GEOPOS", "Sicily", "Palermo", "NonExisting"}),
            "*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n");
  EXPECT_EQ(kv.run({"GEOHASH", "Sicily", "Palermo", "Catania", "x"}),
            "*3\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$-1\r\n");
  EXPECT_EQ(kv.run({"GEODIST", "Sicily", "Palermo", "Catania"}), "$11\r\n166274.1516\r\n");
  EXPECT_EQ(kv.run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), "$8\r\n166.2742\r\n");
  EXPECT_EQ(kv.run({"GEODIST", "Sicily", "Palermo", "Catania", "mi"}), "$8\r\n103.3182\r\n");
  EXPECT_EQ(kv.run({"GEODIST", "Sicily", "Foo", "Bar"}), "$-1\r\n");
}

TEST(GeoCommands, SearchesSortCountAndStore) {
  KvHarness kv;
  add_sicily(kv);
  kv.run(
      {"GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"});
  EXPECT_EQ(kv.run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"}),
            "*2\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n"
            "*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n");
  EXPECT_EQ(
      kv.run({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC"}),
      bulks({"Catania", "Palermo", "edge2", "edge1"}));
  EXPECT_EQ(kv.run({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "DESC",
                    "COUNT", "1"}),
            bulks({"Catania"}));
  EXPECT_EQ(kv.run({"GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                    "km", "STOREDIST"}),
            ":2\r\n");
  EXPECT_EQ(kv.run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}),
            bulks({"Catania", "56.441257870158204", "Palermo", "190.44242984775784"}));
  EXPECT_EQ(kv.run({"GEORADIUS", "Sicily", "15", "37", "1", "m", "STORE", "d"}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "d"}), ":0\r\n") << "an empty result deletes the destination";
}

TEST(GeoCommands, ErrorsAreRedis) {
  KvHarness kv;
  add_sicily(kv);
  EXPECT_EQ(kv.run({"GEOADD", "Sicily", "200", "10", "x"}),
            "-ERR invalid longitude,latitude pair 200.000000,10.000000\r\n");
  EXPECT_EQ(kv.run({"GEOADD", "Sicily", "NX", "XX", "1", "1", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"GEOADD", "Sicily", "CH", "1", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"GEODIST", "Sicily", "a", "b", "yards"}),
            "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
  EXPECT_EQ(kv.run({"GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "ASC", "ANY"}),
            "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH\r\n");
  EXPECT_EQ(kv.run({"GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "ANY", "ASC"}),
            "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n");
  EXPECT_EQ(kv.run({"GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "m", "ANY"}),
            "-ERR the ANY argument requires COUNT argument\r\n");
  EXPECT_EQ(kv.run({"GEORADIUS", "Sicily", "1", "1", "1", "m", "STORE", "x", "WITHDIST"}),
            "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and "
            "WITHCOORD options\r\n");
  EXPECT_EQ(kv.run({"GEORADIUSBYMEMBER", "Sicily", "nope", "1", "m"}),
            "-ERR could not decode requested zset member\r\n");
  EXPECT_EQ(kv.run({"GEORADIUS", "Sicily", "1", "1", "-1", "m"}),
            "-ERR radius cannot be negative\r\n");
  EXPECT_EQ(kv.run({"GEORADIUS", "Sicily", "1", "1", "1", "m", "COUNT", "0"}),
            "-ERR COUNT must be > 0\r\n");
  EXPECT_EQ(kv.run({"GEORADIUS_RO", "Sicily", "1", "1", "1", "m", "STORE", "x"}),
            "-ERR syntax error\r\n");
}

// Abusive arguments: huge counts, extreme radii and boxes, odd scores in a plain sorted
// set; every reply is well-formed and nothing crashes.
TEST(GeoCommands, AbusiveArgumentsNeverCrash) {
  KvHarness kv;
  add_sicily(kv);
  kv.run({"ZADD", "odd", "-5", "neg", "1e300", "huge", "inf", "top", "-inf", "bottom"});
  for (const Argv& argv : std::vector<Argv>{
           {"GEORADIUS", "Sicily", "0", "0", "1e308", "km", "COUNT", "9223372036854775807"},
           {"GEOSEARCH", "Sicily", "FROMLONLAT", "180", "85.05112878", "BYBOX", "1e308", "inf",
            "mi", "ASC"},
           {"GEOSEARCH", "Sicily", "FROMLONLAT", "-180", "-85.05112878", "BYRADIUS", "0", "m"},
           {"GEOSEARCH", "odd", "FROMMEMBER", "huge", "BYRADIUS", "40000", "km", "WITHHASH"},
           {"GEOPOS", "odd", "neg", "huge", "top", "bottom"},
           {"GEOHASH", "odd", "neg", "huge", "top", "bottom"},
           {"GEODIST", "odd", "neg", "top", "ft"},
       }) {
    const std::string reply = kv.run(argv);
    EXPECT_FALSE(reply.empty()) << argv[0];
    EXPECT_NE(reply[0], '-') << argv[0] << ": " << reply;
  }
}

TEST(GeoCommands, StoredResultsSurviveSnapshotRestore) {
  KvHarness kv;
  add_sicily(kv);
  kv.run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "d"});
  StateMachine restored;
  ASSERT_TRUE(restored.restore(kv.sm.serialize()).is_ok());
  for (const Argv& read : std::vector<Argv>{{"ZRANGE", "d", "0", "-1", "WITHSCORES"},
                                            {"GEOPOS", "Sicily", "Palermo", "Catania"},
                                            {"GEOHASH", "Sicily", "Catania"}}) {
    EXPECT_EQ(restored.read(read), kv.sm.read(read)) << read[0];
  }
}

TEST(GeoHash, TheScannedBoxesHoldAPointInTheRadius) {
  geo::Shape shape;
  shape.center = {15, 37};
  shape.radius = 200;
  shape.to_meters = 1000;
  const auto catania = geo::score_of({15.087269, 37.502669});
  int holding = 0;
  for (const geo::HashBits& box : geo::search_boxes(shape)) {
    if (box.zero()) continue;
    uint64_t min = 0, max = 0;
    geo::box_scores(box, &min, &max);
    holding += min <= catania && catania < max ? 1 : 0;
  }
  EXPECT_EQ(holding, 1) << "a point 56 km away is in exactly one scanned box";
}

}  // namespace
}  // namespace raftkv::kv
