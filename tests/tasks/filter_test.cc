// iotwins.nodes.Task.DataFilter: the condition over a record (latest values for what it lacks),
// records passed on as they are or as one mean per twin and window, on inproc and real MQTT input;
// bad configs fail the start naming the field.
#include <gtest/gtest.h>

#include <filesystem>

#include "../dataplane/mqtt_harness.h"
#include "task_runner.h"
#include "tasks/builtins.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::TaskRunner;
namespace mq = dataplane::testing;

TEST(DataFilter, BadConfigsFailTheStartNamingTheField) {
  struct Case {
    json config;
    std::string expected;
  };
  const Case cases[] = {
      {json::object(), "config.expression: is required"},
      {{{"expression", "vibration > "}}, "config.expression: "},
      {{{"expression", "vibration > 1"}, {"window", "5 parsecs"}}, "config.window: '5 parsecs' is not a time"},
      {{{"expression", "vibration > 1"}, {"window", "-1 s"}}, "config.window:"},
      {{{"expression", "vibration > 1"}, {"window", true}}, "config.window: must be a time"},
      {{{"expression", "vibration > 1"}, {"twins", {1}}}, "config.twins[0]: must be a non-empty string"},
  };
  for (const auto& c : cases) {
    TaskRunner run;
    auto st = run.start(kDataFilter, c.config, {"inproc:in"});
    ASSERT_FALSE(st) << c.config.dump();
    EXPECT_EQ(st.error().code(), Errc::invalid_argument) << st.error().to_string();
    EXPECT_NE(st.error().message().find(c.expected), std::string::npos) << st.error().message();
    EXPECT_NE(st.error().message().find(kDataFilter), std::string::npos) << st.error().message();
  }
}

TEST(DataFilter, PassesRecordsOnUsingTheTwinsLatestValuesForMissingNames) {
  TaskRunner run;
  ASSERT_TRUE(run.start(kDataFilter, {{"expression", "abs(vibration) > 0.2 and temp < 50"}}, {"inproc:in"}));
  ASSERT_TRUE(run.subscribed("in")) << run.log();
  auto send = [&](const json& r) { run.hub.deliver("in", r.dump()); };
  send({{"twin", "p1"}, {"vibration", 0.5}});                      // no temp yet: dropped
  send({{"twin", "p1"}, {"temp", 20}, {"ts", 1000}});              // vibration 0.5 from before: passes
  send({{"twin", "p2"}, {"temp", 20}});                            // p2 has no vibration: dropped
  send({{"twin", "p1"}, {"vibration", 0.1}});                      // fails
  send({{"twin", "p1"}, {"vibration", -0.3}, {"ts", 2000}});       // passes (temp 20 from before)
  send({{"twin", "p1"}, {"temp", 60}});                            // fails
  ASSERT_TRUE(eventually([&] { return run.records().size() >= 2; })) << run.log();
  auto out = run.records();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (json{{"twin", "p1"}, {"ts", 1000}, {"temp", 20.0}}));
  EXPECT_EQ(out[1], (json{{"twin", "p1"}, {"ts", 2000}, {"vibration", -0.3}}));
  auto exit = run.stop();
  EXPECT_TRUE(exit.success()) << exit.to_string();
  EXPECT_TRUE(run.log_has("in 6, passed 2, out 2")) << run.log();
}

TEST(DataFilter, NoBrokerAndNoInputsIsAClearError) {
  TaskRunner run;
  ASSERT_TRUE(run.start(kDataFilter, {{"expression", "x > 1"}}, {}));
  std::optional<runtime::TaskExit> exit;
  ASSERT_TRUE(eventually([&] { return (exit = run.poll()).has_value(); }));
  EXPECT_EQ(exit->code, 1);
  EXPECT_NE(exit->reason.find("no MQTT broker and the task has no input streams"), std::string::npos) << exit->reason;
}

// Sums of a window's records over every output record of `twin`: (count, mean × count).
std::pair<double, double> totals(const std::vector<json>& records, const std::string& twin) {
  double count = 0, weighted = 0;
  for (const auto& r : records) {
    if (r["twin"] != twin) continue;
    count += r["count"].get<double>();
    weighted += r["vibration"].get<double>() * r["count"].get<double>();
  }
  return {count, weighted};
}

TEST(DataFilter, WindowsMqttTelemetryIntoOneMeanPerTwin) {
  std::filesystem::create_directories(::testing::TempDir() + "/filter_broker");
  auto broker = mq::Broker::start({.dir = ::testing::TempDir() + "/filter_broker"});
  ASSERT_TRUE(broker) << broker.error().to_string();
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(broker->port());
  TaskRunner run({.node_id = "n1", .broker_url = url});
  ASSERT_TRUE(run.start(kDataFilter, {{"expression", "abs(vibration) > 0.2"}, {"window", "200 ms"}}));
  mq::Publisher device("device", broker->port());
  ASSERT_TRUE(eventually([&] { return device.connected(); }));
  // The filter's subscription is up once a warm-up record comes out of a window.
  uint64_t i = 0;
  ASSERT_TRUE(eventually([&] {
    device.publish("iotwins/warm/telemetry", json{{"vibration", 1}}.dump(), i++);
    return totals(run.records(), "warm").first > 0;
  })) << run.log();
  double expected = 0;
  for (int k = 0; k < 20; ++k) {
    double v = k % 2 ? 0.1 : 0.3 + 0.01 * k;  // odd ones fail the condition
    if (!(k % 2)) expected += v;
    ASSERT_TRUE(device.publish("iotwins/press-17/telemetry", json{{"vibration", v}, {"pressure", 2}}.dump(), i++));
  }
  ASSERT_TRUE(eventually([&] { return totals(run.records(), "press-17").first >= 10; })) << run.log();
  auto [count, weighted] = totals(run.records(), "press-17");
  EXPECT_EQ(count, 10);
  EXPECT_NEAR(weighted, expected, 1e-9);
  for (const auto& r : run.records()) {
    if (r["twin"] == "press-17") {
      EXPECT_EQ(r["pressure"], 2.0) << r.dump();
    }
  }
  EXPECT_TRUE(run.stop().success());
}

TEST(DataFilter, ReadsOnlyTheTwinsTopicsOfItsTwinRequirements) {
  std::filesystem::create_directories(::testing::TempDir() + "/filter_broker2");
  auto broker = mq::Broker::start({.dir = ::testing::TempDir() + "/filter_broker2"});
  ASSERT_TRUE(broker) << broker.error().to_string();
  TaskRunner run({.broker_url = "mqtt://127.0.0.1:" + std::to_string(broker->port())});
  ASSERT_TRUE(run.start(kDataFilter, {{"expression", "v > 0"}, {"twins", {"a"}}}));
  mq::Publisher device("device2", broker->port());
  ASSERT_TRUE(eventually([&] { return device.connected(); }));
  uint64_t i = 0;
  ASSERT_TRUE(eventually([&] {
    device.publish("iotwins/b/telemetry", json{{"v", 1}}.dump(), i++);
    device.publish("iotwins/a/telemetry", json{{"v", 1}}.dump(), i++);
    return !run.records().empty();
  })) << run.log();
  for (const auto& r : run.records()) EXPECT_EQ(r["twin"], "a") << r.dump();
  EXPECT_TRUE(run.stop().success());
}

}  // namespace
}  // namespace iotwins::tasks
