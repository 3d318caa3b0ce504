// Shared by the store tests: a fresh directory per test, a manual clock far after kT0, and
// options with one-hour windows and a one-minute seal grace that each test adjusts.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/fs.h"
#include "tsdb/engine.h"

namespace iotwins::tsdb {

inline constexpr int64_t kSec = 1'000'000'000;
inline constexpr int64_t kHour = 3600 * kSec;
inline constexpr int64_t kT0 = 1'700'000'000 * kSec / kHour * kHour;  // a window boundary

class StoreFixture : public ::testing::Test {
 protected:
  explicit StoreFixture(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    dir_ = ::testing::TempDir() + prefix_ + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  StoreOptions base_options() {
    StoreOptions o;
    o.dir = dir_;
    o.window_ns = kHour;
    o.seal_grace_ns = 60 * kSec;
    o.sync_writes = false;
    o.clock = &clock_;
    return o;
  }
  std::unique_ptr<EmbeddedStore> open(FileSystem& fs, StoreOptions o) {
    auto s = EmbeddedStore::open(fs, std::move(o));
    EXPECT_TRUE(s) << (s ? "" : s.error().to_string());
    return s ? std::move(*s) : nullptr;
  }

  std::string prefix_;
  std::string dir_;
  ManualClock clock_{kT0 + 1000 * kHour};
  PosixFileSystem& fs_ = PosixFileSystem::instance();
};

}  // namespace iotwins::tsdb
