// EmbeddedStore: queries. A query takes a snapshot of what to read under the shared lock
// (block references and copies of the head windows), then decodes without holding it.
#include <algorithm>
#include <map>
#include <mutex>

#include "tsdb/engine.h"
#include "tsdb/engine_cursor.h"

namespace iotwins::tsdb {
namespace {

constexpr int64_t kEnd = (int64_t{1} << 62) + 1;

}  // namespace

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
