// Crash at every step: for each mutating file-system operation of a scenario, the machine dies
// right there; after recovery every acknowledged record is present exactly once, in order,
// and the log accepts new appends.
#include <gtest/gtest.h>

#include "test_util.h"
#include "testing/fault_fs.h"

namespace iotwins::wal {
namespace {

const WalOptions kOptions{.fsync = FsyncPolicy::always, .max_segment_bytes = 1024};

// After a crash: reopens and checks records first..committed are the test payloads, that
// every acknowledged record is among them, and that appends work.
void check_recovered(FileSystem& fs, const std::string& dir, uint64_t acked,
                     uint64_t oldest_needed, uint64_t step) {
  auto wal = Wal::open(fs, dir, kOptions);
  ASSERT_TRUE(wal) << "step " << step << ": " << wal.error().to_string();
  uint64_t committed = (*wal)->committed_seq();
  EXPECT_GE(committed, acked) << "step " << step << ": acknowledged records lost";
  auto stats = (*wal)->stats();
  EXPECT_LE(stats.first_seq, oldest_needed) << "step " << step << ": unconsumed records deleted";
  auto records = read_all(**wal, 1);
  ASSERT_TRUE(records) << "step " << step << ": " << records.error().to_string();
  ASSERT_EQ(records->size(), committed + 1 - stats.first_seq) << "step " << step;
  uint64_t expect = stats.first_seq;
  for (const auto& r : *records) {
    ASSERT_EQ(r.seq, expect) << "step " << step;
    ASSERT_EQ(r.payload, payload(expect)) << "step " << step;
    ++expect;
  }
  auto next = (*wal)->append(payload(committed + 1));
  ASSERT_TRUE(next) << "step " << step << ": " << next.error().to_string();
  EXPECT_EQ(*next, committed + 1);
  EXPECT_EQ((*wal)->reader(committed + 1).value()->next().value()->payload,
            payload(committed + 1));
}

// Appends records one at a time through three segment rotations; returns how many were
// acknowledged before the first failure.
uint64_t rotation_scenario(FileSystem& fs, const std::string& dir) {
  auto wal = Wal::open(fs, dir, kOptions);
  if (!wal) return 0;
  uint64_t acked = 0;
  for (uint64_t i = 1; i <= 150; ++i) {
    auto seq = (*wal)->append(payload(i));
    if (!seq) return acked;
    EXPECT_EQ(*seq, i);
    acked = i;
  }
  return acked;
}

TEST(WalCrash, EveryStepOfAppendAndRotation) {
  uint64_t ops = 0;
  {
    std::string dir = fresh_dir("-count");
    FaultInjectingFileSystem fs(PosixFileSystem::instance(), /*forward_syncs=*/false);
    ASSERT_EQ(rotation_scenario(fs, dir), 150u);
    ops = fs.mutating_ops();
    auto wal = Wal::open(fs, dir, kOptions);
    ASSERT_GE((*wal)->stats().segments, 6u);  // the scenario does rotate
  }
  for (uint64_t step = 0; step < ops; ++step) {
    std::string dir = fresh_dir();
    FaultInjectingFileSystem fs(PosixFileSystem::instance(), /*forward_syncs=*/false);
    fs.crash_at_op(step);
    uint64_t acked = rotation_scenario(fs, dir);
    ASSERT_LT(acked, 150u) << "step " << step << " did not crash";
    ASSERT_TRUE(fs.simulate_crash());
    check_recovered(fs, dir, acked, 1, step);
    if (HasFatalFailure()) return;
  }
}

// Builds a log of several segments, then (the part that crashes) commits consumer offsets that
// free segments, removes a consumer and drops the oldest data.
struct TruncationOutcome {
  // Oldest record recovery must still hold: an operation interrupted by the crash may or may
  // not have taken effect, so this is the bound after the operation under way completes.
  uint64_t oldest_needed;
};

TruncationOutcome truncation_scenario(FileSystem& fs, const std::string& dir, uint64_t last) {
  TruncationOutcome out{.oldest_needed = 1};
  auto wal = Wal::open(fs, dir, kOptions);
  if (!wal) return out;
  out.oldest_needed = last / 3 + 1;
  if (!(*wal)->commit_offset("a", last / 3)) return out;
  if (!(*wal)->commit_offset("b", last / 2)) return out;
  out.oldest_needed = last / 2 + 1;
  if (!(*wal)->commit_offset("a", last - 5)) return out;
  out.oldest_needed = last - 5 + 1;
  if (!(*wal)->remove_consumer("b")) return out;
  // Dropping may take anything, even records "a" has not read.
  out.oldest_needed = last + 1;
  (void)(*wal)->drop_oldest_until((*wal)->stats().bytes / 2);
  return out;
}

TEST(WalCrash, EveryStepOfTruncationAndDrop) {
  auto build = [](FileSystem& fs, const std::string& dir) {
    auto wal = Wal::open(fs, dir, kOptions);
    for (uint64_t i = 1; i <= 200; ++i) EXPECT_TRUE((*wal)->append(payload(i)));
    EXPECT_GE((*wal)->stats().segments, 8u);
  };
  uint64_t start = 0, ops = 0;
  {
    std::string dir = fresh_dir("-count");
    FaultInjectingFileSystem fs(PosixFileSystem::instance(), /*forward_syncs=*/false);
    build(fs, dir);
    start = fs.mutating_ops();
    truncation_scenario(fs, dir, 200);
    ops = fs.mutating_ops() - start;
    ASSERT_GT(ops, 10u);
  }
  for (uint64_t step = 0; step < ops; ++step) {
    std::string dir = fresh_dir();
    FaultInjectingFileSystem fs(PosixFileSystem::instance(), /*forward_syncs=*/false);
    build(fs, dir);
    ASSERT_EQ(fs.mutating_ops(), start);
    fs.crash_at_op(start + step);
    auto outcome = truncation_scenario(fs, dir, 200);
    ASSERT_TRUE(fs.is_down()) << "step " << step << " did not crash";
    ASSERT_TRUE(fs.simulate_crash());
    check_recovered(fs, dir, 200, outcome.oldest_needed, step);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace iotwins::wal
