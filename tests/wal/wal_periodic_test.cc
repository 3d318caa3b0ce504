// FsyncPolicy::periodic: appends return once written to the OS; a background thread
// fdatasyncs at most every sync_interval; stats().durable_seq says how far that got.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "test_util.h"
#include "testing/fault_fs.h"

namespace iotwins::wal {
namespace {

using namespace std::chrono_literals;

// Polls until pred holds or 20 s pass (no fixed sleeps).
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class WalPeriodicTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_dir(); }
  Result<std::unique_ptr<Wal>> open(std::chrono::microseconds interval,
                                    uint64_t segment_bytes = 64ull << 20) {
    return Wal::open(fs_, dir_, {.fsync = FsyncPolicy::periodic,
                                 .sync_interval = interval,
                                 .max_segment_bytes = segment_bytes});
  }
  std::string dir_;
  FaultInjectingFileSystem fs_{PosixFileSystem::instance(), /*forward_syncs=*/false};
};

TEST_F(WalPeriodicTest, AppendsDoNotWaitForFsyncAndAtMostOneSyncRunsPerInterval) {
  auto wal = open(1h);
  ASSERT_TRUE(wal) << wal.error().to_string();
  uint64_t syncs_before = fs_.sync_count();
  for (uint64_t i = 1; i <= 200; ++i) ASSERT_EQ(*(*wal)->append(payload(i)), i);
  // The first sync may run at once; the next not before an hour.
  EXPECT_TRUE(eventually([&] { return (*wal)->stats().durable_seq >= 1; }));
  EXPECT_LE(fs_.sync_count() - syncs_before, 1u);
  WalStats s = (*wal)->stats();
  EXPECT_EQ(s.committed_seq, 200u);
  EXPECT_LE(s.durable_seq, s.committed_seq);
}

TEST_F(WalPeriodicTest, DurableSeqCatchesUpWithCommitted) {
  auto wal = open(500us);
  ASSERT_TRUE(wal);
  for (uint64_t i = 1; i <= 50; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  EXPECT_TRUE(eventually([&] { return (*wal)->stats().durable_seq == 50; }));
  for (uint64_t i = 51; i <= 60; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  EXPECT_TRUE(eventually([&] { return (*wal)->stats().durable_seq == 60; }));
}

TEST_F(WalPeriodicTest, PowerCutKeepsEverythingReportedDurable) {
  uint64_t durable = 0;
  {
    auto wal = open(1h, 2048);  // small segments: rotations seal (and sync) segments
    ASSERT_TRUE(wal);
    for (uint64_t i = 1; i <= 300; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
    durable = (*wal)->stats().durable_seq;
    EXPECT_GT(durable, 100u) << "sealed segments count as durable";
    ASSERT_TRUE(fs_.simulate_crash());  // before the destructor's last sync
  }
  auto wal = open(1h, 2048);
  ASSERT_TRUE(wal) << wal.error().to_string();
  uint64_t committed = (*wal)->committed_seq();
  EXPECT_GE(committed, durable);
  auto records = read_all(**wal);
  ASSERT_TRUE(records) << records.error().to_string();
  ASSERT_EQ(records->size(), committed);
  for (uint64_t i = 1; i <= committed; ++i) EXPECT_EQ((*records)[i - 1].payload, payload(i));
  EXPECT_EQ((*wal)->stats().durable_seq, committed) << "open syncs what it recovered";
}

TEST_F(WalPeriodicTest, CleanCloseSyncsEverything) {
  {
    auto wal = open(1h);
    ASSERT_TRUE(wal);
    for (uint64_t i = 1; i <= 20; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  }
  ASSERT_TRUE(fs_.simulate_crash());
  auto wal = open(1h);
  ASSERT_TRUE(wal);
  EXPECT_EQ((*wal)->committed_seq(), 20u);
}

TEST_F(WalPeriodicTest, FailedBackgroundFsyncFailsTheLog) {
  auto wal = open(1ms);
  ASSERT_TRUE(wal);
  fs_.fail_next_syncs(1);
  ASSERT_TRUE((*wal)->append(payload(1)));  // returns before the sync
  EXPECT_TRUE(eventually([&] { return (*wal)->stats().failed; }));
  EXPECT_EQ((*wal)->stats().durable_seq, 0u);
  auto refused = (*wal)->append(payload(2));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::io_error);
}

TEST_F(WalPeriodicTest, NegativeIntervalIsRejected) {
  auto wal = open(-1us);
  ASSERT_FALSE(wal);
  EXPECT_EQ(wal.error().code(), Errc::invalid_argument);
  EXPECT_NE(wal.error().message().find("sync_interval"), std::string::npos);
}

}  // namespace
}  // namespace iotwins::wal

namespace iotwins::wal {
namespace {

// The syncer must never recreate a segment that drop_oldest_until sealed and deleted while it
// was about to sync it (it once did, leaving an empty segment that failed the next open).
TEST(WalPeriodicRace, DropOldestWhileSyncingLeavesNoEmptySegment) {
  std::string dir = fresh_dir();
  {
    auto wal = Wal::open(PosixFileSystem::instance(), dir,
                         {.fsync = FsyncPolicy::periodic,
                          .sync_interval = std::chrono::microseconds(0),
                          .max_segment_bytes = 1024});
    ASSERT_TRUE(wal);
    for (int round = 0; round < 300; ++round) {
      for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE((*wal)->append(payload(i + 1)));
      ASSERT_TRUE((*wal)->drop_oldest_until(0));
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_GT(entry.file_size(), 0u) << entry.path();
  }
  auto reopened = Wal::open(PosixFileSystem::instance(), dir, {.fsync = FsyncPolicy::periodic});
  ASSERT_TRUE(reopened) << reopened.error().to_string();
}

}  // namespace
}  // namespace iotwins::wal
