#include "testing/fault_fs.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace iotwins {
namespace {

class FaultFsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = wal::fresh_dir(); }
  std::string path(const std::string& name) { return join_path(dir_, name); }
  std::string real_content(const std::string& name) {
    auto content = PosixFileSystem::instance().read_file(path(name));
    return content ? *content : "<missing>";
  }
  // Creates a file with content and makes both durable.
  void make_durable(const std::string& name, const std::string& content) {
    auto file = fs_.open(path(name), OpenMode::truncate_write);
    ASSERT_TRUE(file);
    ASSERT_TRUE((*file)->append(content));
    ASSERT_TRUE((*file)->sync());
    ASSERT_TRUE(fs_.sync_dir(dir_));
  }

  std::string dir_;
  FaultInjectingFileSystem fs_{PosixFileSystem::instance()};
};

TEST_F(FaultFsTest, CrashDropsUnsyncedBytes) {
  make_durable("f", "abc");
  auto file = fs_.open(path("f"), OpenMode::append);
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->append("def"));
  EXPECT_EQ(real_content("f"), "abcdef");
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("f"), "abc");
  // Handles from before the crash are dead.
  auto stale = (*file)->append("x");
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Errc::io_error);
}

TEST_F(FaultFsTest, CreateIsLostWithoutDirectorySync) {
  auto file = fs_.open(path("new"), OpenMode::truncate_write);
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->append("data"));
  ASSERT_TRUE((*file)->sync());
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_FALSE(*PosixFileSystem::instance().exists(path("new")));

  make_durable("kept", "data");
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("kept"), "data");
}

TEST_F(FaultFsTest, RenameAndRemoveAreUndoneWithoutDirectorySync) {
  make_durable("a", "old");
  {
    auto tmp = fs_.open(path("a.tmp"), OpenMode::truncate_write);
    ASSERT_TRUE(tmp);
    ASSERT_TRUE((*tmp)->append("new"));
    ASSERT_TRUE((*tmp)->sync());
  }
  ASSERT_TRUE(fs_.rename(path("a.tmp"), path("a")));
  EXPECT_EQ(real_content("a"), "new");
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("a"), "old");
  EXPECT_FALSE(*PosixFileSystem::instance().exists(path("a.tmp")));

  ASSERT_TRUE(fs_.write_file_atomic(path("a"), "newer"));
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("a"), "newer");

  ASSERT_TRUE(fs_.remove(path("a")));
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("a"), "newer");
  ASSERT_TRUE(fs_.remove(path("a")));
  ASSERT_TRUE(fs_.sync_dir(dir_));
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("a"), "<missing>");
}

TEST_F(FaultFsTest, PreexistingFilesAreDurable) {
  ASSERT_TRUE(PosixFileSystem::instance().write_file_atomic(path("pre"), "before"));
  auto file = fs_.open(path("pre"), OpenMode::append);
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->append("after"));
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("pre"), "before");
}

TEST_F(FaultFsTest, FailedSyncMakesNothingDurable) {
  make_durable("f", "abc");
  auto file = fs_.open(path("f"), OpenMode::append);
  ASSERT_TRUE((*file)->append("def"));
  fs_.fail_next_syncs(1);
  auto synced = (*file)->sync();
  ASSERT_FALSE(synced);
  EXPECT_EQ(synced.error().code(), Errc::io_error);
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("f"), "abc");

  fs_.fail_next_syncs(1);
  EXPECT_FALSE(fs_.sync_dir(dir_));
  EXPECT_TRUE(fs_.sync_dir(dir_));
}

TEST_F(FaultFsTest, DiskFullWritesThePrefixThatFits) {
  auto file = fs_.open(path("f"), OpenMode::truncate_write);
  fs_.fill_disk_after(5);
  EXPECT_EQ(*fs_.free_bytes(dir_), 5u);
  ASSERT_TRUE((*file)->append("abc"));
  auto full = (*file)->append("defg");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), Errc::resource_exhausted);
  EXPECT_EQ(real_content("f"), "abcde");
  EXPECT_EQ((*file)->append("x").error().code(), Errc::resource_exhausted);
  fs_.clear_disk_full();
  EXPECT_TRUE((*file)->append("x"));
}

TEST_F(FaultFsTest, TornAppendLandsPrefixThenMachineIsDown) {
  auto file = fs_.open(path("f"), OpenMode::truncate_write);
  ASSERT_TRUE((*file)->append("abc"));
  fs_.tear_next_append(2);
  auto torn = (*file)->append("hello");
  ASSERT_FALSE(torn);
  EXPECT_TRUE(fs_.is_down());
  EXPECT_FALSE(fs_.list(dir_));
  EXPECT_FALSE((*file)->sync());
  ASSERT_TRUE(fs_.sync_dir(dir_).error().code() == Errc::io_error);
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_FALSE(fs_.is_down());
  // The directory entry was never synced: the file itself is gone.
  EXPECT_EQ(real_content("f"), "<missing>");

  make_durable("g", "abc");
  auto g = fs_.open(path("g"), OpenMode::append);
  fs_.tear_next_append(2);
  EXPECT_FALSE((*g)->append("hello"));
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("g"), "abche");
}

TEST_F(FaultFsTest, CrashAtOperationIndexFailsThatOperationAndEverythingAfter) {
  // Four mutating operations: open, append, sync, sync_dir.
  auto script = [&]() -> Status {
    IOT_ASSIGN(auto file, fs_.open(path("f"), OpenMode::truncate_write));
    IOT_TRY(file->append("data"));
    IOT_TRY(file->sync());
    return fs_.sync_dir(dir_);
  };
  uint64_t base = fs_.mutating_ops();
  ASSERT_TRUE(script());
  uint64_t per_run = fs_.mutating_ops() - base;
  EXPECT_EQ(per_run, 4u);
  ASSERT_TRUE(fs_.remove(path("f")));
  ASSERT_TRUE(fs_.sync_dir(dir_));
  for (uint64_t i = 0; i < per_run; ++i) {
    fs_.crash_at_op(fs_.mutating_ops() + i);
    auto run = script();
    ASSERT_FALSE(run) << "step " << i;
    EXPECT_NE(run.error().message().find("injected crash"), std::string::npos);
    EXPECT_TRUE(fs_.is_down());
    ASSERT_TRUE(fs_.simulate_crash());
    // Only a run that reached the final sync_dir would have left the file.
    EXPECT_EQ(real_content("f"), "<missing>") << "step " << i;
  }
  ASSERT_TRUE(script());
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("f"), "data");
}

TEST_F(FaultFsTest, UnsyncedTruncateKeepsItsCut) {
  make_durable("f", "abcdef");
  auto file = fs_.open(path("f"), OpenMode::append);
  ASSERT_TRUE((*file)->truncate(3));
  ASSERT_TRUE((*file)->append("XYZ"));
  ASSERT_TRUE(fs_.simulate_crash());
  EXPECT_EQ(real_content("f"), "abc");
}

}  // namespace
}  // namespace iotwins
