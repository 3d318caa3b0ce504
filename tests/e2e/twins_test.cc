// Twins end to end with real processes: a device on MQTT ↔ its edge agent (managed Mosquitto,
// twin cache) ↔ the server. Reported state and telemetry reach the twin; a desired change made
// in the cloud reaches the device as a delta and clears when the device reports it; during a
// partition the edge keeps serving and changing its twins, and on reconnect both sides reconcile
// field by field with nothing lost and each delta delivered once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../dataplane/mqtt_harness.h"
#include "api/http_client.h"
#include "fault_proxy.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace mq = dataplane::testing;

class TwinsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name()); }

  // An edge agent with its own broker, talking to the server at `server_url`.
  void start_agent(const std::string& server_url) {
    agent_dir_ = dir_ + "/edge";
    mqtt_port_ = mq::free_port();
    std::filesystem::remove(agent_dir_ + "/agent.url");
    agent_ = std::make_unique<Daemon>(
        "edge", std::vector<std::string>{"agent", "--server", server_url, "--level", "edge", "--data-dir", agent_dir_,
                                         "--name", "edge", "--heartbeat-interval", "300ms", "--mqtt-port",
                                         std::to_string(mqtt_port_)},
        dir_);
    agent_->start();
    ASSERT_TRUE(eventually([&] { return !read_trimmed(agent_dir_ + "/agent.url").empty(); })) << agent_->log();
  }
  std::string agent_url() const { return read_trimmed(agent_dir_ + "/agent.url"); }

  // Deltas the device received, parsed.
  static std::vector<json> deltas(const mq::Counter& device) {
    std::vector<json> out;
    for (const auto& p : device.payloads()) out.push_back(json::parse(p, nullptr, false));
    return out;
  }
  static size_t count_with(const std::vector<json>& ds, const std::string& key, const json& value) {
    size_t n = 0;
    for (const auto& d : ds) n += d.contains("state") && d["state"].contains(key) && d["state"][key] == value;
    return n;
  }

  std::string dir_, agent_dir_;
  int mqtt_port_ = 0;
  std::unique_ptr<Daemon> agent_;
};

