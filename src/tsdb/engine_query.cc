// EmbeddedStore: queries. A query takes a snapshot of what to read under the shared lock
// (block references and copies of the head windows), then decodes without holding it.
#include <algorithm>
#include <map>
#include <mutex>

#include "tsdb/aggregate.h"
#include "tsdb/engine.h"

namespace iotwins::tsdb {
namespace {

constexpr int64_t kEnd = (int64_t{1} << 62) + 1;

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

}  // namespace

// Yields the samples of one series in [from, to), in time order, one chunk or window at a time.
class EmbeddedStore::Cursor {
 public:
  Cursor(std::vector<WindowSource> src, int64_t from, int64_t to)
      : src_(std::move(src)), from_(from), to_(to) {}

  // The next non-empty run; an empty span at the end.
  Result<std::span<const Sample>> next() {
    while (wi_ < src_.size()) {
      WindowSource& ws = src_[wi_];
      buf_.clear();
      if (!ws.has_head) {
        if (ei_ == ws.entries.size()) {
          ++wi_;
          ei_ = 0;
          continue;
        }
        const BlockEntry& e = ws.entries[ei_++];
        if (e.last_ts < from_ || e.first_ts >= to_) continue;
        IOT_TRY(ws.block->decode(e, buf_));
      } else {
        std::vector<Sample> base;
        for (const auto& e : ws.entries) IOT_TRY(ws.block->decode(e, base));
        IOT_ASSIGN(buf_, merge_window(std::move(base), ws.chunks, ws.tail, ws.late));
        ++wi_;
      }
      auto lo = std::lower_bound(buf_.begin(), buf_.end(), from_, [](const Sample& s, int64_t t) { return s.ts < t; });
      auto hi = std::lower_bound(lo, buf_.end(), to_, [](const Sample& s, int64_t t) { return s.ts < t; });
      if (lo != hi) return std::span<const Sample>(&*lo, static_cast<size_t>(hi - lo));
    }
    return std::span<const Sample>();
  }

