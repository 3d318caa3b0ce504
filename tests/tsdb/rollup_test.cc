// Rollups against brute force: aggregates answered from rollups equal the ones computed from
// the written samples, before and after raw data expires, across reopen and late writes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "core/clock.h"
#include "tsdb/engine.h"

namespace iotwins::tsdb {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 3600 * kSec;
constexpr int64_t kT0 = 1'700'000'000 * kSec / kHour * kHour;

using Truth = std::map<std::string, std::map<int64_t, double>>;  // twin -> ts -> last value
struct Row {
  uint64_t count = 0;
  double sum = 0, min = INFINITY, max = -INFINITY;
};
using Rows = std::map<std::pair<std::string, int64_t>, Row>;  // (group, bucket start)

// Brute force: buckets of the live samples; group is the twin or "" for one group.
Rows brute_force(const Truth& truth, int64_t from, int64_t to, int64_t step, bool one_group) {
  Rows out;
  for (const auto& [twin, samples] : truth) {
    for (auto [ts, v] : samples) {
      if (ts < from || ts >= to || std::isnan(v)) continue;
      Row& r = out[{one_group ? "" : twin, from + (ts - from) / step * step}];
      ++r.count;
      r.sum += v;
      r.min = std::min(r.min, v);
      r.max = std::max(r.max, v);
    }
  }
  return out;
}

class RollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "tsdb_rollup_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  StoreOptions options(std::vector<int64_t> rollup_keep = {}) {
    StoreOptions o;
    o.dir = dir_;
    o.window_ns = kHour;
    o.seal_grace_ns = kMin;
    o.sync_writes = false;
    o.clock = &clock_;
    o.rollup_ns = {kMin, kHour};
    o.retention = {{"*", "*", 3 * kHour, std::move(rollup_keep)}};
    return o;
  }
  std::unique_ptr<EmbeddedStore> open(StoreOptions o) {
    auto s = EmbeddedStore::open(PosixFileSystem::instance(), std::move(o));
    EXPECT_TRUE(s) << (s ? "" : s.error().to_string());
    return s ? std::move(*s) : nullptr;
  }
  void put(EmbeddedStore& store, const std::string& twin, std::vector<Sample> s) {
    SeriesWrite w{{twin, "v", {}}, s};
    auto st = store.write({&w, 1});
    ASSERT_TRUE(st) << st.error().to_string();
    for (auto x : s) truth_[twin][x.ts] = x.value;
  }
  // Random samples over [kT0, kT0 + 3h): out of order, duplicates, a few NaN.
  void fill(EmbeddedStore& store) {
    std::mt19937_64 rng(7);
    for (int t = 0; t < 3; ++t) {
      for (int batch = 0; batch < 6; ++batch) {
        std::vector<Sample> s;
        for (int i = 0; i < 800; ++i) {
          int64_t ts = kT0 + static_cast<int64_t>(rng() % (3 * 3600)) * kSec + static_cast<int64_t>(rng() % 1000);
          double v = rng() % 50 == 0 ? NAN : static_cast<double>(static_cast<int64_t>(rng() % 200001) - 100000) / 100;
          s.push_back({ts, v});
        }
        put(store, "twin-" + std::to_string(t), s);
      }
    }
  }
  Rows query(EmbeddedStore& store, int64_t from, int64_t to, int64_t step, bool one_group) {
    Rows out;
    AggregateQuery q{{}, from, to, step, {Agg::count, Agg::sum, Agg::min, Agg::max, Agg::mean}, std::nullopt};
    if (one_group) q.group_by = std::vector<std::string>{};
    auto st = store.aggregate(q, [&](const AggregateRow& r) {
      std::string g = one_group ? "" : r.group[0].second;
      Row& row = out[{g, r.bucket_start}];
      row = {static_cast<uint64_t>(r.values[0]), r.values[1], r.values[2], r.values[3]};
      EXPECT_DOUBLE_EQ(r.values[4], r.values[1] / r.values[0]);
      return true;
    });
    EXPECT_TRUE(st) << st.error().to_string();
    return out;
  }
  void expect_matches(EmbeddedStore& store, int64_t from, int64_t to, int64_t step, bool one_group) {
    Rows want = brute_force(truth_, from, to, step, one_group);
    Rows got = query(store, from, to, step, one_group);
    ASSERT_FALSE(want.empty());
    ASSERT_EQ(got.size(), want.size()) << "step " << step;
    for (const auto& [k, w] : want) {
      ASSERT_TRUE(got.contains(k)) << k.first << " @" << k.second;
      const Row& g = got[k];
      EXPECT_EQ(g.count, w.count) << k.first << " @" << k.second;
      EXPECT_NEAR(g.sum, w.sum, 1e-9 * (1 + std::fabs(w.sum)));
      EXPECT_EQ(g.min, w.min);
      EXPECT_EQ(g.max, w.max);
    }
  }
  size_t files_named(const std::string& prefix) const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) n += e.path().filename().string().starts_with(prefix);
    return n;
  }
  std::string dir_;
  ManualClock clock_{kT0 + 3 * kHour};
  Truth truth_;
};

