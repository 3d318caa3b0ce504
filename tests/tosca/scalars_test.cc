#include "tosca/scalars.h"

#include <gtest/gtest.h>

namespace iotwins::tosca {
namespace {

TEST(ScalarUnit, SizesInBytes) {
  auto v = parse_scalar_unit("2 GiB", ScalarUnitKind::size);
  ASSERT_TRUE(v);
  EXPECT_DOUBLE_EQ(v->base, 2.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parse_scalar_unit("10 kB", ScalarUnitKind::size)->base, 10000.0);
  EXPECT_DOUBLE_EQ(parse_scalar_unit("1.5MB", ScalarUnitKind::size)->base, 1500000.0);
  // Size units are case-insensitive (TOSCA 1.3, 3.3.6.4).
  EXPECT_DOUBLE_EQ(parse_scalar_unit("4 gib", ScalarUnitKind::size)->base, 4.0 * 1073741824.0);
}

TEST(ScalarUnit, TimeFrequencyBitrate) {
  EXPECT_DOUBLE_EQ(parse_scalar_unit("500 ms", ScalarUnitKind::time)->base, 0.5);
  EXPECT_DOUBLE_EQ(parse_scalar_unit("2 h", ScalarUnitKind::time)->base, 7200.0);
  EXPECT_DOUBLE_EQ(parse_scalar_unit("1 d", ScalarUnitKind::time)->base, 86400.0);
  EXPECT_DOUBLE_EQ(parse_scalar_unit("2.4 GHz", ScalarUnitKind::frequency)->base, 2.4e9);
  // Bitrate units are case-sensitive: bits (b) and bytes (B) differ by 8.
  EXPECT_DOUBLE_EQ(parse_scalar_unit("1 Mbps", ScalarUnitKind::bitrate)->base, 1e6);
  EXPECT_DOUBLE_EQ(parse_scalar_unit("1 MBps", ScalarUnitKind::bitrate)->base, 8e6);
  EXPECT_FALSE(parse_scalar_unit("1 mbps", ScalarUnitKind::bitrate));
}

TEST(ScalarUnit, RejectsBadText) {
  EXPECT_FALSE(parse_scalar_unit("12 parsecs", ScalarUnitKind::size));
  EXPECT_FALSE(parse_scalar_unit("GB", ScalarUnitKind::size));
  EXPECT_FALSE(parse_scalar_unit("12", ScalarUnitKind::size));
  EXPECT_FALSE(parse_scalar_unit("1 GHz", ScalarUnitKind::time));
}

TEST(Timestamp, Forms) {
  EXPECT_DOUBLE_EQ(*parse_timestamp("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_DOUBLE_EQ(*parse_timestamp("2024-02-29"), 1709164800.0);
  EXPECT_DOUBLE_EQ(*parse_timestamp("2024-03-01T10:00:00Z"), 1709287200.0);
  EXPECT_NEAR(*parse_timestamp("2001-12-14t21:59:43.10-05:00"), 1008385183.1, 1e-6);
  EXPECT_NEAR(*parse_timestamp("2001-12-14 21:59:43.10 -5"), 1008385183.1, 1e-6);
  EXPECT_NEAR(*parse_timestamp("2001-12-15T02:59:43.1Z"), 1008385183.1, 1e-6);
}

TEST(Timestamp, RejectsBadDates) {
  EXPECT_FALSE(parse_timestamp("2023-02-29"));  // not a leap year
  EXPECT_FALSE(parse_timestamp("2024-13-01"));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp("2024-03-01T25:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2024-03-01T10:00:00 nowhere"));
}

TEST(Version, ParseAndOrder) {
  auto v = parse_version("1.2.3.beta-4");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1);
  EXPECT_EQ(v->minor, 2);
  EXPECT_EQ(v->fix, 3);
  EXPECT_EQ(v->qualifier, "beta");
  EXPECT_EQ(v->build, 4);
  // Numeric, not textual: 1.10 is after 1.2.
  EXPECT_LT(compare_versions(*parse_version("1.2"), *parse_version("1.10")), 0);
  EXPECT_EQ(compare_versions(*parse_version("2.0"), *parse_version("2.0.0")), 0);
  EXPECT_FALSE(parse_version("2"));
  EXPECT_FALSE(parse_version("1.x"));
  EXPECT_FALSE(parse_version("1.2.3.be.ta"));
}

TEST(RangeParse, BoundsAndUnbounded) {
  Value r(Value::List{Value(int64_t{1}), Value("UNBOUNDED")});
  auto p = parse_range(r);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->min, 1);
  EXPECT_EQ(p->max, Range::kUnbounded);
  std::string why;
  EXPECT_FALSE(parse_range(Value(Value::List{Value(int64_t{5}), Value(int64_t{2})}), &why));
  EXPECT_NE(why.find("above"), std::string::npos);
  EXPECT_FALSE(parse_range(Value(Value::List{Value(int64_t{1})}), &why));
}

}  // namespace
}  // namespace iotwins::tosca
