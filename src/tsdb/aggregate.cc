#include "tsdb/aggregate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace iotwins::tsdb {
namespace {

constexpr std::array<std::pair<Agg, std::string_view>, 11> kAggNames = {{
    {Agg::min, "min"}, {Agg::max, "max"}, {Agg::mean, "mean"}, {Agg::sum, "sum"},
    {Agg::count, "count"}, {Agg::first, "first"}, {Agg::last, "last"}, {Agg::stddev, "stddev"},
    {Agg::p50, "p50"}, {Agg::p95, "p95"}, {Agg::p99, "p99"},
}};

}  // namespace

Result<Agg> parse_agg(std::string_view name) {
  for (auto [agg, n] : kAggNames) {
    if (n == name) return agg;
  }
  return make_error(Errc::invalid_argument,
                    "unknown aggregate '" + std::string(name) +
                        "' (known: min, max, mean, sum, count, first, last, stddev, p50, p95, p99)");
}

std::string_view agg_name(Agg agg) {
  for (auto [a, n] : kAggNames) {
    if (a == agg) return n;
  }
  return "?";
}

void BucketAccumulator::add(const Sample& s) {
  if (std::isnan(s.value)) return;
  // Groups feed series one after another, so first/last go by timestamp, not arrival.
  if (count_ == 0 || s.ts < first_.ts) first_ = s;
  if (count_ == 0 || s.ts >= last_.ts) last_ = s;
  ++count_;
  sum_ += s.value;
  min_ = std::min(min_, s.value);
  max_ = std::max(max_, s.value);
  double delta = s.value - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (s.value - mean_);
  if (keep_values_) {
    values_.push_back(s.value);
    sorted_ = false;
  }
}

void BucketAccumulator::add_partial(uint64_t count, double sum, double min, double max) {
  if (count == 0) return;
  count_ += count;
  sum_ += sum;
  min_ = std::min(min_, min);
  max_ = std::max(max_, max);
}

void BucketAccumulator::reset() {
  count_ = 0;
  sum_ = mean_ = m2_ = 0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
  values_.clear();
  sorted_ = false;
}

double percentile_sorted(std::span<const double> v, double p) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  double h = static_cast<double>(v.size() - 1) * p;
  auto lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, v.size() - 1);
  if (v[lo] == v[hi]) return v[lo];  // also keeps +-Inf from turning into NaN
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double BucketAccumulator::result(Agg agg) {
  switch (agg) {
    case Agg::min: return min_;
    case Agg::max: return max_;
    case Agg::mean: return sum_ / static_cast<double>(count_);
    case Agg::sum: return sum_;
    case Agg::count: return static_cast<double>(count_);
    case Agg::first: return first_.value;
    case Agg::last: return last_.value;
    case Agg::stddev: return std::sqrt(m2_ / static_cast<double>(count_));
    case Agg::p50:
    case Agg::p95:
    case Agg::p99: {
      if (!sorted_) {
        std::sort(values_.begin(), values_.end());
        sorted_ = true;
      }
      double p = agg == Agg::p50 ? 0.50 : agg == Agg::p95 ? 0.95 : 0.99;
      return percentile_sorted(values_, p);
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace iotwins::tsdb
