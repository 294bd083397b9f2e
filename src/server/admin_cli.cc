#include "server/admin_cli.h"
#include "server/cli_parse.h"

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "net/peer_address.h"
#include "server/resp_call.h"

namespace raftkv::server {

int run_member_command(int argc, const char* const* argv) {
  CLI::App app{"raftkv member: change or show a cluster's membership", "raftkv member"};
  std::string server_text = "127.0.0.1:6379";
  app.add_option("-s,--server", server_text, "any member's client address")->capture_default_str();
  ClientCredentials credentials;
  add_client_credential_options(app, &credentials);
  app.require_subcommand(1);
  std::vector<std::string> args;
  std::string id, peer, client;
  std::vector<std::string> voters;
  auto* list = app.add_subcommand("list", "members, roles, addresses and progress");
  auto* add = app.add_subcommand("add-learner", "add a non-voting member");
  add->add_option("id", id, "new node id")->required();
  add->add_option("peer", peer, "its peer address HOST:PORT")->required();
  add->add_option("client", client, "its client address HOST:PORT")->required();
  auto* promote = app.add_subcommand("promote", "make a caught-up learner a voter");
  promote->add_option("id", id)->required();
  auto* remove = app.add_subcommand("remove", "remove a member");
  remove->add_option("id", id)->required();
  auto* set_voters = app.add_subcommand("set-voters", "replace voters in one joint change");
  set_voters->add_option("ids", voters)->required();
  auto* transfer = app.add_subcommand("transfer", "hand leadership to a voter");
  transfer->add_option("id", id)->required();
  if (auto exit_code = parse_command_line(app, argc, argv, "raftkv member")) return *exit_code;
  set_client_credentials(credentials);
  auto server = net::parse_peer_address(server_text);
  if (!server || server->port == 0) {
    std::cerr << "raftkv member: --server '" << server_text << "' is not HOST:PORT\n";
    return 2;
  }
  args = {"RAFT"};
  if (list->parsed()) args.push_back("MEMBERS");
  if (add->parsed()) args.insert(args.end(), {"ADD-LEARNER", id, peer, client});
  if (promote->parsed()) args.insert(args.end(), {"PROMOTE", id});
  if (remove->parsed()) args.insert(args.end(), {"REMOVE", id});
  if (transfer->parsed()) args.insert(args.end(), {"TRANSFER", id});
  if (set_voters->parsed()) {
    args.push_back("SET-VOTERS");
    args.insert(args.end(), voters.begin(), voters.end());
  }

  std::string error;
  auto reply = resp_call_leader(*server, args, std::chrono::seconds(10), &error);
  if (!reply) {
    std::cerr << "raftkv member: " << error << "\n";
    return 1;
  }
  if (!reply->empty() && (*reply)[0] == '-') {
    std::cerr << "raftkv member: " << reply->substr(1) << "\n";
    return 1;
  }
  std::cout << *reply << (reply->empty() || reply->back() != '\n' ? "\n" : "");
  return 0;
}

}  // namespace raftkv::server
