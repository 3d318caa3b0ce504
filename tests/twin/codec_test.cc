#include "twin/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iotwins::twin {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

TEST(TwinCodec, RoundTripsTheDocumentForm) {
  auto doc = *make_twin("pump-1", "Pump", Level::edge, "line-2", json{{"serial", "X1"}}, kT0);
  ASSERT_TRUE(apply_update(doc, {.desired = json{{"speed", 1500}},
                                 .reported = json{{"speed", 1200}, {"t", 81.5}}},
                           kT0 + 1'000'000));
  json out = to_json(doc);
  EXPECT_EQ(out["id"], "pump-1");
  EXPECT_EQ(out["level"], "edge");
  EXPECT_EQ(out["parent"], "line-2");
  EXPECT_EQ(out["state"]["delta"], (json{{"speed", 1500}}));
  EXPECT_EQ(out["metadata"]["reported"]["t"]["timestamp"], kT0 / 1'000'000 + 1);
  EXPECT_EQ(out["version"], 2);
  auto back = twin_from_json(out);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(to_json(*back), out);
}

TEST(TwinCodec, GroupDefaultsRoundTripsAndIsValidated) {
  auto plain = twin_from_json(json{{"id", "p-1"}});
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->group, "default");  // documents stored before groups existed
  EXPECT_EQ(to_json(*plain)["group"], "default");
  auto grouped = twin_from_json(json{{"id", "p-2"}, {"group", "plant-a"}});
  ASSERT_TRUE(grouped.has_value()) << grouped.error().to_string();
  EXPECT_EQ(to_json(*grouped)["group"], "plant-a");
  for (const json& bad : {json("../x"), json("a b"), json(std::string(65, 'g')), json(7)}) {
    auto r = twin_from_json(json{{"id", "p-3"}, {"group", bad}});
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_THAT(r.error().message(), HasSubstr("group")) << bad;
  }
}

TEST(TwinCodec, DeltaIsRecomputedNotTrusted) {
  json in = {{"id", "m-1"},
             {"state", {{"desired", {{"a", 1}}}, {"reported", {{"a", 1}}}, {"delta", {{"a", 9}}}}}};
  auto doc = twin_from_json(in);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->delta, json::object());
  EXPECT_EQ(doc->version, 1);
  EXPECT_EQ(doc->level, Level::unset);
  EXPECT_EQ(to_json(*doc)["level"], nullptr);
}

TEST(TwinCodec, ErrorsNameTheField) {
  auto err = [](const json& in) {
    auto r = twin_from_json(in);
    EXPECT_FALSE(r.has_value());
    return r ? std::string() : r.error().message();
  };
  EXPECT_THAT(err(json{{"model", "Pump"}}), HasSubstr("id: missing"));
  EXPECT_THAT(err(json{{"id", "bad/id"}}), HasSubstr("character 4"));
  EXPECT_THAT(err(json{{"id", "a"}, {"level", "fog"}}), HasSubstr("level: level 'fog'"));
  EXPECT_THAT(err(json{{"id", "a"}, {"colour", 1}}), HasSubstr("colour: unknown field"));
  EXPECT_THAT(err(json{{"id", "a"}, {"version", -1}}), HasSubstr("version: must be"));
  EXPECT_THAT(err(json{{"id", "a"}, {"state", {{"desired", 3}}}}),
              HasSubstr("state.desired: must be an object"));
  EXPECT_THAT(err(json{{"id", "a"}, {"attributes", {{"x", {{"y.z", 1}}}}}}),
              HasSubstr("attributes.x.y.z: key contains '.'"));
  EXPECT_THAT(err(json{{"id", "a"}, {"parent", "a"}}), HasSubstr("its own parent"));
}

TEST(TwinCodec, ParsesUpdateRequests) {
  auto u = parse_update(json::parse(
      R"({"state":{"desired":{"speed":1500},"reported":null},"version":4,"clientToken":"c"})"));
  ASSERT_TRUE(u.has_value()) << u.error().to_string();
  EXPECT_EQ(*u->desired, (json{{"speed", 1500}}));
  EXPECT_TRUE(u->reported->is_null());
  EXPECT_EQ(u->expected_version, 4);

  auto err = [](std::string_view text) {
    auto r = parse_update(json::parse(text));
    EXPECT_FALSE(r.has_value()) << text;
    return r ? std::string() : r.error().message();
  };
  EXPECT_THAT(err(R"({"desired":{}})"), HasSubstr("desired: unknown field"));
  EXPECT_THAT(err(R"({"state":{}})"), HasSubstr("neither desired nor reported"));
  EXPECT_THAT(err(R"({"state":{"delta":{}}})"), HasSubstr("state.delta: unknown field"));
  EXPECT_THAT(err(R"({"state":{"desired":[1]}})"), HasSubstr("state.desired: must be an object"));
  EXPECT_THAT(err(R"({"state":{"desired":{}},"version":"3"})"), HasSubstr("version: must be"));
  EXPECT_THAT(err(R"([1,2])"), HasSubstr("update: must be an object"));
}

TEST(TwinCodec, TextParserRefusesDeepSyntaxAndLargeInput) {
  Limits limits;
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += '[';
  auto r = parse_json_text(deep, limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::too_large);
  EXPECT_THAT(r.error().message(), HasSubstr("deeper than 12"));

  // Exactly max_depth + 4 levels of containers are accepted.
  std::string ok_text;
  for (int i = 0; i < 12; ++i) ok_text += '[';
  for (int i = 0; i < 12; ++i) ok_text += ']';
  EXPECT_TRUE(parse_json_text(ok_text, limits).has_value());
  EXPECT_FALSE(parse_json_text("[" + ok_text + "]", limits).has_value());

  r = parse_json_text(R"({"a": 1.5e309})", limits);  // beyond double range: an error, no throw
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);

  r = parse_json_text(R"({"a": tru})", limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  EXPECT_THAT(r.error().message(), HasSubstr("syntax error at byte"));

  limits.max_text_bytes = 8;
  r = parse_json_text(R"({"a":123456})", limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::too_large);
}

TEST(TwinCodec, ValidatesTwinIds) {
  EXPECT_TRUE(validate_twin_id("site-1.line_2:m3"));
  EXPECT_FALSE(validate_twin_id(""));
  EXPECT_FALSE(validate_twin_id("-lead"));
  EXPECT_FALSE(validate_twin_id("a+b"));
  EXPECT_FALSE(validate_twin_id("a#"));
  EXPECT_FALSE(validate_twin_id("a b"));
  EXPECT_FALSE(validate_twin_id(std::string(129, 'a')));
  EXPECT_TRUE(validate_twin_id(std::string(128, 'a')));
}

}  // namespace
}  // namespace iotwins::twin
