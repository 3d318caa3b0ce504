#include "dataplane/codec/batch_payload.h"

#include <cmath>
#include <cstring>
#include <map>
#include <utility>

namespace iotwins::dataplane::detail {
namespace {

enum Tag : uint8_t { kSample = 0, kEvent = 1 };

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Difference modulo 2^64, as a signed value, so that prev + delta == ts for any int64s.
int64_t delta(int64_t ts, int64_t prev) {
  return static_cast<int64_t>(static_cast<uint64_t>(ts) - static_cast<uint64_t>(prev));
}
int64_t apply(int64_t prev, int64_t d) {
  return static_cast<int64_t>(static_cast<uint64_t>(prev) + static_cast<uint64_t>(d));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out += s;
}

int64_t ts_of(const Record& r) {
  return std::visit([](const auto& x) { return x.ts_ns; }, r);
}

// Bounds-checked reading; every error names the payload offset.
class In {
 public:
  explicit In(std::string_view data) : data_(data) {}

  Error error(std::string what) const {
    return Error(Errc::invalid_argument,
                 "batch payload at offset " + std::to_string(pos_) + ": " + std::move(what));
  }
  Result<uint64_t> varint(std::string_view what) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return std::unexpected(error(std::string(what) + " is cut short"));
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      if (shift == 63 && b > 1) return std::unexpected(error(std::string(what) + " overflows"));
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return std::unexpected(error(std::string(what) + " is longer than 10 bytes"));
  }
  Result<uint64_t> bounded(std::string_view what, uint64_t max) {
    IOT_ASSIGN(uint64_t v, varint(what));
    if (v > max) {
      return std::unexpected(error(std::string(what) + " " + std::to_string(v) +
                                   " exceeds its limit " + std::to_string(max)));
    }
    return v;
  }
  Result<std::string_view> bytes(std::string_view what, uint64_t max) {
    IOT_ASSIGN(uint64_t n, bounded(std::string(what) + " length", max));
    if (n > data_.size() - pos_) {
      return std::unexpected(error(std::string(what) + " of " + std::to_string(n) +
                                   " bytes runs past the end"));
    }
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  Result<double> f64(std::string_view what) {
    if (data_.size() - pos_ < 8) return std::unexpected(error(std::string(what) + " is cut short"));
    double v;
    std::memcpy(&v, data_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  Result<uint8_t> byte(std::string_view what) {
    if (pos_ >= data_.size()) return std::unexpected(error(std::string(what) + " is missing"));
    return static_cast<uint8_t>(data_[pos_++]);
  }
  size_t remaining() const { return data_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

Status encode_payload(const std::vector<Record>& records, const BatchLimits& limits,
                      std::string& out) {
  std::map<std::string_view, uint64_t> twins;
  std::map<std::pair<uint64_t, std::string_view>, uint64_t> series;
  std::vector<std::string_view> twin_list;
  std::vector<std::pair<uint64_t, std::string_view>> series_list;
  auto twin_index = [&](std::string_view twin) {
    auto [it, added] = twins.emplace(twin, twin_list.size());
    if (added) twin_list.push_back(twin);
    return it->second;
  };
  for (size_t i = 0; i < records.size(); ++i) {
    auto where = [&](Status st) {
      return std::unexpected(std::move(st.error()).context("record " + std::to_string(i)));
    };
    if (const auto* s = std::get_if<Sample>(&records[i])) {
      if (auto v = validate_twin_id(s->twin); !v) return where(v);
      if (auto v = validate_property_name(s->property); !v) return where(v);
      if (!std::isfinite(s->value)) {
        return where(make_error(Errc::invalid_argument, "sample value is not finite"));
      }
      auto key = std::make_pair(twin_index(s->twin), std::string_view(s->property));
      if (series.emplace(key, series_list.size()).second) series_list.push_back(key);
    } else {
      const auto& e = std::get<Event>(records[i]);
      if (auto v = validate_twin_id(e.twin); !v) return where(v);
      if (e.type.empty() || e.type.size() > limits.max_event_type_bytes) {
        return where(make_error(Errc::invalid_argument,
                                "event type must be 1.." +
                                    std::to_string(limits.max_event_type_bytes) + " bytes"));
      }
      if (e.json.size() > limits.max_event_json_bytes) {
        return where(make_error(Errc::too_large, "event JSON of " + std::to_string(e.json.size()) +
                                                     " bytes exceeds the limit " +
                                                     std::to_string(limits.max_event_json_bytes)));
      }
      twin_index(e.twin);
    }
  }
  put_varint(out, twin_list.size());
  for (auto t : twin_list) put_string(out, t);
  put_varint(out, series_list.size());
  for (const auto& [twin, property] : series_list) {
    put_varint(out, twin);
    put_string(out, property);
  }
  int64_t prev = records.empty() ? 0 : ts_of(records.front());
  put_varint(out, zigzag(prev));
  for (const auto& r : records) {
    if (const auto* s = std::get_if<Sample>(&r)) {
      out += static_cast<char>(kSample);
      put_varint(out, series[{twins[s->twin], s->property}]);
      put_varint(out, zigzag(delta(s->ts_ns, prev)));
      char b[8];
      std::memcpy(b, &s->value, 8);
      out.append(b, 8);
      prev = s->ts_ns;
    } else {
      const auto& e = std::get<Event>(r);
      out += static_cast<char>(kEvent);
      put_varint(out, twins[e.twin]);
      put_string(out, e.type);
      put_varint(out, zigzag(delta(e.ts_ns, prev)));
      put_string(out, e.json);
      prev = e.ts_ns;
    }
  }
  return ok();
}

Result<std::vector<Record>> decode_payload(std::string_view payload, uint32_t count,
                                           const BatchLimits& limits) {
  In in(payload);
  // Every dictionary entry takes at least two bytes, which bounds the counts by the input.
  IOT_ASSIGN(uint64_t n_twins, in.bounded("twin count", in.remaining() / 2));
  std::vector<std::string_view> twins;
  twins.reserve(n_twins);
  for (uint64_t i = 0; i < n_twins; ++i) {
    size_t at = in.pos();
    IOT_ASSIGN(std::string_view twin, in.bytes("twin id", kMaxTwinIdLength));
    if (auto v = validate_twin_id(twin); !v) {
      return make_error(Errc::invalid_argument, "batch payload at offset " + std::to_string(at) +
                                                    ": " + v.error().message());
    }
    twins.push_back(twin);
  }
  IOT_ASSIGN(uint64_t n_series, in.bounded("series count", in.remaining() / 3));
  std::vector<std::pair<uint64_t, std::string_view>> series;
  series.reserve(n_series);
  for (uint64_t i = 0; i < n_series; ++i) {
    IOT_ASSIGN(uint64_t twin, in.varint("series twin"));
    if (twin >= twins.size()) return std::unexpected(in.error("series twin index out of range"));
    size_t at = in.pos();
    IOT_ASSIGN(std::string_view property, in.bytes("property name", kMaxPropertyLength));
    if (auto v = validate_property_name(property); !v) {
      return make_error(Errc::invalid_argument, "batch payload at offset " + std::to_string(at) +
                                                    ": " + v.error().message());
    }
    series.emplace_back(twin, property);
  }
  IOT_ASSIGN(uint64_t base, in.varint("base time"));
  int64_t prev = unzigzag(base);
  std::vector<Record> records;
  // A record takes at least 4 bytes: never reserve more than the input can hold.
  records.reserve(std::min<size_t>(count, in.remaining() / 4));
  for (uint32_t i = 0; i < count; ++i) {
    IOT_ASSIGN(uint8_t tag, in.byte("record tag"));
    if (tag == kSample) {
      IOT_ASSIGN(uint64_t s, in.varint("sample series"));
      if (s >= series.size()) return std::unexpected(in.error("sample series index out of range"));
      IOT_ASSIGN(uint64_t d, in.varint("sample time"));
      IOT_ASSIGN(double v, in.f64("sample value"));
      if (!std::isfinite(v)) return std::unexpected(in.error("sample value is not finite"));
      prev = apply(prev, unzigzag(d));
      records.emplace_back(Sample{std::string(twins[series[s].first]),
                                  std::string(series[s].second), prev, v});
    } else if (tag == kEvent) {
      IOT_ASSIGN(uint64_t t, in.varint("event twin"));
      if (t >= twins.size()) return std::unexpected(in.error("event twin index out of range"));
      IOT_ASSIGN(std::string_view type, in.bytes("event type", limits.max_event_type_bytes));
      if (type.empty()) return std::unexpected(in.error("event type is empty"));
      IOT_ASSIGN(uint64_t d, in.varint("event time"));
      IOT_ASSIGN(std::string_view json, in.bytes("event JSON", limits.max_event_json_bytes));
      prev = apply(prev, unzigzag(d));
      records.emplace_back(Event{std::string(twins[t]), std::string(type), prev,
                                 std::string(json)});
    } else {
      return std::unexpected(in.error("unknown record tag " + std::to_string(tag) +
                                      " in record " + std::to_string(i)));
    }
  }
  if (in.remaining() != 0) {
    return std::unexpected(in.error(std::to_string(in.remaining()) +
                                    " bytes left after the last record"));
  }
  return records;
}

}  // namespace iotwins::dataplane::detail
