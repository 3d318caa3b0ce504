#include "api/series_params.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

#include "dataplane/codec/telemetry.h"
#include "tsdb/series_key.h"

namespace iotwins::api::series {
namespace {

// Timestamps the store accepts: within +-2^62 ns of the epoch.
constexpr int64_t kMaxAbsTime = int64_t{1} << 62;

std::unexpected<Error> bad(std::string_view param, std::string_view value, std::string_view accepted) {
  return make_error(Errc::invalid_argument, "query parameter '" + std::string(param) + "': '" +
                                                std::string(value) + "' " + std::string(accepted));
}

bool mul_add(int64_t& acc, int64_t n, int64_t unit) {
  int64_t part = 0;
  return !__builtin_mul_overflow(n, unit, &part) && !__builtin_add_overflow(acc, part, &acc);
}

std::optional<int64_t> unit_ns(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  if (unit == "d") return 86'400'000'000'000;
  return std::nullopt;
}

// "1h30m" → ns; nullopt when malformed or overflowing.
std::optional<int64_t> duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  while (!text.empty()) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p == text.data() || n < 0) return std::nullopt;
    text.remove_prefix(static_cast<size_t>(p - text.data()));
    size_t len = 0;
    while (len < text.size() && std::isalpha(static_cast<unsigned char>(text[len]))) ++len;
    auto unit = unit_ns(text.substr(0, len));
    if (!unit || !mul_add(total, n, *unit)) return std::nullopt;
    text.remove_prefix(len);
  }
  return total;
}

constexpr std::string_view kTimeHelp =
    "is not a time (use RFC 3339 like 2026-11-24T01:00:00Z, now, now-15m, -1h, or epoch "
    "milliseconds; 1764000000s, …ms, …us, …ns give the unit)";
constexpr std::string_view kDurationHelp =
    "is not a duration (use an integer and a unit: ns, us, ms, s, m, h, d, e.g. 10s, 1m, 1h30m)";

Result<int64_t> time_param(const Request& r, std::string_view name, int64_t now, std::optional<int64_t> fallback) {
  const std::string* v = r.query_param(name);
  if (v == nullptr) return *fallback;
  auto t = parse_time(*v, now);
  if (!t) return bad(name, *v, kTimeHelp);
  if (*t <= -kMaxAbsTime || *t >= kMaxAbsTime) return bad(name, *v, "is outside the years 1823..2116");
  return *t;
}

// Globs and names: non-empty, at most kMaxNameBytes, no control characters.
Status check_text(std::string_view param, std::string_view v, bool allow_empty) {
  if (v.empty() && !allow_empty) return bad(param, v, "is empty; give a name or a glob (* and ? match)");
  if (v.size() > tsdb::kMaxNameBytes) {
    return bad(param, v.substr(0, 32), "… is longer than " + std::to_string(tsdb::kMaxNameBytes) + " bytes");
  }
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) return bad(param, "", "contains a control character (not allowed in names)");
  }
  return ok();
}

// Rejects parameters the route does not know (a typo would otherwise widen the query).
Status known_params(const Request& r, std::initializer_list<std::string_view> names) {
  for (const auto& [k, v] : r.query) {
    if (k.starts_with("label.")) continue;
    if (std::find(names.begin(), names.end(), k) != names.end()) continue;
    std::string list;
    for (auto n : names) list += std::string(n) + ", ";
    return make_error(Errc::invalid_argument,
                      "unknown query parameter '" + k + "' (accepted: " + list + "label.NAME=VALUE)");
  }
  return ok();
}

Result<tsdb::SeriesSelector> selector(const Request& r) {
  tsdb::SeriesSelector s;
  if (const std::string* t = r.query_param("twin")) s.twin = *t;
  if (const std::string* p = r.query_param("property")) s.property = *p;
  IOT_TRY(check_text("twin", s.twin, false));
  IOT_TRY(check_text("property", s.property, false));
  for (const auto& [k, v] : r.query) {
    if (!k.starts_with("label.")) continue;
    std::string name = k.substr(6);
    if (name.empty()) return bad(k, v, "has no label name: use label.NAME=VALUE");
    IOT_TRY(check_text(k, name, false));
    IOT_TRY(check_text(k, v, true));
    s.labels.emplace_back(std::move(name), v);
  }
  return s;
}

