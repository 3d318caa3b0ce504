// Consumers, truncation, drop-oldest and stats.
#include <gtest/gtest.h>

#include "test_util.h"

namespace iotwins::wal {
namespace {

FileSystem& posix() { return PosixFileSystem::instance(); }

WalOptions small_segments() {
  return {.fsync = FsyncPolicy::never, .max_segment_bytes = 4096};
}

// Appends records until the log has at least `segments` segments; returns the last seq.
uint64_t fill(Wal& wal, uint64_t segments) {
  uint64_t n = wal.committed_seq();
  while (wal.stats().segments < segments) EXPECT_TRUE(wal.append(payload(++n)));
  return n;
}

TEST(WalRetention, OffsetsPersistAndValidate) {
  std::string dir = fresh_dir();
  {
    auto wal = Wal::open(posix(), dir);
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
    EXPECT_EQ((*wal)->consumer_offset("fwd").error().code(), Errc::not_found);
    ASSERT_TRUE((*wal)->commit_offset("fwd", 3));
    ASSERT_TRUE((*wal)->commit_offset("fwd", 3));  // idempotent
    auto back = (*wal)->commit_offset("fwd", 2);
    ASSERT_FALSE(back);
    EXPECT_NE(back.error().message().find("backwards from 3 to 2"), std::string::npos);
    auto ahead = (*wal)->commit_offset("fwd", 6);
    ASSERT_FALSE(ahead);
    EXPECT_NE(ahead.error().message().find("newest acknowledged record is 5"), std::string::npos);
    EXPECT_EQ((*wal)->commit_offset("bad name", 1).error().code(), Errc::invalid_argument);
    ASSERT_TRUE((*wal)->commit_offset("tsdb", 5));
  }
  auto wal = Wal::open(posix(), dir);
  ASSERT_TRUE(wal);
  EXPECT_EQ(*(*wal)->consumer_offset("fwd"), 3u);
  EXPECT_EQ(*(*wal)->consumer_offset("tsdb"), 5u);
  ASSERT_TRUE((*wal)->remove_consumer("tsdb"));
  EXPECT_EQ((*wal)->remove_consumer("tsdb").error().code(), Errc::not_found);
  EXPECT_EQ((*wal)->consumer_offset("tsdb").error().code(), Errc::not_found);
}

TEST(WalRetention, SegmentsGoOnceEveryConsumerAcknowledgedThem) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir, small_segments());
  ASSERT_TRUE(wal);
  uint64_t last = fill(**wal, 4);
  uint64_t segments = (*wal)->stats().segments;
  ASSERT_TRUE((*wal)->commit_offset("slow", 0));
  ASSERT_TRUE((*wal)->commit_offset("fast", last));
  EXPECT_EQ((*wal)->stats().segments, segments);  // "slow" still needs everything
  ASSERT_TRUE((*wal)->commit_offset("slow", last - 1));
  auto stats = (*wal)->stats();
  EXPECT_EQ(stats.segments, 1u);  // the active segment always stays
  EXPECT_EQ(stats.min_consumer_offset, last - 1);
  EXPECT_EQ(posix().list(dir)->size(), 2u);  // the segment and "consumers"
  // Reading from a deleted record starts at the oldest one kept.
  auto records = read_all(**wal, 1);
  ASSERT_TRUE(records);
  ASSERT_FALSE(records->empty());
  EXPECT_EQ(records->front().seq, stats.first_seq);
  EXPECT_EQ(records->back().seq, last);
  // Sequence numbers keep going after a reopen with everything truncated.
  wal->reset();
  wal = Wal::open(posix(), dir, small_segments());
  ASSERT_TRUE(wal);
  EXPECT_EQ(*(*wal)->append("next"), last + 1);
}

TEST(WalRetention, RemovingALaggingConsumerFreesSegments) {
  auto wal = Wal::open(posix(), fresh_dir(), small_segments());
  uint64_t last = fill(**wal, 3);
  ASSERT_TRUE((*wal)->commit_offset("lagging", 1));
  ASSERT_TRUE((*wal)->commit_offset("current", last));
  EXPECT_GE((*wal)->stats().segments, 3u);
  ASSERT_TRUE((*wal)->remove_consumer("lagging"));
  EXPECT_EQ((*wal)->stats().segments, 1u);
}

