#include "dataplane/buffer/stream.h"

#include "core/log.h"
#include "dataplane/codec/batch_payload.h"
#include "wal/consumers.h"
#include "wal/format.h"

namespace iotwins::dataplane {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("dataplane");
  return log;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

Result<uint64_t> get_varint(std::string_view data, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && pos < data.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(data[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  return make_error(Errc::corruption, "stream entry: bad varint");
}

Result<std::string> get_string(std::string_view data, size_t& pos) {
  IOT_ASSIGN(uint64_t n, get_varint(data, pos));
  if (n > data.size() - pos) return make_error(Errc::corruption, "stream entry: string cut short");
  std::string s(data.substr(pos, n));
  pos += n;
  return s;
}

}  // namespace

Result<FullPolicy> parse_full_policy(std::string_view name) {
  if (name == "reject") return FullPolicy::reject;
  if (name == "drop_oldest" || name == "drop-oldest") return FullPolicy::drop_oldest;
  return make_error(Errc::invalid_argument,
                    "buffer policy '" + std::string(name) + "' is not one of: reject, drop_oldest");
}

std::string_view full_policy_name(FullPolicy policy) {
  return policy == FullPolicy::reject ? "reject" : "drop_oldest";
}

std::string encode_record_entry(const Record& record) {
  std::string out(1, static_cast<char>(EntryKind::record));
  // A one-record batch payload: the same validated encoding as between levels.
  if (auto st = detail::encode_payload({record}, BatchLimits{}, out); !st) return {};
  return out;
}

std::string encode_origin_entry(const OriginMark& mark) {
  std::string out(1, static_cast<char>(EntryKind::origin));
  put_varint(out, mark.source.size());
  out += mark.source;
  put_varint(out, mark.stream.size());
  out += mark.stream;
  put_varint(out, mark.last_seq);
  return out;
}

Result<Entry> decode_entry(std::string_view bytes) {
  if (bytes.empty()) return make_error(Errc::corruption, "stream entry is empty");
  Entry e;
  e.kind = static_cast<EntryKind>(bytes[0]);
  if (e.kind == EntryKind::record) {
    auto recs = detail::decode_payload(bytes.substr(1), 1, BatchLimits{});
    if (!recs) return make_error(Errc::corruption, "stream entry: " + recs.error().message());
    e.record = std::move((*recs)[0]);
    return e;
  }
  if (e.kind == EntryKind::origin) {
    size_t pos = 1;
    IOT_ASSIGN(e.origin.source, get_string(bytes, pos));
    IOT_ASSIGN(e.origin.stream, get_string(bytes, pos));
    IOT_ASSIGN(e.origin.last_seq, get_varint(bytes, pos));
    if (pos != bytes.size()) return make_error(Errc::corruption, "stream entry: trailing bytes");
    return e;
  }
  return make_error(Errc::corruption, "stream entry of unknown kind " + std::to_string(bytes[0]));
}

Result<std::unique_ptr<Stream>> Stream::open(FileSystem& fs, const std::string& dir,
                                             StreamOptions options, const Clock& clock) {
  if (auto st = wal::validate_consumer_name(options.name); !st) {
    return make_error(Errc::invalid_argument, "stream name '" + options.name +
                                                  "' must be 1..64 characters of [A-Za-z0-9._-]");
  }
  std::unique_ptr<Stream> s(new Stream(std::move(options), clock));
  wal::WalOptions wo;
  wo.fsync = s->options_.fsync;
  wo.max_segment_bytes = std::min<uint64_t>(s->options_.segment_bytes,
                                            std::max<uint64_t>(s->options_.max_bytes / 4, 1u << 16));
  wo.max_total_bytes = s->options_.max_bytes;
  wo.clock = &clock;
  IOT_ASSIGN(s->wal_, wal::Wal::open(fs, dir, wo));
  return s;
}

Result<uint64_t> Stream::append_records(std::span<const Record> records) {
  std::vector<std::string> encoded;
  encoded.reserve(records.size());
  for (const auto& r : records) {
    encoded.push_back(encode_record_entry(r));
    if (encoded.back().empty()) {
      // encode_payload refused it: say why with the same validation.
      std::string probe;
      auto st = detail::encode_payload({r}, BatchLimits{}, probe);
      return make_error(Errc::invalid_argument, st ? "record refused" : st.error().message());
    }
  }
  std::vector<std::string_view> views(encoded.begin(), encoded.end());
  return append(views);
}

Status Stream::make_room(uint64_t bytes) {
  auto stats = wal_->stats();
  if (stats.bytes + bytes <= options_.max_bytes) return ok();
  if (options_.policy == FullPolicy::reject) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return make_error(Errc::resource_exhausted,
                      "stream " + options_.name + " is full (" + std::to_string(stats.bytes) +
                          " of " + std::to_string(options_.max_bytes) +
                          " bytes buffered, policy reject): the sender must retry later");
  }
  uint64_t target = options_.max_bytes > bytes ? options_.max_bytes - bytes : 0;
  IOT_ASSIGN(auto report, wal_->drop_oldest_until(target));
  if (report.records_dropped > 0) {
    dropped_.fetch_add(report.records_dropped, std::memory_order_relaxed);
    logger().warn("stream {} full: dropped the {} oldest unforwarded records (policy drop_oldest)",
                  options_.name, report.records_dropped);
  }
  return ok();
}

Result<uint64_t> Stream::append(std::span<const std::string_view> entries) {
  if (entries.empty()) return wal_->committed_seq();
  uint64_t bytes = 0;
  for (auto e : entries) bytes += e.size() + wal::kFrameHeaderSize;
  std::lock_guard lock(append_mu_);
  if (options_.max_age.count() > 0) IOT_TRY(enforce_age());
  IOT_TRY(make_room(bytes));
  auto first = wal_->append_many(entries);
  if (!first && first.error().code() == Errc::resource_exhausted &&
      options_.policy == FullPolicy::drop_oldest) {
    IOT_ASSIGN(auto report, wal_->drop_oldest_until(0));
    dropped_.fetch_add(report.records_dropped, std::memory_order_relaxed);
    first = wal_->append_many(entries);
  }
  if (!first) {
    if (first.error().code() == Errc::resource_exhausted) rejected_.fetch_add(1);
    return std::unexpected(first.error());
  }
  appended_.fetch_add(entries.size(), std::memory_order_relaxed);
  return *first + entries.size() - 1;
}

Result<uint64_t> Stream::enforce_age() {
  if (options_.max_age.count() <= 0) return 0;
  uint64_t total = 0;
  for (int guard = 0; guard < 1024; ++guard) {
    auto st = wal_->stats();
    if (st.oldest_unacked_age_ns <= options_.max_age.count() || st.segments <= 1) break;
    // Dropping to one byte under the current size removes exactly the oldest segment.
    IOT_ASSIGN(auto report, wal_->drop_oldest_until(st.bytes - 1));
    if (report.segments_deleted == 0) break;
    total += report.records_dropped;
  }
  if (total > 0) {
    dropped_.fetch_add(total, std::memory_order_relaxed);
    logger().warn("stream {}: dropped {} records older than the age limit", options_.name, total);
  }
  return total;
}

StreamStats Stream::stats() {
  auto w = wal_->stats();
  StreamStats s;
  s.name = options_.name;
  s.first_seq = w.first_seq;
  s.last_seq = w.committed_seq;
  s.done_seq = wal_->consumer_offset(options_.consumer).value_or(w.first_seq - 1);
  s.backlog_records = w.committed_seq > s.done_seq ? w.committed_seq - s.done_seq : 0;
  s.bytes = w.bytes;
  s.max_bytes = options_.max_bytes;
  s.oldest_age_ns = w.oldest_unacked_age_ns;
  s.appended = appended_.load();
  s.rejected = rejected_.load();
  s.dropped = dropped_.load();
  s.failed = w.failed;
  return s;
}

}  // namespace iotwins::dataplane
