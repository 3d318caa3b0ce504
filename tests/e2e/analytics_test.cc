// Anomaly detection across the continuum with real processes: the Training task fits a detector
// on a twin's stored history in the cloud and registers it; the Inference task on the edge broker
// picks the promoted version up, reports the twin's health, raises an anomaly event (with the
// variables that contributed) when a fault is injected into the simulated plant, and switches to a
// newly promoted version live, without a restart.
#include <gtest/gtest.h>

#include "../dataplane/mqtt_harness.h"
#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace mq = dataplane::testing;

int64_t count_of(const std::string& server, const std::string& twin, const std::string& property) {
  json j = get_json(server, "/api/v1/series/query?twin=" + twin + "&property=" + property +
                                "&from=-1h&to=now%2B1d&agg=count");
  if (j.is_null() || j["groups"].empty()) return 0;
  int64_t n = 0;
  for (const auto& g : j["groups"]) {
    if (g["group"]["labels"].empty()) n += g["buckets"][0]["count"].get<int64_t>();
  }
  return n;
}

TEST(AnalyticsE2E, TrainedInTheCloudScoredLiveAtTheEdgeAndSwappedWithoutRestart) {
  std::string dir = temp_dir("analytics_e2e");
  ServerDaemon server(dir);
  server.start();
  int port = mq::free_port();
  Daemon agent("edge", {"agent", "--server", server.url(), "--level", "edge", "--data-dir", dir + "/edge", "--name", "edge",
                        "--heartbeat-interval", "300ms", "--mqtt-port", std::to_string(port)},
               dir);
  agent.start();
  ASSERT_TRUE(eventually([&] { return !read_trimmed(dir + "/edge/agent.url").empty(); })) << agent.log();
  const std::string broker = "mqtt://127.0.0.1:" + std::to_string(port);
  const std::string plant_file = std::string(IOTWINS_SOURCE_DIR) + "/examples/plant.yaml";
  Daemon plant("plant", {"simulate", "--plant", plant_file, "--broker", broker, "--speed", "20", "--seed", "11"}, dir);
  plant.start();
  // History to train on: 300 simulated seconds of normal operation.
  ASSERT_TRUE(eventually([&] { return count_of(server.url(), "pump-101", "current_a") >= 300; }, 90s)) << plant.log();

  const std::vector<std::string> train = {"models", "train", "pump-ad", "--twin", "pump-101", "--property",
                                          "flow_m3h,current_a,power_kw,discharge_pressure_bar", "--from", "-1h",
                                          "--to", "now+1d", "--detector", "dpca-slow-diff", "--promote",
                                          "--server", server.url()};
  auto trained = run_cli(train);
  ASSERT_EQ(trained.code, 0) << trained.out;
  EXPECT_NE(trained.out.find("registered pump-ad version 1"), std::string::npos) << trained.out;
  EXPECT_NE(trained.out.find("promoted pump-ad version 1"), std::string::npos) << trained.out;
  json v1 = get_json(server.url(), "/api/v1/models/pump-ad/versions/1");
  ASSERT_FALSE(v1.is_null());
  EXPECT_EQ(v1["lineage"]["series"][0], "pump-101/flow_m3h");
  EXPECT_GE(v1["metrics"]["training_rows"].get<double>(), 300);

  Daemon infer("infer", {"models", "infer", "pump-ad", "--broker", broker, "--poll", "500ms", "--server", server.url()}, dir);
  infer.start();
  ASSERT_TRUE(eventually([&] { return infer.log().find("pump-ad version 1 live on pump-101") != std::string::npos; }))
      << infer.log();
  json twin;
  ASSERT_TRUE(eventually([&] {
    twin = get_json(server.url(), "/api/v1/twins/pump-101");
    return !twin.is_null() && twin["state"]["reported"].value("health", "") == "ok" &&
           twin["state"]["reported"].contains("anomaly_score");
  }, 60s)) << twin.dump() << infer.log();

  // A fault the model never saw: the valve downstream of pump-101 closes.
  auto inject = run_cli({"simulate", "inject", "--broker", broker, "valve_closure:valve-101,severity=0.9"});
  ASSERT_EQ(inject.code, 0) << inject.out;
  json events;
  ASSERT_TRUE(eventually([&] {
    events = get_json(server.url(), "/api/v1/events?twin=pump-101&type=anomaly");
    return !events.is_null() && events["count"].get<int>() >= 1;
  }, 60s)) << infer.log();
  const json& ev = events["items"][0]["data"];
  EXPECT_EQ(ev["model"], "pump-ad@1");
  EXPECT_GT(ev["score"].get<double>(), ev["limit"].get<double>());
  ASSERT_EQ(ev["contributions"].size(), 4u);
  EXPECT_GE(ev["contributions"][0]["share"].get<double>(), ev["contributions"][3]["share"].get<double>());
  ASSERT_TRUE(eventually([&] {
    twin = get_json(server.url(), "/api/v1/twins/pump-101");
    return !twin.is_null() && twin["state"]["reported"].value("health", "") == "critical";
  }, 60s)) << twin.dump();

  // Version 2 trained and promoted: the running Inference task switches to it.
  auto pid = infer.process().pid();
  auto again = run_cli(train);
  ASSERT_EQ(again.code, 0) << again.out;
  ASSERT_TRUE(eventually([&] { return infer.log().find("pump-ad version 2 live on pump-101 (4 variables, was version 1)") != std::string::npos; }))
      << infer.log();
  EXPECT_EQ(infer.process().pid(), pid);
  // Rolled back: version 1 again, live.
  auto back = run_cli({"models", "rollback", "pump-ad", "--server", server.url()});
  ASSERT_EQ(back.code, 0) << back.out;
  ASSERT_TRUE(eventually([&] { return infer.log().find("pump-ad version 1 live on pump-101 (4 variables, was version 2)") != std::string::npos; }))
      << infer.log();
  infer.stop();
  plant.stop();
}

}  // namespace
}  // namespace iotwins::e2e