TEST(WalRetention, ReaderKeepsItsSegmentWhileItIsDeleted) {
  auto wal = Wal::open(posix(), fresh_dir(), small_segments());
  uint64_t last = fill(**wal, 3);
  auto reader = (*wal)->reader(1);
  ASSERT_TRUE((*reader)->next());
  ASSERT_TRUE((*wal)->commit_offset("c", last));
  // The open segment still reads; the next segment is gone: not_found names the oldest kept.
  uint64_t seq = 1;
  Result<std::optional<WalRecord>> r = std::optional<WalRecord>();
  while ((r = (*reader)->next()) && *r) EXPECT_EQ((*r)->seq, ++seq);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::not_found);
  EXPECT_NE(r.error().message().find("oldest record is"), std::string::npos);
}

TEST(WalRetention, DropOldestReportsWhatConsumersLost) {
  auto wal = Wal::open(posix(), fresh_dir(), small_segments());
  uint64_t last = fill(**wal, 5);
  ASSERT_TRUE((*wal)->commit_offset("c", 10));
  auto before = (*wal)->stats();
  auto report = (*wal)->drop_oldest_until(before.bytes / 2);
  ASSERT_TRUE(report) << report.error().to_string();
  auto after = (*wal)->stats();
  EXPECT_LE(after.bytes, before.bytes / 2);
  EXPECT_EQ(report->first_seq, after.first_seq);
  EXPECT_EQ(report->records_deleted, after.first_seq - 1);
  EXPECT_EQ(report->records_dropped, after.first_seq - 1 - 10);
  EXPECT_EQ(report->bytes_freed, before.bytes - after.bytes);
  EXPECT_EQ(report->segments_deleted, before.segments - after.segments);
  EXPECT_EQ(*(*wal)->consumer_offset("c"), after.first_seq - 1);
  // Dropping below the active segment seals it and drops it too.
  auto all = (*wal)->drop_oldest_until(0);
  ASSERT_TRUE(all);
  auto empty = (*wal)->stats();
  EXPECT_EQ(empty.records, 0u);
  EXPECT_EQ(empty.first_seq, last + 1);
  auto again = (*wal)->drop_oldest_until(0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->records_deleted, 0u);  // nothing left to drop: a no-op
  EXPECT_EQ(*(*wal)->append("fresh"), last + 1);
  auto fresh = (*wal)->drop_oldest_until(0);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->records_deleted, 1u);
  EXPECT_EQ(fresh->records_dropped, 1u);
}

TEST(WalRetention, StatsCountRecordsAndOldestUnacknowledgedAge) {
  ManualClock clock(1'000'000'000'000);
  auto wal = Wal::open(posix(), fresh_dir(), {.clock = &clock});
  auto empty = (*wal)->stats();
  EXPECT_EQ(empty.records, 0u);
  EXPECT_EQ(empty.oldest_unacked_age_ns, 0);
  EXPECT_EQ(empty.first_seq, 1u);
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE((*wal)->append(payload(i)));
    clock.advance(std::chrono::seconds(10));
  }
  auto s = (*wal)->stats();
  EXPECT_EQ(s.records, 3u);
  EXPECT_EQ(s.committed_seq, 3u);
  EXPECT_EQ(s.segments, 1u);
  EXPECT_EQ(s.oldest_unacked_age_ns, 30'000'000'000);  // record 1, appended 30 s ago
  ASSERT_TRUE((*wal)->commit_offset("c", 2));
  EXPECT_EQ((*wal)->stats().oldest_unacked_age_ns, 10'000'000'000);  // record 3
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ((*wal)->stats().oldest_unacked_age_ns, 15'000'000'000);
  ASSERT_TRUE((*wal)->commit_offset("c", 3));
  EXPECT_EQ((*wal)->stats().oldest_unacked_age_ns, 0);
}

TEST(WalRetention, CorruptConsumerFileFailsOpenNamingIt) {
  std::string dir = fresh_dir();
  {
    auto wal = Wal::open(posix(), dir);
    ASSERT_TRUE((*wal)->append("a"));
    ASSERT_TRUE((*wal)->commit_offset("c", 1));
  }
  std::string path = join_path(dir, "consumers");
  std::string text = *posix().read_file(path);
  text[text.find("c 1") + 2] = '0';
  ASSERT_TRUE(posix().write_file_atomic(path, text));
  auto wal = Wal::open(posix(), dir);
  ASSERT_FALSE(wal);
  EXPECT_EQ(wal.error().code(), Errc::corruption);
  EXPECT_NE(wal.error().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace iotwins::wal
