#include "twin/query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iotwins::twin {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TwinDocument pump() {
  TwinDocument d;
  d.id = "pump-7";
  d.model = "Pump";
  d.level = Level::iot;
  d.parent = "line-2";
  d.attributes = {{"vendor", "Acme"}, {"tags", {"hot", "critical"}}, {"rated", {{"kw", 7.5}}}};
  d.desired = {{"speed", 1500}, {"mode", "auto"}};
  d.reported = {{"temperature", 81.5},
                {"speed", 1480},
                {"running", true},
                {"pump", {{"inlet", {{"pressure", 2}}}}},
                {"history", {10, 20, 30}},
                {"odd key", "yes"},
                {"note", nullptr}};
  d.delta = {{"speed", 1500}, {"mode", "auto"}};
  d.version = 12;
  d.updated_ms = 1'700'000'000'000;
  return d;
}

bool eval(std::string_view text, const UnderFn& under = {}) {
  auto q = Query::compile(text);
  EXPECT_TRUE(q.has_value()) << text << ": " << q.error().to_string();
  return q && q->matches(pump(), under);
}

std::string error_of(std::string_view text) {
  auto q = Query::compile(text);
  EXPECT_FALSE(q.has_value()) << text;
  return q ? std::string() : q.error().message();
}

TEST(Query, TheIssueExample) {
  auto under = [](std::string_view id, std::string_view anc) {
    return id == "pump-7" && (anc == "line-2" || anc == "site-1");
  };
  EXPECT_TRUE(eval(R"(model == "Pump" and reported.temperature > 80 and under("line-2"))", under));
  EXPECT_FALSE(eval(R"(model == "Pump" and reported.temperature > 90 and under("line-2"))", under));
  EXPECT_FALSE(eval(R"(model == "Pump" and under("line-3"))", under));
  EXPECT_FALSE(eval(R"(under("line-2"))"));  // no hierarchy given: under() is false
}

TEST(Query, EmptyQueryMatchesEverything) {
  EXPECT_TRUE(eval(""));
  EXPECT_TRUE(eval("   "));
}

TEST(Query, TopLevelFields) {
  EXPECT_TRUE(eval(R"(id == "pump-7")"));
  EXPECT_TRUE(eval(R"(level == "iot" and parent == "line-2")"));
  EXPECT_TRUE(eval("version >= 12 and version < 13"));
  EXPECT_TRUE(eval("updated == 1700000000000"));
  EXPECT_TRUE(eval(R"(state.reported.speed == 1480 and desired.mode == 'auto')"));
  EXPECT_TRUE(eval("delta.speed == 1500"));
}

TEST(Query, NumbersCompareAcrossIntegerAndFloat) {
  EXPECT_TRUE(eval("reported.speed == 1480.0"));
  EXPECT_TRUE(eval("reported.temperature > 81 and reported.temperature < 81.6"));
  EXPECT_TRUE(eval("reported.temperature >= 8.15e1 and reported.temperature <= 81.5"));
  EXPECT_TRUE(eval("reported.speed != -1"));
  EXPECT_TRUE(eval("attributes.rated.kw == 7.5"));
}

TEST(Query, StringsOrderBytewise) {
  EXPECT_TRUE(eval(R"(id > "pump-6" and id < "pump-8")"));
  EXPECT_TRUE(eval(R"(model >= "Pump" and model <= "Pump")"));
}

TEST(Query, MismatchedTypesNeverOrderAndNeverEqual) {
  EXPECT_FALSE(eval(R"(reported.temperature > "80")"));
  EXPECT_FALSE(eval(R"(reported.temperature < "80")"));
  EXPECT_FALSE(eval(R"(reported.speed == "1480")"));
  EXPECT_TRUE(eval(R"(reported.speed != "1480")"));
  EXPECT_FALSE(eval("reported.running == 1"));
}

