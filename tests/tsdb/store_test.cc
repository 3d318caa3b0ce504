#include <gtest/gtest.h>

#include <filesystem>

#include <bit>
#include <cmath>
#include <map>
#include <random>

#include "core/clock.h"
#include "testing/fault_fs.h"
#include "tsdb/aggregate.h"
#include "tsdb/engine.h"
#include "store_fixture.h"

namespace iotwins::tsdb {
namespace {

class StoreTest : public StoreFixture {
 protected:
  StoreTest() : StoreFixture("tsdb_") {}
  StoreOptions options() { return base_options(); }
  static std::vector<Sample> read_all(EmbeddedStore& s, const SeriesKey& k, int64_t from = -kHour * 1000000,
                                      int64_t to = kT0 + 1000 * kHour) {
    std::vector<Sample> out;
    RangeQuery q{{k.twin, k.property, k.labels}, from, to};
    auto st = s.read(q, [&](const SeriesKey& key, std::span<const Sample> run) {
      EXPECT_EQ(key, k);
      out.insert(out.end(), run.begin(), run.end());
      return true;
    });
    EXPECT_TRUE(st) << st.error().to_string();
    return out;
  }
};

SeriesKey key(std::string twin, std::string prop, Labels labels = {}) { return {std::move(twin), std::move(prop), std::move(labels)}; }

TEST_F(StoreTest, WritesSealsAndReadsBackAcrossWindowsAndReopen) {
  auto store = open(fs_, options());
  SeriesKey k = key("pump-1", "pressure");
  std::vector<Sample> all;
  for (int i = 0; i < 3 * 3600; ++i) all.push_back({kT0 + i * kSec, std::round(std::sin(i / 50.0) * 1e4) / 1e4});
  for (size_t at = 0; at < all.size(); at += 500) {
    std::span<const Sample> part(all.data() + at, std::min<size_t>(500, all.size() - at));
    SeriesWrite w{k, part};
    ASSERT_TRUE(store->write({&w, 1}));
  }
  EXPECT_GE(store->stats().blocks, 1u);  // the first windows sealed on their own
  EXPECT_EQ(read_all(*store, k), all);
  ASSERT_TRUE(store->flush());
  EXPECT_EQ(store->stats().head_samples, 0u);
  EXPECT_LT(store->stats().block_bytes, all.size() * 3);
  store.reset();
  store = open(fs_, options());
  EXPECT_EQ(read_all(*store, k), all);
  EXPECT_EQ(read_all(*store, k, kT0 + 100 * kSec, kT0 + 200 * kSec),
            std::vector<Sample>(all.begin() + 100, all.begin() + 200));
  auto last = store->last(k);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ(**last, all.back());
  auto list = store->list_series({});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].count, all.size());
  EXPECT_EQ((*list)[0].first_ts, all.front().ts);
  EXPECT_EQ((*list)[0].last_ts, all.back().ts);
}

TEST_F(StoreTest, OutOfOrderAndDuplicatesLastWriteWinsEvenAfterSealing) {
  auto store = open(fs_, options());
  SeriesKey k = key("t", "p");
  std::map<int64_t, double> expect;
  std::mt19937_64 rng(3);
  auto put = [&](std::vector<Sample> s) {
    SeriesWrite w{k, s};
    ASSERT_TRUE(store->write({&w, 1}));
    for (auto x : s) expect[x.ts] = x.value;
  };
  for (int round = 0; round < 40; ++round) {
    std::vector<Sample> s;
    for (int i = 0; i < 200; ++i) s.push_back({kT0 + static_cast<int64_t>(rng() % (3 * 3600)) * kSec, double(rng() % 1000)});
    put(s);
    if (round % 10 == 9) {
      ASSERT_TRUE(store->flush());
    }
  }
  put({{kT0 + 5 * kSec, 1.0}, {kT0 + 5 * kSec, 2.0}});  // same batch: the later one wins
  auto check = [&] {
    auto got = read_all(*store, k);
    ASSERT_EQ(got.size(), expect.size());
    size_t i = 0;
    for (auto [ts, v] : expect) {
      ASSERT_EQ(got[i].ts, ts);
      ASSERT_EQ(got[i].value, v) << "ts " << ts;
      ++i;
    }
  };
  check();
  store.reset();
  store = open(fs_, options());  // head replayed from the log over sealed blocks
  check();
  ASSERT_TRUE(store->flush());
  check();
}

