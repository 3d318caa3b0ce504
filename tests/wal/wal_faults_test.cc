// The WAL under injected disk faults: torn writes, failing fsync, full disk.
#include <gtest/gtest.h>

#include "test_util.h"
#include "testing/fault_fs.h"

namespace iotwins::wal {
namespace {

class WalFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_dir(); }
  Result<std::unique_ptr<Wal>> open(WalOptions opts = {.fsync = FsyncPolicy::always}) {
    return Wal::open(fs_, dir_, opts);
  }
  // Asserts the log holds exactly records 1..n with the test payloads.
  void expect_records(Wal& wal, uint64_t n) {
    auto records = read_all(wal);
    ASSERT_TRUE(records) << records.error().to_string();
    ASSERT_EQ(records->size(), n);
    for (uint64_t i = 1; i <= n; ++i) {
      ASSERT_EQ((*records)[i - 1].seq, i);
      ASSERT_EQ((*records)[i - 1].payload, payload(i));
    }
  }

  std::string dir_;
  FaultInjectingFileSystem fs_{PosixFileSystem::instance(), /*forward_syncs=*/false};
};

TEST_F(WalFaultTest, TornWriteIsCutAndAcknowledgedRecordsSurvive) {
  for (size_t keep : {0u, 1u, 10u, 23u, 24u, 30u}) {
    SetUp();
    {
      auto wal = open();
      ASSERT_TRUE(wal);
      for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
      fs_.tear_next_append(keep);
      auto torn = (*wal)->append(payload(4));
      ASSERT_FALSE(torn);
    }
    ASSERT_TRUE(fs_.simulate_crash());
    auto wal = open();
    ASSERT_TRUE(wal) << wal.error().to_string();
    EXPECT_EQ((*wal)->committed_seq(), 3u) << "keep " << keep;
    EXPECT_EQ(*(*wal)->append(payload(4)), 4u);
    expect_records(**wal, 4);
  }
}

TEST_F(WalFaultTest, FailedFsyncIsNotAcknowledgedAndStopsTheLog) {
  auto wal = open();
  ASSERT_TRUE(wal);
  ASSERT_TRUE((*wal)->append(payload(1)));
  fs_.fail_next_syncs(1);
  auto failed = (*wal)->append(payload(2));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Errc::io_error);
  auto refused = (*wal)->append(payload(2));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("reopen"), std::string::npos);
  EXPECT_TRUE((*wal)->stats().failed);
  EXPECT_EQ((*wal)->committed_seq(), 1u);
  wal->reset();
  // After the crash the unsynced record is gone; reopening recovers a working log.
  ASSERT_TRUE(fs_.simulate_crash());
  wal = open();
  ASSERT_TRUE(wal);
  EXPECT_EQ((*wal)->committed_seq(), 1u);
  EXPECT_EQ(*(*wal)->append(payload(2)), 2u);
  expect_records(**wal, 2);
}

TEST_F(WalFaultTest, DiskFullRejectsTheBatchAndTheLogCarriesOn) {
  auto wal = open();
  ASSERT_TRUE(wal);
  ASSERT_TRUE((*wal)->append(payload(1)));
  auto reader = (*wal)->reader(1);
  ASSERT_TRUE((*reader)->next());  // buffers the segment as it is now
  fs_.fill_disk_after(10);
  auto full = (*wal)->append("this record does not fit");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), Errc::resource_exhausted);
  EXPECT_FALSE((*wal)->stats().failed);
  fs_.clear_disk_full();
  // The same sequence number goes to the next record, and readers see the new bytes.
  EXPECT_EQ(*(*wal)->append(payload(2)), 2u);
  auto r = (*reader)->next();
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(*r);
  EXPECT_EQ((*r)->payload, payload(2));
  expect_records(**wal, 2);
  wal->reset();
  ASSERT_TRUE(fs_.simulate_crash());
  wal = open();
  expect_records(**wal, 2);
}

TEST_F(WalFaultTest, DiskFullDuringRotationLeavesTheLogUsable) {
  WalOptions opts{.fsync = FsyncPolicy::always, .max_segment_bytes = 4096};
  auto wal = open(opts);
  ASSERT_TRUE(wal);
  uint64_t n = 0;
  while ((*wal)->stats().bytes < 4096) ASSERT_TRUE((*wal)->append(payload(++n)));
  fs_.fill_disk_after(5);  // the next segment's header does not fit
  auto full = (*wal)->append(payload(n + 1));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), Errc::resource_exhausted);
  fs_.clear_disk_full();
  EXPECT_EQ(*(*wal)->append(payload(n + 1)), n + 1);
  EXPECT_EQ((*wal)->stats().segments, 2u);
  wal->reset();
  ASSERT_TRUE(fs_.simulate_crash());
  wal = open(opts);
  ASSERT_TRUE(wal);
  expect_records(**wal, n + 1);
}

TEST_F(WalFaultTest, TotalSizeLimitIsResourceExhaustedUntilConsumersFreeSpace) {
  WalOptions opts{.fsync = FsyncPolicy::always, .max_segment_bytes = 4096,
                  .max_total_bytes = 3 * 4096};
  auto wal = open(opts);
  ASSERT_TRUE(wal);
  uint64_t n = 0;
  Result<uint64_t> appended = 0;
  while ((appended = (*wal)->append(payload(n + 1)))) ++n;
  EXPECT_EQ(appended.error().code(), Errc::resource_exhausted);
  EXPECT_NE(appended.error().message().find("max_total_bytes"), std::string::npos);
  EXPECT_LE((*wal)->stats().bytes, opts.max_total_bytes);
  EXPECT_EQ((*wal)->committed_seq(), n);
  ASSERT_TRUE((*wal)->commit_offset("reader", n));
  EXPECT_EQ(*(*wal)->append(payload(n + 1)), n + 1);
}

}  // namespace
}  // namespace iotwins::wal
