#include "scheduler/quantity.h"

#include <charconv>
#include <cmath>
#include <string>

namespace iotwins::scheduler {
namespace {

constexpr double kMaxQuantity = 9.0e18;  // below INT64_MAX

Result<double> parse_number(std::string_view text, std::string_view whole) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < 0) {
    return make_error(Errc::invalid_argument, "bad quantity '" + std::string(whole) + "'");
  }
  return v;
}

Result<int64_t> to_whole(double v, std::string_view whole, const char* unit) {
  if (v > kMaxQuantity) return make_error(Errc::invalid_argument, "quantity '" + std::string(whole) + "' is too large");
  double r = std::round(v);
  if (std::fabs(v - r) > 1e-6 * std::max(1.0, std::fabs(v))) {
    return make_error(Errc::invalid_argument,
                      "quantity '" + std::string(whole) + "' is not a whole number of " + unit);
  }
  return static_cast<int64_t>(r);
}

}  // namespace

Result<int64_t> parse_cpu_millis(std::string_view text) {
  if (text.ends_with('m')) {
    IOT_ASSIGN(double v, parse_number(text.substr(0, text.size() - 1), text));
    return to_whole(v, text, "millicores");
  }
  IOT_ASSIGN(double v, parse_number(text, text));
  return to_whole(v * 1000, text, "millicores");
}

Result<int64_t> parse_bytes(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kSuffixes[] = {
      {"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60},
      {"K", 1e3},     {"M", 1e6},     {"G", 1e9},     {"T", 1e12},    {"P", 1e15},    {"E", 1e18},
  };
  for (auto [suffix, scale] : kSuffixes) {
    if (text.ends_with(suffix)) {
      IOT_ASSIGN(double v, parse_number(text.substr(0, text.size() - suffix.size()), text));
      return to_whole(v * scale, text, "bytes");
    }
  }
  IOT_ASSIGN(double v, parse_number(text, text));
  return to_whole(v, text, "bytes");
}

}  // namespace iotwins::scheduler
