// A benchmark, not a test (no timing thresholds in tests): its own binary, tsdbext_rates, not
// run by ctest. Prints write and scan rates of each store on the same data, the embedded engine
// being the anchor measured in the same run:   build-…/bin/tsdbext_rates
#include <chrono>
#include <cmath>
#include <cstdio>

#include "store_fixture.h"

namespace iotwins::tsdbext::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The stores with their default page and request sizes.
class StoreRates : public StoreBehaviour {
 public:
  StoreRates() { small_limits_ = false; }
};

TEST_P(StoreRates, Rates) {
  constexpr int kSeries = 100, kPerSeries = 2'000, kSeriesPerBatch = 10;
  std::vector<std::vector<tsdb::Sample>> data(kSeries);
  std::vector<tsdb::SeriesKey> keys;
  for (int s = 0; s < kSeries; ++s) {
    keys.push_back(key("machine-" + std::to_string(s), "temperature", {{"site", "plant " + std::to_string(s % 4)}}));
    for (int i = 0; i < kPerSeries; ++i) data[s].push_back({kT0 + i * kSec, std::round(std::sin(i / 30.0 + s) * 1e3) / 10});
  }
  auto t0 = Clock::now();
  for (int s = 0; s < kSeries; s += kSeriesPerBatch) {
    std::vector<tsdb::SeriesWrite> batch;
    for (int k = s; k < s + kSeriesPerBatch; ++k) batch.push_back({keys[k], data[k]});
    ASSERT_TRUE(store_->write(batch));
  }
  double write_s = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  size_t n = 0;
  ASSERT_TRUE(store_->read({{"machine-*", "temperature"}, kAllFrom, kAllTo},
                           [&](const tsdb::SeriesKey&, std::span<const tsdb::Sample> run) {
                             n += run.size();
                             return true;
                           }));
  double scan_s = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  size_t rows = 0;
  ASSERT_TRUE(store_->aggregate({{"machine-*", "temperature"}, kT0, kT0 + kPerSeries * kSec, 60 * kSec,
                                 {tsdb::Agg::mean, tsdb::Agg::p95}, std::vector<std::string>{"site"}},
                                [&](const tsdb::AggregateRow&) { return ++rows, true; }));
  double agg_s = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_EQ(n, static_cast<size_t>(kSeries * kPerSeries));
  const double total = kSeries * kPerSeries;
  std::printf("RATES %s: write %.0f samples/s, scan %.0f samples/s, grouped mean+p95 %.0f samples/s (%zu rows)\n",
              kind_name(GetParam()).c_str(), total / write_s, total / scan_s, total / agg_s, rows);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreRates, ::testing::Values(Kind::embedded, Kind::postgresql, Kind::influxdb),
                         [](const auto& info) { return kind_name(info.param); });

}  // namespace
}  // namespace iotwins::tsdbext::testing
