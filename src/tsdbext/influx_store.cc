#include "tsdbext/influx_store.h"

#include <algorithm>
#include <map>

#include "tsdbext/batch.h"
#include "tsdbext/influx_protocol.h"
#include "tsdbext/raw_aggregate.h"

namespace iotwins::tsdbext {
namespace {

using tsdb::Sample;
using tsdb::SeriesKey;

// The embedded engine's timestamp range, as an InfluxQL condition.
constexpr const char* kAllTime = "time >= -4611686018427387904 AND time <= 4611686018427387904";

bool has_glob(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

}  // namespace

Result<std::unique_ptr<InfluxStore>> InfluxStore::open(const std::string& base_url, const std::string& db,
                                                       InfluxOptions options) {
  if (options.page_rows <= 0 || options.max_body_bytes == 0) {
    return make_error(Errc::invalid_argument, "influxdb: page_rows and max_body_bytes must be > 0");
  }
  IOT_ASSIGN(auto url, api::parse_url(base_url));
  std::string server = url.host + ":" + std::to_string(url.port);
  IOT_ASSIGN(auto http, api::HttpClient::create(base_url));
  std::unique_ptr<InfluxStore> store(new InfluxStore(std::move(http), std::move(server), db, options));
  IOT_TRY(store->query_json("CREATE DATABASE " + influxql_ident(db), false));
  return store;
}

Result<std::string> InfluxStore::post_query(const std::string& q, bool csv, bool with_db) {
  std::string path = "/query?epoch=ns";
  if (with_db) path += "&db=" + api::percent_encode(db_);
  api::Headers headers;
  if (csv) headers["Accept"] = "application/csv";
  auto r = http_->request(api::Method::POST, path, "q=" + api::percent_encode(q), "application/x-www-form-urlencoded",
                          headers);
  if (!r) return std::unexpected(std::move(r.error()).context("influxdb " + server_));
  if (!r->ok()) {
    return make_error(r->status >= 500 ? Errc::unavailable : Errc::io_error,
                      "influxdb " + server_ + ": query answered " + std::to_string(r->status) + ": " + r->body.substr(0, 300));
  }
  return std::move(r->body);
}

Result<std::vector<InfluxSeries>> InfluxStore::query_json(const std::string& q, bool with_db) {
  IOT_ASSIGN(auto body, post_query(q, false, with_db));
  auto out = parse_influx_json(body);
  if (!out) return std::unexpected(std::move(out.error()).context("influxdb " + server_ + ": " + q.substr(0, 200)));
  return out;
}

Result<std::vector<Sample>> InfluxStore::query_samples(const std::string& q) {
  IOT_ASSIGN(auto body, post_query(q, true, true));
  auto out = parse_influx_csv_samples(body);
  if (!out) return std::unexpected(std::move(out.error()).context("influxdb " + server_ + ": " + q.substr(0, 200)));
  return out;
}

Status InfluxStore::post_lines(const std::string& body) {
  auto r = http_->request(api::Method::POST, "/write?precision=ns&db=" + api::percent_encode(db_), body, "text/plain");
  if (!r) return std::unexpected(std::move(r.error()).context("influxdb " + server_ + ": write"));
  if (r->status != 204) {
    return make_error(r->status >= 500 ? Errc::unavailable : Errc::io_error,
                      "influxdb " + server_ + ": write answered " + std::to_string(r->status) + ": " + r->body.substr(0, 300));
  }
  return ok();
}

Status InfluxStore::write(std::span<const tsdb::SeriesWrite> batch) {
  IOT_ASSIGN(auto prepared, prepare_batch(batch, {influx_check_key, influx_check_sample}));
  std::string body;
  for (const auto& ps : prepared) {
    for (const auto& s : ps.samples) {
      append_line(body, ps.key, s);
      if (body.size() >= opt_.max_body_bytes) {
        IOT_TRY(post_lines(body));
        body.clear();
      }
    }
  }
  if (!body.empty()) IOT_TRY(post_lines(body));
  return ok();
}

Result<std::vector<InfluxStore::Target>> InfluxStore::targets(const tsdb::SeriesSelector& selector) {
  std::string from = has_glob(selector.property) ? "/.*/" : influxql_ident(selector.property);
  IOT_ASSIGN(auto series, query_json("SELECT last(\"value\"::field) FROM " + from + " WHERE " + kAllTime + " GROUP BY *"));
  std::vector<Target> out;
  for (const auto& s : series) {
    Target t{key_from_influx(s)};
    if (!tsdb::normalize(t.key) || !selector.matches(t.key) || s.int_rows.empty() || s.int_rows[0].empty()) continue;
    for (const auto& [k, v] : s.tags) t.tag_keys.push_back(k);
    t.last_ts = s.int_rows[0][0];
    out.push_back(std::move(t));
  }
  return out;
}

Result<bool> InfluxStore::read_series(const Target& t, int64_t from, int64_t to, const tsdb::RangeSink& sink) {
  const std::string head = "SELECT \"value\"::field FROM " + influxql_ident(t.key.property) + " WHERE " +
                           series_condition(t.key, t.tag_keys) + " AND time >= ";
  auto fetch = [&](int64_t lo, int64_t hi, int64_t limit) {
    return query_samples(head + std::to_string(lo) + " AND time < " + std::to_string(hi) + " LIMIT " + std::to_string(limit));
  };
  return read_pages(t.key, from, to, opt_.page_rows, fetch, sink);
}

Status InfluxStore::read(const tsdb::RangeQuery& q, const tsdb::RangeSink& sink) {
  IOT_TRY(check_range(q.from, q.to));
  IOT_ASSIGN(auto ts, targets(q.selector));
  for (const auto& t : ts) {
    IOT_ASSIGN(bool more, read_series(t, q.from, q.to, sink));
    if (!more) break;
  }
  return ok();
}

Status InfluxStore::aggregate(const tsdb::AggregateQuery& q, const tsdb::AggregateSink& sink) {
  IOT_ASSIGN(auto ts, targets(q.selector));
  std::vector<SeriesKey> keys;
  for (const auto& t : ts) keys.push_back(t.key);
  auto reader = [&](size_t i, int64_t from, int64_t to, const tsdb::RangeSink& s) -> Status {
    IOT_TRY(read_series(ts[i], from, to, s));
    return ok();
  };
  return aggregate_raw(q, keys, reader, sink);
}

Result<std::optional<Sample>> InfluxStore::last(const SeriesKey& key_in) {
  SeriesKey key = key_in;
  IOT_TRY(tsdb::normalize(key));
  IOT_ASSIGN(auto ts, targets({key.twin, key.property, key.labels}));
  for (const auto& t : ts) {
    if (t.key != key) continue;
    // The value comes from CSV: the JSON answer above cannot tell -0 from 0.
    IOT_ASSIGN(auto page, query_samples("SELECT \"value\"::field FROM " + influxql_ident(key.property) + " WHERE " +
                                        series_condition(key, t.tag_keys) + " AND time = " + std::to_string(t.last_ts)));
    if (page.empty()) break;
    return std::optional<Sample>(page.back());
  }
  // InfluxDB has no series without points.
  return make_error(Errc::not_found, "series " + tsdb::to_display(key) + " does not exist");
}

Result<std::vector<tsdb::SeriesInfo>> InfluxStore::list_series(const tsdb::SeriesSelector& selector) {
  IOT_ASSIGN(auto ts, targets(selector));
  if (ts.empty()) return std::vector<tsdb::SeriesInfo>();
  std::string from = has_glob(selector.property) ? "/.*/" : influxql_ident(selector.property);
  // first() alone answers with the first point's time; count() with the range start.
  std::map<std::string, std::pair<int64_t, int64_t>> first_count;  // by encoded key
  for (const char* fn : {"first", "count"}) {
    IOT_ASSIGN(auto series, query_json(std::string("SELECT ") + fn + "(\"value\"::field) FROM " + from + " WHERE " +
                                       kAllTime + " GROUP BY *"));
    for (const auto& s : series) {
      SeriesKey k = key_from_influx(s);
      if (!tsdb::normalize(k) || s.int_rows.empty()) continue;
      auto& fc = first_count[tsdb::encode_key(k)];
      const auto& row = s.int_rows[0];
      if (fn[0] == 'f' && !row.empty()) fc.first = row[0];
      if (fn[0] == 'c' && row.size() >= 2) fc.second = row[1];
    }
  }
  std::vector<tsdb::SeriesInfo> out;
  for (auto& t : ts) {
    auto [first, count] = first_count[tsdb::encode_key(t.key)];
    out.push_back({std::move(t.key), first, t.last_ts, static_cast<uint64_t>(count)});
  }
  return out;
}

}  // namespace iotwins::tsdbext
