#include "tsdb/head.h"

#include <algorithm>

#include "tsdb/chunk.h"

namespace iotwins::tsdb {

void WindowHead::append(const Sample& s, uint64_t lsn) {
  min_lsn = std::min(min_lsn, lsn);
  if (has_data && s.ts <= last_ts) {
    late.push_back(s);
    return;
  }
  has_data = true;
  last_ts = s.ts;
  tail.push_back(s);
  if (tail.size() >= kHeadChunkSamples) {
    chunks.push_back({tail.back().ts, std::make_shared<const std::string>(encode_chunk(tail))});
    tail.clear();
  }
}

void sort_last_wins(std::vector<Sample>& s) {
  std::stable_sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
  size_t out = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i + 1 < s.size() && s[i + 1].ts == s[i].ts) continue;  // a later write follows
    s[out++] = s[i];
  }
  s.resize(out);
}

std::vector<Sample> overlay(const std::vector<Sample>& bottom, const std::vector<Sample>& top) {
  if (top.empty()) return bottom;
  if (bottom.empty()) return top;
  std::vector<Sample> out;
  out.reserve(bottom.size() + top.size());
  size_t i = 0, j = 0;
  while (i < bottom.size() || j < top.size()) {
    if (j == top.size() || (i < bottom.size() && bottom[i].ts < top[j].ts)) {
      out.push_back(bottom[i++]);
    } else {
      if (i < bottom.size() && bottom[i].ts == top[j].ts) ++i;
      out.push_back(top[j++]);
    }
  }
  return out;
}

Result<std::vector<Sample>> merge_window(std::vector<Sample> base, const std::vector<HeadChunk>& chunks,
                                         const std::vector<Sample>& tail, const std::vector<Sample>& late) {
  std::vector<Sample> head;
  head.reserve(chunks.size() * kHeadChunkSamples + tail.size());
  for (const auto& c : chunks) IOT_TRY(decode_chunk(*c.bytes, head));
  head.insert(head.end(), tail.begin(), tail.end());
  if (base.empty() && late.empty()) return head;  // the common case: nothing to overlay
  std::vector<Sample> merged = overlay(base, head);
  if (late.empty()) return merged;
  std::vector<Sample> l = late;
  sort_last_wins(l);
  return overlay(merged, l);
}

}  // namespace iotwins::tsdb
