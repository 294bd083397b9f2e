#include "server/local_cluster.h"
#include "server/cli_parse.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace raftkv::server {

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

}  // namespace

int run_local_cluster(int argc, const char* const* argv, const char* self_path) {
  CLI::App app{"raftkv cluster: run a local N-node cluster in the foreground", "raftkv cluster"};
  int nodes = 3;
  int client_port = 6379;
  int peer_port = 7379;
  int tls_port = 0;
  int metrics_port = 0;
  std::string data_dir = "./raftkv-data";
  std::string host = "127.0.0.1";
  std::vector<std::string> extra;
  app.add_option("--nodes", nodes, "number of nodes")
      ->check(CLI::Range(1, 9))
      ->capture_default_str();
  app.add_option("--client-port", client_port, "client port of node 1 (node i: +i-1)")
      ->check(CLI::Range(1, 65000))
      ->capture_default_str();
  app.add_option("--peer-port", peer_port, "peer port of node 1 (node i: +i-1)")
      ->check(CLI::Range(1, 65000))
      ->capture_default_str();
  app.add_option("--tls-port", tls_port,
                 "client TLS port of node 1 (node i: +i-1; needs --tls-cert-file and "
                 "--tls-key-file after --); 0: none")
      ->check(CLI::Range(0, 65000))
      ->capture_default_str();
  app.add_option("--metrics-port", metrics_port,
                 "Prometheus /metrics port of node 1 (node i: +i-1); 0: none")
      ->check(CLI::Range(0, 65000))
      ->capture_default_str();
  app.add_option("--host", host, "address to listen on")->capture_default_str();
  app.add_option("--data-dir", data_dir, "parent directory of the nodes' data directories")
      ->capture_default_str();
  app.add_option("extra", extra, "further options passed to every `raftkv serve` (after --)");
  if (auto exit_code = parse_command_line(app, argc, argv, "raftkv cluster")) return *exit_code;

  std::string cluster;
  for (int i = 1; i <= nodes; ++i) {
    if (i > 1) cluster += ",";
    cluster += std::to_string(i) + "=" + host + ":" + std::to_string(peer_port + i - 1);
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<pid_t> children;
  for (int i = 1; i <= nodes; ++i) {
    std::string dir = data_dir + "/node" + std::to_string(i);
    std::error_code ec;
    // Owner only, as `raftkv serve` creates a data directory.
    if (std::filesystem::create_directories(dir, ec)) {
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
    std::vector<std::string> args = {
        self_path,
        "serve",
        "--id=" + std::to_string(i),
        "--data-dir=" + dir,
        "--listen-client=" + host + ":" + std::to_string(client_port + i - 1),
        "--listen-peer=" + host + ":" + std::to_string(peer_port + i - 1),
        "--initial-cluster=" + cluster,
    };
    if (tls_port != 0) args.push_back("--tls-port=" + std::to_string(tls_port + i - 1));
    if (metrics_port != 0) {
      args.push_back("--listen-metrics=" + host + ":" + std::to_string(metrics_port + i - 1));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      break;
    }
    if (pid == 0) {
      std::vector<char*> cargs;
      for (auto& a : args) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      execv(self_path, cargs.data());
      std::perror("execv");
      _exit(127);
    }
    children.push_back(pid);
  }

  std::cout << "raftkv: " << nodes << "-node cluster on " << host << ", data in " << data_dir
            << "\n";
  for (int i = 1; i <= nodes; ++i) {
    std::cout << "  node " << i << ": client " << host << ":" << client_port + i - 1 << "  peer "
              << host << ":" << peer_port + i - 1 << "\n";
  }
  std::cout << "connect with:  redis-cli -c -p " << client_port
            << "    (-c follows redirects to the leader)\n"
            << "cluster state: redis-cli -p " << client_port << " INFO raft\n"
            << "stop with Ctrl-C\n"
            << std::flush;

  int exit_code = 0;
  size_t alive = children.size();
  // A node stopped cleanly (SHUTDOWN from a client) leaves the others running, as a
  // machine's node would; one that fails stops them all (something is wrong).
  while (!g_stop && alive > 0 && exit_code == 0) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      --alive;
      for (auto& c : children) {
        if (c == pid) c = 0;
      }
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        std::cerr << "raftkv cluster: node process " << pid << " stopped; " << alive
                  << " still running\n";
        continue;
      }
      std::cerr << "raftkv cluster: node process " << pid << " exited (status " << status
                << "); stopping the others\n";
      exit_code = 1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (pid_t c : children) {
    if (c > 0) kill(c, SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (pid_t c : children) {
    if (c <= 0) continue;
    for (;;) {
      int status = 0;
      pid_t r = waitpid(c, &status, WNOHANG);
      if (r != 0) break;
      if (std::chrono::steady_clock::now() > deadline) {
        kill(c, SIGKILL);
        waitpid(c, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::cout << "raftkv: cluster stopped\n";
  return exit_code;
}

}  // namespace raftkv::server
