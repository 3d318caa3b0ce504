#include "iam/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace iotwins::iam {
namespace {

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/secret-file-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
  PosixFileSystem& fs_ = PosixFileSystem::instance();
};

TEST_F(SecretFileTest, PrivateDirectoryHoldsAnOwnerOnlyFile) {
  ASSERT_TRUE(make_private_dir(fs_, dir_));
  ASSERT_TRUE(write_secret_file(fs_, dir_ + "/key.pem", "secret"));
  EXPECT_EQ(*file_mode(dir_), 0700u);
  EXPECT_EQ(*file_mode(dir_ + "/key.pem"), 0600u);
  EXPECT_EQ(read(dir_ + "/key.pem"), "secret");
}

// IOTWINS_CREDENTIALS=/tmp/creds.json once made /tmp 0700 (PostgreSQL then could not start as its
// own user): a secret written into a shared directory leaves that directory's mode as it was.
TEST_F(SecretFileTest, SharedDirectoryKeepsItsModeAndTheFileIsOwnerOnly) {
  std::filesystem::create_directories(dir_);
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);
  ASSERT_TRUE(write_secret_file(fs_, dir_ + "/creds.json", "first"));
  ASSERT_TRUE(write_secret_file(fs_, dir_ + "/creds.json", "second"));
  EXPECT_EQ(*file_mode(dir_), 01777u);
  EXPECT_EQ(*file_mode(dir_ + "/creds.json"), 0600u);
  EXPECT_EQ(read(dir_ + "/creds.json"), "second");
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"creds.json"}) << "no staging directory left behind";
}

TEST_F(SecretFileTest, MissingDirectoryIsAClearErrorThatWritesNothing) {
  auto st = write_secret_file(fs_, dir_ + "/absent/creds.json", "x");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find(dir_ + "/absent"), std::string::npos) << st.error().message();
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

}  // namespace
}  // namespace iotwins::iam
