#include "dataplane/codec/telemetry.h"

#include <gtest/gtest.h>

namespace iotwins::dataplane {
namespace {

constexpr int64_t kNow = 1'714'566'600'000'000'000;  // 2024-05-01T12:30:00Z

class TelemetryTest : public ::testing::Test {
 protected:
  Result<TelemetryMessage> decode(std::string_view payload, TelemetryLimits limits = {}) {
    TelemetryDecoder decoder(clock_, limits);
    return decoder.decode("iotwins/press-7/telemetry", payload);
  }
  // The single rejection of a message that must otherwise decode.
  FieldRejection only_rejection(std::string_view payload) {
    auto m = decode(payload);
    EXPECT_TRUE(m) << m.error().to_string();
    if (!m) return {};
    EXPECT_EQ(m->rejected.size(), 1u) << payload;
    return m->rejected.empty() ? FieldRejection{} : m->rejected.front();
  }
  ManualClock clock_{kNow};
};

TEST_F(TelemetryTest, NumbersBooleansAndNestedObjectsBecomeSamples) {
  auto m = decode(R"({"temp": 21.5, "rpm": 1200, "big": 18446744073709551615, "neg": -3,
                      "on": true, "off": false, "motor": {"current": 3.25, "bearing": {"t": 40}}})");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->twin, "press-7");
  EXPECT_EQ(m->ts_ns, kNow);
  EXPECT_TRUE(m->rejected.empty());
  std::vector<Sample> expect = {
      {"press-7", "temp", kNow, 21.5},
      {"press-7", "rpm", kNow, 1200},
      {"press-7", "big", kNow, 18446744073709551615.0},
      {"press-7", "neg", kNow, -3},
      {"press-7", "on", kNow, 1},
      {"press-7", "off", kNow, 0},
      {"press-7", "motor.current", kNow, 3.25},
      {"press-7", "motor.bearing.t", kNow, 40},
  };
  EXPECT_EQ(m->samples, expect);
}

TEST_F(TelemetryTest, TimestampAsMillisecondsOrRfc3339) {
  auto ms = decode(R"({"ts": 1714566000000, "v": 1})");
  ASSERT_TRUE(ms);
  EXPECT_EQ(ms->ts_ns, 1'714'566'000'000'000'000);
  EXPECT_EQ(ms->samples.at(0).ts_ns, 1'714'566'000'000'000'000);
  EXPECT_EQ(ms->samples.size(), 1u);  // "ts" itself is not a sample

  auto frac = decode(R"({"ts": 1714566000000.5, "v": 1})");
  ASSERT_TRUE(frac);
  EXPECT_EQ(frac->ts_ns, 1'714'566'000'000'500'000);

  auto text = decode(R"({"ts": "2024-05-01T14:00:00.5+02:00", "v": 1})");
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(text->ts_ns, 1'714'564'800'500'000'000);

  // A nested "ts" is an ordinary property.
  auto nested = decode(R"({"a": {"ts": 5}})");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->samples.at(0).property, "a.ts");
  EXPECT_EQ(nested->ts_ns, kNow);
}

TEST_F(TelemetryTest, ImplausibleOrMalformedTimestampsRejectTheMessage) {
  struct Case {
    const char* payload;
    const char* expect;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"ts": 946684799999, "v": 1})", "before the earliest accepted time"},
           {R"({"ts": 1714652999999.9, "v": 1})", ""},  // 23h59m59.9999s ahead: accepted
           {R"({"ts": 1714653000001, "v": 1})", "ahead of this node's clock"},
           {R"({"ts": "yesterday", "v": 1})", "not RFC 3339"},
           {R"({"ts": true, "v": 1})", "got a boolean"},
           {R"({"ts": 1e300, "v": 1})", "outside the representable range"},
           {R"({"ts": "1999-12-31T23:59:59Z", "v": 1})", "before the earliest"},
       }) {
    auto m = decode(c.payload);
    if (std::string_view(c.expect).empty()) {
      EXPECT_TRUE(m) << c.payload;
      continue;
    }
    ASSERT_FALSE(m) << c.payload;
    EXPECT_EQ(m.error().code(), Errc::invalid_argument);
    EXPECT_NE(m.error().message().find(c.expect), std::string::npos)
        << c.payload << ": " << m.error().message();
    EXPECT_NE(m.error().message().find("press-7"), std::string::npos);
    EXPECT_NE(m.error().message().find("\"ts\""), std::string::npos);
  }
}

