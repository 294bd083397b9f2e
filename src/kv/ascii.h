// ASCII case folding for command names, subcommands and options (Redis compares them
// case-insensitively, bytes outside A-Z unchanged).
#pragma once

#include <string>
#include <string_view>

namespace raftkv::kv {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  return out;
}

}  // namespace raftkv::kv
