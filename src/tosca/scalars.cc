#include "tosca/scalars.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace iotwins::tosca {

namespace {

struct UnitDef {
  std::string_view name;
  double factor;
};

constexpr std::array kSizeUnits = {
    UnitDef{"B", 1},          UnitDef{"kB", 1e3},        UnitDef{"KiB", 1024.0},
    UnitDef{"MB", 1e6},       UnitDef{"MiB", 1048576.0}, UnitDef{"GB", 1e9},
    UnitDef{"GiB", 1073741824.0}, UnitDef{"TB", 1e12},   UnitDef{"TiB", 1099511627776.0},
};
constexpr std::array kTimeUnits = {
    UnitDef{"d", 86400}, UnitDef{"h", 3600}, UnitDef{"m", 60},     UnitDef{"s", 1},
    UnitDef{"ms", 1e-3}, UnitDef{"us", 1e-6}, UnitDef{"ns", 1e-9},
};
constexpr std::array kFrequencyUnits = {
    UnitDef{"Hz", 1}, UnitDef{"kHz", 1e3}, UnitDef{"MHz", 1e6}, UnitDef{"GHz", 1e9},
};
constexpr std::array kBitrateUnits = {
    UnitDef{"bps", 1},          UnitDef{"Kbps", 1e3},           UnitDef{"Kibps", 1024.0},
    UnitDef{"Mbps", 1e6},       UnitDef{"Mibps", 1048576.0},    UnitDef{"Gbps", 1e9},
    UnitDef{"Gibps", 1073741824.0}, UnitDef{"Tbps", 1e12},      UnitDef{"Tibps", 1099511627776.0},
    UnitDef{"Bps", 8},          UnitDef{"KBps", 8e3},           UnitDef{"KiBps", 8 * 1024.0},
    UnitDef{"MBps", 8e6},       UnitDef{"MiBps", 8 * 1048576.0}, UnitDef{"GBps", 8e9},
    UnitDef{"GiBps", 8 * 1073741824.0}, UnitDef{"TBps", 8e12},  UnitDef{"TiBps", 8 * 1099511627776.0},
};

template <size_t N>
const UnitDef* find_unit(const std::array<UnitDef, N>& units, std::string_view u, bool case_sensitive) {
  for (const auto& d : units) {
    if (d.name.size() != u.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < u.size() && eq; ++i)
      eq = case_sensitive ? d.name[i] == u[i]
                          : std::tolower(static_cast<unsigned char>(d.name[i])) ==
                                std::tolower(static_cast<unsigned char>(u[i]));
    if (eq) return &d;
  }
  return nullptr;
}

template <size_t N>
std::string list_units(const std::array<UnitDef, N>& units) {
  std::string out;
  for (const auto& d : units) {
    if (!out.empty()) out += ", ";
    out += d.name;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool all_digits(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian), H. Hinnant's algorithm.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::optional<ScalarUnitKind> scalar_unit_kind(std::string_view type_name) {
  if (type_name == "scalar-unit.size") return ScalarUnitKind::size;
  if (type_name == "scalar-unit.time") return ScalarUnitKind::time;
  if (type_name == "scalar-unit.frequency") return ScalarUnitKind::frequency;
  if (type_name == "scalar-unit.bitrate") return ScalarUnitKind::bitrate;
  return std::nullopt;
}

std::string scalar_units_list(ScalarUnitKind kind) {
  switch (kind) {
    case ScalarUnitKind::size: return list_units(kSizeUnits);
    case ScalarUnitKind::time: return list_units(kTimeUnits);
    case ScalarUnitKind::frequency: return list_units(kFrequencyUnits);
    case ScalarUnitKind::bitrate: return list_units(kBitrateUnits);
  }
  return "";
}

std::optional<ScalarUnit> parse_scalar_unit(std::string_view text, ScalarUnitKind kind) {
  text = trim(text);
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
                             text[i] == 'e' || text[i] == 'E'))
    ++i;
  // "1e" followed by a unit starting with e is not a thing in any unit table; fine.
  std::string number_text(text.substr(0, i));
  std::string_view unit = trim(text.substr(i));
  if (number_text.empty() || unit.empty()) return std::nullopt;
  char* end = nullptr;
  double number = std::strtod(number_text.c_str(), &end);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const UnitDef* def = nullptr;
  switch (kind) {
    case ScalarUnitKind::size: def = find_unit(kSizeUnits, unit, false); break;
    case ScalarUnitKind::time: def = find_unit(kTimeUnits, unit, false); break;
    case ScalarUnitKind::frequency: def = find_unit(kFrequencyUnits, unit, false); break;
    case ScalarUnitKind::bitrate: def = find_unit(kBitrateUnits, unit, true); break;
  }
  if (def == nullptr) return std::nullopt;
  return ScalarUnit{number, std::string(unit), number * def->factor};
}