TEST_F(TelemetryTest, BadFieldsAreRejectedOneByOneWithAReason) {
  auto m = decode(R"({"ok": 1, "name": "pump", "list": [1,2], "nothing": null,
                      "bad key": 2, "ok": 3, "": 4, "also_ok": 5})");
  ASSERT_TRUE(m) << m.error().to_string();
  ASSERT_EQ(m->samples.size(), 2u);
  EXPECT_EQ(m->samples[0].property, "ok");
  EXPECT_EQ(m->samples[0].value, 1);
  EXPECT_EQ(m->samples[1].property, "also_ok");
  std::vector<FieldRejection> expect = {
      {"name", "a string is not a sample value; send a number or boolean"},
      {"list", "an array is not a sample value; send a number or boolean"},
      {"nothing", "null is not a sample value; send a number or boolean"},
      {"bad key", "property name has ' ' at position 3; allowed are [A-Za-z0-9._:-]"},
      {"ok", "duplicate property"},
      {"", "property name is empty"},
  };
  EXPECT_EQ(m->rejected, expect);
}

TEST_F(TelemetryTest, LimitsOnNamesDepthAndFields) {
  std::string long_name(129, 'p');
  auto r = only_rejection("{\"" + long_name + "\": 1}");
  EXPECT_NE(r.reason.find("129 characters long, the limit is 128"), std::string::npos);
  EXPECT_EQ(r.field, std::string(80, 'p') + "...");

  auto control = only_rejection(R"({"a\u0001b": 1})");
  EXPECT_EQ(control.field, "a\\x01b");
  EXPECT_NE(control.reason.find("has byte 0x01 at position 1"), std::string::npos);

  TelemetryLimits shallow{.max_depth = 2};
  auto deep = decode(R"({"a": {"b": 1, "c": {"d": 2}}})", shallow);
  ASSERT_TRUE(deep);
  ASSERT_EQ(deep->samples.size(), 1u);
  EXPECT_EQ(deep->samples[0].property, "a.b");
  EXPECT_EQ(deep->rejected, (std::vector<FieldRejection>{{"a.c", "nested deeper than 2 levels"}}));

  TelemetryLimits few{.max_fields = 3};
  EXPECT_TRUE(decode(R"({"a": 1, "b": "x", "c": 3})", few));
  auto many = decode(R"({"a": 1, "b": "x", "c": 3, "d": 4})", few);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code(), Errc::too_large);
  EXPECT_NE(many.error().message().find("more than 3 fields"), std::string::npos);

  TelemetryLimits small{.max_payload_bytes = 10};
  auto big = decode(R"({"a": 12345})", small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), Errc::too_large);
  EXPECT_NE(big.error().message().find("12 bytes exceeds the limit of 10"), std::string::npos);
}

TEST_F(TelemetryTest, WholeMessageErrors) {
  struct Case {
    const char* payload;
    const char* expect;
  };
  for (const auto& c : std::vector<Case>{
           {"", "not valid JSON"},
           {"{\"a\": 1", "not valid JSON"},
           {"{\"a\": 01}", "not valid JSON"},
           {"{\"a\": 1e999}", "not valid JSON"},
           {"[1, 2]", "must be a JSON object, got an array"},
           {"42", "must be a JSON object, got a number"},
           {"\"text\"", "must be a JSON object, got a string"},
           {"{\"a\": 1} {}", "not valid JSON"},
       }) {
    auto m = decode(c.payload);
    ASSERT_FALSE(m) << c.payload;
    EXPECT_EQ(m.error().code(), Errc::invalid_argument) << c.payload;
    EXPECT_NE(m.error().message().find(c.expect), std::string::npos)
        << c.payload << ": " << m.error().message();
  }
  EXPECT_TRUE(decode("{}")->samples.empty());
}

TEST_F(TelemetryTest, TopicsAndTwinIds) {
  EXPECT_EQ(*twin_from_telemetry_topic("iotwins/plant-1:press_7.a/telemetry"),
            "plant-1:press_7.a");
  for (const char* topic :
       {"iotwins//telemetry", "iotwins/a/b/telemetry", "iotwins/a/reported", "other/a/telemetry",
        "iotwins/telemetry", "iotwins/a b/telemetry"}) {
    auto r = twin_from_telemetry_topic(topic);
    ASSERT_FALSE(r) << topic;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  }
  EXPECT_NE(twin_from_telemetry_topic("iotwins/a/b/telemetry").error().message().find(
                "'/' at position 1"),
            std::string::npos);
  EXPECT_TRUE(twin_from_telemetry_topic("iotwins/" + std::string(128, 'x') + "/telemetry"));
  EXPECT_FALSE(twin_from_telemetry_topic("iotwins/" + std::string(129, 'x') + "/telemetry"));
  TelemetryDecoder decoder(clock_);
  EXPECT_FALSE(decoder.decode("iotwins/a b/telemetry", "{}"));
}

}  // namespace
}  // namespace iotwins::dataplane
