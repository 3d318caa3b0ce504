// PostgresStore: TimeSeriesStore in a PostgreSQL database (libpq).
//
// Schema (created on open if missing, under an advisory lock so servers opening together do
// not race): iotwins_series (id, key bytea unique = tsdb::encode_key, twin, property, labels
// jsonb) and iotwins_samples (series_id, ts bigint ns, value float8, primary key
// (series_id, ts)); the view iotwins_samples_v joins them with a timestamptz for people.
// Values travel in libpq's binary form, so NaN payloads, -0.0 and +-Inf are kept bit-exactly.
// Writes: the batch is checked whole (batch.h), then one transaction registers new series and
// upserts every sample (INSERT … SELECT unnest(arrays) ON CONFLICT DO UPDATE: last write wins).
// Reads page through (series_id, ts) in time order, page_rows at a time, so memory is bounded
// and no lock or transaction is held while the caller's sink runs. Aggregates are computed
// from those pages with the embedded engine's accumulators (raw_aggregate.h).
// Threading: thread-safe; one connection, used by one call at a time (a mutex).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "tsdb/store.h"
#include "tsdbext/pg_conn.h"

namespace iotwins::tsdbext {

struct PostgresOptions {
  int64_t page_rows = 8192;             // rows per read query
  size_t rows_per_statement = 50'000;   // rows per upsert (bounds one parameter array)
};

class PostgresStore final : public tsdb::TimeSeriesStore {
 public:
  // `url`: postgresql://user@host:port/db (any libpq connection URI).
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& url, PostgresOptions options = {});

  Status write(std::span<const tsdb::SeriesWrite> batch) override;
  Status read(const tsdb::RangeQuery& query, const tsdb::RangeSink& sink) override;
  Status aggregate(const tsdb::AggregateQuery& query, const tsdb::AggregateSink& sink) override;
  Result<std::optional<tsdb::Sample>> last(const tsdb::SeriesKey& key) override;
  Result<std::vector<tsdb::SeriesInfo>> list_series(const tsdb::SeriesSelector& selector) override;

 private:
  PostgresStore(std::unique_ptr<PgConnection> conn, PostgresOptions options)
      : opt_(options), conn_(std::move(conn)) {}
  Status create_schema();
  // Series the selector picks, with their ids, in id (creation) order.
  Result<std::vector<std::pair<int64_t, tsdb::SeriesKey>>> select(const tsdb::SeriesSelector& selector);
  // false: the sink stopped.
  Result<bool> read_series(int64_t id, const tsdb::SeriesKey& key, int64_t from, int64_t to, const tsdb::RangeSink& sink);

  const PostgresOptions opt_;
  std::mutex mu_;
  std::unique_ptr<PgConnection> conn_;
  // Series ids never change once committed, so they are remembered.
  std::unordered_map<tsdb::SeriesKey, int64_t, tsdb::SeriesKeyHash> ids_;
};

}  // namespace iotwins::tsdbext
