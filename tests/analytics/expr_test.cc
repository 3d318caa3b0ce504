#include "analytics/expr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace iotwins::analytics {
namespace {

double eval(const std::string& text, std::vector<double> values = {}) {
  auto e = Expression::parse(text);
  EXPECT_TRUE(e.has_value()) << text << ": " << (e ? "" : e.error().message());
  return e ? e->evaluate(values) : std::nan("");
}

TEST(Expression, ArithmeticFollowsPrecedence) {
  EXPECT_DOUBLE_EQ(eval("1 + 2 * 3"), 7);
  EXPECT_DOUBLE_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_DOUBLE_EQ(eval("10 - 4 - 3"), 3);     // left-associative
  EXPECT_DOUBLE_EQ(eval("2 ^ 3 ^ 2"), 512);    // right-associative
  EXPECT_DOUBLE_EQ(eval("-2 ^ 2"), -4);        // unary minus binds looser than ^
  EXPECT_DOUBLE_EQ(eval("7 % 4"), 3);
  EXPECT_DOUBLE_EQ(eval("1.5e3 / 3"), 500);
}

TEST(Expression, ComparisonsAndLogic) {
  EXPECT_EQ(eval("3 > 2 and 2 >= 2"), 1);
  EXPECT_EQ(eval("3 < 2 or 1 == 0"), 0);
  EXPECT_EQ(eval("not 0"), 1);
  EXPECT_EQ(eval("!(1 != 1) && 1 <= 2 || 0"), 1);
  EXPECT_EQ(eval("not 1 + 1 > 1"), 0);  // not (2 > 1)
}

TEST(Expression, FunctionsAndVariables) {
  auto e = Expression::parse("max(abs(a - b), sqrt(c), 1) + min(log(exp(2)), 5)");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->variables(), (std::vector<std::string>{"a", "b", "c"}));
  // max(|1-7|, sqrt(16), 1) + min(2, 5) = 6 + 2
  EXPECT_DOUBLE_EQ(e->evaluate(std::vector<double>{1, 7, 16}), 8);
}

TEST(Expression, QuotedNamesAndRepeatedVariables) {
  auto e = Expression::parse("`Volume Flow` * x + x");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->variables(), (std::vector<std::string>{"Volume Flow", "x"}));
  EXPECT_DOUBLE_EQ(e->evaluate(std::vector<double>{3, 2}), 8);
}

TEST(Expression, WordOperatorsDoNotSwallowNames) {
  auto e = Expression::parse("order + notes + android");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->variables().size(), 3u);
}

TEST(Expression, ErrorsNameTheColumn) {
  auto expect_error = [](const std::string& text, const std::string& what) {
    auto e = Expression::parse(text);
    ASSERT_FALSE(e.has_value()) << text;
    EXPECT_NE(e.error().message().find(what), std::string::npos) << e.error().message();
  };
  expect_error("1 + ", "column 5: expected a value");
  expect_error("(1 + 2", "column 7: expected ')'");
  expect_error("foo(1)", "column 1: unknown function 'foo'");
  expect_error("sqrt(1, 2)", "sqrt takes 1 argument, got 2");
  expect_error("1 < 2 < 3", "comparisons do not chain");
  expect_error("2 $ 3", "column 3: unexpected '$'");
  expect_error("`open", "unterminated");
  expect_error("max(1)", "at least 2 arguments");
}

TEST(Expression, DepthAndLengthAreBounded) {
  std::string deep(200, '(');
  deep += "1" + std::string(200, ')');
  auto e = Expression::parse(deep);
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.error().message().find("nests too deeply"), std::string::npos);
  EXPECT_FALSE(Expression::parse(std::string(5000, '1')).has_value());
}

TEST(Expression, DivisionByZeroIsNotFinite) {
  EXPECT_FALSE(std::isfinite(eval("1 / 0")));
  EXPECT_TRUE(std::isnan(eval("log(-1)")));
}

TEST(Expression, RandomTextParsesOrFailsCleanly) {
  // Whatever parses must evaluate to one value from a balanced program.
  const std::string alphabet = "ab1.()+-*/^<>=!&|` ,notandmaxbsqrt%";
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1), len(0, 24);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (size_t n = len(rng); n > 0; --n) text += alphabet[pick(rng)];
    auto e = Expression::parse(text);
    if (!e) {
      EXPECT_EQ(e.error().message().rfind("expression: column ", 0), 0u) << text;
      continue;
    }
    ++parsed;
    std::vector<double> values(e->variables().size(), 1.0);
    (void)e->evaluate(values);
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace iotwins::analytics
