#include "tsdb/rollup.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tsdb/chunk.h"

namespace iotwins::tsdb {

std::vector<RollupBucket> compute_rollup(std::span<const Sample> sorted, int64_t width) {
  std::vector<RollupBucket> out;
  for (const Sample& s : sorted) {
    if (std::isnan(s.value)) continue;
    int64_t b = align_down(s.ts, width);
    if (out.empty() || out.back().start != b) {
      out.push_back({b, 1, s.value, s.value, s.value});
      continue;
    }
    RollupBucket& r = out.back();
    ++r.count;
    r.sum += s.value;
    r.min = std::min(r.min, s.value);
    r.max = std::max(r.max, s.value);
  }
  return out;
}

void add_rollup(BlockWriter& writer, SeriesId series, int64_t window, std::span<const RollupBucket> buckets) {
  const RollupBucket marker{window, 0, 0, 0, 0};
  if (buckets.empty()) buckets = std::span(&marker, 1);
  std::vector<Sample> col(buckets.size());
  auto put = [&](uint8_t column, auto field) {
    for (size_t i = 0; i < buckets.size(); ++i) col[i] = {buckets[i].start, field(buckets[i])};
    // Chunks hold at most kMaxChunkSamples; open() bounds window / width well below that.
    writer.add(series, column, encode_chunk(col));
  };
  put(kRollCount, [](const RollupBucket& b) { return static_cast<double>(b.count); });
  put(kRollSum, [](const RollupBucket& b) { return b.sum; });
  put(kRollMin, [](const RollupBucket& b) { return b.min; });
  put(kRollMax, [](const RollupBucket& b) { return b.max; });
}

Result<std::vector<RollupBucket>> read_rollup(const BlockReader& block, SeriesId series) {
  std::vector<Sample> cols[4];
  for (uint8_t c = 0; c < 4; ++c) {
    for (const auto& e : block.find(series, c)) IOT_TRY(block.decode(e, cols[c]));
  }
  size_t n = cols[0].size();
  for (int c = 1; c < 4; ++c) {
    bool same = cols[c].size() == n;
    for (size_t i = 0; same && i < n; ++i) same = cols[c][i].ts == cols[0][i].ts;
    if (!same) {
      return make_error(Errc::corruption, "rollup block " + block.path() + ": columns of series " +
                                              std::to_string(series) + " disagree");
    }
  }
  std::vector<RollupBucket> out(n);
  for (size_t i = 0; i < n; ++i) {
    double count = cols[kRollCount][i].value;
    if (!(count >= 0) || count != std::floor(count)) {
      return make_error(Errc::corruption, "rollup block " + block.path() + ": bad count in series " +
                                              std::to_string(series));
    }
    out[i] = {cols[0][i].ts, static_cast<uint64_t>(count), cols[kRollSum][i].value, cols[kRollMin][i].value,
              cols[kRollMax][i].value};
  }
  return out;
}

}  // namespace iotwins::tsdb
