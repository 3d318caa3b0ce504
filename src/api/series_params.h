// Query parameters of the /api/v1/series routes, parsed and checked before the store is asked.
// Every error is invalid_argument and its message names the parameter and what it accepts.
//
// Times (from, to): RFC 3339 ("2026-11-24T01:00:00Z", "…T01:00:00.25+02:00"), "now",
// "now-15m" / "now+1h", a bare relative duration "-1h" (= now-1h), or a number since the epoch
// with a unit: "1764000000s", "1764000000000ms", "…us", "…ns"; a bare integer is milliseconds
// (as in MQTT telemetry). Durations (step, relative times): one or more <integer><unit> with
// unit ns, us, ms, s, m, h, d ("90s", "1h30m").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "core/result.h"
#include "tsdb/store.h"

namespace iotwins::api::series {

inline constexpr int64_t kMaxBuckets = 100'000;      // per series (or group) and query
inline constexpr size_t kDefaultListLimit = 100;
inline constexpr size_t kMaxListLimit = 1000;
inline constexpr int64_t kDefaultRangeNs = 3600LL * 1'000'000'000;  // from = to - 1h

Result<int64_t> parse_time(std::string_view text, int64_t now_ns);
Result<int64_t> parse_duration_ns(std::string_view text);
// RFC 3339 in UTC with as many fraction digits as needed (none, up to 9).
std::string format_time(int64_t ns);

enum class Format { json, csv, ndjson };

struct QueryParams {
  tsdb::SeriesSelector selector;
  int64_t from = 0;
  int64_t to = 0;
  int64_t step = 0;             // set when aggs are (to - from when no step was given)
  std::vector<tsdb::Agg> aggs;  // empty: raw samples
  std::optional<std::vector<std::string>> group_by;  // as the store takes it
  std::vector<std::string> group_names;              // as the client spelled the fields
  Format format = Format::json;
  uint64_t limit = 0;  // samples (raw) or rows (aggregates); 0: no limit
};
Result<QueryParams> parse_query(const Request& request, int64_t now_ns);

struct ListParams {
  tsdb::SeriesSelector selector;
  size_t limit = kDefaultListLimit;
  std::string after;  // the encoded key of the last series of the previous page; "" first page
};
Result<ListParams> parse_list(const Request& request);
std::string make_cursor(const tsdb::SeriesKey& key);

// twin, property and label.K=V naming exactly one series (no globs), for /series/last.
Result<tsdb::SeriesKey> parse_exact_key(const Request& request);

}  // namespace iotwins::api::series