Result<uint64_t> count_param(const Request& r, std::string_view name, uint64_t max, uint64_t fallback) {
  const std::string* v = r.query_param(name);
  if (v == nullptr) return fallback;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n == 0 || n > max) {
    return bad(name, *v, "is not an integer from 1 to " + std::to_string(max));
  }
  return n;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    size_t c = s.find(',');
    out.push_back(s.substr(0, c));
    if (c == std::string_view::npos) return out;
    s.remove_prefix(c + 1);
  }
}

Status parse_aggs(const Request& r, QueryParams& q) {
  const std::string* v = r.query_param("agg");
  if (v == nullptr) return ok();
  for (auto name : split_commas(*v)) {
    auto a = tsdb::parse_agg(name);
    if (!a) {
      return bad("agg", name, "is not an aggregate (known: min, max, mean, sum, count, first, last, "
                              "stddev, p50, p95, p99; comma-separated)");
    }
    if (std::find(q.aggs.begin(), q.aggs.end(), *a) != q.aggs.end()) return bad("agg", name, "is given twice");
    q.aggs.push_back(*a);
  }
  return ok();
}

Status parse_group_by(const Request& r, QueryParams& q) {
  const std::string* v = r.query_param("group_by");
  if (v == nullptr) return ok();
  constexpr std::string_view kHelp =
      "is not a grouping (use twin, property or label:NAME, comma-separated, or all for one group)";
  std::vector<std::string> fields;
  if (*v != "all") {
    for (auto f : split_commas(*v)) {
      std::string field;
      if (f == "twin" || f == "property") {
        field = std::string(f);
      } else if (f.starts_with("label:") && f.size() > 6) {
        field = std::string(f.substr(6));
      } else {
        return bad("group_by", f, kHelp);
      }
      if (std::find(q.group_names.begin(), q.group_names.end(), f) != q.group_names.end()) {
        return bad("group_by", f, "is given twice");
      }
      q.group_names.emplace_back(f);
      fields.push_back(std::move(field));
    }
  }
  q.group_by = std::move(fields);
  return ok();
}

}  // namespace

Result<int64_t> parse_duration_ns(std::string_view text) {
  auto d = duration(text);
  if (!d) return make_error(Errc::invalid_argument, "'" + std::string(text) + "' " + std::string(kDurationHelp));
  return *d;
}

Result<int64_t> parse_time(std::string_view text, int64_t now_ns) {
  auto relative = [&](std::string_view rest) -> std::optional<int64_t> {
    if (rest.empty()) return now_ns;
    if (rest[0] != '-' && rest[0] != '+') return std::nullopt;
    auto d = duration(rest.substr(1));
    int64_t out = now_ns;
    if (!d || (rest[0] == '-' ? __builtin_sub_overflow(now_ns, *d, &out) : __builtin_add_overflow(now_ns, *d, &out))) {
      return std::nullopt;
    }
    return out;
  };
  std::optional<int64_t> t;
  if (text.starts_with("now")) {
    t = relative(text.substr(3));
  } else if (text.starts_with("-") || text.starts_with("+")) {
    t = relative(text);
  } else if (text.find_first_of("T t") != std::string_view::npos && text.find('-') != std::string_view::npos) {
    auto r = dataplane::parse_rfc3339(text);
    if (r) t = *r;
  } else if (!text.empty()) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && p != text.data()) {
      auto unit = p == text.data() + text.size() ? std::optional<int64_t>(1'000'000)
                                                 : unit_ns(std::string_view(p, text.data() + text.size() - p));
      int64_t out = 0;
      if (unit && *unit <= 1'000'000'000 && !__builtin_mul_overflow(n, *unit, &out)) t = out;
    }
  }
  if (!t) return make_error(Errc::invalid_argument, "'" + std::string(text) + "' " + std::string(kTimeHelp));
  return *t;
}

