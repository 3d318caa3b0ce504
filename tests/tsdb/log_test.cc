// The engine on the shared WAL: batches split over several records are all or nothing after
// a torn tail or a failed append, the log limit is a clear error that changes nothing,
// sync_writes maps to the fsync policy, and stores of the pre-release head-log format are
// refused rather than silently replayed wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/clock.h"
#include "testing/fault_fs.h"
#include "tsdb/engine.h"
#include "store_fixture.h"

namespace iotwins::tsdb {
namespace {

// Samples of batch `b` for series `i`: n samples 1 s apart, all batches in one window.
struct Batch {
  std::vector<SeriesKey> keys;
  std::vector<std::vector<Sample>> samples;
  std::vector<SeriesWrite> writes;
};

Batch make_batch(const std::string& prefix, int series, int n, int64_t start_s) {
  Batch b;
  for (int i = 0; i < series; ++i) {
    b.keys.push_back({prefix + std::to_string(i), "v", {{"batch", prefix}}});
    std::vector<Sample> s;
    for (int j = 0; j < n; ++j) s.push_back({kT0 + (start_s + j) * kSec, i * 1000.0 + j + 0.5});
    b.samples.push_back(std::move(s));
  }
  for (int i = 0; i < series; ++i) b.writes.push_back({b.keys[i], b.samples[i]});
  return b;
}

class LogTest : public StoreFixture {
 protected:
  LogTest() : StoreFixture("tsdb_log_") {}
  StoreOptions options() {
    StoreOptions o = base_options();
    o.sync_writes = true;
    o.log_record_bytes = kMinLogRecordBytes;  // 64 KiB: ~4,000 samples a record
    o.rollup_ns = {};
    return o;
  }
  // Every sample of the batch's series, or empty when the store does not know them.
  static std::map<std::string, std::vector<Sample>> contents(EmbeddedStore& s, const Batch& b) {
    std::map<std::string, std::vector<Sample>> out;
    for (const auto& k : b.keys) {
      RangeQuery q{{k.twin, k.property, k.labels}, kT0 - kHour, kT0 + kHour};
      EXPECT_TRUE(s.read(q, [&](const SeriesKey& key, std::span<const Sample> run) {
        auto& got = out[to_display(key)];
        got.insert(got.end(), run.begin(), run.end());
        return true;
      }));
    }
    return out;
  }
  static void expect_whole(EmbeddedStore& s, const Batch& b) {
    auto got = contents(s, b);
    ASSERT_EQ(got.size(), b.keys.size());
    for (size_t i = 0; i < b.keys.size(); ++i) {
      const auto& series = got[to_display(b.keys[i])];
      ASSERT_EQ(series.size(), b.samples[i].size()) << to_display(b.keys[i]);
      for (size_t j = 0; j < b.samples[i].size(); ++j) {
        ASSERT_EQ(series[j].ts, b.samples[i][j].ts);
        ASSERT_EQ(series[j].value, b.samples[i][j].value);
      }
    }
  }
  static void expect_absent(EmbeddedStore& s, const Batch& b) {
    EXPECT_TRUE(contents(s, b).empty());
    for (const auto& k : b.keys) EXPECT_EQ(s.last(k).error().code(), Errc::not_found) << to_display(k);
  }
};

TEST_F(LogTest, SplitBatchIsAllOrNothingAfterATornTail) {
  // B: 20 series x 1,000 samples = 320 KB, about 5 records; tear it after 0..4 whole records.
  for (size_t keep : {size_t{100}, size_t{70'000}, size_t{140'000}, size_t{270'000}, size_t{320'000}}) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    FaultInjectingFileSystem ffs(fs_);
    Batch a = make_batch("a", 20, 1000, 0), b = make_batch("b", 20, 1000, 1000), c = make_batch("c", 20, 1000, 2000);
    {
      auto store = open(ffs, options());
      ASSERT_TRUE(store->write(a.writes));
      ffs.tear_next_append(keep);
      ASSERT_FALSE(store->write(b.writes)) << "keep " << keep;
    }
    ASSERT_TRUE(ffs.simulate_crash());
    {
      auto store = open(ffs, options());
      expect_whole(*store, a);
      expect_absent(*store, b);
      // C's new series take the ids B's records named; B's records stay in the log before it.
      ASSERT_TRUE(store->write(c.writes));
      EXPECT_EQ(store->list_series({})->size(), 40u);
    }
    auto store = open(ffs, options());
    expect_whole(*store, a);
    expect_absent(*store, b);
    expect_whole(*store, c);
    ASSERT_TRUE(store->flush());
    store.reset();
    store = open(ffs, options());
    expect_whole(*store, a);
    expect_absent(*store, b);
    expect_whole(*store, c);
  }
}

TEST_F(LogTest, BatchWhoseLaterRecordsFailToAppendChangesNothing) {
  // B: 100 series x 1,500 samples = 2.4 MB, ~37 records in 3 appends of up to 16; the disk
  // fills during the second append, after the first was acknowledged by the log.
  FaultInjectingFileSystem ffs(fs_);
  Batch a = make_batch("a", 5, 100, 0), b = make_batch("b", 100, 1500, 100), c = make_batch("c", 5, 100, 1600);
  {
    auto store = open(ffs, options());
    ASSERT_TRUE(store->write(a.writes));
    ffs.fill_disk_after(1'500'000);
    auto st = store->write(b.writes);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), Errc::resource_exhausted) << st.error().to_string();
    expect_absent(*store, b);
    ffs.clear_disk_full();
    ASSERT_TRUE(store->write(c.writes));
    expect_whole(*store, a);
    expect_whole(*store, c);
  }
  ASSERT_TRUE(ffs.simulate_crash());
  auto store = open(ffs, options());
  expect_whole(*store, a);
  expect_absent(*store, b);
  expect_whole(*store, c);
  EXPECT_EQ(store->list_series({})->size(), 10u);
}

