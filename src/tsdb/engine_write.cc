// EmbeddedStore: the write path, sealing and retention.
#include <algorithm>
#include <bit>
#include <mutex>
#include <unordered_map>

#include "core/log.h"
#include "tsdb/chunk.h"
#include "tsdb/encoding.h"
#include "tsdb/engine.h"
#include "tsdb/rollup.h"

namespace iotwins::tsdb {
namespace {

constexpr int64_t kMaxAbsTs = int64_t{1} << 62;
// Sealed chunks are larger than head chunks: fewer headers, and queries decode in big runs.
constexpr size_t kSealChunkSamples = 16384;

}  // namespace

Status EmbeddedStore::write(std::span<const SeriesWrite> batch) {
  std::unique_lock lock(mu_);
  // Validate everything before changing anything.
  std::vector<SeriesId> ids(batch.size());
  std::vector<SeriesKey> new_keys;
  std::unordered_map<SeriesKey, SeriesId, SeriesKeyHash> pending;  // new keys of this batch
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& w = batch[i];
    auto it = ids_.find(w.key);
    if (it != ids_.end()) {
      ids[i] = it->second;
    } else {
      SeriesKey key = w.key;
      if (auto st = normalize(key); !st) {
        return std::unexpected(std::move(st.error()).context("batch entry " + std::to_string(i)));
      }
      it = ids_.find(key);
      if (it != ids_.end()) {
        ids[i] = it->second;
      } else {
        auto [pit, fresh] = pending.try_emplace(key, static_cast<SeriesId>(series_.size() + new_keys.size()));
        ids[i] = pit->second;
        if (fresh) new_keys.push_back(std::move(key));
      }
    }
    int64_t cut = ids[i] < series_.size() ? cutoff(series_[ids[i]]) : std::numeric_limits<int64_t>::min();
    if (ids[i] >= series_.size()) {
      const RetentionRule* r = retention_rule(new_keys[ids[i] - series_.size()]);
      if (r && r->raw_ns) cut = clock_.now_ns() - r->raw_ns;
    }
    for (size_t j = 0; j < w.samples.size(); ++j) {
      int64_t ts = w.samples[j].ts;
      if (ts < -kMaxAbsTs || ts > kMaxAbsTs || ts < cut) {
        return make_error(Errc::invalid_argument,
                          "batch entry " + std::to_string(i) + " (" + to_display(w.key) + ") sample " +
                              std::to_string(j) + ": timestamp " + std::to_string(ts) +
                              (ts < cut ? " is older than the series' retention" : " is outside +-2^62 ns"));
      }
    }
  }
  IOT_ASSIGN(uint64_t lsn, log_batch(batch, ids, new_keys));
  for (auto& key : new_keys) IOT_TRY(register_series(std::move(key)));
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& windows = series_[ids[i]].windows;
    WindowHead* head = nullptr;
    int64_t head_start = 0, head_end = 0;  // the current window, so most samples need no division
    int64_t newest = max_ts_;
    for (const auto& s : batch[i].samples) {
      if (head == nullptr || s.ts < head_start || s.ts >= head_end) {
        head_start = window_of(s.ts);
        head_end = head_start + opt_.window_ns;
        head = &windows[head_start];
      }
      head->append(s, lsn);
      newest = std::max(newest, s.ts);
    }
    max_ts_ = newest;
  }
  // Seal every window that ended more than the grace period before the newest sample.
  if (max_ts_ - opt_.seal_grace_ns >= std::numeric_limits<int64_t>::min() + opt_.window_ns) {
    int64_t complete = window_of(max_ts_ - opt_.seal_grace_ns) - opt_.window_ns;
    // Sealing an empty range still records it, so this runs once per window boundary.
    if (complete > sealed_window_) IOT_TRY(seal_through(complete));
  }
  return ok();
}

Result<std::vector<Sample>> EmbeddedStore::read_sealed(SeriesId id, int64_t window) const {
  std::vector<Sample> out;
  auto it = blocks_.find(window);
  if (it == blocks_.end()) return out;
  for (auto b = it->second.rbegin(); b != it->second.rend(); ++b) {
    auto entries = (*b)->find(id, 0);
    if (entries.empty()) continue;
    for (const auto& e : entries) IOT_TRY((*b)->decode(e, out));
    break;
  }
  return out;
}

