// TimeSeriesStore: the storage seam for series of (timestamp ns, float64) samples. The
// embedded engine (EmbeddedStore, tsdb/engine.h) implements it; external sinks (PostgreSQL,
// InfluxDB) are meant to implement the same interface.
//
// Defined behaviour, for every implementation:
//  - out-of-order samples are accepted at any age within the series' raw retention;
//  - duplicate timestamps: the sample written last replaces the earlier one (in one batch,
//    the later position wins);
//  - NaN (any payload), +-Inf and -0.0 are stored and read back bit-exactly; aggregates skip
//    NaN samples (count counts the non-NaN ones) and follow IEEE arithmetic for +-Inf;
//  - a batch with a bad key or a sample older than its series' raw retention is rejected
//    whole, with an error naming the series and the sample index, and changes nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tsdb/sample.h"
#include "tsdb/series_key.h"

namespace iotwins::tsdb {

// The samples of one series in a write batch (not owned).
struct SeriesWrite {
  SeriesKey key;
  std::span<const Sample> samples;
};

// Which series a query covers: globs on twin and property, exact label matches.
struct SeriesSelector {
  std::string twin = "*";
  std::string property = "*";
  Labels labels;
  bool matches(const SeriesKey& key) const;
};

struct SeriesInfo {
  SeriesKey key;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint64_t count = 0;
};

enum class Agg { min, max, mean, sum, count, first, last, stddev, p50, p95, p99 };
Result<Agg> parse_agg(std::string_view name);
std::string_view agg_name(Agg agg);

struct RangeQuery {
  SeriesSelector selector;
  int64_t from = 0;  // inclusive, ns
  int64_t to = 0;    // exclusive, ns
};
// Called with consecutive runs of one series' samples in time order (bounded size); return
// false to stop the query early.
using RangeSink = std::function<bool(const SeriesKey&, std::span<const Sample>)>;

struct AggregateQuery {
  SeriesSelector selector;
  int64_t from = 0;  // inclusive; buckets start at from + k * step
  int64_t to = 0;    // exclusive
  int64_t step = 0;  // > 0, ns
  std::vector<Agg> aggs;
  // nullopt: every series is its own group. Otherwise series are grouped by these fields
  // ("twin", "property" or a label name; a missing label groups as ""); an empty list puts
  // every selected series in one group.
  std::optional<std::vector<std::string>> group_by;
};
struct AggregateRow {
  const Labels& group;  // (field, value) of the group; for per-series groups: twin, property, labels
  int64_t bucket_start;
  std::span<const double> values;  // one per query agg, in query order
};
// Rows come group by group, buckets in time order; buckets without samples are left out.
using AggregateSink = std::function<bool(const AggregateRow&)>;

class TimeSeriesStore {
 public:
  virtual ~TimeSeriesStore() = default;
  // Durable (per the store's durability setting) when it returns ok.
  virtual Status write(std::span<const SeriesWrite> batch) = 0;
  virtual Status read(const RangeQuery& query, const RangeSink& sink) = 0;
  virtual Status aggregate(const AggregateQuery& query, const AggregateSink& sink) = 0;
  // The newest sample of a series; nullopt when it has none; not_found for an unknown series.
  virtual Result<std::optional<Sample>> last(const SeriesKey& key) = 0;
  virtual Result<std::vector<SeriesInfo>> list_series(const SeriesSelector& selector) = 0;
};

}  // namespace iotwins::tsdb
