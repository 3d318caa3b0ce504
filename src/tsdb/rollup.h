// Rollups: per-series summaries of fixed, epoch-aligned buckets (count, sum, min, max of the
// non-NaN samples), computed from a window's final raw samples when the window is sealed and
// kept in their own block files (block.h, footer resolution = the bucket width) so they can
// outlive the raw data.
//
// In a rollup block each series has four columns, one chunk each, whose samples are
// (bucket start, value): kRollCount, kRollSum, kRollMin, kRollMax. A series whose window holds
// only NaN samples gets one bucket with count 0, so a newer round can hide an older one.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "tsdb/block.h"
#include "tsdb/sample.h"

namespace iotwins::tsdb {

inline constexpr uint8_t kRollCount = 0;
inline constexpr uint8_t kRollSum = 1;
inline constexpr uint8_t kRollMin = 2;
inline constexpr uint8_t kRollMax = 3;

struct RollupBucket {
  int64_t start = 0;
  uint64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
};

// Floor of ts to a multiple of width (also for negative ts).
inline int64_t align_down(int64_t ts, int64_t width) {
  int64_t r = ts % width;
  return r < 0 ? ts - r - width : ts - r;
}

// Buckets of `width` over samples sorted by time; buckets without a non-NaN sample are left out.
std::vector<RollupBucket> compute_rollup(std::span<const Sample> sorted, int64_t width);

// Adds one series' buckets to a rollup block (the count-0 marker at `window` when empty).
void add_rollup(BlockWriter& writer, SeriesId series, int64_t window, std::span<const RollupBucket> buckets);

// The series' buckets from a rollup block, count-0 markers included, in time order; corruption
// if the four columns disagree.
Result<std::vector<RollupBucket>> read_rollup(const BlockReader& block, SeriesId series);

}  // namespace iotwins::tsdb
