// `raftkv serve` options: the example configuration shipped in packaging/ parses with the
// same parser as the command line, a flag given on the command line wins over it, and a
// misspelt key is refused.
#include "server/options.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace raftkv::server {
namespace {

int parse(std::vector<std::string> args, ServerOptions* out) {
  std::vector<const char*> argv{"serve"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_serve_options(static_cast<int>(argv.size()), argv.data(), out);
}

TEST(OptionsTest, ExampleConfigParses) {
  ServerOptions o;
  ASSERT_EQ(parse({"--config", RAFTKV_EXAMPLE_CONFIG}, &o), 0);
  EXPECT_EQ(o.id, 1u);
  EXPECT_EQ(o.data_dir, "/var/lib/raftkv");
  EXPECT_EQ(o.listen_client.to_string(), "127.0.0.1:6379");
  EXPECT_EQ(o.listen_peer.to_string(), "127.0.0.1:7379");
  ASSERT_TRUE(o.listen_metrics.has_value());
  EXPECT_EQ(o.listen_metrics->to_string(), "127.0.0.1:9379");
  ASSERT_EQ(o.initial_cluster.size(), 1u);
  EXPECT_EQ(o.initial_cluster.at(1).to_string(), "127.0.0.1:7379");
  EXPECT_EQ(o.log_level, "info");
  EXPECT_FALSE(o.check_only);
}

TEST(OptionsTest, CommandLineWinsOverConfig) {
  ServerOptions o;
  ASSERT_EQ(
      parse({"--config", RAFTKV_EXAMPLE_CONFIG, "--log-level", "debug", "--check-config"}, &o), 0);
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_TRUE(o.check_only);
}

TEST(OptionsTest, SlowLogSettingsAndTheirBounds) {
  const std::vector<std::string> base = {"--id",
                                         "1",
                                         "--data-dir",
                                         "/tmp/x",
                                         "--listen-client",
                                         "127.0.0.1:1",
                                         "--listen-peer",
                                         "127.0.0.1:2",
                                         "--initial-cluster",
                                         "1=127.0.0.1:2"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  ServerOptions o;
  ASSERT_EQ(parse(with({}), &o), 0);
  EXPECT_EQ(o.slowlog.log_slower_than_us, 10000);  // Redis's defaults
  EXPECT_EQ(o.slowlog.max_len, 128u);
  ASSERT_EQ(parse(with({"--slowlog-log-slower-than=-1", "--slowlog-max-len=0"}), &o), 0);
  EXPECT_EQ(o.slowlog.log_slower_than_us, -1);
  EXPECT_EQ(o.slowlog.max_len, 0u);
  EXPECT_EQ(parse(with({"--slowlog-log-slower-than=-2"}), &o), 2);
  EXPECT_EQ(parse(with({"--slowlog-max-len=-5"}), &o), 2);
}

TEST(OptionsTest, UnknownConfigKeyIsAnError) {
  const std::string path = ::testing::TempDir() + "/raftkv-options-test.toml";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "id = 1\ndata-dir = \"/tmp/x\"\nlisten-client = \"127.0.0.1:1\"\n"
      "listen-peer = \"127.0.0.1:2\"\ninitial-cluster = \"1=127.0.0.1:2\"\n"
      "snapshot-entry = 5\n",
      f);
  std::fclose(f);
  ServerOptions o;
  EXPECT_EQ(parse({"--config", path}, &o), 2);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace raftkv::server
