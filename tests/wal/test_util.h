// Helpers shared by the wal tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "wal/reader.h"
#include "wal/wal.h"

namespace iotwins::wal {

// A fresh, empty directory named after the running test.
inline std::string fresh_dir(const std::string& suffix = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = ::testing::TempDir() + "wal_test/" + info->test_suite_name() + "." +
                    info->name() + suffix;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The payload the tests write as record number i (1-based): distinct and of varying length.
inline std::string payload(uint64_t i) {
  return "record-" + std::to_string(i) + std::string(i % 37, static_cast<char>('a' + i % 26));
}

// Every record from `from` to the end, or the error that stopped the read.
inline Result<std::vector<WalRecord>> read_all(Wal& wal, uint64_t from = 1) {
  IOT_ASSIGN(auto reader, wal.reader(from));
  std::vector<WalRecord> out;
  while (true) {
    IOT_ASSIGN(auto record, reader->next());
    if (!record) return out;
    out.push_back(std::move(*record));
  }
}

}  // namespace iotwins::wal