std::optional<double> parse_timestamp(std::string_view text) {
  text = trim(text);
  if (text.size() < 10) return std::nullopt;
  int64_t y = 0, mo = 0, d = 0;
  // Date: YYYY-M?M-D?D (YAML allows one-digit month/day in the long form).
  size_t p1 = text.find('-');
  if (p1 != 4 || !parse_int(text.substr(0, 4), y)) return std::nullopt;
  size_t p2 = text.find('-', p1 + 1);
  if (p2 == std::string_view::npos || !parse_int(text.substr(p1 + 1, p2 - p1 - 1), mo)) return std::nullopt;
  size_t p3 = p2 + 1;
  while (p3 < text.size() && std::isdigit(static_cast<unsigned char>(text[p3]))) ++p3;
  if (p3 - p2 - 1 < 1 || p3 - p2 - 1 > 2 || !parse_int(text.substr(p2 + 1, p3 - p2 - 1), d))
    return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1) return std::nullopt;
  if (d > kDays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0)) return std::nullopt;
  double seconds = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0;
  std::string_view rest = text.substr(p3);
  if (rest.empty()) return seconds;
  // Separator: T, t or spaces.
  if (rest[0] == 'T' || rest[0] == 't') rest.remove_prefix(1);
  else if (std::isspace(static_cast<unsigned char>(rest[0]))) rest = trim(rest);
  else return std::nullopt;
  // hh:mm:ss[.fraction]
  int64_t hh = 0, mm = 0, ss = 0;
  size_t c1 = rest.find(':');
  if (c1 == std::string_view::npos || c1 == 0 || c1 > 2 || !parse_int(rest.substr(0, c1), hh)) return std::nullopt;
  if (rest.size() < c1 + 6 || rest[c1 + 3] != ':') return std::nullopt;
  if (!all_digits(rest.substr(c1 + 1, 2), 2) || !all_digits(rest.substr(c1 + 4, 2), 2)) return std::nullopt;
  parse_int(rest.substr(c1 + 1, 2), mm);
  parse_int(rest.substr(c1 + 4, 2), ss);
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  seconds += static_cast<double>(hh * 3600 + mm * 60 + ss);
  rest.remove_prefix(c1 + 6);
  if (!rest.empty() && rest[0] == '.') {
    size_t k = 1;
    double scale = 0.1, frac = 0;
    while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) {
      frac += (rest[k] - '0') * scale;
      scale /= 10;
      ++k;
    }
    if (k == 1) return std::nullopt;
    seconds += frac;
    rest.remove_prefix(k);
  }
  rest = trim(rest);
  if (rest.empty() || rest == "Z" || rest == "z") return seconds;
  // Zone: [+-]h[h][:mm]
  if (rest[0] != '+' && rest[0] != '-') return std::nullopt;
  int sign = rest[0] == '-' ? -1 : 1;
  rest.remove_prefix(1);
  int64_t zh = 0, zm = 0;
  size_t colon = rest.find(':');
  std::string_view hpart = rest.substr(0, colon);
  if (hpart.empty() || hpart.size() > 2 || !parse_int(hpart, zh)) return std::nullopt;
  if (colon != std::string_view::npos && (!all_digits(rest.substr(colon + 1), 2) ||
                                          !parse_int(rest.substr(colon + 1), zm)))
    return std::nullopt;
  if (zh > 14 || zm > 59) return std::nullopt;
  return seconds - sign * static_cast<double>(zh * 3600 + zm * 60);
}

std::optional<Version> parse_version(std::string_view text) {
  text = trim(text);
  Version v;
  std::string_view parts[4];
  size_t n = 0, start = 0;
  // Split on the first three dots; the qualifier may not contain dots.
  while (n < 4) {
    size_t dot = n < 3 ? text.find('.', start) : std::string_view::npos;
    parts[n++] = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (n < 2) return std::nullopt;
  if (!parse_int(parts[0], v.major) || !parse_int(parts[1], v.minor) || v.major < 0 || v.minor < 0)
    return std::nullopt;
  if (n >= 3 && (!parse_int(parts[2], v.fix) || v.fix < 0)) return std::nullopt;
  if (n == 4) {
    std::string_view q = parts[3];
    size_t dash = q.find('-');
    v.qualifier = std::string(q.substr(0, dash));
    if (v.qualifier.empty()) return std::nullopt;
    for (char c : v.qualifier)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return std::nullopt;
    if (dash != std::string_view::npos && !parse_int(q.substr(dash + 1), v.build)) return std::nullopt;
  }
  return v;
}

int compare_versions(const Version& a, const Version& b) {
  auto cmp = [](auto x, auto y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (int c = cmp(a.major, b.major)) return c;
  if (int c = cmp(a.minor, b.minor)) return c;
  if (int c = cmp(a.fix, b.fix)) return c;
  if (int c = a.qualifier.compare(b.qualifier)) return c < 0 ? -1 : 1;
  return cmp(a.build, b.build);
}

std::optional<Range> parse_range(const Value& v, std::string* why) {
  auto fail = [&](std::string msg) -> std::optional<Range> {
    if (why != nullptr) *why = std::move(msg);
    return std::nullopt;
  };
  if (!v.is_list() || v.as_list().size() != 2) return fail("a range is a list of two bounds, [min, max]");
  const Value& lo = v.as_list()[0];
  const Value& hi = v.as_list()[1];
  if (!lo.is_int()) return fail("the lower bound " + lo.to_string() + " is not an integer");
  Range r{lo.as_int(), 0};
  if (hi.is_string() && hi.as_string() == "UNBOUNDED") {
    r.max = Range::kUnbounded;
  } else if (hi.is_int()) {
    r.max = hi.as_int();
  } else {
    return fail("the upper bound " + hi.to_string() + " is neither an integer nor UNBOUNDED");
  }
  if (r.min > r.max) return fail("the lower bound " + std::to_string(r.min) + " is above the upper bound");
  return r;
}

}  // namespace iotwins::tosca
