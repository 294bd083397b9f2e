#include "server/runtime_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace raftkv::server {
namespace {

std::string run(RuntimeConfig& config, std::vector<std::string> argv) {
  std::string out;
  kv::RespWriter w(&out);
  config.config(argv, &w);
  return out;
}

// CONFIG SET's reply when `name`'s value is refused for `why`.
std::string failed(std::string_view name, std::string_view why) {
  return "-ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
         std::string(why) + "\r\n";
}

TEST(RuntimeConfig, SetChangesSeveralParametersAndGetReflectsThem) {
  int changes = 0;
  RuntimeConfig::Hooks hooks;
  hooks.on_change = [&](const RuntimeSettings&) { ++changes; };
  RuntimeConfig config(RuntimeSettings{}, "", hooks);
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "20", "TIMEOUT", "7", "slowlog-max-len",
                         "5", "proto-max-bulk-len", "2mb", "maxmemory", "1gb"}),
            "+OK\r\n");
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(config.settings().maxclients, 20u);
  EXPECT_EQ(config.settings().timeout_seconds, 7u);
  EXPECT_EQ(config.settings().slowlog.max_len, 5u);
  EXPECT_EQ(config.settings().proto_max_bulk_len, 2u << 20);
  EXPECT_EQ(config.settings().maxmemory, 1u << 30);
  EXPECT_EQ(run(config, {"CONFIG", "GET", "maxclients", "TIME*"}),
            "*4\r\n$10\r\nmaxclients\r\n$2\r\n20\r\n$7\r\ntimeout\r\n$1\r\n7\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "GET", "appendonly"}),
            "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
}

// All or nothing: a bad value anywhere leaves every parameter as it was.
TEST(RuntimeConfig, SetIsAtomicAndAnswersRedisErrors) {
  int changes = 0;
  RuntimeConfig::Hooks hooks;
  hooks.on_change = [&](const RuntimeSettings&) { ++changes; };
  RuntimeConfig config(RuntimeSettings{}, "", hooks);
  const RuntimeSettings before = config.settings();
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "10", "timeout", "abc"}),
            failed("timeout", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "10", "nosuch", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "10", "maxclients", "20"}),
            failed("maxclients", "duplicate parameter"));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "0"}),
            failed("maxclients", "argument must be between 1 and 1000000 inclusive"));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "timeout", "-1"}),
            failed("timeout", "argument must be between 0 and 2147483647 inclusive"));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxmemory", "1x"}),
            failed("maxmemory", "argument must be a memory value"));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "appendonly", "no"}),
            failed("appendonly", "can't set immutable config"));
  EXPECT_TRUE(run(config, {"CONFIG", "SET", "maxmemory-policy", "foo"})
                  .starts_with("-ERR CONFIG SET failed (possibly related to argument "
                               "'maxmemory-policy') - argument(s) must be one of "));
  EXPECT_NE(run(config, {"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"})
                .find("supports only noeviction"),
            std::string::npos);
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxmemory-policy", "NoEviction"}), "+OK\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "SET", "protected-mode", "maybe"}),
            failed("protected-mode", "argument must be 'yes' or 'no'"));
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(config_file_entries(config.settings()), config_file_entries(before));
}

TEST(RuntimeConfig, MalformedCommandsGetRedisErrors) {
  RuntimeConfig config(RuntimeSettings{}, "", {});
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients"}),
            "-ERR wrong number of arguments for 'config|set' command\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "10", "timeout"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "GET"}),
            "-ERR wrong number of arguments for 'config|get' command\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "RESETSTAT", "x"}),
            "-ERR wrong number of arguments for 'config|resetstat' command\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "REWRITE"}),
            "-ERR The server is running without a config file\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "NOPE"}).substr(0, 32), "-ERR unknown subcommand 'NOPE'. ");
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", std::string(5000, '9')}),
            failed("maxclients", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "slowlog-log-slower-than", "-2"}).substr(0, 60),
            "-ERR CONFIG SET failed (possibly related to argument 'slowlo");
}