Status EmbeddedStore::seal_through(int64_t last_window) {
  static auto& log = iotwins::log::get("tsdb");
  uint32_t round = next_round_++;
  std::map<int64_t, BlockWriter> writers;
  std::vector<std::map<int64_t, BlockWriter>> rollup_writers(opt_.rollup_ns.size());
  for (SeriesId id = 0; id < series_.size(); ++id) {
    auto& windows = series_[id].windows;
    for (auto it = windows.begin(); it != windows.end() && it->first <= last_window; ++it) {
      const WindowHead& h = it->second;
      std::vector<Sample> base;
      if (blocks_.contains(it->first)) {
        IOT_ASSIGN(base, read_sealed(id, it->first));
      }
      IOT_ASSIGN(std::vector<Sample> merged, merge_window(std::move(base), h.chunks, h.tail, h.late));
      auto [wit, fresh] = writers.try_emplace(it->first, BlockMeta{it->first, 0, round});
      for (size_t at = 0; at < merged.size(); at += kSealChunkSamples) {
        size_t n = std::min(kSealChunkSamples, merged.size() - at);
        wit->second.add(id, 0, encode_chunk(std::span(merged).subspan(at, n)));
      }
      // Rollups come from the window's final samples, so late data is always reflected.
      for (size_t level = 0; level < opt_.rollup_ns.size(); ++level) {
        int64_t res = opt_.rollup_ns[level];
        auto [rit, _] = rollup_writers[level].try_emplace(it->first, BlockMeta{it->first, res, round});
        add_rollup(rit->second, id, it->first, compute_rollup(merged, res));
      }
    }
  }
  std::vector<std::pair<BlockMap*, std::shared_ptr<BlockReader>>> opened;
  auto write_all = [&](std::map<int64_t, BlockWriter>& all, BlockMap& into, int64_t res) -> Status {
    for (auto& [w, writer] : all) {
      std::string path = join_path(opt_.dir, block_name(w, round, res));
      IOT_TRY(writer.write(fs_, path));
      IOT_ASSIGN(auto reader, BlockReader::open(fs_, path));
      opened.emplace_back(&into, std::move(reader));
    }
    return ok();
  };
  IOT_TRY(write_all(writers, blocks_, 0));
  for (size_t level = 0; level < opt_.rollup_ns.size(); ++level) {
    IOT_TRY(write_all(rollup_writers[level], rollups_[level], opt_.rollup_ns[level]));
  }
  IOT_TRY(fs_.sync_dir(opt_.dir));
  IOT_TRY(write_series_index());
  for (auto& [map, b] : opened) (*map)[b->meta().window_start].push_back(b);
  sealed_lsn_ = log_->committed_seq();
  sealed_window_ = std::max(sealed_window_, last_window);
  IOT_TRY(write_manifest());
  uint64_t keep_from = sealed_lsn_ + 1;
  for (auto& s : series_) {
    s.windows.erase(s.windows.begin(), s.windows.upper_bound(last_window));
    for (const auto& [w, h] : s.windows) keep_from = std::min(keep_from, h.min_lsn);
  }
  IOT_TRY(release_log(keep_from));
  log.debug("tsdb: sealed {} windows through {} in round {}", writers.size(), last_window, round);
  return retention_locked();
}

Status EmbeddedStore::flush() {
  std::unique_lock lock(mu_);
  int64_t last = std::numeric_limits<int64_t>::min();
  for (const auto& s : series_) {
    if (!s.windows.empty()) last = std::max(last, s.windows.rbegin()->first);
  }
  if (last == std::numeric_limits<int64_t>::min()) return ok();
  return seal_through(last);
}

Status EmbeddedStore::enforce_retention() {
  std::unique_lock lock(mu_);
  return retention_locked();
}

Status EmbeddedStore::retention_locked() {
  bool changed = false;
  std::vector<std::string> doomed;  // removed only after the manifest stops listing them
  IOT_TRY(expire_blocks(blocks_, -1, changed, doomed));
  for (size_t level = 0; level < rollups_.size(); ++level) {
    IOT_TRY(expire_blocks(rollups_[level], static_cast<int>(level), changed, doomed));
  }
  if (!changed) return ok();
  IOT_TRY(fs_.sync_dir(opt_.dir));
  IOT_TRY(write_manifest());
  for (const auto& path : doomed) IOT_TRY(fs_.remove(path));
  return fs_.sync_dir(opt_.dir);
}

// Deletes blocks of `map` (raw when level < 0) whose every series expired, rewrites those
// where only some did.
Status EmbeddedStore::expire_blocks(BlockMap& map, int level, bool& changed, std::vector<std::string>& doomed) {
  auto cut = [&](SeriesId id) {
    return level < 0 ? cutoff(series_[id]) : rollup_cutoff(series_[id], static_cast<size_t>(level));
  };
  for (auto wit = map.begin(); wit != map.end();) {
    int64_t window_end = wit->first + opt_.window_ns;
    auto& rounds = wit->second;
    for (auto bit = rounds.begin(); bit != rounds.end();) {
      const auto& b = *bit;
      bool any_expired = false, any_live = false;
      for (const auto& e : b->entries()) {
        (window_end <= cut(e.series) ? any_expired : any_live) = true;
      }
      if (!any_expired) {
        ++bit;
        continue;
      }
      changed = true;
      if (!any_live) {
        doomed.push_back(b->path());
        bit = rounds.erase(bit);
        continue;
      }
      BlockWriter writer(b->meta());
      for (const auto& e : b->entries()) {
        if (window_end <= cut(e.series)) continue;
        IOT_ASSIGN(std::string chunk, b->read_chunk(e));
        writer.add(e.series, e.column, chunk);
      }
      IOT_TRY(writer.write(fs_, b->path()));  // atomic replace; open readers keep the old file
      IOT_ASSIGN(*bit, BlockReader::open(fs_, b->path()));
      ++bit;
    }
    wit = rounds.empty() ? map.erase(wit) : std::next(wit);
  }
  return ok();
}

}  // namespace iotwins::tsdb
