#include "server/admin_cli.h"
#include "server/cli_parse.h"

#include <asio.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "net/peer_address.h"

namespace raftkv::server {

namespace {

// One reply, as text: simple strings and bulk strings as they are, integers as digits,
// errors prefixed with "-". Enough for the RAFT commands, which reply with nothing else.
std::optional<std::string> call(const net::PeerAddress& server,
                                const std::vector<std::string>& args, std::string* error) {
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    asio::ip::tcp::resolver resolver(io);
    asio::connect(socket, resolver.resolve(server.host, std::to_string(server.port)));
    std::string request = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) request += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    asio::write(socket, asio::buffer(request));
    asio::streambuf buf;
    asio::read_until(socket, buf, "\r\n");
    std::istream in(&buf);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw std::runtime_error("empty reply");
    char type = line[0];
    std::string rest = line.substr(1);
    if (type == '+' || type == ':') return rest;
    if (type == '-') return "-" + rest;
    if (type == '$') {
      long len = std::stol(rest);
      if (len < 0) return std::string();
      size_t need = static_cast<size_t>(len) + 2;
      if (buf.size() < need) asio::read(socket, buf, asio::transfer_exactly(need - buf.size()));
      std::string body(static_cast<size_t>(len), '\0');
      in.read(body.data(), len);
      return body;
    }
    throw std::runtime_error("unexpected reply type '" + std::string(1, type) + "'");
  } catch (const std::exception& e) {
    *error = "cannot talk to " + server.to_string() + ": " + e.what();
    return std::nullopt;
  }
}

}  // namespace

int run_member_command(int argc, const char* const* argv) {
  CLI::App app{"raftkv member: change or show a cluster's membership", "raftkv member"};
  std::string server_text = "127.0.0.1:6379";
  app.add_option("-s,--server", server_text, "any member's client address")->capture_default_str();
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

  // Follow redirects to the leader (a few hops at most: leadership may move meanwhile).
  for (int hop = 0; hop < 5; ++hop) {
    std::string error;
    auto reply = call(*server, args, &error);
    if (!reply) {
      std::cerr << "raftkv member: " << error << "\n";
      return 1;
    }
    if (reply->rfind("-MOVED ", 0) == 0) {
      auto space = reply->rfind(' ');
      auto next = net::parse_peer_address(reply->substr(space + 1));
      if (!next) break;
      server = next;
      continue;
    }
    if (!reply->empty() && (*reply)[0] == '-') {
      std::cerr << "raftkv member: " << reply->substr(1) << "\n";
      return 1;
    }
    std::cout << *reply << (reply->empty() || reply->back() != '\n' ? "\n" : "");
    return 0;
  }
  std::cerr << "raftkv member: could not reach the leader\n";
  return 1;
}

}  // namespace raftkv::server