TEST_F(StoreTest, SpecialValuesAndOddNames) {
  auto store = open(fs_, options());
  SeriesKey k = key("pump 1/ü,\"x\"=*", "temp{°C} ", {{"site", "a=b,c"}, {"line", ""}});
  std::vector<Sample> s = {{kT0, std::bit_cast<double>(uint64_t{0x7FF0000000000123})}, {kT0 + 1, -0.0},
                           {kT0 + 2, INFINITY}, {kT0 + 3, -INFINITY}, {kT0 + 4, 1.0}, {kT0 + 5, std::nan("")}};
  SeriesWrite w{k, s};
  ASSERT_TRUE(store->write({&w, 1}));
  ASSERT_TRUE(store->flush());
  store.reset();
  store = open(fs_, options());
  SeriesKey reordered = key(k.twin, k.property, {{"line", ""}, {"site", "a=b,c"}});
  auto got = read_all(*store, reordered);
  ASSERT_EQ(got.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(std::bit_cast<uint64_t>(got[i].value), std::bit_cast<uint64_t>(s[i].value));
  // Aggregates skip NaN: count 4 of 6, max +Inf, min -Inf.
  std::vector<double> row;
  AggregateQuery q{{"pump 1/*", "*"}, kT0, kT0 + kSec, kSec, {Agg::count, Agg::max, Agg::min, Agg::first}};
  ASSERT_TRUE(store->aggregate(q, [&](const AggregateRow& r) { row.assign(r.values.begin(), r.values.end()); return true; }));
  ASSERT_EQ(row.size(), 4u);
  EXPECT_EQ(row[0], 4);
  EXPECT_EQ(row[1], INFINITY);
  EXPECT_EQ(row[2], -INFINITY);
  EXPECT_EQ(std::bit_cast<uint64_t>(row[3]), std::bit_cast<uint64_t>(-0.0));
}

TEST_F(StoreTest, BadBatchIsRejectedWholeAndChangesNothing) {
  StoreOptions o = options();
  o.retention = {{"*", "*", 10 * kHour}};
  auto store = open(fs_, o);
  std::vector<Sample> good = {{clock_.now_ns() - kSec, 1}};
  std::vector<Sample> old = {{clock_.now_ns() - kSec, 1}, {clock_.now_ns() - 11 * kHour, 2}};
  SeriesWrite batch[] = {{key("a", "x"), good}, {key("b", "y"), old}};
  auto st = store->write(batch);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::invalid_argument);
  EXPECT_NE(st.error().message().find("batch entry 1 (b/y) sample 1"), std::string::npos) << st.error().message();
  SeriesWrite bad_name[] = {{key("a", "x"), good}, {key("", "y"), good}};
  st = store->write(bad_name);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("batch entry 1: twin is empty"), std::string::npos) << st.error().message();
  SeriesWrite ctrl[] = {{key("a\n", "x"), good}};
  EXPECT_FALSE(store->write(ctrl));
  EXPECT_EQ(store->list_series({})->size(), 0u);
  EXPECT_EQ(store->last(key("a", "x")).error().code(), Errc::not_found);
}

TEST_F(StoreTest, AggregatesMatchBruteForce) {
  auto store = open(fs_, options());
  std::mt19937_64 rng(11);
  std::map<std::string, std::vector<Sample>> data;
  for (int t = 0; t < 4; ++t) {
    SeriesKey k = key("twin-" + std::to_string(t), "v", {{"model", t % 2 ? "odd" : "even"}});
    std::vector<Sample> s;
    for (int i = 0; i < 5000; ++i) s.push_back({kT0 + i * kSec + static_cast<int64_t>(rng() % 250) * 4 + t, double(rng() % 100000) / 100});
    SeriesWrite w{k, s};
    ASSERT_TRUE(store->write({&w, 1}));
    data[k.labels[0].second].insert(data[k.labels[0].second].end(), s.begin(), s.end());
  }
  ASSERT_TRUE(store->flush());
  int64_t from = kT0 + 17 * kSec, to = kT0 + 4000 * kSec, step = 60 * kSec;
  std::vector<Agg> aggs = {Agg::min, Agg::max, Agg::mean, Agg::sum, Agg::count, Agg::stddev, Agg::p50, Agg::p95, Agg::p99, Agg::first, Agg::last};
  AggregateQuery q{{}, from, to, step, aggs, std::vector<std::string>{"model"}};
  size_t rows = 0;
  ASSERT_TRUE(store->aggregate(q, [&](const AggregateRow& r) {
    ++rows;
    std::vector<Sample> in;
    for (const auto& s : data[r.group[0].second]) {
      if (s.ts >= r.bucket_start && s.ts < std::min(r.bucket_start + step, to)) in.push_back(s);
    }
    EXPECT_FALSE(in.empty());
    std::vector<double> v;
    double sum = 0;
    for (auto s : in) { v.push_back(s.value); sum += s.value; }
    std::sort(v.begin(), v.end());
    double mean = sum / v.size(), ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    auto pct = [&](double p) { double h = (v.size() - 1) * p; size_t lo = size_t(h); size_t hi = std::min(lo + 1, v.size() - 1); return v[lo] + (h - lo) * (v[hi] - v[lo]); };
    auto by_ts = [](Sample a, Sample b) { return a.ts < b.ts; };
    double expect[] = {v.front(), v.back(), mean, sum, double(v.size()), std::sqrt(ss / v.size()), pct(0.5), pct(0.95), pct(0.99),
                       std::min_element(in.begin(), in.end(), by_ts)->value, std::max_element(in.begin(), in.end(), by_ts)->value};
    for (size_t i = 0; i < aggs.size(); ++i) EXPECT_NEAR(r.values[i], expect[i], 1e-6 * (1 + std::fabs(expect[i]))) << agg_name(aggs[i]);
    return true;
  }));
  EXPECT_EQ(rows, 2u * ((to - from + step - 1) / step));
}

