#include "twin/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iotwins::twin {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kPumpYaml = R"(id: Pump
description: centrifugal pump
telemetry:
  temperature: {type: number, unit: degC}
  running: {type: boolean}
  pump.pressure: {type: number, unit: bar}
attributes:
  serial: {type: string, required: true, pattern: "[A-Z]{2}-[0-9]+"}
  vendor: {type: string}
desired:
  speed: {type: number, unit: rpm, min: 0, max: 3000}
  mode: {type: string, enum: [auto, manual]}
  valve.open: {type: boolean}
  cycles: {type: integer, min: 1}
relationships:
  - {name: feeds, target: Tank}
topics:
  - topic: "plant/{twin}/pump/+/data"
    map:
      - {pointer: /temp, property: temperature, scale: 0.1}
      - {pointer: /state/on, property: running}
  - topic: "legacy/#"
    twin: pump-legacy
    map:
      - {pointer: /t, property: temperature, scale: 1.8, offset: 32}
)";

TwinModel pump() {
  auto m = parse_model(kPumpYaml);
  EXPECT_TRUE(m.has_value()) << m.error().to_string();
  return m ? *m : TwinModel{};
}

std::string yaml_error(const std::string& text) {
  auto m = parse_model(text, ModelFormat::yaml);
  EXPECT_FALSE(m.has_value()) << text;
  return m ? std::string() : m.error().message();
}

TEST(TwinModel, ParsesYaml) {
  auto m = pump();
  EXPECT_EQ(m.id, "Pump");
  ASSERT_EQ(m.telemetry.size(), 3u);
  EXPECT_EQ(m.find_telemetry("temperature")->unit, "degC");
  EXPECT_EQ(m.find_telemetry("running")->type, PropertyType::boolean);
  EXPECT_EQ(*m.find_desired("speed")->max, 3000);
  EXPECT_EQ(m.find_desired("mode")->allowed.size(), 2u);
  EXPECT_TRUE(m.find_attribute("serial")->required);
  EXPECT_EQ(m.relationships.at(0).target, "Tank");
  ASSERT_EQ(m.topics.size(), 2u);
  EXPECT_EQ(m.topics[0].entries[0].scale, 0.1);
  EXPECT_EQ(m.topics[1].twin, "pump-legacy");
}

TEST(TwinModel, JsonAndYamlGiveTheSameModelAndRoundTrip) {
  auto m = pump();
  json j = to_json(m);
  auto again = parse_model(j.dump());
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(to_json(*again), j);
  EXPECT_EQ(j["desired"]["mode"]["enum"], (json{"auto", "manual"}));
}

TEST(TwinModel, YamlErrorsCarryPathAndLineColumn) {
  EXPECT_THAT(yaml_error("id: Pump\ndesired:\n  speed: {type: number, min: fast}\n"),
              HasSubstr("desired.speed.min: must be a number (line 3:25)"));
  EXPECT_THAT(yaml_error("id: Pump\ntelemetry:\n  t: {type: float}\n"),
              HasSubstr("telemetry.t.type: type 'float' is not one of"));
  EXPECT_THAT(yaml_error("id: Pump\ntelemetry:\n  t: {type: float}\n"), HasSubstr("(line 3:"));
  EXPECT_THAT(yaml_error("id: Pump\ncolour: red\n"), HasSubstr("colour: unknown field (line 2:1)"));
  EXPECT_THAT(yaml_error("id: Pump\ndesired: {a: [1, 2\n"), HasSubstr("model YAML:"));
  EXPECT_THAT(yaml_error("id: Pump\ntelemetry:\n  t: {type: number}\n  t: {type: string}\n"),
              HasSubstr("telemetry.t: duplicate key (line 4:3)"));
  EXPECT_THAT(yaml_error("description: x\n"), HasSubstr("id: missing"));
}

