// RFC 3339 timestamps (the "date-time" production of section 5.6).
#include <cstdint>
#include <string>

#include "dataplane/codec/telemetry.h"

namespace iotwins::dataplane {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  // Reads exactly n digits.
  bool digits(size_t n, unsigned& out) {
    if (pos_ + n > s_.size()) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + static_cast<unsigned>(c - '0');
    }
    pos_ += n;
    return true;
  }
  bool take(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool take_any(std::string_view set) {
    if (pos_ < s_.size() && set.find(s_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool at_digit() const { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip() { ++pos_; }
  bool done() const { return pos_ == s_.size(); }
  size_t pos() const { return pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<int64_t> parse_rfc3339(std::string_view text) {
  auto bad = [&](size_t at, std::string why) {
    std::string shown(text.substr(0, 64));
    return make_error(Errc::invalid_argument, "timestamp \"" + shown +
                                                  "\" is not RFC 3339 (at character " +
                                                  std::to_string(at) + "): " + std::move(why));
  };
  Cursor c(text);
  unsigned year, month, day, hour, minute, second;
  if (!c.digits(4, year) || !c.take('-')) return bad(c.pos(), "expected YYYY-");
  if (!c.digits(2, month) || !c.take('-')) return bad(c.pos(), "expected MM-");
  if (!c.digits(2, day)) return bad(c.pos(), "expected DD");
  if (month < 1 || month > 12) return bad(5, "month " + std::to_string(month));
  if (day < 1 || day > days_in_month(year, month)) return bad(8, "day " + std::to_string(day));
  if (!c.take_any("Tt ")) return bad(c.pos(), "expected 'T' between date and time");
  if (!c.digits(2, hour) || !c.take(':')) return bad(c.pos(), "expected HH:");
  if (!c.digits(2, minute) || !c.take(':')) return bad(c.pos(), "expected MM:");
  if (!c.digits(2, second)) return bad(c.pos(), "expected SS");
  if (hour > 23) return bad(11, "hour " + std::to_string(hour));
  if (minute > 59) return bad(14, "minute " + std::to_string(minute));
  if (second > 60) return bad(17, "second " + std::to_string(second));
  int64_t frac_ns = 0;
  if (c.take('.')) {
    if (!c.at_digit()) return bad(c.pos(), "expected fraction digits after '.'");
    int64_t scale = 100'000'000;
    while (c.at_digit()) {
      frac_ns += (c.peek() - '0') * scale;
      scale /= 10;
      c.skip();
    }
  }
  int64_t offset_s = 0;
  if (!c.take_any("Zz")) {
    char sign = c.peek();
    if (sign != '+' && sign != '-') return bad(c.pos(), "expected 'Z' or a +HH:MM offset");
    c.skip();
    unsigned oh, om;
    if (!c.digits(2, oh) || !c.take(':') || !c.digits(2, om)) {
      return bad(c.pos(), "expected offset HH:MM");
    }
    if (oh > 23 || om > 59) return bad(c.pos() - 5, "offset out of range");
    offset_s = (sign == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
  }
  if (!c.done()) return bad(c.pos(), "unexpected text after the timestamp");
  // Years 0000..9999 fit easily in seconds; int64 nanoseconds cover 1677..2262.
  int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                    second - offset_s;
  constexpr int64_t kMaxSeconds = 9'223'372'035;
  if (seconds > kMaxSeconds || seconds < -kMaxSeconds) {
    return make_error(Errc::invalid_argument,
                      "timestamp \"" + std::string(text.substr(0, 64)) +
                          "\" is outside the representable range (1678..2262)");
  }
  return seconds * 1'000'000'000 + frac_ns;
}

}  // namespace iotwins::dataplane
