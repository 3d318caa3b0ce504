// Bucket accumulators for AggregateQuery.
//
// Methods: mean and stddev use Welford's running update (numerically stable; stddev is the
// population standard deviation, divided by n). Percentiles are exact: the bucket keeps its
// values and p-th percentile is linear interpolation between the closest ranks
// (h = (n - 1) p; numpy's default and R's type 7). Memory is therefore one bucket's values of
// one group at a time when percentiles are asked for, nothing otherwise. NaN samples are
// skipped by every aggregate.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "tsdb/sample.h"
#include "tsdb/store.h"

namespace iotwins::tsdb {

class BucketAccumulator {
 public:
  explicit BucketAccumulator(bool keep_values) : keep_values_(keep_values) {}

  void add(const Sample& s);
  // Adds a rollup bucket's summary (count non-NaN samples): enough for min, max, mean, sum
  // and count, not for first, last, stddev or percentiles.
  void add_partial(uint64_t count, double sum, double min, double max);
  bool empty() const { return count_ == 0; }
  void reset();
  // Value of one aggregate for the samples added since the last reset.
  double result(Agg agg);

 private:
  bool keep_values_;
  uint64_t count_ = 0;
  double sum_ = 0, mean_ = 0, m2_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  Sample first_{}, last_{};
  std::vector<double> values_;
  bool sorted_ = false;
};

// Exact percentile (0 <= p <= 1) of sorted values by linear interpolation between ranks.
double percentile_sorted(std::span<const double> sorted, double p);

}  // namespace iotwins::tsdb
