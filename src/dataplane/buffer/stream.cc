#include "dataplane/buffer/stream.h"

#include <cmath>
#include <cstring>

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

namespace {

// Compact entries, little-endian:
//   sample: kind 2 | u8 twin length | twin | u16 property length | property | i64 ts | f64 value
//   event:  kind 3 | u8 twin length | twin | u8 type length | type | i64 ts | u32 length | JSON
// Names are validated as between levels (records.h), sample values must be finite.
Status check_record(const Record& record) {
  const BatchLimits limits;
  if (const auto* s = std::get_if<Sample>(&record)) {
    IOT_TRY(validate_twin_id(s->twin));
    IOT_TRY(validate_property_name(s->property));
    if (!std::isfinite(s->value)) {
      return make_error(Errc::invalid_argument, "sample " + s->twin + "/" + s->property + " is not finite");
    }
    return ok();
  }
  const auto& e = std::get<Event>(record);
  IOT_TRY(validate_twin_id(e.twin));
  if (e.type.empty() || e.type.size() > std::min<size_t>(limits.max_event_type_bytes, 255)) {
    return make_error(Errc::invalid_argument, "event type of " + e.twin + " must be 1..128 bytes");
  }
  if (e.json.size() > limits.max_event_json_bytes) {
    return make_error(Errc::invalid_argument, "event " + e.type + " of " + e.twin + " exceeds " +
                                                  std::to_string(limits.max_event_json_bytes) + " bytes");
  }
  return ok();
}

template <typename T>
void put_le(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

std::string encode_checked_record(const Record& record) {
  std::string out;
  if (const auto* s = std::get_if<Sample>(&record)) {
    out.reserve(1 + 1 + s->twin.size() + 2 + s->property.size() + 16);
    out += static_cast<char>(EntryKind::sample);
    out += static_cast<char>(s->twin.size());
    out += s->twin;
    put_le<uint16_t>(out, static_cast<uint16_t>(s->property.size()));
    out += s->property;
    put_le<int64_t>(out, s->ts_ns);
    put_le<double>(out, s->value);
    return out;
  }
  const auto& e = std::get<Event>(record);
  out.reserve(1 + 1 + e.twin.size() + 1 + e.type.size() + 12 + e.json.size());
  out += static_cast<char>(EntryKind::event);
  out += static_cast<char>(e.twin.size());
  out += e.twin;
  out += static_cast<char>(e.type.size());
  out += e.type;
  put_le<int64_t>(out, e.ts_ns);
  put_le<uint32_t>(out, static_cast<uint32_t>(e.json.size()));
  out += e.json;
  return out;
}

}  // namespace

std::string encode_record_entry(const Record& record) {
  return check_record(record) ? encode_checked_record(record) : std::string();
}

namespace {

void put_origin(std::string& out, const OriginMark& mark) {
  put_varint(out, mark.source.size());
  out += mark.source;
  put_varint(out, mark.stream.size());
  out += mark.stream;
  put_varint(out, mark.last_seq);
}

Status get_origin(std::string_view bytes, size_t& pos, OriginMark& mark) {
  IOT_ASSIGN(mark.source, get_string(bytes, pos));
  IOT_ASSIGN(mark.stream, get_string(bytes, pos));
  IOT_ASSIGN(mark.last_seq, get_varint(bytes, pos));
  if (pos != bytes.size()) return make_error(Errc::corruption, "stream entry: trailing bytes");
  return ok();
}

}  // namespace

std::string encode_origin_entry(const OriginMark& mark) {
  std::string out(1, static_cast<char>(EntryKind::origin));
  put_origin(out, mark);
  return out;
}

std::string encode_marked_entry(std::string_view record_entry, const OriginMark& mark) {
  std::string out(1, static_cast<char>(EntryKind::marked));
  put_varint(out, record_entry.size());
  out += record_entry;
  put_origin(out, mark);
  return out;
}

Result<Entry> decode_entry(std::string_view bytes) {
  if (bytes.empty()) return make_error(Errc::corruption, "stream entry is empty");
  if (static_cast<EntryKind>(bytes[0]) == EntryKind::marked) {
    size_t pos = 1;
    IOT_ASSIGN(uint64_t len, get_varint(bytes, pos));
    if (len == 0 || len > bytes.size() - pos) return make_error(Errc::corruption, "stream entry: marked record cut short");
    std::string_view inner = bytes.substr(pos, len);
    if (static_cast<EntryKind>(inner[0]) == EntryKind::marked || static_cast<EntryKind>(inner[0]) == EntryKind::origin) {
      return make_error(Errc::corruption, "stream entry: a marked entry must hold a record");
    }
    IOT_ASSIGN(Entry e, decode_entry(inner));
    pos += len;
    IOT_TRY(get_origin(bytes, pos, e.origin));
    e.has_origin = true;
    return e;
  }
  Entry e;
  e.kind = static_cast<EntryKind>(bytes[0]);
  if (e.kind == EntryKind::sample || e.kind == EntryKind::event) {
    size_t pos = 1;
    auto take = [&](size_t n, std::string_view what) -> Result<std::string_view> {
      if (n > bytes.size() - pos) return make_error(Errc::corruption, "stream entry: " + std::string(what) + " cut short");
      std::string_view v = bytes.substr(pos, n);
      pos += n;
      return v;
    };
    auto u8 = [&](std::string_view what) -> Result<size_t> {
      IOT_ASSIGN(auto b, take(1, what));
      return static_cast<uint8_t>(b[0]);
    };
    auto fixed = [&]<typename T>(T& out, std::string_view what) -> Status {
      IOT_ASSIGN(auto b, take(sizeof(T), what));
      std::memcpy(&out, b.data(), sizeof(T));
      return ok();
    };
    IOT_ASSIGN(size_t twin_len, u8("twin length"));
    IOT_ASSIGN(auto twin, take(twin_len, "twin"));
    if (e.kind == EntryKind::sample) {
      uint16_t prop_len = 0;
      IOT_TRY(fixed(prop_len, "property length"));
      IOT_ASSIGN(auto prop, take(prop_len, "property"));
      Sample smp{std::string(twin), std::string(prop), 0, 0};
      IOT_TRY(fixed(smp.ts_ns, "timestamp"));
      IOT_TRY(fixed(smp.value, "value"));
      e.record = std::move(smp);
    } else {
      IOT_ASSIGN(size_t type_len, u8("type length"));
      IOT_ASSIGN(auto type, take(type_len, "type"));
      Event ev{std::string(twin), std::string(type), 0, {}};
      IOT_TRY(fixed(ev.ts_ns, "timestamp"));
      uint32_t json_len = 0;
      IOT_TRY(fixed(json_len, "JSON length"));
      IOT_ASSIGN(auto json, take(json_len, "JSON"));
      ev.json = std::string(json);
      e.record = std::move(ev);
    }
    if (pos != bytes.size()) return make_error(Errc::corruption, "stream entry: trailing bytes");
    e.kind = EntryKind::record;
    return e;
  }
  if (e.kind == EntryKind::record) {
    auto recs = detail::decode_payload(bytes.substr(1), 1, BatchLimits{});
    if (!recs) return make_error(Errc::corruption, "stream entry: " + recs.error().message());
    e.record = std::move((*recs)[0]);
    return e;
  }
  if (e.kind == EntryKind::origin) {
    size_t pos = 1;
    IOT_TRY(get_origin(bytes, pos, e.origin));
    e.has_origin = true;
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
    IOT_TRY(check_record(r));
    encoded.push_back(encode_checked_record(r));
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
