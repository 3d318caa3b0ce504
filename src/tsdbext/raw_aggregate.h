// AggregateQuery answered from raw samples streamed out of a database, with the embedded
// engine's accumulators (tsdb/aggregate.h) and grouping, so every store computes the same
// numbers: groups in key order, buckets in time order, empty buckets left out.
#pragma once

#include <functional>
#include <vector>

#include "core/result.h"
#include "tsdb/store.h"

namespace iotwins::tsdbext {

// Streams the samples in [from, to) of series[index] in time order to the sink (bounded runs).
using SeriesReader = std::function<Status(size_t index, int64_t from, int64_t to, const tsdb::RangeSink&)>;

// The query's checks (from < to, step > 0, some aggregate) and the result rows; `series` are
// the series the selector chose. Memory: one series group streams bucket by bucket; a group
// of several series keeps one accumulator per non-empty bucket.
Status aggregate_raw(const tsdb::AggregateQuery& query, const std::vector<tsdb::SeriesKey>& series,
                     const SeriesReader& reader, const tsdb::AggregateSink& sink);

// Fetches up to `limit` samples of one series with from <= ts < to, in time order.
using PageFetch = std::function<Result<std::vector<tsdb::Sample>>(int64_t from, int64_t to, int64_t limit)>;
// Reads [from, to) page by page (keyset paging on the timestamp: each page starts after the
// last one's newest sample) and hands each page to the sink; false: the sink stopped.
Result<bool> read_pages(const tsdb::SeriesKey& key, int64_t from, int64_t to, int64_t page_rows, const PageFetch& fetch,
                        const tsdb::RangeSink& sink);

// The embedded engine's checks on a range query.
Status check_range(int64_t from, int64_t to);

}  // namespace iotwins::tsdbext
