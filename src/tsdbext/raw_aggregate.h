// AggregateQuery answered from raw samples streamed out of a database, with the embedded
// engine's accumulators (tsdb/aggregate.h) and grouping, so every store computes the same
// numbers: groups in key order, buckets in time order, empty buckets left out.
#pragma once

#include <functional>
#include <vector>

#include "core/result.h"
#include "tsdb/store.h"

namespace iotwins::tsdbext {

// Streams one series' samples in [from, to) in time order to the sink (bounded runs).
using SeriesReader = std::function<Status(const tsdb::SeriesKey&, int64_t from, int64_t to, const tsdb::RangeSink&)>;

// The query's checks (from < to, step > 0, some aggregate) and the result rows; `series` are
// the series the selector chose. Memory: one series group streams bucket by bucket; a group
// of several series keeps one accumulator per non-empty bucket.
Status aggregate_raw(const tsdb::AggregateQuery& query, const std::vector<tsdb::SeriesKey>& series,
                     const SeriesReader& reader, const tsdb::AggregateSink& sink);

// The embedded engine's checks on a range query.
Status check_range(int64_t from, int64_t to);

}  // namespace iotwins::tsdbext