TEST(TwinModel, StructuralErrors) {
  auto err = [](json j) {
    auto m = model_from_json(j);
    EXPECT_FALSE(m.has_value()) << j.dump();
    return m ? std::string() : m.error().message();
  };
  json base = {{"id", "Pump"}, {"telemetry", {{"t", {{"type", "number"}}}}}};
  auto with = [&](const json& patch) {
    json j = base;
    j.merge_patch(patch);
    return j;
  };
  EXPECT_THAT(err(with({{"telemetry", {{"t", {{"type", "number"}, {"min", 0}}}}}})),
              HasSubstr("constraints (min, max, enum, pattern) apply to desired"));
  EXPECT_THAT(err(with({{"desired", {{"s", {{"type", "string"}, {"min", 0}}}}}})),
              HasSubstr("desired.s: min/max need type number"));
  EXPECT_THAT(err(with({{"desired", {{"s", {{"type", "number"}, {"min", 5}, {"max", 1}}}}}})),
              HasSubstr("min is greater than max"));
  EXPECT_THAT(err(with({{"desired", {{"s", {{"type", "string"}, {"enum", {"a", 1}}}}}}})),
              HasSubstr("desired.s.enum.1: is not a string"));
  EXPECT_THAT(err(with({{"desired", {{"s", {{"type", "string"}, {"pattern", "(unclosed"}}}}}})),
              HasSubstr("desired.s.pattern: invalid regular expression"));
  EXPECT_THAT(err(with({{"desired", {{"a", {{"type", "number"}}}, {"a.b", {{"type", "number"}}}}}})),
              HasSubstr("desired.a.b: nests under property a"));
  EXPECT_THAT(err(with({{"desired", {{"a..b", {{"type", "number"}}}}}})),
              HasSubstr("empty segment"));
  EXPECT_THAT(err(with({{"topics", {{{"topic", "a/#/b"}, {"twin", "x"},
                                     {"map", {{{"pointer", "/t"}, {"property", "t"}}}}}}}})),
              HasSubstr("topics.0.topic: '#' must be the last level"));
  EXPECT_THAT(err(with({{"topics", {{{"topic", "a/b"},
                                     {"map", {{{"pointer", "/t"}, {"property", "t"}}}}}}}})),
              HasSubstr("needs a {twin} level"));
  EXPECT_THAT(err(with({{"topics", {{{"topic", "a/x+/{twin}"},
                                     {"map", {{{"pointer", "/t"}, {"property", "t"}}}}}}}})),
              HasSubstr("mixes a wildcard"));
  EXPECT_THAT(err(with({{"topics", {{{"topic", "a/{twin}"},
                                     {"map", {{{"pointer", "t"}, {"property", "t"}}}}}}}})),
              HasSubstr("topics.0.map.0.pointer: not a JSON pointer"));
  EXPECT_THAT(err(with({{"topics", {{{"topic", "a/{twin}"},
                                     {"map", {{{"pointer", "/t"}, {"property", "nope"}}}}}}}})),
              HasSubstr("'nope' is not a telemetry property"));
  EXPECT_THAT(err(with({{"relationships", {{{"name", "feeds"}}}}})),
              HasSubstr("relationships.0.target: missing"));
}

TEST(TwinModel, DesiredUpdatesAreCheckedAgainstTheModel) {
  auto m = pump();
  EXPECT_TRUE(validate_desired(m, json{{"speed", 1500}, {"mode", "auto"}}));
  EXPECT_TRUE(validate_desired(m, json{{"valve", {{"open", true}}}}));
  EXPECT_TRUE(validate_desired(m, json{{"speed", nullptr}}));  // deleting is always allowed
  EXPECT_TRUE(validate_desired(m, json{{"cycles", 3.0}}));
  EXPECT_TRUE(validate_desired(m, nullptr));
  auto err = [&](json u) {
    auto s = validate_desired(m, u);
    EXPECT_FALSE(s.has_value()) << u.dump();
    return s ? std::string() : s.error().message();
  };
  EXPECT_EQ(err(json{{"speed", 4000}}),
            "state.desired.speed: 4000 is above the maximum 3000 (property speed of model Pump)");
  EXPECT_THAT(err(json{{"speed", -1}}), HasSubstr("-1 is below the minimum 0"));
  EXPECT_THAT(err(json{{"speed", "fast"}}), HasSubstr("\"fast\" is not a number"));
  EXPECT_THAT(err(json{{"mode", "turbo"}}), HasSubstr("\"turbo\" is not one of [\"auto\",\"manual\"]"));
  EXPECT_THAT(err(json{{"cycles", 2.5}}), HasSubstr("2.5 is not an integer"));
  EXPECT_THAT(err(json{{"valve", {{"open", 1}}}}),
              HasSubstr("state.desired.valve.open: 1 is not a boolean"));
  EXPECT_THAT(err(json{{"valve", {{"shut", true}}}}),
              HasSubstr("state.desired.valve.shut: model Pump has no desired property 'valve.shut'"));
  EXPECT_THAT(err(json{{"colour", "red"}}), HasSubstr("no desired property 'colour'"));
  EXPECT_THAT(err(json{{"valve", true}}), HasSubstr("no desired property 'valve'"));
}

