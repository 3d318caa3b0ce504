#include "tsdb/series_key.h"

#include <algorithm>
#include <functional>

#include "tsdb/encoding.h"

namespace iotwins::tsdb {
namespace {

Status check_name(std::string_view what, std::string_view name, bool allow_empty) {
  if (name.empty() && !allow_empty) return make_error(Errc::invalid_argument, std::string(what) + " is empty");
  if (name.size() > kMaxNameBytes) {
    return make_error(Errc::invalid_argument, std::string(what) + " is " + std::to_string(name.size()) +
                                                  " bytes, more than the limit of " +
                                                  std::to_string(kMaxNameBytes));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7F) {
      return make_error(Errc::invalid_argument, std::string(what) + " has control character 0x" +
                                                    std::to_string(c) + " at byte " + std::to_string(i));
    }
  }
  return ok();
}

}  // namespace

Status normalize(SeriesKey& key) {
  IOT_TRY(check_name("twin", key.twin, false));
  IOT_TRY(check_name("property", key.property, false));
  if (key.labels.size() > kMaxLabels) {
    return make_error(Errc::invalid_argument, std::to_string(key.labels.size()) +
                                                  " labels, more than the limit of " +
                                                  std::to_string(kMaxLabels));
  }
  for (const auto& [name, value] : key.labels) {
    IOT_TRY(check_name("label name '" + name + "'", name, false));
    IOT_TRY(check_name("value of label '" + name + "'", value, true));
  }
  std::sort(key.labels.begin(), key.labels.end());
  for (size_t i = 1; i < key.labels.size(); ++i) {
    if (key.labels[i].first == key.labels[i - 1].first) {
      return make_error(Errc::invalid_argument, "label '" + key.labels[i].first + "' is given twice");
    }
  }
  return ok();
}

std::string to_display(const SeriesKey& key) {
  std::string out = key.twin + "/" + key.property;
  if (!key.labels.empty()) {
    out += "{";
    for (size_t i = 0; i < key.labels.size(); ++i) {
      out += (i ? "," : "") + key.labels[i].first + "=" + key.labels[i].second;
    }
    out += "}";
  }
  return out;
}

std::string encode_key(const SeriesKey& key) {
  std::string out;
  put_string(out, key.twin);
  put_string(out, key.property);
  put_varint(out, key.labels.size());
  for (const auto& [n, v] : key.labels) {
    put_string(out, n);
    put_string(out, v);
  }
  return out;
}

Result<SeriesKey> decode_key(std::string_view bytes) {
  ByteReader r(bytes);
  SeriesKey key;
  uint64_t n = 0;
  if (!r.get_string(key.twin, kMaxNameBytes) || !r.get_string(key.property, kMaxNameBytes) ||
      !r.get_varint(n) || n > kMaxLabels) {
    return make_error(Errc::corruption, "series key is malformed");
  }
  key.labels.resize(n);
  for (auto& [name, value] : key.labels) {
    if (!r.get_string(name, kMaxNameBytes) || !r.get_string(value, kMaxNameBytes)) {
      return make_error(Errc::corruption, "series key label is malformed");
    }
  }
  if (!r.done()) return make_error(Errc::corruption, "series key has trailing bytes");
  if (auto st = normalize(key); !st) return make_error(Errc::corruption, "stored series key: " + st.error().message());
  return key;
}

size_t SeriesKeyHash::operator()(const SeriesKey& k) const {
  std::hash<std::string_view> h;
  size_t seed = h(k.twin) * 31 + h(k.property);
  for (const auto& [n, v] : k.labels) seed = (seed * 31 + h(n)) * 31 + h(v);
  return seed;
}

}  // namespace iotwins::tsdb
