// `raftkv serve` options: the example configuration shipped in packaging/ parses with the
// same parser as the command line, a flag given on the command line wins over it, and a
// misspelt key is refused.
#include "server/options.h"

#include <gtest/gtest.h>

#include <unistd.h>

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

TEST(OptionsTest, MaxmemoryTakesRedisUnitsAndOnlyNoeviction) {
  const std::vector<std::string> base = {"--config", RAFTKV_EXAMPLE_CONFIG};
  const auto with = [&](std::vector<std::string> extra, ServerOptions* o) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return parse(args, o);
  };
  ServerOptions o;
  ASSERT_EQ(with({}, &o), 0);
  EXPECT_EQ(o.maxmemory, 0u);
  ASSERT_EQ(with({"--maxmemory", "100mb", "--maxmemory-policy", "noeviction"}, &o), 0);
  EXPECT_EQ(o.maxmemory, 100u << 20);
  EXPECT_EQ(with({"--maxmemory", "lots"}, &o), 2);
  EXPECT_EQ(with({"--maxmemory-policy", "allkeys-lru"}, &o), 2);
}

// A valid node, plus `extra`.
int parse_node(std::vector<std::string> extra, ServerOptions* out,
               const std::string& listen_client = "127.0.0.1:6379") {
  std::vector<std::string> args{"--id",
                                "1",
                                "--data-dir",
                                "/tmp/raftkv-x",
                                "--listen-peer",
                                "127.0.0.1:7379",
                                "--listen-client",
                                listen_client,
                                "--initial-cluster",
                                "1=127.0.0.1:7379"};
  args.insert(args.end(), extra.begin(), extra.end());
  return parse(args, out);
}

TEST(OptionsTest, SecurityCombinationsThatCannotWorkAreRefused) {
  ServerOptions o;
  // No plaintext port and no TLS port: no client could connect.
  EXPECT_EQ(parse_node({}, &o, "127.0.0.1:0"), 2);
  EXPECT_EQ(parse_node({"--tls-port", "6380"}, &o), 2);  // no certificate
  // Client certificates required (Redis's default) but no CA to check them against.
  EXPECT_EQ(parse_node({"--tls-port", "6380", "--tls-cert-file", "c", "--tls-key-file", "k"}, &o),
            2);
  EXPECT_EQ(parse_node({"--tls-auth-clients", "maybe"}, &o), 2);
  EXPECT_EQ(parse_node({"--peer-tls-cert-file", "c", "--peer-tls-key-file", "k"}, &o), 2);
  EXPECT_EQ(parse_node({"--cluster-secret-file", "/nonexistent/secret"}, &o), 2);
  EXPECT_EQ(parse_node({"--tls-port", "6380", "--tls-cert-file", "/nonexistent/c", "--tls-key-file",
                        "/nonexistent/k", "--tls-auth-clients", "no"},
                       &o),
            2);  // files that do not load fail at parse time, so --check-config sees them
}

TEST(OptionsTest, ClusterSecretFileIsReadFromTheFlagOrTheConfig) {
  char secret_path[] = "/tmp/raftkv-secret-XXXXXX";
  const int fd = mkstemp(secret_path);
  ASSERT_GE(fd, 0);
  const std::string secrets =
      "# current, then previous\nnew-secret-0123456789\nold-secret-0123456789\n";
  ASSERT_EQ(write(fd, secrets.data(), secrets.size()), static_cast<ssize_t>(secrets.size()));
  close(fd);
  ServerOptions o;
  ASSERT_EQ(parse_node({"--cluster-secret-file", secret_path}, &o), 0);
  EXPECT_EQ(o.cluster_secrets,
            (net::ClusterSecrets{"new-secret-0123456789", "old-secret-0123456789"}));

  char config_path[] = "/tmp/raftkv-config-XXXXXX";
  const int cfd = mkstemp(config_path);
  ASSERT_GE(cfd, 0);
  const std::string config = std::string("cluster-secret-file = \"") + secret_path +
                             "\"\ntls-auth-clients = \"optional\"\n";
  ASSERT_EQ(write(cfd, config.data(), config.size()), static_cast<ssize_t>(config.size()));
  close(cfd);
  ServerOptions from_config;
  ASSERT_EQ(parse_node({"--config", config_path}, &from_config), 0);
  EXPECT_EQ(from_config.cluster_secrets, o.cluster_secrets);
  EXPECT_EQ(from_config.tls_auth_clients, net::ClientCertPolicy::kOptional);
  std::remove(secret_path);
  std::remove(config_path);
}

}  // namespace
}  // namespace raftkv::server
