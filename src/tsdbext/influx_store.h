// InfluxStore: TimeSeriesStore in an InfluxDB 1.x database over HTTP (api/http_client.h).
//
// Mapping and refused names/values: influx_protocol.h. The database is created on open if
// missing (CREATE DATABASE is idempotent).
// Writes: the batch is checked whole (batch.h plus the InfluxDB rules) before any request, so
// a refused batch changes nothing; then it is sent as line protocol with precision=ns, one
// request per max_body_bytes of lines. A batch that needs several requests is not atomic if the server
// fails between them; writing it again is harmless (the last write of a timestamp wins).
// Reads: one series at a time (an exact tag condition), page_rows points per InfluxQL query,
// paging by time, so memory is bounded with a plain HTTP client (no chunked=true streaming
// needed); answers with values are read as CSV because JSON turns -0 into 0. Aggregates are
// computed from those pages with the embedded engine's accumulators (raw_aggregate.h), so
// percentiles and stddev match the embedded engine exactly.
// Threading: thread-safe (the HTTP client sends one request at a time).
#pragma once

#include <memory>
#include <string>

#include "api/http_client.h"
#include "tsdb/store.h"
#include "tsdbext/influx_protocol.h"

namespace iotwins::tsdbext {

struct InfluxOptions {
  int64_t page_rows = 10'000;          // points per read query
  size_t max_body_bytes = 4 << 20;     // line protocol per write request (server default limit: 25 MB)
};

class InfluxStore final : public tsdb::TimeSeriesStore {
 public:
  // base_url: http://host:port; db: the database name (any text).
  static Result<std::unique_ptr<InfluxStore>> open(const std::string& base_url, const std::string& db,
                                                   InfluxOptions options = {});

  Status write(std::span<const tsdb::SeriesWrite> batch) override;
  Status read(const tsdb::RangeQuery& query, const tsdb::RangeSink& sink) override;
  Status aggregate(const tsdb::AggregateQuery& query, const tsdb::AggregateSink& sink) override;
  Result<std::optional<tsdb::Sample>> last(const tsdb::SeriesKey& key) override;
  Result<std::vector<tsdb::SeriesInfo>> list_series(const tsdb::SeriesSelector& selector) override;

 private:
  // A stored series and the tag keys of its measurement (for an exact WHERE).
  struct Target {
    tsdb::SeriesKey key;
    std::vector<std::string> tag_keys;
    int64_t last_ts = 0;
  };
  InfluxStore(std::unique_ptr<api::HttpClient> http, std::string server, std::string db, InfluxOptions options)
      : opt_(options), http_(std::move(http)), server_(std::move(server)), db_(std::move(db)) {}
  Result<std::string> post_query(const std::string& q, bool csv, bool with_db);
  Result<std::vector<InfluxSeries>> query_json(const std::string& q, bool with_db = true);
  Result<std::vector<tsdb::Sample>> query_samples(const std::string& q);
  Result<std::vector<Target>> targets(const tsdb::SeriesSelector& selector);
  Result<bool> read_series(const Target& t, int64_t from, int64_t to, const tsdb::RangeSink& sink);
  Status post_lines(const std::string& body);

  const InfluxOptions opt_;
  std::unique_ptr<api::HttpClient> http_;
  std::string server_;  // host:port, for messages
  std::string db_;
};

}  // namespace iotwins::tsdbext
