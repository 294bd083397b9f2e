// raftkv: the server binary.
//   raftkv serve ...     run one node
//   raftkv cluster ...   run a local N-node cluster in the foreground (development)
//   raftkv member ...    show or change the membership
//   raftkv status ...    one row per member: role, term, indexes, log, lag
//   raftkv snapshot ...  save a backup of a live cluster, restore a new cluster from one
//   raftkv recover ...   make a survivor a one-node cluster when a majority is lost
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>

#include "server/admin_cli.h"
#include "server/local_cluster.h"
#include "server/log_context.h"
#include "server/options.h"
#include "server/recovery_cli.h"
#include "server/server.h"
#include "server/status_cli.h"

namespace {

void usage(std::ostream& out) {
  out << "usage: raftkv <command> [options]\n"
         "  serve     run one node of a cluster (raftkv serve --help)\n"
         "  cluster   run a local N-node cluster in the foreground (raftkv cluster --help)\n"
         "  member    show or change the membership of a running cluster (raftkv member --help)\n"
         "  status    each member's role, term, indexes, log and lag (raftkv status --help)\n"
         "  snapshot  save a backup of a live cluster, or restore a new cluster from one\n"
         "  recover   make a survivor a one-node cluster when a majority is lost (unsafe)\n";
}

int serve(int argc, char** argv) {
  raftkv::server::ServerOptions options;
  int rc = raftkv::server::parse_serve_options(argc, argv, &options);
  if (rc < 0) return 0;
  if (rc != 0) return rc;
  if (options.check_only) {
    std::cout << "raftkv serve: configuration ok\n";
    return 0;
  }
  auto logger = raftkv::server::make_node_logger(options.id);
  logger->set_level(spdlog::level::from_str(options.log_level));
  spdlog::set_default_logger(logger);
  try {
    raftkv::server::Server server(options);
    if (auto err = server.open(); !err.empty()) {
      spdlog::critical("{}", err);
      return 1;
    }
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  if (std::strcmp(argv[1], "serve") == 0) return serve(argc - 1, argv + 1);
  if (std::strcmp(argv[1], "member") == 0) {
    return raftkv::server::run_member_command(argc - 1, argv + 1);
  }
  if (std::strcmp(argv[1], "status") == 0) {
    return raftkv::server::run_status_command(argc - 1, argv + 1);
  }
  if (std::strcmp(argv[1], "snapshot") == 0) {
    return raftkv::server::run_snapshot_command(argc - 1, argv + 1);
  }
  if (std::strcmp(argv[1], "recover") == 0) {
    return raftkv::server::run_recover_command(argc - 1, argv + 1);
  }
  if (std::strcmp(argv[1], "cluster") == 0) {
    return raftkv::server::run_local_cluster(argc - 1, argv + 1, "/proc/self/exe");
  }
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    usage(std::cout);
    return 0;
  }
  std::cerr << "raftkv: unknown command '" << argv[1] << "'\n";
  usage(std::cerr);
  return 2;
}
