#include "core/fs.h"

#include <gtest/gtest.h>

namespace iotwins {
namespace {

TEST(PosixFileSystem, AppendReadSyncTruncate) {
  auto& fs = PosixFileSystem::instance();
  std::string dir = testing::TempDir() + "fs_test/a/b";
  ASSERT_TRUE(fs.create_dirs(dir));
  ASSERT_TRUE(fs.create_dirs(dir));  // twice is fine
  std::string path = join_path(dir, "f");
  auto file = fs.open(path, OpenMode::truncate_write);
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->append("hello "));
  ASSERT_TRUE((*file)->append("world"));
  ASSERT_TRUE((*file)->sync());
  EXPECT_EQ(*(*file)->size(), 11u);
  EXPECT_EQ(*(*file)->read_at(6, 100), "world");
  ASSERT_TRUE((*file)->truncate(5));
  EXPECT_EQ(*fs.read_file(path), "hello");
  EXPECT_EQ(*fs.list(dir), std::vector<std::string>{"f"});
  ASSERT_TRUE(fs.remove(path));
  EXPECT_FALSE(*fs.exists(path));
  EXPECT_EQ(fs.open(path, OpenMode::read).error().code(), Errc::not_found);
}

TEST(PosixFileSystem, WriteFileAtomicReplaces) {
  auto& fs = PosixFileSystem::instance();
  std::string path = testing::TempDir() + "atomic.json";
  ASSERT_TRUE(fs.write_file_atomic(path, "one"));
  ASSERT_TRUE(fs.write_file_atomic(path, "two"));
  EXPECT_EQ(*fs.read_file(path), "two");
  EXPECT_FALSE(*fs.exists(path + ".tmp"));
  EXPECT_GT(*fs.free_bytes(testing::TempDir()), 0u);
}

TEST(Paths, JoinAndDirname) {
  EXPECT_EQ(join_path("a/b", "c"), "a/b/c");
  EXPECT_EQ(join_path("a/b/", "c"), "a/b/c");
  EXPECT_EQ(dirname("a/b/c"), "a/b");
  EXPECT_EQ(dirname("c"), ".");
  EXPECT_EQ(dirname("/c"), "/");
}

}  // namespace
}  // namespace iotwins