std::string format_time(int64_t ns) {
  int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // H. Hinnant's civil_from_days.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", static_cast<long long>(y),
                        static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(sod / 3600),
                        static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

Result<QueryParams> parse_query(const Request& r, int64_t now_ns) {
  IOT_TRY(known_params(r, {"twin", "property", "from", "to", "step", "agg", "group_by", "format", "limit"}));
  QueryParams q;
  IOT_ASSIGN(q.selector, selector(r));
  IOT_ASSIGN(q.to, time_param(r, "to", now_ns, now_ns));
  IOT_ASSIGN(q.from, time_param(r, "from", now_ns, q.to - kDefaultRangeNs));
  if (q.from >= q.to) {
    return make_error(Errc::invalid_argument, "query parameters 'from' (" + format_time(q.from) +
                                                  ") and 'to' (" + format_time(q.to) +
                                                  "): from must be before to");
  }
  IOT_TRY(parse_aggs(r, q));
  IOT_TRY(parse_group_by(r, q));
  const std::string* step = r.query_param("step");
  if (q.aggs.empty() && step) return bad("step", *step, "needs agg: buckets are made only for aggregates");
  if (q.aggs.empty() && q.group_by) {
    return bad("group_by", *r.query_param("group_by"), "needs agg: only aggregates are grouped");
  }
  if (!q.aggs.empty()) {
    q.step = q.to - q.from;  // one bucket over the whole range
    if (step) {
      auto d = duration(*step);
      if (!d) return bad("step", *step, kDurationHelp);
      if (*d <= 0) return bad("step", *step, "must be longer than 0");
      q.step = *d;
    }
    // Ceiling without overflow: (to - from) fits, as both lie within +-2^62.
    int64_t span = q.to - q.from;
    int64_t buckets = span / q.step + (span % q.step != 0);
    if (buckets > kMaxBuckets) {
      return bad("step", step ? *step : "", "gives " + std::to_string(buckets) + " buckets from " + format_time(q.from) +
                                               " to " + format_time(q.to) + "; at most " +
                                               std::to_string(kMaxBuckets) + ": use a larger step or a shorter range");
    }
  }
  if (const std::string* f = r.query_param("format")) {
    if (*f == "json") {
      q.format = Format::json;
    } else if (*f == "csv") {
      q.format = Format::csv;
    } else if (*f == "ndjson") {
      q.format = Format::ndjson;
    } else {
      return bad("format", *f, "is not a format (json, csv or ndjson)");
    }
  }
  IOT_ASSIGN(q.limit, count_param(r, "limit", std::numeric_limits<uint32_t>::max(), 0));
  return q;
}

std::string make_cursor(const tsdb::SeriesKey& key) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : tsdb::encode_key(key)) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

Result<ListParams> parse_list(const Request& r) {
  IOT_TRY(known_params(r, {"twin", "property", "limit", "cursor"}));
  ListParams p;
  IOT_ASSIGN(p.selector, selector(r));
  IOT_ASSIGN(p.limit, count_param(r, "limit", kMaxListLimit, kDefaultListLimit));
  if (const std::string* c = r.query_param("cursor")) {
    constexpr std::string_view kHelp = "is not a cursor of this API (pass next_cursor of the previous page unchanged)";
    if (c->empty() || c->size() % 2 != 0) return bad("cursor", c->substr(0, 32), kHelp);
    std::string bytes;
    for (size_t i = 0; i < c->size(); i += 2) {
      unsigned v = 0;
      auto [ptr, ec] = std::from_chars(c->data() + i, c->data() + i + 2, v, 16);
      if (ec != std::errc() || ptr != c->data() + i + 2) return bad("cursor", c->substr(0, 32), kHelp);
      bytes += static_cast<char>(v);
    }
    if (!tsdb::decode_key(bytes)) return bad("cursor", c->substr(0, 32), kHelp);
    p.after = std::move(bytes);
  }
  return p;
}

Result<tsdb::SeriesKey> parse_exact_key(const Request& r) {
  IOT_TRY(known_params(r, {"twin", "property"}));
  tsdb::SeriesKey key;
  for (const char* name : {"twin", "property"}) {
    const std::string* v = r.query_param(name);
    if (v == nullptr) {
      return make_error(Errc::invalid_argument, std::string("query parameter '") + name +
                                                    "' is required: the exact name (no globs)");
    }
    (std::string_view(name) == "twin" ? key.twin : key.property) = *v;
  }
  for (const auto& [k, v] : r.query) {
    if (k.starts_with("label.")) key.labels.emplace_back(k.substr(6), v);
  }
  if (auto st = tsdb::normalize(key); !st) {
    return make_error(Errc::invalid_argument, "query parameters: " + st.error().message());
  }
  return key;
}

}  // namespace iotwins::api::series
