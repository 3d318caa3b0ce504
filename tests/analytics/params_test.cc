#include "analytics/params.h"

#include <gtest/gtest.h>

#include "analytics/operator.h"

namespace iotwins::analytics {
namespace {

TEST(Params, ParsesJsonScalarsAndLists) {
  auto p = Params::from_json(R"({"band": 0.5, "on": true, "name": "x", "props": ["a", "b"]})");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p->number("band"), 0.5);
  EXPECT_EQ(*p->boolean("on", false), true);
  EXPECT_EQ(*p->string("name"), "x");
  EXPECT_EQ(*p->strings("props"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*p->strings("name"), (std::vector<std::string>{"x"}));
}

TEST(Params, RefusesNestedObjectsAndMixedLists) {
  EXPECT_FALSE(Params::from_json(R"({"a": {"b": 1}})").has_value());
  EXPECT_FALSE(Params::from_json(R"({"a": [1, "x"]})").has_value());
  EXPECT_FALSE(Params::from_json("[1]").has_value());
  EXPECT_FALSE(Params::from_json("{oops").has_value());
}

TEST(Params, ErrorsNameWhereAndWhat) {
  Params p({{"band", std::string("wide")}}, "operator #2 'deadband'");
  auto r = p.number("band");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(),
            "operator #2 'deadband': property 'band': expected a number, got a string");
  auto known = p.check_known({"type", "properties"});
  ASSERT_FALSE(known.has_value());
  EXPECT_NE(known.error().message().find("property 'band': unknown property"), std::string::npos);
}

TEST(Chain, BuildErrorsNameOperatorAndProperty) {
  auto c = Chain::from_json(R"([{"type": "validity"}, {"type": "deadband", "band": -1}])");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("operator #2 'deadband': property 'band': must be within"),
            std::string::npos)
      << c.error().message();
  auto unknown = Chain::from_json(R"([{"type": "smoothie"}])");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("no factory named 'smoothie'"), std::string::npos);
  auto typo = Chain::from_json(R"([{"type": "ewma", "alhpa": 0.5}])");
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().message().find("'alhpa': unknown property"), std::string::npos);
  EXPECT_FALSE(Chain::from_json(R"([{"band": 1}])").has_value());  // no type
}

TEST(Chain, RegistryKnowsEveryBuiltIn) {
  for (const char* name : {"validity", "range", "deadband", "rate_limit", "resample", "moving_mean",
                           "moving_median", "ewma", "tumbling", "sliding", "unit", "expression",
                           "threshold"}) {
    EXPECT_TRUE(operator_registry().contains(name)) << name;
  }
}

TEST(Chain, OutputOfOneOperatorFeedsTheNext) {
  // range clamps to 100, then unit turns C into F: 150 C -> 100 C -> 212 F.
  auto c = Chain::from_json(
      R"([{"type": "range", "max": 100, "action": "clamp"}, {"type": "unit", "from": "C", "to": "F"}])");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  std::vector<Sample> out;
  c->process({"pump", "t", 1, 150}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].value, 212);
}

TEST(Chain, AdvanceReleasesWindowsThroughLaterOperators) {
  auto c = Chain::from_json(
      R"([{"type": "tumbling", "window_s": 10, "aggregates": ["max"]},
          {"type": "unit", "properties": ["t_max"], "scale": 2}])");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  std::vector<Sample> out;
  c->process({"pump", "t", 1'000'000'000, 3}, out);
  c->process({"pump", "t", 2'000'000'000, 5}, out);
  EXPECT_TRUE(out.empty());
  c->advance(10'000'000'000, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (Sample{"pump", "t_max", 10'000'000'000, 10}));
}

}  // namespace
}  // namespace iotwins::analytics