 private:
  std::vector<WindowSource> src_;
  int64_t from_, to_;
  size_t wi_ = 0, ei_ = 0;
  std::vector<Sample> buf_;
};

std::vector<EmbeddedStore::WindowSource> EmbeddedStore::snapshot(SeriesId id, int64_t from, int64_t to) const {
  std::vector<WindowSource> out;
  if (from >= to) return out;
  int64_t first = window_of(from);
  const auto& heads = series_[id].windows;
  auto bit = blocks_.lower_bound(first);
  auto hit = heads.lower_bound(first);
  while (true) {
    int64_t wb = bit != blocks_.end() && bit->first < to ? bit->first : kEnd;
    int64_t wh = hit != heads.end() && hit->first < to ? hit->first : kEnd;
    int64_t w = std::min(wb, wh);
    if (w == kEnd) break;
    WindowSource ws;
    ws.window = w;
    if (wb == w) {
      for (auto b = bit->second.rbegin(); b != bit->second.rend(); ++b) {
        auto entries = (*b)->find(id, 0);
        if (entries.empty()) continue;
        ws.block = *b;
        ws.entries.assign(entries.begin(), entries.end());
        break;
      }
      ++bit;
    }
    if (wh == w) {
      ws.has_head = true;
      ws.chunks = hit->second.chunks;
      ws.tail = hit->second.tail;
      ws.late = hit->second.late;
      ++hit;
    }
    if (ws.has_head || ws.block) out.push_back(std::move(ws));
  }
  return out;
}

Status EmbeddedStore::read(const RangeQuery& q, const RangeSink& sink) {
  if (q.from >= q.to) return make_error(Errc::invalid_argument, "read: from must be before to");
  std::vector<SeriesId> ids;
  {
    std::shared_lock lock(mu_);
    ids = select(q.selector);
  }
  for (SeriesId id : ids) {
    SeriesKey key;
    std::vector<WindowSource> src;
    int64_t from = 0;
    {
      std::shared_lock lock(mu_);
      key = series_[id].key;
      from = std::max(q.from, cutoff(series_[id]));
      src = snapshot(id, from, q.to);
    }
    Cursor c(std::move(src), from, q.to);
    while (true) {
      IOT_ASSIGN(auto run, c.next());
      if (run.empty()) break;
      if (!sink(key, run)) return ok();
    }
  }
  return ok();
}

Status EmbeddedStore::aggregate(const AggregateQuery& q, const AggregateSink& sink) {
  if (q.from >= q.to) return make_error(Errc::invalid_argument, "aggregate: from must be before to");
  if (q.step <= 0) return make_error(Errc::invalid_argument, "aggregate: step must be > 0");
  if (q.aggs.empty()) return make_error(Errc::invalid_argument, "aggregate: no aggregates asked for");
  bool keep = std::any_of(q.aggs.begin(), q.aggs.end(),
                          [](Agg a) { return a == Agg::p50 || a == Agg::p95 || a == Agg::p99; });
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
    bool streaming = ids.size() == 1;
    for (SeriesId id : ids) {
      std::vector<WindowSource> src;
      int64_t from = 0;
      {
        std::shared_lock lock(mu_);
        from = std::max(q.from, cutoff(series_[id]));
        src = snapshot(id, from, q.to);
      }
      Cursor c(std::move(src), from, q.to);
      while (true) {
        IOT_ASSIGN(auto run, c.next());
        if (run.empty()) break;
        for (const auto& s : run) {
          int64_t b = bucket_of(s.ts);
          if (!streaming) {
            buckets.try_emplace(b, keep).first->second.add(s);
            continue;
          }
          if (b != current_bucket) {
            if (!current.empty() && !emit(group, current_bucket, current)) return ok();
            current.reset();
            current_bucket = b;
          }
          current.add(s);
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

Result<std::optional<Sample>> EmbeddedStore::last(const SeriesKey& key_in) {
  SeriesKey key = key_in;
  IOT_TRY(normalize(key));
  std::vector<WindowSource> src;
  int64_t cut = 0;
  {
    std::shared_lock lock(mu_);
    auto it = ids_.find(key);
    if (it == ids_.end()) return make_error(Errc::not_found, "series " + to_display(key) + " does not exist");
    SeriesId id = it->second;
    cut = cutoff(series_[id]);
    int64_t newest = std::numeric_limits<int64_t>::min();
    if (!series_[id].windows.empty()) newest = series_[id].windows.rbegin()->first;
    for (auto b = blocks_.rbegin(); b != blocks_.rend() && b->first > newest; ++b) {
      bool has = std::any_of(b->second.begin(), b->second.end(), [&](const auto& r) { return !r->find(id, 0).empty(); });
      if (has) {
        newest = b->first;
        break;
      }
    }
    if (newest == std::numeric_limits<int64_t>::min()) return std::optional<Sample>();
    src = snapshot(id, std::max(newest, cut), newest + opt_.window_ns);
  }
  Cursor c(std::move(src), cut, kEnd);
  std::optional<Sample> out;
  while (true) {
    IOT_ASSIGN(auto run, c.next());
    if (run.empty()) break;
    out = run.back();
  }
  return out;
}

Result<std::vector<SeriesInfo>> EmbeddedStore::list_series(const SeriesSelector& selector) {
  std::vector<SeriesInfo> out;
  std::vector<SeriesId> ids;
  {
    std::shared_lock lock(mu_);
    ids = select(selector);
  }
  for (SeriesId id : ids) {
    SeriesInfo info;
    std::vector<WindowSource> src;
    int64_t cut = 0;
    {
      std::shared_lock lock(mu_);
      info.key = series_[id].key;
      cut = std::max(cutoff(series_[id]), -kEnd);
      src = snapshot(id, cut, kEnd);
    }
    for (auto& ws : src) {
      bool whole = !ws.has_head && std::all_of(ws.entries.begin(), ws.entries.end(),
                                               [&](const BlockEntry& e) { return e.first_ts >= cut; });
      if (whole) {
        for (const auto& e : ws.entries) {
          info.first_ts = info.count ? std::min(info.first_ts, e.first_ts) : e.first_ts;
          info.last_ts = info.count ? std::max(info.last_ts, e.last_ts) : e.last_ts;
          info.count += e.count;
        }
        continue;
      }
      Cursor c({std::move(ws)}, cut, kEnd);
      while (true) {
        IOT_ASSIGN(auto run, c.next());
        if (run.empty()) break;
        info.first_ts = info.count ? std::min(info.first_ts, run.front().ts) : run.front().ts;
        info.last_ts = info.count ? std::max(info.last_ts, run.back().ts) : run.back().ts;
        info.count += run.size();
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace iotwins::tsdb