TEST(RuntimeConfig, OutputBufferLimitTakesClassesAsRedisDoes) {
  RuntimeConfig config(RuntimeSettings{}, "", {});
  EXPECT_EQ(run(config, {"CONFIG", "SET", "client-output-buffer-limit",
                         "normal 1mb 512kb 10 slave 1 2 3 pubsub 2mb 1mb 5"}),
            "+OK\r\n");
  EXPECT_EQ(config.settings().output, (OutputBufferLimit{1u << 20, 512u << 10, 10}));
  EXPECT_EQ(config.settings().pubsub, (OutputBufferLimit{2u << 20, 1u << 20, 5}));
  EXPECT_EQ(run(config, {"CONFIG", "GET", "client-output-buffer-limit"}),
            "*2\r\n$26\r\nclient-output-buffer-limit\r\n$49\r\nnormal 1048576 524288 10 pubsub "
            "2097152 1048576 5\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"}),
            failed("client-output-buffer-limit",
                   "Wrong number of arguments in buffer limit configuration."));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"}),
            failed("client-output-buffer-limit",
                   "Invalid client class specified in buffer limit configuration."));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2 -3"}),
            failed("client-output-buffer-limit",
                   "Error in hard, soft or soft_seconds setting in buffer limit configuration."));
  EXPECT_EQ(config.settings().pubsub, (OutputBufferLimit{2u << 20, 1u << 20, 5}));
}

TEST(RuntimeConfig, MaxclientsAboveWhatTheFileLimitAllowsIsRefused) {
  RuntimeConfig::Hooks hooks;
  hooks.reserve_clients = [](uint64_t wanted) { return std::min<uint64_t>(wanted, 50000); };
  RuntimeConfig config(RuntimeSettings{}, "", hooks);
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "60000"}),
            failed("maxclients",
                   "The operating system is not able to handle the specified number of clients, "
                   "try with 50000"));
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "40000"}), "+OK\r\n");
}

TEST(RuntimeConfig, ResetstatCallsTheHook) {
  int resets = 0;
  RuntimeConfig::Hooks hooks;
  hooks.reset_stats = [&] { ++resets; };
  RuntimeConfig config(RuntimeSettings{}, "", hooks);
  EXPECT_EQ(run(config, {"CONFIG", "RESETSTAT"}), "+OK\r\n");
  EXPECT_EQ(resets, 1);
}

TEST(RuntimeConfig, RewriteKeepsCommentsAndOtherKeysAndReplacesValues) {
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"maxclients", "20"}, {"timeout", "5"}, {"slowlog-max-len", "128"}};
  const std::string old_text =
      "# my cluster\nid = 1\nmaxclients = 100\n  timeout=0 \n[section]\nmaxclients = 3\n"
      "slowlog-max-len = 128";
  auto changed = [](std::string_view key) { return key != "slowlog-max-len"; };
  EXPECT_EQ(rewrite_config_text(old_text, entries, changed),
            "# my cluster\nid = 1\nmaxclients = 20\ntimeout = 5\n[section]\n"
            "slowlog-max-len = 128\n");
  EXPECT_EQ(rewrite_config_text("id = 1\n", entries, changed),
            "id = 1\n# Written by CONFIG REWRITE\nmaxclients = 20\ntimeout = 5\n");
}

TEST(RuntimeConfig, RewriteWritesTheFileAtomically) {
  const std::string dir = testing::TempDir() + "/runtime_config_rewrite";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/raftkv.toml";
  std::ofstream(path) << "# keep me\nid = 3\nmaxclients = 100\n";
  RuntimeConfig config(RuntimeSettings{}, path, {});
  EXPECT_EQ(run(config, {"CONFIG", "SET", "maxclients", "77", "client-output-buffer-limit",
                         "pubsub 1 2 3"}),
            "+OK\r\n");
  EXPECT_EQ(run(config, {"CONFIG", "REWRITE"}), "+OK\r\n");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "# keep me\nid = 3\nmaxclients = 77\n# Written by CONFIG REWRITE\n"
            "client-output-buffer-limit-pubsub = \"1 2 3\"\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".rewrite.tmp"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace raftkv::server
