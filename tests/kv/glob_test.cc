#include "kv/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace raftkv::kv {
namespace {

struct GlobCase {
  const char* pattern;
  const char* text;
  bool match;
};

TEST(Glob, FollowsRedisSemantics) {
  const GlobCase cases[] = {
      {"*", "", true},
      {"*", "anything", true},
      {"", "", true},
      {"", "a", false},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h*llo", "hllo", true},
      {"h*llo", "heeeello", true},
      {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[b-a]llo", "hallo", true},
      {"h[a-b]llo", "hcllo", false},
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"[\\]]", "]", true},
      {"[\\-]", "-", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbYd", false},
      {"*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"user:*", "user:1", true},
      {"user:*", "item:1", false},
      {"[abc", "a", true},  // unterminated class: the listed bytes
      {"[abc", "d", false},
      {"[]", "a", false},      // an empty class matches nothing
      {"ab\\", "ab\\", true},  // trailing backslash is literal
      {"?", "", false},
      {"**", "x", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(glob_match(c.pattern, c.text), c.match) << c.pattern << " vs " << c.text;
  }
}

TEST(Glob, PathologicalPatternIsFast) {
  const std::string text(20000, 'a');
  std::string pattern;
  for (int i = 0; i < 50; ++i) pattern += "*a";
  pattern += "b";
  EXPECT_FALSE(glob_match(pattern, text));
}

}  // namespace
}  // namespace raftkv::kv
