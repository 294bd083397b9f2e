// Redis's glob-style pattern matching (stringmatchlen), as used by SCAN MATCH and KEYS:
//   *      any run of bytes, including none
//   ?      exactly one byte
//   [abc]  one of the listed bytes; [^abc] none of them; [a-z] a range (either order)
//   \x     the byte x literally, also inside brackets
// An unterminated '[' matches the bytes listed up to the end of the pattern, as in Redis.
// Matching is iterative with one backtrack point per '*', so it runs in
// O(|pattern| * |text|) time whatever the pattern, unlike a naive recursive matcher.
#pragma once

#include <string_view>

namespace raftkv::kv {

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace raftkv::kv
