// EmbeddedStore: opening, recovery, and the small persisted state (manifest, series index).
#include <algorithm>
#include <cstdio>
#include <set>

#include "core/log.h"
#include "tsdb/crc32c.h"
#include "tsdb/encoding.h"
#include "tsdb/engine.h"

namespace iotwins::tsdb {
namespace {

constexpr std::string_view kManifest = "MANIFEST";
constexpr std::string_view kSeriesIndex = "series.idx";
constexpr std::string_view kSeriesMagic = "TSDBSER1";

auto& logger() {
  static auto& log = iotwins::log::get("tsdb");
  return log;
}

}  // namespace

bool SeriesSelector::matches(const SeriesKey& key) const {
  if (!glob_match(twin, key.twin) || !glob_match(property, key.property)) return false;
  for (const auto& [n, v] : labels) {
    auto it = std::find_if(key.labels.begin(), key.labels.end(), [&](const auto& l) { return l.first == n; });
    if (it == key.labels.end() || it->second != v) return false;
  }
  return true;
}

EmbeddedStore::EmbeddedStore(FileSystem& fs, StoreOptions options)
    : fs_(fs), opt_(std::move(options)),
      clock_(opt_.clock ? *opt_.clock : static_cast<const Clock&>(SystemClock::instance())) {}

Result<std::unique_ptr<EmbeddedStore>> EmbeddedStore::open(FileSystem& fs, StoreOptions options) {
  if (options.dir.empty()) return make_error(Errc::invalid_argument, "tsdb: dir is empty");
  if (options.window_ns <= 0 || options.seal_grace_ns < 0) {
    return make_error(Errc::invalid_argument, "tsdb: window_ns must be > 0 and seal_grace_ns >= 0");
  }
  for (size_t i = 0; i < options.rollup_ns.size(); ++i) {
    int64_t w = options.rollup_ns[i];
    if (w <= 0 || options.window_ns % w != 0 || options.window_ns / w > (int64_t{1} << 16) ||
        (i > 0 && w <= options.rollup_ns[i - 1])) {
      return make_error(Errc::invalid_argument,
                        "tsdb: rollup_ns[" + std::to_string(i) + "] = " + std::to_string(w) +
                            " must be > 0, larger than the previous one, divide window_ns and leave at most 65536 buckets per window");
    }
  }
  if (options.log_record_bytes < kMinLogRecordBytes || options.log_record_bytes > kMaxLogRecordBytes) {
    return make_error(Errc::invalid_argument, "tsdb: log_record_bytes = " + std::to_string(options.log_record_bytes) +
                                                  " must be within " + std::to_string(kMinLogRecordBytes) + ".." +
                                                  std::to_string(kMaxLogRecordBytes));
  }
  for (const auto& r : options.retention) {
    bool negative = r.raw_ns < 0 || std::any_of(r.rollup_ns.begin(), r.rollup_ns.end(), [](int64_t v) { return v < 0; });
    if (negative) return make_error(Errc::invalid_argument, "tsdb: retention for '" + r.twin + "/" + r.property + "' is negative");
    if (r.rollup_ns.size() > options.rollup_ns.size()) {
      return make_error(Errc::invalid_argument, "tsdb: retention for '" + r.twin + "/" + r.property + "' names " +
                                                    std::to_string(r.rollup_ns.size()) + " rollup ages but only " +
                                                    std::to_string(options.rollup_ns.size()) + " rollups are configured");
    }
  }
  std::unique_ptr<EmbeddedStore> s(new EmbeddedStore(fs, std::move(options)));
  if (auto st = s->load(); !st) return std::unexpected(std::move(st.error()).context("open tsdb " + s->opt_.dir));
  return s;
}

int64_t EmbeddedStore::window_of(int64_t ts) const {
  int64_t q = ts / opt_.window_ns;
  if (ts % opt_.window_ns < 0) --q;
  return q * opt_.window_ns;
}

int64_t EmbeddedStore::cutoff(const SeriesState& s) const {
  return s.raw_ns == 0 ? std::numeric_limits<int64_t>::min() : clock_.now_ns() - s.raw_ns;
}

int64_t EmbeddedStore::rollup_cutoff(const SeriesState& s, size_t level) const {
  int64_t keep = level < s.rollup_ns.size() ? s.rollup_ns[level] : 0;
  return keep == 0 ? std::numeric_limits<int64_t>::min() : clock_.now_ns() - keep;
}

std::string EmbeddedStore::block_name(int64_t window, uint32_t round, int64_t resolution) const {
  char name[80];
  if (resolution == 0) {
    std::snprintf(name, sizeof(name), "raw-%lld-%08u.blk", static_cast<long long>(window), round);
  } else {
    std::snprintf(name, sizeof(name), "rollup%lld-%lld-%08u.blk", static_cast<long long>(resolution),
                  static_cast<long long>(window), round);
  }
  return name;
}

Status EmbeddedStore::load() {
  IOT_TRY(fs_.create_dirs(opt_.dir));
  // Series index: every series sealed data refers to.
  std::string idx_path = join_path(opt_.dir, kSeriesIndex);
  IOT_ASSIGN(bool have_idx, fs_.exists(idx_path));
  if (have_idx) {
    IOT_ASSIGN(std::string data, fs_.read_file(idx_path));
    if (data.size() < kSeriesMagic.size() + 4 || data.substr(0, 8) != kSeriesMagic ||
        crc32c(std::string_view(data).substr(0, data.size() - 4)) != get_u32(data.data() + data.size() - 4)) {
      return make_error(Errc::corruption, idx_path + " fails its checksum");
    }
    ByteReader r(std::string_view(data).substr(8, data.size() - 12));
    uint64_t n = 0;
    if (!r.get_varint(n)) return make_error(Errc::corruption, idx_path + " is truncated");
    for (uint64_t i = 0; i < n; ++i) {
      std::string bytes;
      if (!r.get_string(bytes, 1 << 20)) return make_error(Errc::corruption, idx_path + ": series " + std::to_string(i) + " is truncated");
      IOT_ASSIGN(SeriesKey key, decode_key(bytes));
      IOT_TRY(register_series(std::move(key)));
    }
    series_in_index_ = series_.size();
  }
  // Manifest: sealed state and the blocks that exist.
  std::set<std::string> listed;
  std::string man_path = join_path(opt_.dir, kManifest);
  IOT_ASSIGN(bool have_man, fs_.exists(man_path));
  if (have_man) {
    IOT_ASSIGN(std::string text, fs_.read_file(man_path));
    size_t crc_at = text.rfind("crc ");
    if (crc_at == std::string::npos ||
        std::to_string(crc32c(std::string_view(text).substr(0, crc_at))) + "\n" != text.substr(crc_at + 4)) {
      return make_error(Errc::corruption, man_path + " fails its checksum");
    }
    long long sealed_window = 0;
    unsigned long long sealed_lsn = 0;
    unsigned next_round = 0;
    int has_window = 0;
    if (std::sscanf(text.c_str(), "tsdb-manifest 1\nsealed_lsn %llu\nhas_window %d\nsealed_window %lld\nnext_round %u\n",
                    &sealed_lsn, &has_window, &sealed_window, &next_round) != 4) {
      return make_error(Errc::corruption, man_path + " header is malformed");
    }
    sealed_lsn_ = sealed_lsn;
    sealed_window_ = has_window ? sealed_window : std::numeric_limits<int64_t>::min();
    next_round_ = next_round;
    size_t pos = 0;
    while ((pos = text.find("\nblock ", pos)) != std::string::npos && pos < crc_at) {
      size_t end = text.find('\n', pos + 1);
      listed.insert(text.substr(pos + 7, end - pos - 7));
      pos = end;
    }
  }
  IOT_ASSIGN(auto names, fs_.list(opt_.dir));
  for (const auto& name : names) {
    bool is_block = name.ends_with(".blk") || name.ends_with(".tmp");
    if (is_block && !listed.contains(name)) {
      logger().info("tsdb: removing {} left by an interrupted seal", name);
      IOT_TRY(fs_.remove(join_path(opt_.dir, name)));
    }
  }
  rollups_.resize(opt_.rollup_ns.size());
  std::vector<std::string> unconfigured;  // rollups of a resolution no longer asked for
  for (const auto& name : listed) {
    IOT_ASSIGN(auto block, BlockReader::open(fs_, join_path(opt_.dir, name)));
    for (const auto& e : block->entries()) {
      if (e.series >= series_.size()) return make_error(Errc::corruption, name + " refers to unknown series " + std::to_string(e.series));
    }
    BlockMap* map = &blocks_;
    if (int64_t res = block->meta().resolution; res != 0) {
      auto it = std::find(opt_.rollup_ns.begin(), opt_.rollup_ns.end(), res);
      if (it == opt_.rollup_ns.end()) {
        unconfigured.push_back(block->path());
        continue;
      }
      map = &rollups_[static_cast<size_t>(it - opt_.rollup_ns.begin())];
    }
    auto& rounds = (*map)[block->meta().window_start];
    rounds.push_back(std::move(block));
    std::sort(rounds.begin(), rounds.end(), [](const auto& a, const auto& b) { return a->meta().round < b->meta().round; });
  }
  if (!unconfigured.empty()) {
    logger().info("tsdb: removing {} rollup blocks of resolutions no longer configured", unconfigured.size());
    IOT_TRY(write_manifest());
    for (const auto& path : unconfigured) IOT_TRY(fs_.remove(path));
    IOT_TRY(fs_.sync_dir(opt_.dir));
  }
  IOT_TRY(open_log());
  return retention_locked();
}

const RetentionRule* EmbeddedStore::retention_rule(const SeriesKey& key) const {
  for (const auto& r : opt_.retention) {
    if (glob_match(r.twin, key.twin) && glob_match(r.property, key.property)) return &r;
  }
  return nullptr;
}

Result<SeriesId> EmbeddedStore::register_series(SeriesKey key) {
  auto id = static_cast<SeriesId>(series_.size());
  SeriesState st;
  st.key = key;
  if (const RetentionRule* r = retention_rule(key)) {
    st.raw_ns = r->raw_ns;
    st.rollup_ns = r->rollup_ns;
  }
  series_.push_back(std::move(st));
  ids_.emplace(std::move(key), id);
  return id;
}

Status EmbeddedStore::write_series_index() {
  if (series_in_index_ == series_.size()) return ok();
  std::string out(kSeriesMagic);
  put_varint(out, series_.size());
  for (const auto& s : series_) put_string(out, encode_key(s.key));
  put_u32(out, crc32c(out));
  IOT_TRY(fs_.write_file_atomic(join_path(opt_.dir, kSeriesIndex), out));
  series_in_index_ = series_.size();
  return ok();
}

Status EmbeddedStore::write_manifest() {
  bool has_window = sealed_window_ != std::numeric_limits<int64_t>::min();
  std::string text = "tsdb-manifest 1\nsealed_lsn " + std::to_string(sealed_lsn_) + "\nhas_window " +
                     (has_window ? "1" : "0") + "\nsealed_window " +
                     std::to_string(has_window ? sealed_window_ : 0) + "\nnext_round " +
                     std::to_string(next_round_) + "\n";
  auto list = [&](const BlockMap& map) {
    for (const auto& [w, rounds] : map) {
      for (const auto& b : rounds) text += "block " + b->path().substr(b->path().rfind('/') + 1) + "\n";
    }
  };
  list(blocks_);
  for (const auto& map : rollups_) list(map);
  text += "crc " + std::to_string(crc32c(text)) + "\n";
  return fs_.write_file_atomic(join_path(opt_.dir, kManifest), text);
}

std::vector<SeriesId> EmbeddedStore::select(const SeriesSelector& selector) const {
  std::vector<SeriesId> out;
  for (SeriesId id = 0; id < series_.size(); ++id) {
    if (selector.matches(series_[id].key)) out.push_back(id);
  }
  return out;
}

StoreStats EmbeddedStore::stats() const {
  std::shared_lock lock(mu_);
  StoreStats st;
  st.series = series_.size();
  for (const auto& [w, rounds] : blocks_) {
    for (const auto& b : rounds) {
      ++st.blocks;
      st.block_bytes += b->file_bytes();
    }
  }
  for (const auto& map : rollups_) {
    for (const auto& [w, rounds] : map) {
      for (const auto& b : rounds) {
        ++st.rollup_blocks;
        st.rollup_bytes += b->file_bytes();
      }
    }
  }
  for (const auto& s : series_) {
    for (const auto& [w, h] : s.windows) {
      st.head_samples += h.tail.size() + h.late.size() + h.chunks.size() * kHeadChunkSamples;
    }
  }
  return st;
}

}  // namespace iotwins::tsdb
