// Command-line parsing shared by the raftkv subcommands: one behaviour for help and errors.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "server/resp_call.h"

namespace raftkv::server {

// Parses argv into `app`. Returns nothing when the command should go on; otherwise the
// exit code: 0 after printing --help, 2 after printing what is wrong with the arguments.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                             const std::string& command) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << command << ": " << e.what() << "\n(run '" << command << " --help' for usage)\n";
    return 2;
  }
  return std::nullopt;
}

// redis-cli's connection options for the tools that talk to client ports.
inline void add_client_credential_options(CLI::App& app, ClientCredentials* c) {
  app.add_option("--user", c->user, "ACL user to AUTH as (default: the default user)");
  app.add_option("--pass,-a", c->password,
                 "password to AUTH with (visible in ps: prefer REDISCLI_AUTH)");
  app.add_flag("--tls", c->tls, "connect over TLS");
  app.add_option("--cacert", c->cacert, "CA certificate file to verify the server with");
  app.add_option("--cert", c->cert, "client certificate file (--tls-auth-clients yes)");
  app.add_option("--key", c->key, "client private key file");
}

}  // namespace raftkv::server
