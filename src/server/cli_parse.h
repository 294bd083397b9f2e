// Command-line parsing shared by the raftkv subcommands: one behaviour for help and errors.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

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

}  // namespace raftkv::server
