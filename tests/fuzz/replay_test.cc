// Replays every committed fuzz input through its target in the regular build: the seed
// corpora (tests/fuzz/corpus/<target>/) and the inputs that once crashed a target
// (tests/fuzz/regressions/<target>/, kept so the bug stays fixed). A target aborts on a
// broken invariant, which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "targets.h"

namespace raftkv::fuzz {
namespace {

std::vector<std::string> read_inputs(const std::filesystem::path& dir) {
  std::vector<std::string> inputs;
  if (!std::filesystem::is_directory(dir)) return inputs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(entry.path(), std::ios::binary);
    inputs.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return inputs;
}

class ReplayTest : public ::testing::TestWithParam<Target> {};

TEST_P(ReplayTest, CorpusAndRegressionsPass) {
  const std::filesystem::path root = RAFTKV_FUZZ_DIR;
  const Target target = GetParam();
  size_t replayed = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    for (const std::string& input : read_inputs(root / kind / target.name)) {
      target.run(reinterpret_cast<const uint8_t*>(input.data()), input.size());
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 0u) << "no seed inputs for " << target.name;
}

INSTANTIATE_TEST_SUITE_P(Targets, ReplayTest, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace raftkv::fuzz