TEST_F(TwinsTest, ReportedFlowsUpAndDesiredReachesTheDeviceAsADeltaThatClears) {
  ServerDaemon server(dir_);
  server.start();
  start_agent(server.url());
  const std::string model = dir_ + "/pump.yaml";
  {
    std::ofstream(model) << "id: Pump\ntelemetry:\n  temperature: {type: number, unit: degC}\n"
                            "desired:\n  speed: {type: number, min: 0, max: 3000}\n  mode: {type: string}\n";
  }
  auto put_model = run_cli({"twins", "models", "put", model, "--server", server.url()});
  ASSERT_EQ(put_model.code, 0) << put_model.out;
  json put = http_json(server.url(), "PUT", "/api/v1/twins/pump-1", R"({"model":"Pump"})");
  ASSERT_EQ(put["_status"], 201) << put.dump();

  mq::Counter device(mqtt_port_, "iotwins/pump-1/desired/delta", true);
  ASSERT_TRUE(device.subscribed());
  mq::Publisher pub("pump-1", mqtt_port_, 10);
  ASSERT_TRUE(pub.connected());
  ASSERT_TRUE(pub.publish("iotwins/pump-1/telemetry", R"({"temperature": 41.5})", 0));
  ASSERT_TRUE(pub.publish("iotwins/pump-1/reported", R"({"mode": "auto", "firmware": {"version": "1.2"}})", 1));
  ASSERT_TRUE(pub.wait_all_acked(30s));

  // Reported state and telemetry land on the server's twin, which learns the device's agent.
  json twin;
  ASSERT_TRUE(eventually([&] {
    twin = server.get("/api/v1/twins/pump-1");
    return twin["state"]["reported"].value("temperature", 0.0) == 41.5 &&
           twin["state"]["reported"].value("mode", "") == "auto" && twin["node"].is_string();
  }, 30s)) << twin.dump() << agent_->log();
  EXPECT_EQ(twin["state"]["reported"]["firmware"]["version"], "1.2");
  // The agent caches it (its own endpoint answers the same document shape).
  ASSERT_TRUE(eventually([&] {
    json cached = http_json(agent_url(), "GET", "/api/v1/twins/pump-1");
    return cached["_status"] == 200 && cached["state"]["reported"].value("mode", "") == "auto";
  })) << agent_->log();

  // A desired change in the cloud (CLI) → one delta on the device's topic.
  auto set = run_cli({"twins", "set-desired", "pump-1", "speed=1200", "--server", server.url()});
  ASSERT_EQ(set.code, 0) << set.out;
  EXPECT_NE(set.out.find("delta now {\"speed\":1200}"), std::string::npos) << set.out;
  ASSERT_TRUE(eventually([&] { return count_with(deltas(device), "speed", 1200) == 1; })) << agent_->log();
  json first = deltas(device).front();
  EXPECT_EQ(first["state"], json({{"speed", 1200}}));
  EXPECT_TRUE(first["version"].is_number());

  // Out of the model's range: refused with the field named, nothing delivered.
  auto bad = run_cli({"twins", "set-desired", "pump-1", "speed=99999", "--server", server.url()});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("speed"), std::string::npos) << bad.out;

  // The device applies it and reports back: the delta clears on both sides.
  ASSERT_TRUE(pub.publish("iotwins/pump-1/reported", R"({"speed": 1200})", 2));
  ASSERT_TRUE(eventually([&] { return server.get("/api/v1/twins/pump-1")["state"]["delta"].empty(); }, 30s));
  ASSERT_TRUE(eventually([&] {
    return http_json(agent_url(), "GET", "/api/v1/twins/pump-1")["state"]["delta"].empty();
  }));

  // History of a reported property and of telemetry, through the time-series store.
  json history = server.get("/api/v1/twins/pump-1/history?property=temperature&from=-1h&to=now%2B1m");
  ASSERT_EQ(history["series"].size(), 1u) << history.dump();
  EXPECT_EQ(history["series"][0]["samples"][0]["value"], 41.5) << history.dump();
  json speed = server.get("/api/v1/twins/pump-1/history?property=speed&from=-1h&to=now%2B1m");
  ASSERT_EQ(speed["series"].size(), 1u) << speed.dump();
  EXPECT_EQ(speed["series"][0]["samples"][0]["value"], 1200) << speed.dump();

  // The change feed through the CLI, from the start: every change of pump-1 so far, at its latest state.
  Daemon watch("watch", {"twins", "watch", "--cursor", "0", "--output", "json", "--server", server.url()}, dir_);
  watch.start();
  ASSERT_TRUE(eventually([&] { return watch.log().find("\"id\":\"pump-1\"") != std::string::npos; })) << watch.log();
  size_t seen = watch.log().size();
  ASSERT_EQ(http_json(server.url(), "PUT", "/api/v1/twins/line-1", R"({"level":"edge"})")["_status"], 201);
  ASSERT_TRUE(eventually([&] { return watch.log().find("\"id\":\"line-1\"", seen) != std::string::npos; })) << watch.log();
  watch.stop();
  ASSERT_EQ(http_json(server.url(), "PUT", "/api/v1/twins/pump-1", R"({"model":"Pump","parent":"line-1"})")["_status"],
            200);
  json up = http_json(server.url(), "GET", "/api/v1/twins/pump-1/ancestors");
  EXPECT_EQ(up["items"], json::array({"line-1"})) << up.dump();
  auto tree = run_cli({"twins", "tree", "--server", server.url()});
  EXPECT_EQ(tree.code, 0) << tree.out;
  EXPECT_NE(tree.out.find("line-1  (edge)\n└─ pump-1  (Pump)"), std::string::npos) << tree.out;

  // Query and tree through the CLI.
  auto ls = run_cli({"twins", "ls", "--filter", "reported.temperature > 40 and model == \"Pump\"", "--server", server.url()});
  EXPECT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find("pump-1"), std::string::npos) << ls.out;
  auto none = run_cli({"twins", "ls", "--filter", "reported.temperature > 50", "--server", server.url()});
  EXPECT_EQ(none.out.find("pump-1"), std::string::npos) << none.out;
  auto syntax = run_cli({"twins", "ls", "--filter", "reported.temperature >", "--server", server.url()});
  EXPECT_NE(syntax.code, 0);
  EXPECT_NE(syntax.out.find("column"), std::string::npos) << syntax.out;
  EXPECT_EQ(count_with(deltas(device), "speed", 1200), 1u);
}

