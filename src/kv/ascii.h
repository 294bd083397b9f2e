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

inline bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + ('a' - 'A')) : a[i];
    if (x != b[i] && x != (b[i] >= 'A' && b[i] <= 'Z' ? b[i] + ('a' - 'A') : b[i])) return false;
  }
  return true;
}

}  // namespace raftkv::kv
