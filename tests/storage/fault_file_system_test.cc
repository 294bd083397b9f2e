// The fault-injecting file system's durability model: what survives each kind of crash.
#include "storage/fault_file_system.h"

#include <gtest/gtest.h>

#include "storage_test_util.h"

namespace raftkv::storage {
namespace {

class FaultFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(fs_.create_dir("d")); }

  std::unique_ptr<File> create(const std::string& path) {
    std::unique_ptr<File> f;
    EXPECT_OK(fs_.open(path, OpenMode::kCreate, &f));
    return f;
  }

  FaultFileSystem fs_{1};
};

TEST_F(FaultFileSystemTest, SyncedDataAndNamesSurviveACrash) {
  auto f = create("d/a");
  ASSERT_OK(f->append("hello"));
  ASSERT_OK(f->sync());
  ASSERT_OK(fs_.sync_dir("d"));
  ASSERT_OK(f->append(" world"));
  fs_.crash(CrashMode::kLoseUnsynced);
  EXPECT_EQ(fs_.contents("d/a"), "hello");
  EXPECT_FALSE(f->append("x").ok()) << "handles from before the crash must stop working";
}

TEST_F(FaultFileSystemTest, UnsyncedNameIsLost) {
  auto f = create("d/a");
  ASSERT_OK(f->append("data"));
  ASSERT_OK(f->sync());  // the data is durable, but the name is not
  fs_.crash(CrashMode::kLoseUnsynced);
  EXPECT_FALSE(fs_.exists("d/a"));
}

TEST_F(FaultFileSystemTest, UnsyncedRenameIsUndone) {
  fs_.set_contents("d/a", "old");
  auto f = create("d/a.tmp");
  ASSERT_OK(f->append("new"));
  ASSERT_OK(f->sync());
  ASSERT_OK(fs_.rename("d/a.tmp", "d/a"));
  fs_.crash(CrashMode::kLoseUnsynced);
  EXPECT_EQ(fs_.contents("d/a"), "old");
}

TEST_F(FaultFileSystemTest, TornLastWriteKeepsAStrictPrefix) {
  auto f = create("d/a");
  ASSERT_OK(fs_.sync_dir("d"));
  ASSERT_OK(f->append("first"));
  ASSERT_OK(f->append("second"));
  fs_.crash(CrashMode::kTornLastWrite);
  std::string c = fs_.contents("d/a");
  ASSERT_GE(c.size(), 5u);
  EXPECT_LT(c.size(), 11u);
  EXPECT_EQ(c, std::string("firstsecond").substr(0, c.size()));
}

TEST_F(FaultFileSystemTest, FailedSyncLosesTheDataEvenIfALaterSyncSucceeds) {
  auto f = create("d/a");
  ASSERT_OK(fs_.sync_dir("d"));
  ASSERT_OK(f->append("lost"));
  fs_.fail_next_syncs(1);
  EXPECT_EQ(f->sync().code(), StatusCode::kIoError);
  std::string read;
  ASSERT_OK(f->read_at(0, 100, &read));
  EXPECT_EQ(read, "lost") << "reads still see the data, as the page cache would";
  ASSERT_OK(f->sync());  // a retry "succeeds" ...
  fs_.crash(CrashMode::kLoseUnsynced);
  EXPECT_EQ(fs_.contents("d/a"), "") << "... but the data never reached the disk";
}

TEST_F(FaultFileSystemTest, CapacityLimitGivesNoSpace) {
  fs_.set_capacity(10);
  auto f = create("d/a");
  ASSERT_OK(f->append("12345678"));
  EXPECT_EQ(f->append("abc").code(), StatusCode::kNoSpace);
  EXPECT_EQ(fs_.contents("d/a"), "12345678");
}

TEST_F(FaultFileSystemTest, CrashAfterHaltsEverythingUntilCrash) {
  auto f = create("d/a");
  fs_.crash_after(1);
  ASSERT_OK(f->append("a"));
  EXPECT_FALSE(f->append("b").ok());
  EXPECT_FALSE(f->sync().ok());
  EXPECT_TRUE(fs_.halted());
  fs_.crash(CrashMode::kLoseUnsynced);
  EXPECT_FALSE(fs_.halted());
}

TEST_F(FaultFileSystemTest, SameSeedSameCrash) {
  auto run = [](uint64_t seed) {
    FaultFileSystem fs(seed);
    EXPECT_OK(fs.create_dir("d"));
    std::unique_ptr<File> f;
    EXPECT_OK(fs.open("d/a", OpenMode::kCreate, &f));
    EXPECT_OK(fs.sync_dir("d"));
    for (int i = 0; i < 10; ++i) EXPECT_OK(f->append(std::string(100, 'a' + i)));
    fs.crash(CrashMode::kRandom);
    return fs.contents("d/a");
  };
  EXPECT_EQ(run(7), run(7));
}

TEST_F(FaultFileSystemTest, ListDirShowsNamesInThatDirectoryOnly) {
  ASSERT_OK(fs_.create_dir("d/sub"));
  create("d/a");
  create("d/sub/b");
  std::vector<std::string> names;
  ASSERT_OK(fs_.list_dir("d", &names));
  EXPECT_EQ(names, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace raftkv::storage
