#include "tsdbext/batch.h"

#include <algorithm>
#include <unordered_map>

namespace iotwins::tsdbext {
namespace {

constexpr int64_t kMaxAbsTs = int64_t{1} << 62;

// Length of the UTF-8 sequence starting at s[i], 0 when it is not valid there.
size_t utf8_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? c : c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d >> 6) != 0x2) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

Status check_text(std::string_view what, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_length(s, i);
    if (n == 0) return make_error(Errc::invalid_argument, std::string(what) + " is not valid UTF-8 at byte " + std::to_string(i));
    i += n;
  }
  return ok();
}

}  // namespace

Status check_utf8(const tsdb::SeriesKey& key) {
  IOT_TRY(check_text("twin", key.twin));
  IOT_TRY(check_text("property", key.property));
  for (const auto& [name, value] : key.labels) {
    IOT_TRY(check_text("label name '" + name + "'", name));
    IOT_TRY(check_text("value of label '" + name + "'", value));
  }
  return ok();
}

Result<std::vector<PreparedSeries>> prepare_batch(std::span<const tsdb::SeriesWrite> batch, const BackendRules& rules) {
  std::vector<PreparedSeries> out;
  std::unordered_map<tsdb::SeriesKey, size_t, tsdb::SeriesKeyHash> index;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& w = batch[i];
    auto where = [&] { return "batch entry " + std::to_string(i) + " (" + tsdb::to_display(w.key) + ")"; };
    tsdb::SeriesKey key = w.key;
    Status st = tsdb::normalize(key);
    if (st) st = check_utf8(key);
    if (st && rules.key) st = rules.key(key);
    if (!st) return std::unexpected(std::move(st.error()).context(where()));
    for (size_t j = 0; j < w.samples.size(); ++j) {
      const auto& s = w.samples[j];
      Status sst = ok();
      if (s.ts < -kMaxAbsTs || s.ts > kMaxAbsTs) {
        sst = make_error(Errc::invalid_argument, "timestamp " + std::to_string(s.ts) + " is outside +-2^62 ns");
      } else if (rules.sample) {
        sst = rules.sample(s);
      }
      if (!sst) return std::unexpected(std::move(sst.error()).context(where() + " sample " + std::to_string(j)));
    }
    auto [it, fresh] = index.try_emplace(key, out.size());
    if (fresh) out.push_back({std::move(key), {}});
    auto& samples = out[it->second].samples;
    samples.insert(samples.end(), w.samples.begin(), w.samples.end());
  }
  for (auto& ps : out) {
    // Stable, so among equal timestamps write order is kept and the last one is the winner.
    auto& v = ps.samples;
    std::stable_sort(v.begin(), v.end(), [](const tsdb::Sample& a, const tsdb::Sample& b) { return a.ts < b.ts; });
    size_t kept = 0;
    for (size_t k = 0; k < v.size(); ++k) {
      if (k + 1 < v.size() && v[k + 1].ts == v[k].ts) continue;
      v[kept++] = v[k];
    }
    v.resize(kept);
  }
  return out;
}

}  // namespace iotwins::tsdbext
