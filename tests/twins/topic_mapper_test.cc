#include "twins/topic_mapper.h"

#include <gtest/gtest.h>

namespace iotwins::twins {
namespace {

using dataplane::Event;
using dataplane::Record;
using dataplane::Sample;

constexpr const char* kLegacy = R"({
  "id": "LegacyPump",
  "telemetry": {"temperature": {"type": "number"}, "running": {"type": "boolean"},
                "state.mode": {"type": "string"}},
  "topics": [{"topic": "plant/{twin}/pump/+/data",
              "map": [{"pointer": "/temp", "property": "temperature", "scale": 0.1},
                      {"pointer": "/on", "property": "running"},
                      {"pointer": "/mode", "property": "state.mode"}]}]
})";

const TopicMapper& mapper() {
  static TopicMapper m;
  std::vector<twin::TwinModel> models;
  models.push_back(*twin::parse_model(kLegacy));
  models.push_back(*twin::parse_model(R"({"id": "Other", "topics": [{"topic": "legacy/#", "twin": "old-1",
                                         "map": [{"pointer": "/t", "property": "t"}]}],
                                         "telemetry": {"t": {"type": "number"}}})"));
  m.set_models(std::move(models));
  return m;
}

TEST(TopicMapper, SubscriptionsAreTheMappingsFilters) {
  EXPECT_EQ(mapper().subscriptions(), (std::vector<std::string>{"legacy/#", "plant/+/pump/+/data"}));
  TopicMapper none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.subscriptions().empty());
}

TEST(TopicMapper, MapsPayloadFieldsToSamplesAndReportedStrings) {
  std::vector<Record> samples, events;
  std::string error;
  ASSERT_TRUE(mapper().map("plant/p7/pump/3/data", R"({"temp": 215, "on": true, "mode": "auto", "x": 1})", 42,
                           samples, events, error));
  EXPECT_EQ(error, "");
  EXPECT_EQ(samples, (std::vector<Record>{Sample{"p7", "temperature", 42, 21.5}, Sample{"p7", "running", 42, 1.0}}));
  EXPECT_EQ(events, (std::vector<Record>{Event{"p7", "reported", 42, R"({"state":{"mode":"auto"}})"}}));
  samples.clear();
  ASSERT_TRUE(mapper().map("legacy/a/b", R"({"t": 3})", 1, samples, events, error));
  EXPECT_EQ(samples, (std::vector<Record>{Sample{"old-1", "t", 1, 3.0}}));
}

TEST(TopicMapper, UnmatchedTopicsAndBadPayloads) {
  std::vector<Record> samples, events;
  std::string error;
  EXPECT_FALSE(mapper().map("plant/p7/valve/3/data", "{}", 1, samples, events, error));
  EXPECT_FALSE(mapper().map("plant/p7/pump/3/data/extra", "{}", 1, samples, events, error));
  ASSERT_TRUE(mapper().map("plant/p7/pump/3/data", "not json", 1, samples, events, error));
  EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
  error.clear();
  ASSERT_TRUE(mapper().map("plant/p7/pump/3/data", R"({"temp": "hot", "on": false})", 1, samples, events, error));
  EXPECT_NE(error.find("temperature"), std::string::npos) << error;
  EXPECT_EQ(samples, (std::vector<Record>{Sample{"p7", "running", 1, 0.0}}));
}

}  // namespace
}  // namespace iotwins::twins