TEST_F(StoreTest, RetentionHidesThenDeletesOldData) {
  StoreOptions o = options();
  o.retention = {{"*", "short", 3 * kHour}};
  clock_.set(kT0 + 2 * kHour);
  auto store = open(fs_, o);
  std::vector<Sample> s;
  for (int i = 0; i < 2 * 3600; ++i) s.push_back({kT0 + i * kSec, 1});
  SeriesWrite w[] = {{key("a", "short"), s}, {key("a", "long"), s}};
  ASSERT_TRUE(store->write(w));
  ASSERT_TRUE(store->flush());
  size_t blocks = store->stats().blocks;
  clock_.set(kT0 + 4 * kHour);  // first hour of "short" expired
  EXPECT_EQ(read_all(*store, key("a", "short")).size(), 3600u);
  EXPECT_EQ(read_all(*store, key("a", "long")).size(), 7200u);
  ASSERT_TRUE(store->enforce_retention());
  clock_.set(kT0 + 10 * kHour);
  ASSERT_TRUE(store->enforce_retention());
  EXPECT_EQ(read_all(*store, key("a", "short")).size(), 0u);
  EXPECT_EQ(store->stats().blocks, blocks);  // "long" keeps both windows alive
  store.reset();
  store = open(fs_, o);
  EXPECT_EQ(read_all(*store, key("a", "long")).size(), 7200u);
  EXPECT_EQ(read_all(*store, key("a", "short")).size(), 0u);
}

TEST_F(StoreTest, AcknowledgedWritesSurviveCrashesAtEveryStep) {
  std::filesystem::create_directories(dir_);
  // Crash at each mutating file operation of a workload in turn; every write that returned
  // ok before the crash must be readable after reopening.
  for (uint64_t crash_at = 0; crash_at < 400; crash_at += 13) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    FaultInjectingFileSystem ffs(fs_);
    StoreOptions o = options();
    o.sync_writes = true;
    std::map<int64_t, double> acked;
    {
      auto s = EmbeddedStore::open(ffs, o);
      ASSERT_TRUE(s);
      auto store = std::move(*s);
      ffs.crash_at_op(ffs.mutating_ops() + crash_at);
      for (int b = 0; b < 60; ++b) {
        std::vector<Sample> batch;
        for (int i = 0; i < 100; ++i) batch.push_back({kT0 + (b * 100 + i) * 10 * kSec, double(b * 100 + i)});
        SeriesWrite w{key("t", "p"), batch};
        if (!store->write({&w, 1})) break;
        for (auto x : batch) acked[x.ts] = x.value;
      }
    }
    ASSERT_TRUE(ffs.simulate_crash());
    auto store = open(ffs, o);
    ASSERT_TRUE(store) << "crash at " << crash_at;
    std::map<int64_t, double> got;
    if (!acked.empty()) {
      for (auto x : read_all(*store, key("t", "p"))) got[x.ts] = x.value;
    }
    for (auto [ts, v] : acked) {
      ASSERT_TRUE(got.contains(ts)) << "crash at op " << crash_at << " lost ts " << ts;
      ASSERT_EQ(got[ts], v);
    }
  }
}

}  // namespace
}  // namespace iotwins::tsdb
