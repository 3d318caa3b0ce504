// Shared by the external stores: checks a write batch the way the embedded engine does and
// reduces it to what the database must hold, before anything is sent.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "core/result.h"
#include "tsdb/store.h"

namespace iotwins::tsdbext {

// One series of a checked batch: the normalized key and its samples sorted by timestamp, one
// per timestamp (the one written last wins, also across entries of the same series).
struct PreparedSeries {
  tsdb::SeriesKey key;
  std::vector<tsdb::Sample> samples;
};

// A backend's own rule on a series or a sample; the error names what is wrong, the caller adds
// "batch entry i (series) sample j".
struct BackendRules {
  std::function<Status(const tsdb::SeriesKey&)> key;
  std::function<Status(const tsdb::Sample&)> sample;
};

// Rejects the whole batch (invalid_argument naming the entry, series and sample index) on a
// bad key, a timestamp outside +-2^62 ns (the embedded engine's range) or a backend rule.
Result<std::vector<PreparedSeries>> prepare_batch(std::span<const tsdb::SeriesWrite> batch,
                                                  const BackendRules& rules = {});

// Names must be valid UTF-8 for both databases (text columns, line protocol).
Status check_utf8(const tsdb::SeriesKey& key);

}  // namespace iotwins::tsdbext
