// Appending, reading, rotation, recovery and group commit on a healthy disk.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "test_util.h"
#include "testing/fault_fs.h"

namespace iotwins::wal {
namespace {

FileSystem& posix() { return PosixFileSystem::instance(); }

TEST(Wal, AppendReadAndSequencesSurviveReopen) {
  std::string dir = fresh_dir();
  {
    auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::always});
    ASSERT_TRUE(wal) << wal.error().to_string();
    EXPECT_EQ((*wal)->committed_seq(), 0u);
    for (uint64_t i = 1; i <= 10; ++i) EXPECT_EQ(*(*wal)->append(payload(i)), i);
    auto records = read_all(**wal);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 10u);
    for (uint64_t i = 1; i <= 10; ++i) {
      EXPECT_EQ((*records)[i - 1].seq, i);
      EXPECT_EQ((*records)[i - 1].payload, payload(i));
    }
  }
  auto wal = Wal::open(posix(), dir);
  ASSERT_TRUE(wal);
  EXPECT_EQ((*wal)->committed_seq(), 10u);
  EXPECT_EQ(*(*wal)->append(payload(11)), 11u);
  std::vector<std::string_view> many = {"x", "", "yz"};
  EXPECT_EQ(*(*wal)->append_many(many), 12u);
  auto tail = read_all(**wal, 11);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 4u);
  EXPECT_EQ((*tail)[0].payload, payload(11));
  EXPECT_EQ((*tail)[1].payload, "x");
  EXPECT_EQ((*tail)[2].payload, "");
  EXPECT_EQ((*tail)[3].seq, 14u);
}

TEST(Wal, AppendTimestampComesFromTheClock) {
  ManualClock clock(5'000'000'000);
  auto wal = Wal::open(posix(), fresh_dir(), {.clock = &clock});
  ASSERT_TRUE(wal);
  ASSERT_TRUE((*wal)->append("a"));
  clock.advance(std::chrono::seconds(3));
  ASSERT_TRUE((*wal)->append("b"));
  auto records = read_all(**wal);
  ASSERT_TRUE(records);
  EXPECT_EQ((*records)[0].ts_ns, 5'000'000'000);
  EXPECT_EQ((*records)[1].ts_ns, 8'000'000'000);
}

TEST(Wal, RotatesSegmentsAndReadsAcrossThem) {
  std::string dir = fresh_dir();
  WalOptions opts{.fsync = FsyncPolicy::never, .max_segment_bytes = 4096};  // ~4 segments
  {
    auto wal = Wal::open(posix(), dir, opts);
    ASSERT_TRUE(wal);
    for (uint64_t i = 1; i <= 300; ++i) ASSERT_EQ(*(*wal)->append(payload(i)), i);
    auto stats = (*wal)->stats();
    EXPECT_GE(stats.segments, 4u);
    EXPECT_EQ(stats.records, 300u);
    uint64_t on_disk = 0;
    auto names = posix().list(dir);
    ASSERT_TRUE(names);
    for (const auto& name : *names) on_disk += *posix().file_size(join_path(dir, name));
    EXPECT_EQ(stats.bytes, on_disk);
  }
  auto wal = Wal::open(posix(), dir, opts);
  ASSERT_TRUE(wal);
  for (uint64_t from : {1u, 2u, 150u, 299u, 300u}) {
    auto records = read_all(**wal, from);
    ASSERT_TRUE(records) << records.error().to_string();
    ASSERT_EQ(records->size(), 301 - from);
    for (const auto& r : *records) ASSERT_EQ(r.payload, payload(r.seq));
  }
  EXPECT_EQ(*(*wal)->append("after"), 301u);
}

TEST(Wal, ReaderFollowsTheLogAsItGrows) {
  auto wal = Wal::open(posix(), fresh_dir(), {.max_segment_bytes = 4096});
  ASSERT_TRUE(wal);
  auto reader = (*wal)->reader(1);
  ASSERT_TRUE(reader);
  auto none = (*reader)->next();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  for (uint64_t i = 1; i <= 120; ++i) {
    ASSERT_TRUE((*wal)->append(payload(i)));
    auto r = (*reader)->next();
    ASSERT_TRUE(r && *r) << i;
    EXPECT_EQ((*r)->seq, i);
    EXPECT_EQ((*r)->payload, payload(i));
    auto caught_up = (*reader)->next();
    ASSERT_TRUE(caught_up);
    EXPECT_FALSE(*caught_up);
  }
  (*reader)->seek(7);
  auto r = (*reader)->next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->seq, 7u);
  EXPECT_EQ((*wal)->wait_for(120, std::chrono::milliseconds(0)), 120u);
}

TEST(Wal, ConcurrentAppendsGetDistinctContiguousSequences) {
  for (auto policy : {FsyncPolicy::always, FsyncPolicy::batch, FsyncPolicy::never}) {
    std::string dir = fresh_dir(std::to_string(static_cast<int>(policy)));
    {
      FaultInjectingFileSystem fs(posix(), /*forward_syncs=*/false);
      auto wal = Wal::open(fs, dir, {.fsync = policy, .max_segment_bytes = 16384});
      ASSERT_TRUE(wal);
      constexpr int kThreads = 8, kPerThread = 150;
      std::mutex mu;
      std::map<uint64_t, std::string> written;
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < kPerThread; ++i) {
            std::string p = "t" + std::to_string(t) + "-" + std::to_string(i);
            auto seq = (*wal)->append(p);
            ASSERT_TRUE(seq);
            std::lock_guard lock(mu);
            ASSERT_TRUE(written.emplace(*seq, p).second);
          }
        });
      }
      for (auto& t : threads) t.join();
      ASSERT_EQ(written.size(), size_t{kThreads * kPerThread});
      EXPECT_EQ(written.begin()->first, 1u);
      EXPECT_EQ(written.rbegin()->first, uint64_t{kThreads * kPerThread});
      auto records = read_all(**wal);
      ASSERT_TRUE(records);
      ASSERT_EQ(records->size(), written.size());
      for (const auto& r : *records) EXPECT_EQ(r.payload, written[r.seq]);
      // Group commit: never more fsyncs than appends (plus segment creations), none at all
      // for records under policy never.
      uint64_t segments = (*wal)->stats().segments;
      if (policy == FsyncPolicy::never) {
        EXPECT_LE(fs.sync_count(), 3 * segments);
      } else {
        EXPECT_LE(fs.sync_count(), written.size() + 3 * segments);
      }
    }
  }
}

