#include "tsdbext/postgres_store.h"

#include <nlohmann/json.hpp>

#include "tsdbext/batch.h"
#include "tsdbext/raw_aggregate.h"

namespace iotwins::tsdbext {
namespace {

using tsdb::Sample;
using tsdb::SeriesKey;

constexpr Oid kBytea = 17, kText = 25, kJsonb = 3802;

// One statement each: libpq's extended protocol runs one command per call.
// No foreign key from samples to series: its per-row check cut the write rate 3-4x (measured
// with tsdbext_rates), and only this store writes samples, with ids it registered first.
constexpr const char* kSchema[] = {R"sql(
CREATE TABLE IF NOT EXISTS iotwins_series (
  id bigserial PRIMARY KEY,
  key bytea NOT NULL UNIQUE,
  twin text NOT NULL,
  property text NOT NULL,
  labels jsonb NOT NULL
))sql", R"sql(
CREATE TABLE IF NOT EXISTS iotwins_samples (
  series_id bigint NOT NULL,
  ts bigint NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (series_id, ts)
))sql", R"sql(
CREATE OR REPLACE VIEW iotwins_samples_v AS
  SELECT s.twin, s.property, s.labels, to_timestamp(x.ts / 1e9) AS time, x.ts, x.value
  FROM iotwins_samples x JOIN iotwins_series s ON s.id = x.series_id
)sql"};

std::string labels_json(const SeriesKey& k) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [n, v] : k.labels) j[n] = v;
  return j.dump();
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url, PostgresOptions options) {
  if (options.page_rows <= 0 || options.rows_per_statement == 0) {
    return make_error(Errc::invalid_argument, "postgresql: page_rows and rows_per_statement must be > 0");
  }
  IOT_ASSIGN(auto conn, PgConnection::connect(url));
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(conn), options));
  IOT_TRY(store->create_schema());
  return store;
}

Status PostgresStore::create_schema() {
  return pg_transaction(*conn_, [&]() -> Status {
    IOT_TRY(conn_->exec("lock schema", "SELECT pg_advisory_xact_lock(hashtext('iotwins_tsdb_schema'))"));
    for (const char* sql : kSchema) IOT_TRY(conn_->exec("create schema", sql));
    return ok();
  });
}

Status PostgresStore::write(std::span<const tsdb::SeriesWrite> batch) {
  IOT_ASSIGN(auto prepared, prepare_batch(batch));
  std::lock_guard lock(mu_);
  std::vector<std::pair<SeriesKey, int64_t>> fresh;  // remembered only once committed
  Status st = pg_transaction(*conn_, [&]() -> Status {
    std::vector<int64_t> ids, ts;
    std::vector<double> values;
    auto flush = [&]() -> Status {
      if (ts.empty()) return ok();
      PgParam params[] = {pg_int8_array(ids), pg_int8_array(ts), pg_float8_array(values)};
      IOT_TRY(conn_->exec("write samples",
                          "INSERT INTO iotwins_samples (series_id, ts, value) SELECT * FROM unnest($1, $2, $3) "
                          "ON CONFLICT (series_id, ts) DO UPDATE SET value = EXCLUDED.value",
                          params));
      ids.clear(), ts.clear(), values.clear();
      return ok();
    };
    for (const auto& ps : prepared) {
      int64_t id = 0;
      if (auto it = ids_.find(ps.key); it != ids_.end()) {
        id = it->second;
      } else {
        std::string key = tsdb::encode_key(ps.key);
        PgParam params[] = {pg_bytes(key, kBytea), pg_bytes(ps.key.twin, kText), pg_bytes(ps.key.property, kText),
                            pg_text(labels_json(ps.key), kJsonb)};
        // DO UPDATE (a no-op change) so RETURNING yields the id also when the series exists.
        IOT_ASSIGN(auto r, conn_->exec("register series " + tsdb::to_display(ps.key),
                                       "INSERT INTO iotwins_series (key, twin, property, labels) VALUES ($1, $2, $3, $4) "
                                       "ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING id",
                                       params));
        id = pg_get_int8(r.get(), 0, 0);
        fresh.emplace_back(ps.key, id);
      }
      for (const auto& s : ps.samples) {
        ids.push_back(id);
        ts.push_back(s.ts);
        values.push_back(s.value);
        if (ts.size() == opt_.rows_per_statement) IOT_TRY(flush());
      }
    }
    return flush();
  });
  if (!st) return st;
  for (auto& [k, id] : fresh) ids_.emplace(std::move(k), id);
  return ok();
}

