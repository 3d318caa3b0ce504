// What every TimeSeriesStore must do (tsdb/store.h), on each store; where InfluxDB differs
// (no NaN/Inf, some names), the test says so.
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "store_fixture.h"

namespace iotwins::tsdbext::testing {
namespace {

using tsdb::Sample;

uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }

TEST_P(StoreBehaviour, RoundTripOutOfOrderAndDuplicatesLastWriteWins) {
  auto k = key("pump-1", "pressure");
  std::map<int64_t, double> model;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::vector<Sample> batch;
    for (int i = 0; i < 300; ++i) {
      batch.push_back({kT0 + static_cast<int64_t>(rng() % 1000) * kSec, static_cast<double>(rng() % 10'000) / 8});
    }
    // Same timestamp twice in one batch: the later position wins.
    batch.push_back({kT0 + 5 * kSec, 1.0 + round});
    batch.push_back({kT0 + 5 * kSec, 2.0 + round});
    ASSERT_TRUE(write(k, batch));
    for (const auto& s : batch) model[s.ts] = s.value;
  }
  std::vector<Sample> expect;
  for (auto [ts, v] : model) expect.push_back({ts, v});
  EXPECT_EQ(read_one(k), expect);
  // [from, to): from inclusive, to exclusive.
  int64_t from = expect[10].ts, to = expect[20].ts;
  auto part = read({"pump-1", "pressure"}, from, to)["pump-1/pressure"];
  EXPECT_EQ(part, std::vector<Sample>(expect.begin() + 10, expect.begin() + 20));
  // The same series in two entries of one batch: the later entry wins.
  std::vector<Sample> a{{kT0, 10.0}}, b{{kT0, 20.0}};
  tsdb::SeriesWrite two[] = {{k, a}, {k, b}};
  ASSERT_TRUE(store_->write(two));
  EXPECT_EQ(read_one(k).front(), (Sample{kT0, 20.0}));
}

TEST_P(StoreBehaviour, LargeReadsComeInBoundedRunsAndStopEarly) {
  auto k = key("big", "v");
  std::vector<Sample> all;
  for (int i = 0; i < 5'500; ++i) all.push_back({kT0 + i * 1'000'000LL, i * 0.5});
  ASSERT_TRUE(write(k, all));
  size_t runs = 0, largest = 0;
  std::vector<Sample> got;
  ASSERT_TRUE(store_->read({{"big", "v"}, kAllFrom, kAllTo}, [&](const tsdb::SeriesKey&, std::span<const Sample> run) {
    ++runs;
    largest = std::max(largest, run.size());
    got.insert(got.end(), run.begin(), run.end());
    return true;
  }));
  EXPECT_EQ(got, all);
  if (GetParam() != Kind::embedded) {  // the external stores page; the engine decodes whole chunks
    EXPECT_EQ(runs, (all.size() + kPageRows - 1) / kPageRows);
    EXPECT_EQ(largest, static_cast<size_t>(kPageRows));
  }
  runs = 0;
  ASSERT_TRUE(store_->read({{"big", "v"}, kAllFrom, kAllTo}, [&](const tsdb::SeriesKey&, std::span<const Sample>) {
    ++runs;
    return false;
  }));
  EXPECT_EQ(runs, 1u);
}

TEST_P(StoreBehaviour, SpecialValues) {
  auto k = key("t", "special");
  const double nan_payload = std::bit_cast<double>(0x7FF8'0000'0000'1234ULL);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Sample> finite{{kT0, -0.0}, {kT0 + 1, 0.0}, {kT0 + 2, std::numeric_limits<double>::denorm_min()},
                             {kT0 + 3, std::numeric_limits<double>::max()}, {kT0 + 4, 0.1}};
  ASSERT_TRUE(write(k, finite));
  std::vector<Sample> odd{{kT0 + 10, nan_payload}, {kT0 + 11, inf}, {kT0 + 12, -inf}};
  auto st = write(k, odd);
  std::vector<Sample> expect = finite;
  if (stores_non_finite()) {
    ASSERT_TRUE(st) << st.error().to_string();
    expect.insert(expect.end(), odd.begin(), odd.end());
  } else {
    // InfluxDB cannot store NaN/+-Inf: the batch is refused whole, naming series and index.
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), Errc::invalid_argument);
    EXPECT_NE(st.error().message().find("t/special"), std::string::npos) << st.error().message();
    EXPECT_NE(st.error().message().find("sample 0"), std::string::npos) << st.error().message();
  }
  auto got = read_one(k);
  ASSERT_EQ(got.size(), expect.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].ts, expect[i].ts);
    EXPECT_EQ(bits(got[i].value), bits(expect[i].value)) << "sample " << i;
  }
  auto last = store_->last(k);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ(bits((*last)->value), bits(expect.back().value));
}