TEST(Wal, RejectsBadOptionsAndOversizedRecords) {
  std::string dir = fresh_dir();
  EXPECT_EQ(Wal::open(posix(), dir, {.max_segment_bytes = 1000}).error().code(),
            Errc::invalid_argument);
  EXPECT_EQ(Wal::open(posix(), dir, {.max_record_bytes = 0}).error().code(),
            Errc::invalid_argument);
  EXPECT_EQ(Wal::open(posix(), dir, {.max_record_bytes = 1 << 20, .max_batch_bytes = 1000})
                .error()
                .code(),
            Errc::invalid_argument);
  auto wal = Wal::open(posix(), dir, {.max_record_bytes = 100});
  ASSERT_TRUE(wal);
  auto big = (*wal)->append(std::string(101, 'x'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), Errc::too_large);
  EXPECT_NE(big.error().message().find("101 bytes"), std::string::npos);
  EXPECT_EQ((*wal)->committed_seq(), 0u);
  EXPECT_EQ((*wal)->append_many({}).error().code(), Errc::invalid_argument);
  EXPECT_EQ(*(*wal)->append(std::string(100, 'x')), 1u);
}

TEST(Wal, GarbageAfterTheLastRecordIsCutOnOpen) {
  std::string dir = fresh_dir();
  {
    auto wal = Wal::open(posix(), dir);
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  }
  std::string seg = join_path(dir, segment_name(1));
  uint64_t good = *posix().file_size(seg);
  {
    auto f = posix().open(seg, OpenMode::append);
    std::string torn;
    encode_frame(torn, 6, 0, "never acknowledged");
    ASSERT_TRUE((*f)->append(torn.substr(0, torn.size() - 3)));
  }
  auto wal = Wal::open(posix(), dir);
  ASSERT_TRUE(wal);
  EXPECT_EQ(*posix().file_size(seg), good);
  EXPECT_EQ((*wal)->committed_seq(), 5u);
  EXPECT_EQ(*(*wal)->append("six"), 6u);
  auto records = read_all(**wal);
  ASSERT_EQ(records->size(), 6u);
  EXPECT_EQ(records->back().payload, "six");
}

TEST(Wal, DamagedSealedSegmentFailsOpenWithItsName) {
  std::string dir = fresh_dir();
  {
    auto wal = Wal::open(posix(), dir, {.max_segment_bytes = 4096});
    for (uint64_t i = 1; i <= 100; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  }
  std::string seg = join_path(dir, segment_name(1));
  std::string bytes = *posix().read_file(seg);
  bytes[3] ^= 1;
  ASSERT_TRUE(posix().write_file_atomic(seg, bytes));
  auto wal = Wal::open(posix(), dir);
  ASSERT_FALSE(wal);
  EXPECT_EQ(wal.error().code(), Errc::corruption);
  EXPECT_NE(wal.error().message().find(seg), std::string::npos) << wal.error().message();
}

}  // namespace
}  // namespace iotwins::wal
