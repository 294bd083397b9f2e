#include "kv/glob.h"

#include <cstddef>
#include <utility>

namespace raftkv::kv {

namespace {

using uchar = unsigned char;

// Matches the single-byte token starting at pattern[p] ('?', a bracket class, an escape or
// a literal; never '*') against `c`. Sets *next to the index after the token.
bool match_token(std::string_view pattern, size_t p, char c, size_t* next) {
  const size_t n = pattern.size();
  switch (pattern[p]) {
    case '?':
      *next = p + 1;
      return true;
    case '\\':
      if (p + 1 < n) {
        *next = p + 2;
        return pattern[p + 1] == c;
      }
      *next = p + 1;  // a trailing backslash is a literal backslash
      return c == '\\';
    case '[': {
      size_t q = p + 1;
      const bool negate = q < n && pattern[q] == '^';
      if (negate) ++q;
      bool matched = false;
      while (true) {
        if (q >= n) break;  // unterminated: the class ends with the pattern
        if (pattern[q] == '\\' && n - q >= 2) {
          ++q;
          if (pattern[q] == c) matched = true;
        } else if (pattern[q] == ']') {
          ++q;
          break;
        } else if (n - q >= 3 && pattern[q + 1] == '-') {
          uchar lo = static_cast<uchar>(pattern[q]);
          uchar hi = static_cast<uchar>(pattern[q + 2]);
          if (lo > hi) std::swap(lo, hi);
          const auto uc = static_cast<uchar>(c);
          if (uc >= lo && uc <= hi) matched = true;
          q += 2;
        } else if (pattern[q] == c) {
          matched = true;
        }
        ++q;
      }
      *next = q;
      return matched != negate;
    }
    default:
      *next = p + 1;
      return pattern[p] == c;
  }
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  const size_t n = pattern.size();
  size_t p = 0;
  size_t t = 0;
  // Where to resume after the most recent '*': the pattern just after it, and the text
  // position that star has absorbed up to.
  size_t star_p = std::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < n && pattern[p] == '*') {
      while (p < n && pattern[p] == '*') ++p;
      if (p == n) return true;
      star_p = p;
      star_t = t;
      continue;
    }
    size_t next = 0;
    if (p < n && match_token(pattern, p, text[t], &next)) {
      p = next;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    // Let the last star absorb one more byte and retry from there.
    p = star_p;
    t = ++star_t;
  }
  while (p < n && pattern[p] == '*') ++p;
  return p == n;
}

}  // namespace raftkv::kv
