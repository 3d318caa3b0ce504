#include "analytics/units.h"
#include "ops_helpers.h"

namespace iotwins::analytics {
namespace {
using namespace testing_ops;

TEST(Units, ConvertsWithinADimension) {
  EXPECT_NEAR(conversion("C", "F")->apply(100), 212, 1e-9);
  EXPECT_NEAR(conversion("F", "K")->apply(32), 273.15, 1e-9);
  EXPECT_NEAR(conversion("bar", "psi")->apply(1), 14.503773773, 1e-6);
  EXPECT_NEAR(conversion("m3/h", "l/min")->apply(6), 100, 1e-9);
  EXPECT_NEAR(conversion("rpm", "Hz")->apply(3000), 50, 1e-9);
  auto bad = conversion("C", "bar");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "cannot convert temperature (C) to pressure (bar)");
  EXPECT_FALSE(conversion("furlong", "m").has_value());
}

TEST(UnitOperator, NamedAndLinear) {
  EXPECT_EQ(values(run(R"([{"type": "unit", "from": "kPa", "to": "bar"}])", {s("p", 1, 250)})),
            (std::vector<double>{2.5}));
  auto out = run(R"([{"type": "unit", "scale": 2, "offset": 1, "suffix": "_x"}])", {s("p", 1, 3)});
  EXPECT_EQ(out, (std::vector<Sample>{s("p", 1, 3), s("p_x", 1, 7)}));
  EXPECT_NE(error_of(R"([{"type": "unit", "from": "C", "to": "bar"}])").find("property 'to': cannot convert"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"type": "unit", "from": "C", "to": "F", "scale": 2}])").find("either from and to"),
            std::string::npos);
}

TEST(ExpressionOperator, CombinesTheLatestValuesPerTwin) {
  auto out = run(R"([{"type": "expression", "output": "power_kw", "expr": "Current * Voltage / 1000"}])",
                 {s("Current", 1, 2), s("Voltage", 2, 230), s("Voltage", 2, 230, "other"),
                  s("Current", 3, 4)});
  std::vector<Sample> derived;
  for (const auto& x : out) {
    if (x.property == "power_kw") derived.push_back(x);
  }
  // The other twin never has Current, so it yields nothing.
  EXPECT_EQ(derived, (std::vector<Sample>{s("power_kw", 2, 0.46), s("power_kw", 3, 0.92)}));
  EXPECT_EQ(out.size(), 6u);  // 4 inputs + 2 results
}

TEST(ExpressionOperator, NonFiniteResultsAreNotEmitted) {
  auto out = run(R"([{"type": "expression", "output": "r", "expr": "a / b"}])", {s("a", 1, 1), s("b", 1, 0)});
  EXPECT_EQ(out.size(), 2u);
}

TEST(ExpressionOperator, ConfigErrorsPointIntoTheExpression) {
  EXPECT_NE(error_of(R"([{"type": "expression", "output": "r", "expr": "a + * b"}])")
                .find("operator #1 'expression': property 'expr': expression: column 5"),
            std::string::npos)
      << error_of(R"([{"type": "expression", "output": "r", "expr": "a + * b"}])");
  EXPECT_NE(error_of(R"([{"type": "expression", "output": "r", "expr": "r + 1"}])").find("reads its own output"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"type": "expression", "output": "r", "expr": "1 + 1"}])").find("names no property"),
            std::string::npos);
}

TEST(Threshold, RaisesAndClearsWithHysteresis) {
  auto out = run(R"([{"type": "threshold", "high": 80, "clear": 75}])",
                 {s("t", 1, 79), s("t", 2, 81), s("t", 3, 85), s("t", 4, 78), s("t", 5, 74), s("t", 6, 76)});
  std::vector<Sample> alerts;
  for (const auto& x : out) {
    if (x.property == "t_alert") alerts.push_back(x);
  }
  // Rises at 81; 78 is inside the hysteresis band so the alert holds; clears at 74.
  EXPECT_EQ(alerts, (std::vector<Sample>{s("t_alert", 2, 1), s("t_alert", 5, 0)}));
}

TEST(Threshold, LowSide) {
  auto out = run(R"([{"type": "threshold", "low": 1, "clear": 2, "suffix": "_low"}])",
                 {s("p", 1, 0.5), s("p", 2, 1.5), s("p", 3, 2.5)});
  std::vector<Sample> alerts;
  for (const auto& x : out) {
    if (x.property == "p_low") alerts.push_back(x);
  }
  EXPECT_EQ(alerts, (std::vector<Sample>{s("p_low", 1, 1), s("p_low", 3, 0)}));
  EXPECT_NE(error_of(R"([{"type": "threshold", "high": 1, "clear": 2}])").find("must not exceed high"),
            std::string::npos);
}

}  // namespace
}  // namespace iotwins::analytics