TEST(Query, MissingFieldsActAsNull) {
  EXPECT_TRUE(eval("reported.nothing == null"));
  EXPECT_TRUE(eval("reported.note == null"));
  EXPECT_FALSE(eval("reported.nothing > 0"));
  EXPECT_FALSE(eval("reported.nothing < 0"));
  EXPECT_TRUE(eval("reported.nothing != 0"));
  EXPECT_FALSE(eval("reported.speed == null"));
  EXPECT_FALSE(eval("reported.speed.deeper == 1"));  // a path through a scalar is missing
}

TEST(Query, Exists) {
  EXPECT_TRUE(eval("exists(reported.temperature)"));
  EXPECT_TRUE(eval("exists(reported.pump.inlet)"));
  EXPECT_FALSE(eval("exists(reported.humidity)"));
  EXPECT_FALSE(eval("exists(reported.note)"));  // null counts as absent
  EXPECT_TRUE(eval("not exists(desired.temperature)"));
}

TEST(Query, InLists) {
  EXPECT_TRUE(eval(R"(model in ["Valve", "Pump"])"));
  EXPECT_FALSE(eval(R"(model in ["Valve"])"));
  EXPECT_FALSE(eval("model in []"));
  EXPECT_TRUE(eval(R"(model not in ["Valve", "Tank"])"));
  EXPECT_TRUE(eval("reported.speed in [1, 1480.0, null]"));
  EXPECT_TRUE(eval("reported.nothing in [1, null]"));
}

TEST(Query, Contains) {
  EXPECT_TRUE(eval(R"(attributes.vendor contains "cm")"));
  EXPECT_TRUE(eval(R"(attributes.tags contains "hot")"));
  EXPECT_FALSE(eval(R"(attributes.tags contains "cold")"));
  EXPECT_TRUE(eval(R"(attributes.tags not contains "cold")"));
  EXPECT_TRUE(eval("reported.history contains 20"));
  EXPECT_TRUE(eval(R"(reported.pump contains "inlet")"));  // an object contains its keys
  EXPECT_FALSE(eval("reported.speed contains 1"));
}

TEST(Query, PathSegments) {
  EXPECT_TRUE(eval("reported.pump.inlet.pressure == 2"));
  EXPECT_TRUE(eval("reported.history.1 == 20"));
  EXPECT_FALSE(eval("reported.history.3 == null and false"));
  EXPECT_TRUE(eval("reported.history.3 == null"));
  EXPECT_TRUE(eval(R"(reported."odd key" == "yes")"));
  EXPECT_TRUE(eval(R"(attributes.tags.0 == "hot")"));
}

TEST(Query, BareFieldsAreTrueOnlyWhenTrue) {
  EXPECT_TRUE(eval("reported.running"));
  EXPECT_FALSE(eval("not reported.running"));
  EXPECT_FALSE(eval("reported.speed"));
  EXPECT_FALSE(eval("reported.nothing"));
  EXPECT_TRUE(eval("true"));
  EXPECT_FALSE(eval("false"));
  EXPECT_TRUE(eval("reported.running == true"));
  EXPECT_TRUE(eval("true == reported.running"));
}

TEST(Query, PrecedenceIsOrAndNotComparison) {
  // and binds tighter than or: false and false or true == (false and false) or true.
  EXPECT_TRUE(eval("false and false or true"));
  EXPECT_FALSE(eval("false and (false or true)"));
  EXPECT_TRUE(eval("true or true and false"));
  // not binds tighter than and: not false and false == (not false) and false.
  EXPECT_FALSE(eval("not false and false"));
  EXPECT_TRUE(eval("not (false and false)"));
  EXPECT_TRUE(eval("not not true"));
  EXPECT_TRUE(eval("not reported.speed == 1"));  // comparison binds tighter than not
}

