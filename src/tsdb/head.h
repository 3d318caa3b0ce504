// The in-memory head: per series and per time window, the samples not yet sealed into a block.
// In-order samples go to `tail` and are frozen into compressed chunks every kHeadChunkSamples;
// samples at or before the window's newest timestamp go to `late` (arrival order) and are
// merged, last write winning, when the window is read or sealed.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "tsdb/sample.h"

namespace iotwins::tsdb {

inline constexpr size_t kHeadChunkSamples = 1024;

struct HeadChunk {
  int64_t last_ts = 0;
  std::shared_ptr<const std::string> bytes;
};

struct WindowHead {
  std::vector<HeadChunk> chunks;
  std::vector<Sample> tail;
  std::vector<Sample> late;
  int64_t last_ts = std::numeric_limits<int64_t>::min();
  bool has_data = false;
  uint64_t min_lsn = std::numeric_limits<uint64_t>::max();

  void append(const Sample& s, uint64_t lsn);
};

// Merges `base` (older data, sorted, unique) with a window head: the head's in-order samples
// replace base samples of equal timestamp and late samples replace both, the last one
// written winning. Returns sorted, unique samples.
Result<std::vector<Sample>> merge_window(std::vector<Sample> base, const std::vector<HeadChunk>& chunks,
                                         const std::vector<Sample>& tail, const std::vector<Sample>& late);

// Overlays `top` (sorted, unique) on `bottom` (sorted, unique): top wins on equal timestamps.
std::vector<Sample> overlay(const std::vector<Sample>& bottom, const std::vector<Sample>& top);

// Sorts samples by time keeping the last written of equal timestamps.
void sort_last_wins(std::vector<Sample>& s);

}  // namespace iotwins::tsdb