TEST_F(TwinsTest, APartitionKeepsTheEdgeWorkingAndReconcilesWithoutLoss) {
  ServerDaemon server(dir_);
  server.start();
  auto target = api::parse_url(server.url());
  FaultProxy link("127.0.0.1", target->port);
  same_server(link.url(), server.url());
  start_agent(link.url());
  mq::Counter device(mqtt_port_, "iotwins/valve-1/desired/delta", true);
  ASSERT_TRUE(device.subscribed());
  mq::Publisher pub("valve-1", mqtt_port_, 10);
  ASSERT_TRUE(pub.connected());
  ASSERT_TRUE(pub.publish("iotwins/valve-1/reported", R"({"position": 10})", 0));
  ASSERT_TRUE(eventually([&] {
    return http_json(agent_url(), "GET", "/api/v1/twins/valve-1")["_status"] == 200;
  }, 30s)) << agent_->log();

  link.cut();
  // Offline at the edge: reads work, a local desired change reaches the device at once.
  json local = http_json(agent_url(), "PATCH", "/api/v1/twins/valve-1/state",
                       R"({"state":{"desired":{"mode":"manual","position":20}}})");
  ASSERT_EQ(local["_status"], 200) << local.dump();
  ASSERT_TRUE(eventually([&] { return count_with(deltas(device), "mode", "manual") == 1; })) << agent_->log();
  // The device reports while offline; the cloud changes position later and adds a limit.
  ASSERT_TRUE(pub.publish("iotwins/valve-1/reported", R"({"mode": "manual"})", 1));
  ASSERT_TRUE(pub.wait_all_acked(30s));
  std::this_thread::yield();
  json cloud = http_json(server.url(), "PATCH", "/api/v1/twins/valve-1/state",
                       R"({"state":{"desired":{"position":35,"limit":80}}})");
  ASSERT_EQ(cloud["_status"], 200) << cloud.dump();
  // The CLI against the agent while cut off.
  auto cached = run_cli({"twins", "get", "valve-1", "--server", agent_url()});
  EXPECT_EQ(cached.code, 0) << cached.out;
  EXPECT_NE(cached.out.find("\"manual\""), std::string::npos) << cached.out;

  link.heal();
  json expected = {{"mode", "manual"}, {"position", 35}, {"limit", 80}};
  json srv, edge;
  ASSERT_TRUE(eventually([&] {
    srv = server.get("/api/v1/twins/valve-1");
    edge = http_json(agent_url(), "GET", "/api/v1/twins/valve-1");
    return srv["state"]["desired"] == expected && edge["state"]["desired"] == expected;
  }, 60s)) << srv.dump() << "\n" << edge.dump() << "\n" << agent_->log();
  EXPECT_EQ(srv["state"]["reported"]["mode"], "manual");  // reported during the cut, not lost
  // The cloud's change reached the device once; a later change proves no duplicate is still queued
  // (MQTT keeps one publisher's order).
  ASSERT_TRUE(eventually([&] { return count_with(deltas(device), "position", 35) >= 1; }));
  json again = http_json(server.url(), "PATCH", "/api/v1/twins/valve-1/state",
                       R"({"state":{"desired":{"limit":90}}})");
  ASSERT_EQ(again["_status"], 200);
  ASSERT_TRUE(eventually([&] { return count_with(deltas(device), "limit", 90) == 1; }));
  // Every delta the device got differs from the one before it: nothing was delivered twice, not
  // the edge's own change (re-read from the cloud on reconnect) nor the cloud's.
  auto all = deltas(device);
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_NE(all[i]["state"], all[i - 1]["state"]) << "delta " << i << " repeats: " << all[i].dump();
  }
  EXPECT_EQ(all.back()["state"], json({{"position", 35}, {"limit", 90}}));
}

TEST_F(TwinsTest, ADeviceWithItsOwnTopicsIsMappedByItsModel) {
  ServerDaemon server(dir_);
  server.start();
  json model = {{"id", "LegacyPump"},
                {"telemetry", {{"temperature", {{"type", "number"}}}, {"mode", {{"type", "string"}}}}},
                {"topics", json::array({{{"topic", "plant/{twin}/pump/+/data"},
                                         {"map", json::array({{{"pointer", "/temp"}, {"property", "temperature"},
                                                               {"scale", 0.1}},
                                                              {{"pointer", "/mode"}, {"property", "mode"}}})}}})}};
  ASSERT_EQ(http_json(server.url(), "PUT", "/api/v1/twin-models/LegacyPump", model.dump())["_status"], 201);
  start_agent(server.url());
  // The agent fetches the models and restarts its broker to spool the mapped topic.
  ASSERT_TRUE(eventually([&] { return read_text(agent_dir_ + "/twin-models.json").find("plant/") != std::string::npos; }))
      << agent_->log();
  ASSERT_TRUE(eventually([&] { return agent_->log().find("1 mapped topic filter") != std::string::npos; })) << agent_->log();
  // ... and the broker listens again (the device would otherwise reach it mid-restart).
  ASSERT_TRUE(eventually([&] { return agent_->log().find("mosquitto restarted") != std::string::npos; })) << agent_->log();
  mq::Publisher pub("legacy-device", mqtt_port_, 10);
  ASSERT_TRUE(pub.connected());
  ASSERT_TRUE(pub.publish("plant/pump-9/pump/1/data", R"({"temp": 215, "mode": "auto", "other": 1})", 0));
  ASSERT_TRUE(pub.wait_all_acked(30s));
  json twin;
  ASSERT_TRUE(eventually([&] {
    twin = http_json(server.url(), "GET", "/api/v1/twins/pump-9");
    return twin["_status"] == 200 && twin["state"]["reported"].value("temperature", 0.0) == 21.5 &&
           twin["state"]["reported"].value("mode", "") == "auto";
  }, 30s)) << twin.dump() << agent_->log();
  EXPECT_FALSE(twin["state"]["reported"].contains("other"));
}

}  // namespace
}  // namespace iotwins::e2e