TEST_P(StoreBehaviour, OddNamesRoundTripAndStayDistinct) {
  std::vector<tsdb::SeriesKey> keys = {
      key("pump 1, \"north\" = ü", "temp=°C, raw", {{"site name", "Zürich, \"HQ\""}, {"k=v", "a b"}}),
      key("pump 1, \"north\" = ü", "temp=°C, raw", {{"site name", "Zürich, \"HQ\""}, {"k=v", "a,b"}}),
      key("pump 1, \"north\" = ü", "temp=°C, raw"),
      key("it's", "a\\b 'q' \"日本\"", {{"x", "y'z\\w"}}),
  };
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(write(keys[i], {{kT0 + static_cast<int64_t>(i), double(i)}}));
  auto list = store_->list_series({});
  ASSERT_TRUE(list) << list.error().to_string();
  std::map<std::string, tsdb::SeriesInfo> by_key;
  for (auto& info : *list) by_key[tsdb::encode_key(info.key)] = info;
  ASSERT_EQ(by_key.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(by_key.contains(tsdb::encode_key(keys[i]))) << tsdb::to_display(keys[i]);
    EXPECT_EQ(read_one(keys[i]), (std::vector<Sample>{{kT0 + static_cast<int64_t>(i), double(i)}}));
    auto last = store_->last(keys[i]);
    ASSERT_TRUE(last && *last) << tsdb::to_display(keys[i]);
    EXPECT_EQ((*last)->value, double(i));
  }
  // A label selector picks exactly the series carrying it.
  auto sel = read({"*", "*", {{"k=v", "a,b"}}});
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(sel.begin()->first, tsdb::to_display(keys[1]));
}

TEST_P(StoreBehaviour, NamesInfluxCannotHoldAreRefusedThereOnly) {
  auto reserved = key("t", "p", {{"twin", "x"}});
  auto empty_label = key("t", "p", {{"a", ""}});
  auto trailing_backslash = key("t\\", "p");
  for (const auto& k : {reserved, empty_label, trailing_backslash}) {
    auto st = write(k, {{kT0, 1}});
    if (GetParam() == Kind::influxdb) {
      ASSERT_FALSE(st) << tsdb::to_display(k);
      EXPECT_EQ(st.error().code(), Errc::invalid_argument);
    } else {
      EXPECT_TRUE(st) << st.error().to_string();
      EXPECT_EQ(read_one(k), (std::vector<Sample>{{kT0, 1}}));
    }
  }
}

TEST_P(StoreBehaviour, InvalidUtf8IsRefusedByTheExternalStores) {
  auto k = key("bad\xff", "p");
  auto st = write(k, {{kT0, 1}});
  if (GetParam() == Kind::embedded) {
    EXPECT_TRUE(st) << st.error().to_string();
  } else {
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), Errc::invalid_argument);
    EXPECT_NE(st.error().message().find("UTF-8"), std::string::npos) << st.error().message();
  }
}

TEST_P(StoreBehaviour, SeriesWrittenWithoutSamples) {
  auto k = key("empty", "v");
  ASSERT_TRUE(write(k, {}));
  auto list = store_->list_series({"empty", "v"});
  ASSERT_TRUE(list);
  auto last = store_->last(k);
  if (GetParam() == Kind::influxdb) {  // InfluxDB has no series without points
    EXPECT_TRUE(list->empty());
    ASSERT_FALSE(last);
    EXPECT_EQ(last.error().code(), Errc::not_found);
  } else {
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].count, 0u);
    ASSERT_TRUE(last);
    EXPECT_FALSE(*last);
  }
}

