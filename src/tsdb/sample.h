// Sample: one point of a series, the unit every tsdb layer moves.
#pragma once

#include <cstdint>

namespace iotwins::tsdb {

struct Sample {
  int64_t ts = 0;  // ns since the Unix epoch
  double value = 0;
  friend bool operator==(const Sample&, const Sample&) = default;
};

}  // namespace iotwins::tsdb