Result<std::vector<std::pair<int64_t, SeriesKey>>> PostgresStore::select(const tsdb::SeriesSelector& selector) {
  std::lock_guard lock(mu_);
  IOT_ASSIGN(auto r, conn_->exec("list series", "SELECT id, key FROM iotwins_series ORDER BY id"));
  std::vector<std::pair<int64_t, SeriesKey>> out;
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    int64_t id = pg_get_int8(r.get(), row, 0);
    auto key = tsdb::decode_key(pg_get_bytes(r.get(), row, 1));
    if (!key) {
      return make_error(Errc::corruption, "postgresql " + conn_->server() + ": iotwins_series id " +
                                              std::to_string(id) + ": bad key: " + key.error().message());
    }
    if (selector.matches(*key)) out.emplace_back(id, std::move(*key));
  }
  return out;
}

Result<bool> PostgresStore::read_series(int64_t id, const SeriesKey& key, int64_t from, int64_t to,
                                        const tsdb::RangeSink& sink) {
  // The lock is held per page only: never while the caller's sink runs.
  auto fetch = [&](int64_t lo, int64_t hi, int64_t limit) -> Result<std::vector<Sample>> {
    std::lock_guard lock(mu_);
    PgParam params[] = {pg_int8(id), pg_int8(lo), pg_int8(hi), pg_int8(limit)};
    IOT_ASSIGN(auto r, conn_->exec("read " + tsdb::to_display(key),
                                   "SELECT ts, value FROM iotwins_samples WHERE series_id = $1 AND ts >= $2 "
                                   "AND ts < $3 ORDER BY ts LIMIT $4",
                                   params));
    std::vector<Sample> page;
    page.reserve(static_cast<size_t>(PQntuples(r.get())));
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      page.push_back({pg_get_int8(r.get(), row, 0), pg_get_float8(r.get(), row, 1)});
    }
    return page;
  };
  return read_pages(key, from, to, opt_.page_rows, fetch, sink);
}

Status PostgresStore::read(const tsdb::RangeQuery& q, const tsdb::RangeSink& sink) {
  IOT_TRY(check_range(q.from, q.to));
  IOT_ASSIGN(auto series, select(q.selector));
  for (const auto& [id, key] : series) {
    IOT_ASSIGN(bool more, read_series(id, key, q.from, q.to, sink));
    if (!more) break;
  }
  return ok();
}

Status PostgresStore::aggregate(const tsdb::AggregateQuery& q, const tsdb::AggregateSink& sink) {
  IOT_ASSIGN(auto series, select(q.selector));
  std::vector<SeriesKey> keys;
  for (const auto& [id, key] : series) keys.push_back(key);
  auto reader = [&](size_t i, int64_t from, int64_t to, const tsdb::RangeSink& s) -> Status {
    IOT_TRY(read_series(series[i].first, series[i].second, from, to, s));
    return ok();
  };
  return aggregate_raw(q, keys, reader, sink);
}

Result<std::optional<Sample>> PostgresStore::last(const SeriesKey& key_in) {
  SeriesKey key = key_in;
  IOT_TRY(tsdb::normalize(key));
  std::lock_guard lock(mu_);
  PgParam k[] = {pg_bytes(tsdb::encode_key(key), kBytea)};
  IOT_ASSIGN(auto r, conn_->exec("last " + tsdb::to_display(key),
                                 "SELECT x.ts, x.value, s.id FROM iotwins_series s LEFT JOIN LATERAL "
                                 "(SELECT ts, value FROM iotwins_samples WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) x "
                                 "ON true WHERE s.key = $1",
                                 k));
  if (PQntuples(r.get()) == 0) return make_error(Errc::not_found, "series " + tsdb::to_display(key) + " does not exist");
  if (PQgetisnull(r.get(), 0, 0)) return std::optional<Sample>();
  return std::optional<Sample>(Sample{pg_get_int8(r.get(), 0, 0), pg_get_float8(r.get(), 0, 1)});
}

Result<std::vector<tsdb::SeriesInfo>> PostgresStore::list_series(const tsdb::SeriesSelector& selector) {
  IOT_ASSIGN(auto series, select(selector));
  std::vector<tsdb::SeriesInfo> out;
  for (auto& [id, key] : series) {
    tsdb::SeriesInfo info{std::move(key)};
    std::lock_guard lock(mu_);
    PgParam p[] = {pg_int8(id)};
    IOT_ASSIGN(auto r, conn_->exec("summarise " + tsdb::to_display(info.key),
                                   "SELECT min(ts), max(ts), count(*) FROM iotwins_samples WHERE series_id = $1", p));
    info.count = static_cast<uint64_t>(pg_get_int8(r.get(), 0, 2));
    if (info.count) {
      info.first_ts = pg_get_int8(r.get(), 0, 0);
      info.last_ts = pg_get_int8(r.get(), 0, 1);
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace iotwins::tsdbext