TEST_P(StoreBehaviour, LastAndListSeries) {
  auto a = key("m-1", "speed", {{"line", "a"}});
  auto b = key("m-2", "speed", {{"line", "b"}});
  auto c = key("m-1", "temp");
  ASSERT_TRUE(write(a, {{kT0 + 30, 3}, {kT0 + 10, 1}, {kT0 + 20, 2}}));
  ASSERT_TRUE(write(b, {{kT0 - 5, -1}}));
  ASSERT_TRUE(write(c, {{kT0, 9}, {kT0, 8}}));
  auto last = store_->last(a);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ(**last, (Sample{kT0 + 30, 3}));
  auto missing = store_->last(key("nobody", "speed"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::not_found);
  auto list = store_->list_series({"m-*", "speed"});
  ASSERT_TRUE(list) << list.error().to_string();
  std::map<std::string, tsdb::SeriesInfo> got;
  for (auto& i : *list) got[tsdb::to_display(i.key)] = i;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[tsdb::to_display(a)].first_ts, kT0 + 10);
  EXPECT_EQ(got[tsdb::to_display(a)].last_ts, kT0 + 30);
  EXPECT_EQ(got[tsdb::to_display(a)].count, 3u);
  EXPECT_EQ(got[tsdb::to_display(b)].count, 1u);
  EXPECT_EQ(got[tsdb::to_display(b)].first_ts, kT0 - 5);
  auto all = store_->list_series({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);
  auto temp = store_->list_series({"*", "temp"});
  ASSERT_TRUE(temp && temp->size() == 1u);
  EXPECT_EQ((*temp)[0].count, 1u);  // the duplicate replaced, not added
}

TEST_P(StoreBehaviour, BadBatchIsRefusedWholeAndChangesNothing) {
  auto good = key("ok", "v");
  std::vector<Sample> s{{kT0, 1}, {kT0 + 1, 2}};
  std::vector<Sample> bad_ts{{kT0, 1}, {kT0 + 1, 2}, {(int64_t{1} << 62) + 1, 3}};
  {
    tsdb::SeriesWrite batch[] = {{good, s}, {{"", "v", {}}, s}};
    auto st = store_->write(batch);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), Errc::invalid_argument);
    EXPECT_NE(st.error().message().find("batch entry 1"), std::string::npos) << st.error().message();
  }
  {
    tsdb::SeriesWrite batch[] = {{good, s}, {key("other", "v"), bad_ts}};
    auto st = store_->write(batch);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), Errc::invalid_argument);
    EXPECT_NE(st.error().message().find("other/v"), std::string::npos) << st.error().message();
    EXPECT_NE(st.error().message().find("sample 2"), std::string::npos) << st.error().message();
  }
  EXPECT_TRUE(read().empty());
  auto list = store_->list_series({});
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  // The same good entry alone is accepted.
  tsdb::SeriesWrite alone{good, s};
  ASSERT_TRUE(store_->write({&alone, 1}));
  EXPECT_EQ(read_one(good), s);
}

TEST_P(StoreBehaviour, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 4, kBatches = 10, kPerBatch = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto k = key("w-" + std::to_string(t), "v");
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Sample> s;
        for (int i = 0; i < kPerBatch; ++i) s.push_back({kT0 + (b * kPerBatch + i) * kSec, double(t)});
        if (!write(k, s)) ++failures;
        if (!store_->list_series({"w-*", "v"})) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto list = store_->list_series({"w-*", "v"});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), static_cast<size_t>(kThreads));
  for (const auto& info : *list) EXPECT_EQ(info.count, static_cast<uint64_t>(kBatches * kPerBatch)) << tsdb::to_display(info.key);
}

TEST_P(StoreBehaviour, BadQueriesAreRefused) {
  auto st = store_->read({{}, kT0, kT0}, [](const tsdb::SeriesKey&, std::span<const Sample>) { return true; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::invalid_argument);
  tsdb::AggregateQuery q{{}, kT0, kT0 + 10, 0, {tsdb::Agg::mean}};
  auto ast = store_->aggregate(q, [](const tsdb::AggregateRow&) { return true; });
  ASSERT_FALSE(ast);
  EXPECT_EQ(ast.error().code(), Errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreBehaviour, ::testing::Values(Kind::embedded, Kind::postgresql, Kind::influxdb),
                         [](const auto& info) { return kind_name(info.param); });

}  // namespace
}  // namespace iotwins::tsdbext::testing