TEST(TwinModel, AttributesAndReported) {
  auto m = pump();
  EXPECT_TRUE(validate_attributes(m, json{{"serial", "AB-12"}, {"extra", 1}}));
  auto s = validate_attributes(m, json{{"vendor", "Acme"}});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message(), "attributes.serial: required by model Pump");
  s = validate_attributes(m, json{{"serial", "ab-12"}});
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("does not match the pattern [A-Z]{2}-[0-9]+"));
  s = validate_attributes(m, json{{"serial", std::string(2000, 'A')}});
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("longer than the 1024"));
  EXPECT_TRUE(validate_reported(m, json{{"temperature", 80}, {"anything", "goes"}}));
  EXPECT_FALSE(validate_reported(m, json{{"pump", {{"pressure", "high"}}}}));
}

TEST(TopicMapping, MatchesWildcardsAndCapturesTheTwin) {
  auto m = pump();
  const auto& t = m.topics[0];
  EXPECT_EQ(subscription(t), "plant/+/pump/+/data");
  EXPECT_EQ(match_topic(t, "plant/pump-7/pump/3/data"), "pump-7");
  EXPECT_EQ(match_topic(t, "plant/pump-7/pump/3/data/x"), std::nullopt);
  EXPECT_EQ(match_topic(t, "plant/pump-7/pump/3"), std::nullopt);
  EXPECT_EQ(match_topic(t, "plant/bad#id/pump/3/data"), std::nullopt);
  EXPECT_EQ(match_topic(t, "plant//pump/3/data"), std::nullopt);  // an empty id is no twin
  const auto& legacy = m.topics[1];
  EXPECT_EQ(match_topic(legacy, "legacy"), "pump-legacy");  // '#' also matches the parent level
  EXPECT_EQ(match_topic(legacy, "legacy/a/b/c"), "pump-legacy");
  EXPECT_EQ(match_topic(legacy, "other/a"), std::nullopt);
  TopicMapping any{.topic = "#", .twin = "x"};
  EXPECT_EQ(match_topic(any, "$SYS/broker/load"), std::nullopt);
  EXPECT_EQ(match_topic(any, "a"), "x");
}

TEST(TopicMapping, MapsPayloadsThroughPointersWithScaling) {
  auto m = pump();
  auto r = map_message(m, "plant/pump-7/pump/1/data",
                       json::parse(R"({"temp": 815, "state": {"on": true}, "junk": 1})"));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->twin, "pump-7");
  ASSERT_EQ(r->values.size(), 2u);
  EXPECT_EQ(r->values[0].property, "temperature");
  EXPECT_DOUBLE_EQ(r->values[0].value.get<double>(), 81.5);
  EXPECT_EQ(r->values[1].property, "running");
  EXPECT_EQ(r->values[1].value, true);

  r = map_message(m, "legacy/line/7", json{{"t", 100}});
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(r->values.at(0).value.get<double>(), 212);

  // Missing pointers are skipped; wrong types are reported, not fatal.
  r = map_message(m, "plant/p/pump/1/data", json{{"state", {{"on", "yes"}}}});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->values.empty());
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_THAT(r->problems[0], HasSubstr("/state/on -> running: \"yes\" is not a boolean"));

  auto none = map_message(m, "iotwins/p/telemetry", json::object());
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), Errc::not_found);
}

TEST(TwinModel, HostileYamlIsBounded) {
  // Alias expansion ("billion laughs") is capped instead of exhausting memory.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto m = parse_model(bomb, ModelFormat::yaml);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), Errc::too_large);
  std::string deep = "id: [";
  for (int i = 0; i < 100; ++i) deep += "[";
  auto d = parse_model(deep + std::string(101, ']') + "\n", ModelFormat::yaml);
  ASSERT_FALSE(d.has_value());
  EXPECT_FALSE(parse_model(std::string(kMaxModelBytes + 1, ' ')).has_value());
}

}  // namespace
}  // namespace iotwins::twin
