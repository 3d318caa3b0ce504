// Every aggregate, with step buckets and each kind of grouping, against a brute-force
// computation over the same samples, on each store.
#include <algorithm>
#include <cmath>
#include <random>

#include "store_fixture.h"

namespace iotwins::tsdbext::testing {
namespace {

using tsdb::Agg;
using tsdb::Sample;

const std::vector<Agg> kAll = {Agg::min, Agg::max, Agg::mean, Agg::sum, Agg::count, Agg::first,
                               Agg::last, Agg::stddev, Agg::p50, Agg::p95, Agg::p99};

// The definition, computed the slow way: NaN skipped, population stddev, percentiles by
// linear interpolation between closest ranks.
double brute(Agg a, std::vector<Sample> s) {
  std::erase_if(s, [](const Sample& x) { return std::isnan(x.value); });
  std::sort(s.begin(), s.end(), [](const Sample& x, const Sample& y) { return x.ts < y.ts; });
  std::vector<double> v;
  for (const auto& x : s) v.push_back(x.value);
  double n = static_cast<double>(v.size()), sum = 0;
  for (double x : v) sum += x;
  double mean = sum / n, m2 = 0;
  for (double x : v) m2 += (x - mean) * (x - mean);
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    double h = (n - 1) * p;
    auto lo = static_cast<size_t>(std::floor(h));
    size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
  };
  switch (a) {
    case Agg::min: return sorted.front();
    case Agg::max: return sorted.back();
    case Agg::mean: return mean;
    case Agg::sum: return sum;
    case Agg::count: return n;
    case Agg::first: return v.front();
    case Agg::last: return v.back();
    case Agg::stddev: return std::sqrt(m2 / n);
    case Agg::p50: return pct(0.50);
    case Agg::p95: return pct(0.95);
    case Agg::p99: return pct(0.99);
  }
  return 0;
}

struct Row {
  tsdb::Labels group;
  int64_t bucket;
  std::vector<double> values;
};

TEST_P(StoreBehaviour, EveryAggregateMatchesBruteForce) {
  const std::vector<tsdb::SeriesKey> keys = {key("m-1", "speed", {{"line", "a"}}), key("m-2", "speed", {{"line", "a"}}),
                                             key("m-3", "speed", {{"line", "b"}})};
  std::mt19937_64 rng(11);
  std::map<std::string, std::map<int64_t, double>> model;  // last write wins
  for (int round = 0; round < 2; ++round) {
    for (size_t ki = 0; ki < keys.size(); ++ki) {
      const auto& k = keys[ki];
      std::vector<Sample> s;
      for (int i = 0; i < 400; ++i) {
        double v = static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 7;
        if (stores_non_finite() && rng() % 50 == 0) v = std::nan("");
        // Series never share a timestamp: first/last of a group are then unambiguous.
        s.push_back({kT0 + static_cast<int64_t>(rng() % 600) * kSec + static_cast<int64_t>(ki), v});
      }
      ASSERT_TRUE(write(k, s));
      for (const auto& x : s) model[tsdb::encode_key(k)][x.ts] = x.value;
    }
  }
  const int64_t from = kT0 + 17 * kSec, to = kT0 + 550 * kSec, step = 60 * kSec;
  using GroupBy = std::optional<std::vector<std::string>>;
  for (const GroupBy& group_by : {GroupBy{}, GroupBy{{"line"}}, GroupBy{std::vector<std::string>{}}, GroupBy{{"twin", "nope"}}}) {
    // Expected rows: group -> bucket -> samples.
    std::map<tsdb::Labels, std::map<int64_t, std::vector<Sample>>> expect;
    for (const auto& k : keys) {
      tsdb::Labels g;
      if (!group_by) {
        g = {{"twin", k.twin}, {"property", k.property}};
        g.insert(g.end(), k.labels.begin(), k.labels.end());
      } else {
        for (const auto& f : *group_by) {
          std::string v = f == "twin" ? k.twin : f == "line" ? k.labels[0].second : "";
          g.emplace_back(f, v);
        }
      }
      for (auto [ts, v] : model[tsdb::encode_key(k)]) {
        if (ts < from || ts >= to) continue;
        expect[g][from + (ts - from) / step * step].push_back({ts, v});
      }
    }
    std::vector<Row> got;
    auto st = store_->aggregate({{"m-*", "speed"}, from, to, step, kAll, group_by}, [&](const tsdb::AggregateRow& r) {
      got.push_back({r.group, r.bucket_start, {r.values.begin(), r.values.end()}});
      return true;
    });
    ASSERT_TRUE(st) << st.error().to_string();
    size_t i = 0;
    for (const auto& [g, buckets] : expect) {
      for (const auto& [b, samples] : buckets) {
        bool any = std::any_of(samples.begin(), samples.end(), [](const Sample& s) { return !std::isnan(s.value); });
        if (!any) continue;
        ASSERT_LT(i, got.size());
        EXPECT_EQ(got[i].group, g);
        EXPECT_EQ(got[i].bucket, b);
        for (size_t a = 0; a < kAll.size(); ++a) {
          double want = brute(kAll[a], samples), have = got[i].values[a];
          EXPECT_NEAR(have, want, 1e-9 * std::max(1.0, std::abs(want)))
              << tsdb::agg_name(kAll[a]) << " bucket " << (b - from) / step << " row " << i;
        }
        ++i;
      }
    }
    EXPECT_EQ(i, got.size());
  }
  // A sink that stops gets no more rows.
  int rows = 0;
  ASSERT_TRUE(store_->aggregate({{"m-*", "speed"}, from, to, step, {Agg::count}}, [&](const tsdb::AggregateRow&) {
    ++rows;
    return false;
  }));
  EXPECT_EQ(rows, 1);
}

}  // namespace
}  // namespace iotwins::tsdbext::testing
