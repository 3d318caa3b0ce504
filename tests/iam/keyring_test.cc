#include "iam/keyring.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "iam/jwt.h"
#include "iam/secret_file.h"
#include "testing/fault_fs.h"

namespace iotwins::iam {
namespace {

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/keyring-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  PosixFileSystem& fs_ = PosixFileSystem::instance();
  ManualClock clock_;
};

TEST_F(KeyRingTest, FirstOpenCreatesAPrivateKeyFile) {
  auto ring = KeyRing::open(fs_, dir_);
  ASSERT_TRUE(ring) << ring.error().to_string();
  EXPECT_EQ(*file_mode(dir_), 0700u);
  EXPECT_EQ(*file_mode(dir_ + "/0000000001.pem"), 0600u);
  std::string kid = (*ring)->current().kid();
  auto again = KeyRing::open(fs_, dir_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->current().kid(), kid);
}

TEST_F(KeyRingTest, RotationKeepsPreviousKeysVerifying) {
  auto ring = std::move(*KeyRing::open(fs_, dir_, {.keep_previous = 2}));
  Claims c{.sub = "u", .exp = clock_.now_ns() / 1'000'000'000 + 60};
  std::vector<std::string> tokens;
  tokens.push_back(*sign_jwt(ring->current(), c));
  for (int i = 0; i < 3; ++i) {
    auto key = ring->rotate();
    ASSERT_TRUE(key);
    EXPECT_EQ(ring->current().kid(), key->kid());
    tokens.push_back(*sign_jwt(ring->current(), c));
  }
  // Four keys were made; the first fell out of the ring (current + 2 previous).
  KeySet keys = ring->verification_keys();
  EXPECT_EQ(keys.size(), 3u);
  VerifyOptions opts;
  EXPECT_FALSE(verify_jwt(tokens[0], keys, opts, clock_));
  for (size_t i = 1; i < tokens.size(); ++i) EXPECT_TRUE(verify_jwt(tokens[i], keys, opts, clock_)) << i;
  EXPECT_FALSE(*fs_.exists(dir_ + "/0000000001.pem"));
  EXPECT_TRUE(*fs_.exists(dir_ + "/0000000004.pem"));
  // A restart sees the same ring.
  auto reopened = std::move(*KeyRing::open(fs_, dir_, {.keep_previous = 2}));
  EXPECT_EQ(reopened->current().kid(), ring->current().kid());
  EXPECT_EQ(reopened->verification_keys().to_jwks(), keys.to_jwks());
}

TEST_F(KeyRingTest, FailedRotationLeavesTheRingAsItWas) {
  FaultInjectingFileSystem faulty(fs_);
  auto ring = std::move(*KeyRing::open(faulty, dir_));
  std::string before = ring->current().kid();
  faulty.fail_next_syncs(1);
  auto r = ring->rotate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::io_error);
  EXPECT_EQ(ring->current().kid(), before);
  // After a power cut at that moment the ring loads with the old key current.
  faulty.simulate_crash();
  auto reopened = KeyRing::open(fs_, dir_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->current().kid(), before);
  EXPECT_EQ((*reopened)->verification_keys().size(), 1u);
}

TEST_F(KeyRingTest, CorruptKeyFileIsReportedWithItsPath) {
  ASSERT_TRUE(KeyRing::open(fs_, dir_));
  ASSERT_TRUE(fs_.write_file_atomic(dir_ + "/0000000002.pem", "not a key"));
  auto r = KeyRing::open(fs_, dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::corruption);
  EXPECT_NE(r.error().message().find("0000000002.pem"), std::string::npos);
}

TEST_F(KeyRingTest, IgnoresStrayFiles) {
  ASSERT_TRUE(KeyRing::open(fs_, dir_));
  ASSERT_TRUE(fs_.write_file_atomic(dir_ + "/README", "x"));
  ASSERT_TRUE(fs_.write_file_atomic(dir_ + "/0000000009.pem.tmp", "half written"));
  auto r = KeyRing::open(fs_, dir_);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)->verification_keys().size(), 1u);
}

}  // namespace
}  // namespace iotwins::iam
