// Runs every tests/raft/testdata/*.txt interaction script (interaction.h) and compares its
// output with the file. RAFTKV_REWRITE=1 writes the actual output back instead, so a
// behaviour change is reviewed as a diff of the scripts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "interaction.h"

namespace raftkv::raft::test {
namespace {

std::vector<std::string> scripts() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(RAFTKV_TESTDATA_DIR)) {
    if (e.path().extension() == ".txt") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Interaction : public testing::TestWithParam<std::string> {};

TEST_P(Interaction, OutputMatchesTheScript) {
  std::filesystem::path path = std::filesystem::path(RAFTKV_TESTDATA_DIR) / (GetParam() + ".txt");
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream buf;
  buf << in.rdbuf();
  std::string expected = buf.str();
  std::string actual = run_interaction_script(expected);
  const char* rewrite = std::getenv("RAFTKV_REWRITE");
  if (rewrite != nullptr && std::string(rewrite) == "1") {
    std::ofstream(path) << actual;
    return;
  }
  EXPECT_EQ(expected, actual) << "rerun with RAFTKV_REWRITE=1 to accept the new output of " << path;
}

INSTANTIATE_TEST_SUITE_P(Scripts, Interaction, testing::ValuesIn(scripts()), [](const auto& info) {
  std::string name = info.param;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

}  // namespace
}  // namespace raftkv::raft::test