TEST(Query, StringEscapes) {
  TwinDocument d = pump();
  d.attributes["label"] = "a\"b\\c\né";
  auto q = Query::compile(R"(attributes.label == "a\"b\\c\n\u00e9")");
  ASSERT_TRUE(q.has_value()) << q.error().to_string();
  EXPECT_TRUE(q->matches(d));
  q = Query::compile(R"(attributes.label == 'a"b\\c\né')");
  ASSERT_TRUE(q.has_value());
  EXPECT_TRUE(q->matches(d));
}

TEST(Query, ErrorsSayWhatAndWhichColumn) {
  EXPECT_THAT(error_of(R"(model = "Pump")"), StartsWith("column 7: '=' is not an operator"));
  EXPECT_THAT(error_of("reported.temperature >"), StartsWith("column 23: expected a field"));
  EXPECT_THAT(error_of(R"(colour == "red")"), StartsWith("column 1: unknown field 'colour'"));
  EXPECT_THAT(error_of(R"(model == "Pump)"), StartsWith("column 10: string is not closed"));
  EXPECT_THAT(error_of("(version > 1"), StartsWith("column 13: expected ')'"));
  EXPECT_THAT(error_of("version > 1 version"), StartsWith("column 13: expected 'and', 'or'"));
  EXPECT_THAT(error_of("id.x == 1"), HasSubstr("'id' has no sub-fields"));
  EXPECT_THAT(error_of("5"), HasSubstr("a literal alone is not a condition"));
  EXPECT_THAT(error_of("reported. == 1"), StartsWith("column 10: expected a path segment"));
  EXPECT_THAT(error_of("version > 1.2.3"), StartsWith("column 14: malformed number"));
  EXPECT_THAT(error_of("model in [\"a\","), StartsWith("column 15: expected a string"));
  EXPECT_THAT(error_of("exists(5)"), HasSubstr("exists() takes a field"));
  EXPECT_THAT(error_of("under(line)"), HasSubstr("under() takes a twin id string"));
  EXPECT_THAT(error_of("! model"), StartsWith("column 1: '!' is not an operator"));
  EXPECT_THAT(error_of("model == \"\\q\""), HasSubstr("unknown escape"));
  EXPECT_THAT(error_of("model == \"\\ud800\""), HasSubstr("surrogate"));
  EXPECT_THAT(error_of("and"), HasSubstr("expected a field or a value, found 'and'"));
}

TEST(Query, InjectionStringsAreOnlyData) {
  // Everything inside quotes is a literal; nothing is interpreted.
  const char* hostile[] = {
      R"(id == "x\" or true or id == \"")", R"(id == "'; DROP TABLE twins; --")",
      R"(id == "\") or (true")",           R"(model == "Pump\u0000 or true")"};
  for (const char* text : hostile) {
    auto q = Query::compile(text);
    ASSERT_TRUE(q.has_value()) << text << ": " << q.error().to_string();
    EXPECT_FALSE(q->matches(pump())) << text;
  }
  // Unquoted hostile text fails to parse instead of doing anything.
  for (const char* text : {"id == x; DROP", "model == `x`", "id == $1", "reported.{a} == 1",
                           "id == \"a\" -- comment", "/* c */ true"}) {
    EXPECT_FALSE(Query::compile(text).has_value()) << text;
  }
}

TEST(Query, NestingAndSizeAreBounded) {
  std::string deep(kMaxQueryNesting + 5, '(');
  deep += "true";
  deep += std::string(kMaxQueryNesting + 5, ')');
  EXPECT_THAT(error_of(deep), HasSubstr("nested deeper than"));
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_THAT(error_of(nots + "true"), HasSubstr("nested deeper than"));
  std::string fine(kMaxQueryNesting - 1, '(');
  fine += "true" + std::string(kMaxQueryNesting - 1, ')');
  EXPECT_TRUE(eval(fine));
  auto big = Query::compile(std::string(kMaxQueryBytes + 1, ' '));
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code(), Errc::too_large);
}

TEST(Query, CompiledQueriesAreReusableAndCopyable) {
  auto q = Query::compile("reported.speed > 1000");
  ASSERT_TRUE(q.has_value());
  Query copy = *q;
  TwinDocument slow = pump();
  slow.reported["speed"] = 10;
  EXPECT_TRUE(copy.matches(pump()));
  EXPECT_FALSE(copy.matches(slow));
  EXPECT_EQ(copy.text(), "reported.speed > 1000");
}

}  // namespace
}  // namespace iotwins::twin
