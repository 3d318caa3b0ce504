#include "tsdbext/raw_aggregate.h"

#include <algorithm>
#include <map>

#include "tsdb/aggregate.h"

namespace iotwins::tsdbext {
namespace {

using tsdb::Agg;
using tsdb::BucketAccumulator;
using tsdb::Labels;

// The group a series falls in: itself (twin, property, labels) or the asked fields.
Labels group_of(const tsdb::SeriesKey& k, const std::optional<std::vector<std::string>>& fields) {
  Labels g;
  if (!fields) {
    g = {{"twin", k.twin}, {"property", k.property}};
    g.insert(g.end(), k.labels.begin(), k.labels.end());
    return g;
  }
  for (const auto& f : *fields) {
    std::string v = f == "twin" ? k.twin : f == "property" ? k.property : "";
    if (f != "twin" && f != "property") {
      auto it = std::find_if(k.labels.begin(), k.labels.end(), [&](const auto& l) { return l.first == f; });
      if (it != k.labels.end()) v = it->second;
    }
    g.emplace_back(f, std::move(v));
  }
  return g;
}

}  // namespace

Result<bool> read_pages(const tsdb::SeriesKey& key, int64_t from, int64_t to, int64_t page_rows, const PageFetch& fetch,
                        const tsdb::RangeSink& sink) {
  while (from < to) {
    IOT_ASSIGN(auto page, fetch(from, to, page_rows));
    if (page.empty()) break;
    if (!sink(key, page)) return false;
    if (page.size() < static_cast<size_t>(page_rows)) break;
    from = page.back().ts + 1;
  }
  return true;
}

Status check_range(int64_t from, int64_t to) {
  if (from >= to) return make_error(Errc::invalid_argument, "read: from must be before to");
  return ok();
}

Status aggregate_raw(const tsdb::AggregateQuery& q, const std::vector<tsdb::SeriesKey>& series,
                     const SeriesReader& reader, const tsdb::AggregateSink& sink) {
  if (q.from >= q.to) return make_error(Errc::invalid_argument, "aggregate: from must be before to");
  if (q.step <= 0) return make_error(Errc::invalid_argument, "aggregate: step must be > 0");
  if (q.aggs.empty()) return make_error(Errc::invalid_argument, "aggregate: no aggregates asked for");
  const bool keep = std::any_of(q.aggs.begin(), q.aggs.end(),
                                [](Agg a) { return a == Agg::p50 || a == Agg::p95 || a == Agg::p99; });
  std::map<Labels, std::vector<size_t>> groups;  // series indexes
  for (size_t i = 0; i < series.size(); ++i) groups[group_of(series[i], q.group_by)].push_back(i);
  std::vector<double> values(q.aggs.size());
  bool stopped = false;
  auto emit = [&](const Labels& g, int64_t bucket, BucketAccumulator& acc) {
    for (size_t i = 0; i < q.aggs.size(); ++i) values[i] = acc.result(q.aggs[i]);
    stopped = !sink(tsdb::AggregateRow{g, bucket, values});
    return !stopped;
  };
  auto bucket_of = [&](int64_t ts) { return q.from + (ts - q.from) / q.step * q.step; };
  for (const auto& [group, members] : groups) {
    std::map<int64_t, BucketAccumulator> buckets;  // several series: every non-empty bucket
    BucketAccumulator current(keep);                // one series: the open bucket only
    int64_t current_bucket = 0;
    const bool streaming = members.size() == 1;
    for (size_t index : members) {
      IOT_TRY(reader(index, q.from, q.to, [&](const tsdb::SeriesKey&, std::span<const tsdb::Sample> run) {
        for (const auto& s : run) {
          int64_t b = bucket_of(s.ts);
          if (!streaming) {
            buckets.try_emplace(b, keep).first->second.add(s);
            continue;
          }
          if (b != current_bucket) {
            if (!current.empty() && !emit(group, current_bucket, current)) return false;
            current.reset();
            current_bucket = b;
          }
          current.add(s);
        }
        return true;
      }));
      if (stopped) return ok();
    }
    if (streaming && !current.empty() && !emit(group, current_bucket, current)) return ok();
    for (auto& [b, acc] : buckets) {
      if (!acc.empty() && !emit(group, b, acc)) return ok();
    }
  }
  return ok();
}

}  // namespace iotwins::tsdbext
