// The simulated plant as real MQTT devices on an edge agent's broker: its telemetry reaches the
// twins, and a desired setpoint set in the cloud reaches the simulated pump, which applies it,
// reports it back (the delta clears) and whose physics follow (flow drops with speed).
#include <gtest/gtest.h>

#include <filesystem>

#include "../dataplane/mqtt_harness.h"
#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace mq = dataplane::testing;

// The newest sample of a series on the server (null if none).
json last_value(const std::string& server, const std::string& twin, const std::string& property) {
  json j = get_json(server, "/api/v1/series/last?twin=" + twin + "&property=" + property);
  if (j.is_null() || !j.contains("sample") || j["sample"].is_null()) return nullptr;
  return j["sample"]["value"];
}

TEST(SimulationE2E, TheSimulatorDrivesATwinAndObeysADesiredSetpoint) {
  std::string dir = temp_dir("simulation_e2e");
  ServerDaemon server(dir);
  server.start();
  int mqtt_port = mq::free_port();
  Daemon agent("edge", {"agent", "--server", server.url(), "--level", "edge", "--data-dir", dir + "/edge", "--name",
                        "edge", "--heartbeat-interval", "300ms", "--mqtt-port", std::to_string(mqtt_port)},
               dir);
  agent.start();
  ASSERT_TRUE(eventually([&] { return !read_trimmed(dir + "/edge/agent.url").empty(); })) << agent.log();
  // 20 simulated seconds per wall second, so the pump's speed ramp settles within the test.
  Daemon plant("plant", {"simulate", "--plant", std::string(IOTWINS_SOURCE_DIR) + "/examples/plant.yaml", "--broker",
                         "mqtt://127.0.0.1:" + std::to_string(mqtt_port), "--speed", "20", "--seed", "7"},
               dir);
  plant.start();
  // The hybrid twin at the edge: the model in lockstep with the plant's live telemetry.
  Daemon hybrid("hybrid", {"simulate", "hybrid", "--plant", std::string(IOTWINS_SOURCE_DIR) + "/examples/plant.yaml",
                           "--broker", "mqtt://127.0.0.1:" + std::to_string(mqtt_port)},
                dir);
  hybrid.start();

  json twin;
  ASSERT_TRUE(eventually([&] {
    twin = get_json(server.url(), "/api/v1/twins/pump-101");
    return !twin.is_null() && twin["state"]["reported"].contains("flow_m3h") && twin["node"].is_string();
  }, 60s)) << twin.dump() << plant.log() << agent.log();
  for (const char* t : {"valve-101", "tank-101", "pump-201", "hvac-101", "hx-201"}) {
    EXPECT_TRUE(eventually([&] { return !get_json(server.url(), std::string("/api/v1/twins/") + t).is_null(); }, 30s)) << t;
  }
  ASSERT_TRUE(eventually([&] { return !last_value(server.url(), "pump-101", "flow_m3h").is_null(); }, 30s));
  double flow_before = last_value(server.url(), "pump-101", "flow_m3h").get<double>();
  // Residuals reach the cloud as series; with the model fed the measured speed they stay at the
  // sensors' noise (a few percent of the flow), far from the flow itself.
  ASSERT_TRUE(eventually([&] { return !last_value(server.url(), "pump-101", "flow_m3h_residual").is_null(); }, 30s))
      << hybrid.log();
  json res = get_json(server.url(), "/api/v1/series/query?twin=pump-101&property=flow_m3h_residual&from=-1h&to=now%2B1d&agg=mean,count");
  ASSERT_FALSE(res.is_null());
  EXPECT_LT(std::abs(res["groups"][0]["buckets"][0]["mean"].get<double>()), 0.05 * flow_before) << res.dump();

  auto set = run_cli({"twins", "set-desired", "pump-101", "speed_rpm=2000", "--server", server.url()});
  ASSERT_EQ(set.code, 0) << set.out;
  // The simulated device applies it and reports it: the delta clears and reported holds the setpoint.
  ASSERT_TRUE(eventually([&] {
    twin = get_json(server.url(), "/api/v1/twins/pump-101");
    return !twin.is_null() && twin["state"]["delta"].empty() && twin["state"]["reported"].value("speed_rpm", 0.0) == 2000;
  }, 60s)) << twin.dump() << plant.log();
  // The physics follow: the measured speed settles near 2000 rpm and the flow drops (affinity laws).
  ASSERT_TRUE(eventually([&] {
    json speed = last_value(server.url(), "pump-101", "speed_rpm");
    return !speed.is_null() && std::abs(speed.get<double>() - 2000) < 30;
  }, 60s)) << last_value(server.url(), "pump-101", "speed_rpm");
  ASSERT_TRUE(eventually([&] {
    json flow = last_value(server.url(), "pump-101", "flow_m3h");
    return !flow.is_null() && flow.get<double>() < 0.9 * flow_before;
  }, 60s)) << flow_before << " → " << last_value(server.url(), "pump-101", "flow_m3h");
  // A setpoint the pump cannot take is refused by the device with an error event; its setpoint stays.
  auto bad = run_cli({"twins", "set-desired", "pump-101", "speed_rpm=-5", "--server", server.url()});
  ASSERT_EQ(bad.code, 0) << bad.out;  // the twin has no model: the device is the judge
  ASSERT_TRUE(eventually([&] {
    json ev = get_json(server.url(), "/api/v1/events?twin=pump-101&type=error");
    return !ev.is_null() && ev["count"].get<int>() >= 1;
  }, 60s)) << plant.log();
  EXPECT_EQ(get_json(server.url(), "/api/v1/twins/pump-101")["state"]["reported"]["speed_rpm"], 2000);

  // What-if runs from the newest measurement on, stored as scenarios and compared with what the
  // (simulated) plant then measured: the run at the setpoint it really has fits far better.
  json last = get_json(server.url(), "/api/v1/series/last?twin=pump-101&property=flow_m3h");
  ASSERT_FALSE(last.is_null());
  std::string t0_ms = std::to_string(last["sample"]["ts"].get<int64_t>() / 1'000'000);
  for (auto [name, speed] : {std::pair{"at-2000", "2000"}, std::pair{"at-2900", "2900"}}) {
    auto run = run_cli({"simulate", "scenario", "--plant", std::string(IOTWINS_SOURCE_DIR) + "/examples/plant.yaml",
                        "--name", name, "--duration", "10m", "--start", t0_ms, "--set",
                        std::string("pump-101.speed_rpm=") + speed, "--server", server.url()});
    ASSERT_EQ(run.code, 0) << run.out;
    EXPECT_NE(run.out.find(std::string("as scenario ") + name), std::string::npos) << run.out;
  }
  // Let the plant measure past the first minute of the scenarios.
  ASSERT_TRUE(eventually([&] {
    json l = get_json(server.url(), "/api/v1/series/last?twin=pump-101&property=flow_m3h");
    return l["sample"]["ts"].get<int64_t>() / 1'000'000 > std::stoll(t0_ms) + 60'000;
  }, 60s));
  auto rmse = [&](const char* name) {
    auto cmp = run_cli({"simulate", "compare", "--name", name, "--twin", "pump-101", "--property", "flow_m3h", "--from",
                        t0_ms + "ms", "--output", "json", "--server", server.url()});
    EXPECT_EQ(cmp.code, 0) << cmp.out;
    json j = json::parse(cmp.out.substr(cmp.out.find('{')), nullptr, false);
    EXPECT_GT(j.value("points", 0), 30) << cmp.out;
    return j.value("rmse", 1e9);
  };
  double fit = rmse("at-2000"), off = rmse("at-2900");
  EXPECT_LT(fit, 0.25 * off) << fit << " vs " << off;
  auto missing = run_cli({"simulate", "compare", "--name", "nope", "--twin", "pump-101", "--property", "flow_m3h",
                          "--server", server.url()});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("scenario nope has no samples"), std::string::npos) << missing.out;
  // A fault injected into the running simulator: valve-101 closes and pump-101's flow collapses.
  auto inject = run_cli({"simulate", "inject", "--broker", "mqtt://127.0.0.1:" + std::to_string(mqtt_port),
                         "valve_closure:valve-101,severity=0.95"});
  ASSERT_EQ(inject.code, 0) << inject.out;
  ASSERT_TRUE(eventually([&] {
    json flow = last_value(server.url(), "pump-101", "flow_m3h");
    return !flow.is_null() && flow.get<double>() < 0.3 * flow_before;
  }, 60s)) << plant.log();
  auto bad_fault = run_cli({"simulate", "inject", "--broker", "mqtt://127.0.0.1:" + std::to_string(mqtt_port), "melt:pump-101"});
  EXPECT_EQ(bad_fault.code, 2);
  EXPECT_NE(bad_fault.out.find("unknown fault kind 'melt'"), std::string::npos) << bad_fault.out;

  plant.stop();
  hybrid.stop();
  EXPECT_NE(hybrid.log().find("hybrid twin stopped"), std::string::npos) << hybrid.log();
}

}  // namespace
}  // namespace iotwins::e2e
