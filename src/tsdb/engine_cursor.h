// EmbeddedStore::Cursor, shared by the query files: yields the samples of one series in
// [from, to) from a snapshot of window sources, one chunk or merged window at a time.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "tsdb/engine.h"

namespace iotwins::tsdb {

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

}  // namespace iotwins::tsdb
