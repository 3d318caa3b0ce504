// EmbeddedStore::aggregate, and when it reads rollups instead of raw samples.
//
// A query uses rollup level R (the coarsest one that fits) when every asked aggregate is one
// of min, max, mean, sum, count, and from, to and step are all multiples of R's bucket width
// (so every rollup bucket lies inside exactly one query bucket). Then, per series and window:
//  - the series has unsealed samples in that window (recent or late data): raw samples;
//  - otherwise, a rollup block of level R holds the series for that window: its buckets
//    (also when the raw samples have expired: rollups may be kept longer);
//  - otherwise (windows sealed before the rollup was configured): raw samples.
// Rollup buckets older than the level's retention, and raw samples older than the raw
// retention, are invisible. Any other query reads raw samples only.
#include <algorithm>
#include <map>
#include <mutex>

#include "tsdb/aggregate.h"
#include "tsdb/engine.h"
#include "tsdb/engine_cursor.h"
#include "tsdb/rollup.h"

namespace iotwins::tsdb {
namespace {

Labels series_group(const SeriesKey& k) {
  Labels g{{"twin", k.twin}, {"property", k.property}};
  g.insert(g.end(), k.labels.begin(), k.labels.end());
  return g;
}

Labels field_group(const SeriesKey& k, const std::vector<std::string>& fields) {
  Labels g;
  for (const auto& f : fields) {
    std::string v;
    if (f == "twin") {
      v = k.twin;
    } else if (f == "property") {
      v = k.property;
    } else {
      for (const auto& [n, lv] : k.labels) {
        if (n == f) v = lv;
      }
    }
    g.emplace_back(f, std::move(v));
  }
  return g;
}

bool rollup_agg(Agg a) {
  return a == Agg::min || a == Agg::max || a == Agg::mean || a == Agg::sum || a == Agg::count;
}

}  // namespace

int EmbeddedStore::rollup_level_for(const AggregateQuery& q) const {
  if (!std::all_of(q.aggs.begin(), q.aggs.end(), rollup_agg)) return -1;
  for (int level = static_cast<int>(opt_.rollup_ns.size()) - 1; level >= 0; --level) {
    int64_t res = opt_.rollup_ns[static_cast<size_t>(level)];
    if (q.step % res == 0 && align_down(q.from, res) == q.from && align_down(q.to, res) == q.to) return level;
  }
  return -1;
}

std::vector<EmbeddedStore::RollupSource> EmbeddedStore::rollup_snapshot(SeriesId id, size_t level, int64_t from,
                                                                         int64_t to, std::vector<WindowSource>& raw) const {
  std::vector<RollupSource> out;
  const BlockMap& map = rollups_[level];
  for (auto wit = map.lower_bound(window_of(from)); wit != map.end() && wit->first < to; ++wit) {
    auto raw_it = std::find_if(raw.begin(), raw.end(), [&](const WindowSource& ws) { return ws.window == wit->first; });
    if (raw_it != raw.end() && raw_it->has_head) continue;
    for (auto b = wit->second.rbegin(); b != wit->second.rend(); ++b) {
      if ((*b)->find(id, kRollCount).empty()) continue;
      out.push_back({wit->first, *b});
      if (raw_it != raw.end()) raw.erase(raw_it);
      break;
    }
  }
  return out;
}

Status EmbeddedStore::aggregate(const AggregateQuery& q, const AggregateSink& sink) {
  if (q.from >= q.to) return make_error(Errc::invalid_argument, "aggregate: from must be before to");
  if (q.step <= 0) return make_error(Errc::invalid_argument, "aggregate: step must be > 0");
  if (q.aggs.empty()) return make_error(Errc::invalid_argument, "aggregate: no aggregates asked for");
  bool keep = std::any_of(q.aggs.begin(), q.aggs.end(),
                          [](Agg a) { return a == Agg::p50 || a == Agg::p95 || a == Agg::p99; });
  const int level = rollup_level_for(q);
  auto bucket_of = [&](int64_t ts) { return q.from + (ts - q.from) / q.step * q.step; };
  std::vector<double> values(q.aggs.size());
  auto emit = [&](const Labels& g, int64_t bucket, BucketAccumulator& acc) {
    for (size_t i = 0; i < q.aggs.size(); ++i) values[i] = acc.result(q.aggs[i]);
    return sink(AggregateRow{g, bucket, values});
  };
  // Groups in key order, so results are deterministic.
  std::map<Labels, std::vector<SeriesId>> groups;
  {
    std::shared_lock lock(mu_);
    for (SeriesId id : select(q.selector)) {
      const auto& k = series_[id].key;
      groups[q.group_by ? field_group(k, *q.group_by) : series_group(k)].push_back(id);
    }
  }
  for (const auto& [group, ids] : groups) {
    // One series: buckets complete in order and are emitted as they close (bounded memory).
    // Several: one accumulator per non-empty bucket of the group.
    std::map<int64_t, BucketAccumulator> buckets;
    BucketAccumulator current(keep);
    int64_t current_bucket = 0;
    const bool streaming = ids.size() == 1;
    // Routes one sample or rollup bucket at `ts` to its query bucket; false: the sink stopped.
    auto feed = [&](int64_t ts, auto&& add) {
      int64_t b = bucket_of(ts);
      if (!streaming) {
        add(buckets.try_emplace(b, keep).first->second);
        return true;
      }
      if (b != current_bucket) {
        if (!current.empty() && !emit(group, current_bucket, current)) return false;
        current.reset();
        current_bucket = b;
      }
      add(current);
      return true;
    };
    for (SeriesId id : ids) {
      std::vector<WindowSource> src;
      std::vector<RollupSource> rolled;
      int64_t from = 0, rollup_from = 0;
      {
        std::shared_lock lock(mu_);
        from = std::max(q.from, cutoff(series_[id]));
        src = snapshot(id, from, q.to);
        if (level >= 0) {
          rollup_from = std::max(q.from, rollup_cutoff(series_[id], static_cast<size_t>(level)));
          rolled = rollup_snapshot(id, static_cast<size_t>(level), rollup_from, q.to, src);
        }
      }
      // Both lists are in window order; walk them merged so buckets stay in time order.
      size_t si = 0, ri = 0;
      while (si < src.size() || ri < rolled.size()) {
        if (ri < rolled.size() && (si == src.size() || rolled[ri].window < src[si].window)) {
          IOT_ASSIGN(auto rb, read_rollup(*rolled[ri++].block, id));
          for (const RollupBucket& b : rb) {
            if (b.count == 0 || b.start < rollup_from || b.start >= q.to) continue;
            if (!feed(b.start, [&](BucketAccumulator& acc) { acc.add_partial(b.count, b.sum, b.min, b.max); })) return ok();
          }
          continue;
        }
        Cursor c({std::move(src[si++])}, from, q.to);
        while (true) {
          IOT_ASSIGN(auto run, c.next());
          if (run.empty()) break;
          for (const auto& s : run) {
            if (!feed(s.ts, [&](BucketAccumulator& acc) { acc.add(s); })) return ok();
          }
        }
      }
    }
    if (streaming && !current.empty() && !emit(group, current_bucket, current)) return ok();
    for (auto& [b, acc] : buckets) {
      if (!acc.empty() && !emit(group, b, acc)) return ok();
    }
  }
  return ok();
}

}  // namespace iotwins::tsdb