TEST_F(RollupTest, AggregatesFromRollupsMatchBruteForceAfterRawExpires) {
  auto store = open(options());
  fill(*store);
  ASSERT_TRUE(store->flush());
  // Late writes into sealed windows (including a NaN over a value) are rolled up at the next seal.
  put(*store, "twin-1", {{kT0 + 17 * kSec, 1e6}, {kT0 + kHour + 5, -1e6}});
  put(*store, "twin-2", {{truth_["twin-2"].begin()->first, 5.0}});
  put(*store, "twin-0", {{truth_["twin-0"].rbegin()->first, NAN}});
  ASSERT_TRUE(store->flush());
  size_t rollup_blocks = store->stats().rollup_blocks;
  EXPECT_GT(store->stats().blocks, 0u);
  EXPECT_GE(rollup_blocks, 3u * 2);
  for (int64_t step : {kMin, 5 * kMin, kHour, 3 * kHour}) {
    expect_matches(*store, kT0, kT0 + 3 * kHour, step, false);
    expect_matches(*store, kT0, kT0 + 3 * kHour, step, true);
  }
  // Raw expires and its blocks go; rollup-eligible queries still answer in full.
  clock_.set(kT0 + 10 * kHour);
  ASSERT_TRUE(store->enforce_retention());
  EXPECT_EQ(store->stats().blocks, 0u);
  EXPECT_EQ(store->stats().rollup_blocks, rollup_blocks);
  expect_matches(*store, kT0, kT0 + 3 * kHour, 5 * kMin, false);
  expect_matches(*store, kT0 + kHour, kT0 + 2 * kHour, kHour, true);
  store.reset();
  store = open(options());
  expect_matches(*store, kT0, kT0 + 3 * kHour, 2 * kMin, false);
  // Queries rollups cannot answer see only raw data, which is gone.
  size_t rows = 0;
  AggregateQuery p50{{}, kT0, kT0 + 3 * kHour, kMin, {Agg::p50}, std::nullopt};
  ASSERT_TRUE(store->aggregate(p50, [&](const AggregateRow&) { return ++rows, true; }));
  AggregateQuery unaligned{{}, kT0 + kSec, kT0 + 3 * kHour, kMin, {Agg::mean}, std::nullopt};
  ASSERT_TRUE(store->aggregate(unaligned, [&](const AggregateRow&) { return ++rows, true; }));
  EXPECT_EQ(rows, 0u);
}

TEST_F(RollupTest, EachResolutionHasItsOwnRetention) {
  auto store = open(options({5 * kHour, 0}));  // 1 min rollups for 5 h, 1 h rollups forever
  fill(*store);
  ASSERT_TRUE(store->flush());
  EXPECT_GT(files_named("rollup60000000000-" + std::to_string(kT0 + kHour) + "-"), 0u);
  clock_.set(kT0 + 7 * kHour);  // raw gone, the first two hours of 1 min rollups gone
  ASSERT_TRUE(store->enforce_retention());
  EXPECT_EQ(files_named("rollup60000000000-" + std::to_string(kT0) + "-"), 0u);
  EXPECT_EQ(files_named("rollup60000000000-" + std::to_string(kT0 + kHour) + "-"), 0u);
  EXPECT_GT(files_named("rollup60000000000-" + std::to_string(kT0 + 2 * kHour) + "-"), 0u);
  expect_matches(*store, kT0, kT0 + 3 * kHour, kHour, false);  // hour level: everything
  Rows got = query(*store, kT0, kT0 + 3 * kHour, 10 * kMin, false);
  Rows want = brute_force(truth_, kT0 + 2 * kHour, kT0 + 3 * kHour, 10 * kMin, false);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [k, w] : want) EXPECT_EQ(got[k].count, w.count);
}

TEST_F(RollupTest, UnsealedDataIsReadRawSoRecentAndLateWritesCount) {
  auto store = open(options());
  fill(*store);
  ASSERT_TRUE(store->flush());
  // Not sealed yet: the window is read raw, merged with its sealed samples.
  put(*store, "twin-2", {{kT0 + 30 * kSec, 123.25}, {kT0 + 2 * kHour + 1, -7}});
  expect_matches(*store, kT0, kT0 + 3 * kHour, kMin, false);
  expect_matches(*store, kT0, kT0 + 3 * kHour, kHour, true);
}

TEST_F(RollupTest, DroppedResolutionIsRemovedOnOpen) {
  {
    auto store = open(options());
    fill(*store);
    ASSERT_TRUE(store->flush());
  }
  size_t hourly = files_named("rollup3600000000000-");
  EXPECT_GT(files_named("rollup60000000000-"), 0u);
  StoreOptions o = options();
  o.rollup_ns = {kHour};
  auto store = open(o);
  EXPECT_EQ(store->stats().rollup_blocks, hourly);
  EXPECT_EQ(files_named("rollup60000000000-"), 0u);
  store.reset();
  store = open(o);  // the manifest no longer lists the removed files
  EXPECT_EQ(store->stats().rollup_blocks, hourly);
  expect_matches(*store, kT0, kT0 + 3 * kHour, kHour, false);
  expect_matches(*store, kT0, kT0 + 3 * kHour, 7 * kMin, false);  // raw
}

TEST_F(RollupTest, BadRollupOptionsAreRejected) {
  StoreOptions o = options();
  o.rollup_ns = {7 * kMin};  // does not divide the 1 h window
  auto s = EmbeddedStore::open(PosixFileSystem::instance(), o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Errc::invalid_argument);
  EXPECT_NE(s.error().message().find("rollup_ns[0]"), std::string::npos) << s.error().message();
  o.rollup_ns = {kHour, kMin};  // not increasing
  EXPECT_FALSE(EmbeddedStore::open(PosixFileSystem::instance(), o));
  o = options({kHour, kHour, kHour});  // three ages, two levels
  s = EmbeddedStore::open(PosixFileSystem::instance(), o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("3 rollup ages"), std::string::npos) << s.error().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/MANIFEST"));
}

}  // namespace
}  // namespace iotwins::tsdb
