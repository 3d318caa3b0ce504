#include <gtest/gtest.h>

#include "dataplane/codec/telemetry.h"

namespace iotwins::dataplane {
namespace {

constexpr int64_t kSec = 1'000'000'000;

TEST(Rfc3339, ParsesAndConvertsToUtcNanoseconds) {
  // 2024-05-01T12:30:00Z: 19844 days after the epoch (independently: date -d ... +%s).
  const int64_t base = 1'714'566'600 * kSec;
  EXPECT_EQ(*parse_rfc3339("2024-05-01T12:30:00Z"), base);
  EXPECT_EQ(*parse_rfc3339("2024-05-01t12:30:00z"), base);
  EXPECT_EQ(*parse_rfc3339("2024-05-01 12:30:00Z"), base);
  EXPECT_EQ(*parse_rfc3339("2024-05-01T14:30:00+02:00"), base);
  EXPECT_EQ(*parse_rfc3339("2024-05-01T07:00:00-05:30"), base);
  EXPECT_EQ(*parse_rfc3339("2024-05-01T12:30:00.25Z"), base + 250'000'000);
  EXPECT_EQ(*parse_rfc3339("2024-05-01T12:30:00.123456789Z"), base + 123'456'789);
  EXPECT_EQ(*parse_rfc3339("2024-05-01T12:30:00.1234567891Z"), base + 123'456'789);
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_rfc3339("1969-12-31T23:59:59.5Z"), -kSec / 2);
  EXPECT_EQ(*parse_rfc3339("2000-02-29T00:00:00Z"), 951'782'400 * kSec);
  // A leap second reads as the first second of the next minute.
  EXPECT_EQ(*parse_rfc3339("2016-12-31T23:59:60Z"), 1'483'228'800 * kSec);
}

TEST(Rfc3339, RejectsMalformedWithThePosition) {
  struct Case {
    const char* text;
    const char* expect;
  };
  for (const auto& c : std::vector<Case>{
           {"", "expected YYYY-"},
           {"2024-13-01T00:00:00Z", "month 13"},
           {"2023-02-29T00:00:00Z", "day 29"},
           {"2024-04-31T00:00:00Z", "day 31"},
           {"2024-05-01X00:00:00Z", "expected 'T'"},
           {"2024-05-01T24:00:00Z", "hour 24"},
           {"2024-05-01T12:60:00Z", "minute 60"},
           {"2024-05-01T12:00:61Z", "second 61"},
           {"2024-05-01T12:00:00", "expected 'Z'"},
           {"2024-05-01T12:00:00.Z", "fraction digits"},
           {"2024-05-01T12:00:00+0200", "offset HH:MM"},
           {"2024-05-01T12:00:00+24:00", "offset out of range"},
           {"2024-05-01T12:00:00Zjunk", "unexpected text"},
           {"9999-12-31T23:59:59Z", "representable range"},
       }) {
    auto r = parse_rfc3339(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos)
        << c.text << ": " << r.error().message();
  }
}

}  // namespace
}  // namespace iotwins::dataplane