TEST_F(LogTest, FullLogIsAClearErrorThatChangesNothingUntilASealFreesIt) {
  StoreOptions o = options();
  o.max_log_bytes = 256 << 10;
  auto store = open(fs_, o);
  std::vector<Batch> acked;
  Status st = ok();
  for (int i = 0; i < 40 && st; ++i) {
    Batch b = make_batch("s" + std::to_string(i) + "-", 10, 100, i * 100);  // 16 KB each
    st = store->write(b.writes);
    if (st) acked.push_back(std::move(b));
  }
  ASSERT_FALSE(st) << "256 KiB of log must run out within 40 batches of 16 KB";
  EXPECT_EQ(st.error().code(), Errc::resource_exhausted);
  EXPECT_NE(st.error().to_string().find("max_total_bytes"), std::string::npos) << st.error().to_string();
  Batch refused = make_batch("s" + std::to_string(acked.size()) + "-", 10, 100, static_cast<int64_t>(acked.size()) * 100);
  expect_absent(*store, refused);
  ASSERT_TRUE(store->flush());  // seals everything: the log behind the offset is deleted
  ASSERT_TRUE(store->write(refused.writes));
  store.reset();
  store = open(fs_, o);
  for (const auto& b : acked) expect_whole(*store, b);
  expect_whole(*store, refused);
}

TEST_F(LogTest, FlushLeavesNoSealedLogOnDisk) {
  auto log_bytes = [&] {
    uint64_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/wal")) {
      if (e.path().extension() == ".wal") n += e.file_size();
    }
    return n;
  };
  auto store = open(fs_, options());
  Batch a = make_batch("a", 20, 1000, 0);
  ASSERT_TRUE(store->write(a.writes));
  EXPECT_GT(log_bytes(), 320'000u);
  ASSERT_TRUE(store->flush());
  EXPECT_LE(log_bytes(), 64u) << "only an empty segment should be left";
  store.reset();
  store = open(fs_, options());
  expect_whole(*store, a);
  Batch b = make_batch("b", 2, 10, 1000);
  ASSERT_TRUE(store->write(b.writes));
  store.reset();
  store = open(fs_, options());
  expect_whole(*store, a);
  expect_whole(*store, b);
}

TEST_F(LogTest, SyncWritesMapsToTheFsyncPolicy) {
  for (bool sync : {true, false}) {
    std::filesystem::remove_all(dir_);
    FaultInjectingFileSystem ffs(fs_, false);
    StoreOptions o = options();
    o.sync_writes = sync;
    auto store = open(ffs, o);
    // The first write also records the (empty) seal of the windows before it; measure the second.
    Batch a = make_batch("x", 3, 10, 0), b = make_batch("x", 3, 10, 10);
    ASSERT_TRUE(store->write(a.writes));
    uint64_t before = ffs.sync_count();
    ASSERT_TRUE(store->write(b.writes));
    EXPECT_EQ(ffs.sync_count() - before, sync ? 1u : 0u) << "sync_writes " << sync;
  }
}

TEST_F(LogTest, PreReleaseHeadLogAndBadRecordSizesAreRefused) {
  StoreOptions o = options();
  o.log_record_bytes = kMinLogRecordBytes - 1;
  auto s = EmbeddedStore::open(fs_, o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Errc::invalid_argument);
  EXPECT_NE(s.error().message().find("log_record_bytes"), std::string::npos) << s.error().message();
  std::filesystem::create_directories(dir_ + "/wal");
  std::ofstream(dir_ + "/wal/00000000000000000001.log") << "old";
  s = EmbeddedStore::open(fs_, options());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Errc::unsupported);
  EXPECT_NE(s.error().to_string().find("00000000000000000001.log"), std::string::npos) << s.error().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/wal/00000000000000000001.log"));
}

}  // namespace
}  // namespace iotwins::tsdb
