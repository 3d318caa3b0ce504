// /api/v1/series: list series, query raw samples or aggregates (streamed), last value.
// Parameters: series_params.h; output formats and NaN/Inf spelling: series_output.h.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "api/group_scope.h"
#include "api/problem.h"
#include "api/routes.h"
#include "api/series_output.h"
#include "api/series_params.h"
#include "tsdb/store.h"

namespace iotwins::api {
namespace {

using nlohmann::json;

json labels_object(const tsdb::Labels& labels) {
  json j = json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

bool key_less(const tsdb::SeriesKey& a, const tsdb::SeriesKey& b) {
  return std::tie(a.twin, a.property, a.labels) < std::tie(b.twin, b.property, b.labels);
}

std::string_view content_type(series::Format f) {
  switch (f) {
    case series::Format::csv: return "text/csv; charset=utf-8";
    case series::Format::ndjson: return "application/x-ndjson";
    case series::Format::json: break;
  }
  return "application/json";
}

// Group scoping: a series is its twin's (api/group_scope.h). `readable` is null when the caller
// may read series of every group.
using Readable = std::function<bool(const std::string& twin)>;
Readable readable_series(const Request& req, const GroupOfTwin& group_of) {
  if (is_node_agent(req) || visible_groups(req, iam::ResourceKind::series).all) return nullptr;
  return [&req, &group_of](const std::string& twin) {
    return allowed(req, iam::Verb::read, iam::ResourceKind::series, group_of(twin));
  };
}

Response list(tsdb::TimeSeriesStore& store, const Request& req, const GroupOfTwin& group_of) {
  auto p = series::parse_list(req);
  if (!p) return problem(p.error());
  auto all = store.list_series(p->selector);
  if (!all) return problem(all.error());
  std::sort(all->begin(), all->end(), [](const auto& a, const auto& b) { return key_less(a.key, b.key); });
  auto it = all->begin();
  if (!p->after.empty()) {
    auto after = tsdb::decode_key(p->after);  // checked by parse_list
    it = std::upper_bound(all->begin(), all->end(), *after,
                          [](const tsdb::SeriesKey& k, const tsdb::SeriesInfo& i) { return key_less(k, i.key); });
  }
  json items = json::array();
  Readable readable = readable_series(req, group_of);
  for (; it != all->end() && items.size() < p->limit; ++it) {
    if (readable && !readable(it->key.twin)) continue;
    items.push_back({{"twin", it->key.twin},
                     {"property", it->key.property},
                     {"labels", labels_object(it->key.labels)},
                     {"first_time", series::format_time(it->first_ts)},
                     {"first_ts", it->first_ts},
                     {"last_time", series::format_time(it->last_ts)},
                     {"last_ts", it->last_ts},
                     {"count", it->count}});
  }
  json next = nullptr;
  if (it != all->end()) next = series::make_cursor(std::prev(it)->key);
  return json_response(200, {{"items", items}, {"count", items.size()}, {"next_cursor", next}});
}

}  // namespace

Response series_query_response(tsdb::TimeSeriesStore& store, const Clock& clock, const Request& req) {
  auto q = series::parse_query(req, clock.now_ns());
  if (!q) return problem(q.error());
  Response r;
  r.content_type = std::string(content_type(q->format));
  r.stream = [&store, q = std::move(*q)](const ChunkWriter& write) -> Status {
    series::Output out(write);
    if (q.aggs.empty()) {
      series::RawWriter w(out, q);
      w.begin();
      IOT_TRY(store.read({q.selector, q.from, q.to}, [&w](const tsdb::SeriesKey& k, std::span<const tsdb::Sample> s) {
        return w.samples(k, s);
      }));
      if (w.gone()) return ok();
      w.end();
    } else {
      series::AggWriter w(out, q);
      w.begin();
      tsdb::AggregateQuery aq{q.selector, q.from, q.to, q.step, q.aggs, q.group_by};
      IOT_TRY(store.aggregate(aq, [&w](const tsdb::AggregateRow& row) { return w.row(row); }));
      if (w.gone()) return ok();
      w.end();
    }
    out.flush();
    return ok();
  };
  return r;
}

namespace {

// A query whose selection reaches a series of a group the caller may not read is refused whole
// (aggregates cannot leave some series out unnoticed).
std::optional<Response> refuse_unreadable(tsdb::TimeSeriesStore& store, const Request& req, const GroupOfTwin& group_of,
                                          const tsdb::SeriesSelector& selector) {
  Readable readable = readable_series(req, group_of);
  if (!readable) return std::nullopt;
  auto keys = store.list_series(selector);
  if (!keys) return problem(keys.error());
  for (const auto& k : *keys) {
    if (!readable(k.key.twin)) {
      return problem(403, "permission_denied", "Forbidden",
                     req.principal->subject.to_string() + " may not read every series ?twin= selects (some belong to "
                     "twins of groups it has no grant in): name twins of its groups");
    }
  }
  return std::nullopt;
}

Response last(tsdb::TimeSeriesStore& store, const Request& req, const GroupOfTwin& group_of) {
  auto key = series::parse_exact_key(req);
  if (!key) return problem(key.error());
  if (Readable readable = readable_series(req, group_of); readable && !readable(key->twin)) {
    return problem(404, "not_found", "Not Found", "no series " + key->twin + "/" + key->property);
  }
  auto s = store.last(*key);
  if (!s) return problem(s.error());
  json sample = nullptr;
  if (*s) {
    std::string value;
    series::append_value(value, (*s)->value, true);
    sample = {{"time", series::format_time((*s)->ts)}, {"ts", (*s)->ts}, {"value", json::parse(value)}};
  }
  return json_response(200, {{"twin", key->twin},
                             {"property", key->property},
                             {"labels", labels_object(key->labels)},
                             {"sample", sample}});
}

}  // namespace

void add_series_routes(Router& router, const Services& s) {
  tsdb::TimeSeriesStore& store = *s.series;
  const Clock& clock = *s.clock;
  GroupOfTwin group_of = twin_groups(s.twins, s.nodes);
  router.add(Method::GET, "/api/v1/series", [&store, group_of](Request& req) { return list(store, req, group_of); },
             {.summary = "list series with first/last time and count (?twin=, ?property= globs, "
                         "?label.NAME=VALUE, ?limit=, ?cursor=)",
              .kind = iam::ResourceKind::series, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/series/query", [&store, &clock, group_of](Request& req) {
                if (req.principal) {
                  auto q = series::parse_query(req, clock.now_ns());
                  if (!q) return problem(q.error());
                  if (auto no = refuse_unreadable(store, req, group_of, q->selector)) return std::move(*no);
                }
                return series_query_response(store, clock, req);
              },
             {.summary = "raw samples or aggregates over time buckets, streamed (?twin=, ?property=, "
                         "?label.NAME=, ?from=, ?to=, ?step=, ?agg=, ?group_by=, ?format=json|csv|ndjson, ?limit=)",
              .kind = iam::ResourceKind::series, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/series/last", [&store, group_of](Request& req) { return last(store, req, group_of); },
             {.summary = "the newest sample of one series (?twin=, ?property=, ?label.NAME=)",
              .kind = iam::ResourceKind::series, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
