// Deployments end to end: the real server and three real agents (iot, edge, cloud). The factory
// chain is placed level by level, the node watch (plain GET and WebSocket) shows each node its
// tasks, updates touch only what changed, undeploy empties the desired sets. The agents run the
// chain's builtin tasks (filter, inference, training, simulation, broker and store services), so
// `deploy --wait` reaches CREATE_COMPLETE and `undeploy --wait` DELETE_COMPLETE.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "api/http_client.h"
#include "core/fs.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

// examples/chains/factory.yaml with smaller resource requests: the test machine may have two
// cores, and the cloud Compute asks for four (its tasks for three).
std::string factory_yaml() {
  std::string text = read_text(std::string(IOTWINS_SOURCE_DIR) + "/examples/chains/factory.yaml");
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
  };
  replace("{cpu: 4, memory: 8 GiB}", "{cpu: 1, memory: 1 GiB}");
  replace("resources: {cpu: 2, memory: 2 GiB}", "resources: {cpu: 0.25, memory: 256 MiB}");
  replace("resources: {cpu: 1, memory: 1 GiB}", "resources: {cpu: 0.25, memory: 256 MiB}");
  return text;
}

class DeploymentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    server_ = std::make_unique<ServerDaemon>(dir_, std::vector<std::string>{"--reconcile-interval", "200ms"});
    server_->start();
    for (const std::string level : {"iot", "edge", "cloud"}) {
      std::vector<std::string> args = {"agent", "--server", server_->url(), "--level", level, "--data-dir",
                                       dir_ + "/" + level, "--name", level + "-1", "--heartbeat-interval", "200ms",
                                       "--mqtt-port", "0", "--labels", "plant=plant-1"};
      agents_.push_back(std::make_unique<Daemon>(level, args, dir_));
      agents_.back()->start();
    }
    ASSERT_TRUE(eventually([&] {
      json items = server_->get("/api/v1/nodes")["items"];
      size_t ready = 0;
      for (const auto& n : items) ready += n["state"] == "ready";
      return ready == 3;
    }, std::chrono::seconds(30))) << agents_[0]->log() << agents_[1]->log() << agents_[2]->log();
    json nodes = server_->get("/api/v1/nodes");
    for (const auto& n : nodes["items"]) level_of_[n["id"].get<std::string>()] = n["level"];
  }

  api::ClientResponse send(api::Method m, const std::string& path, const std::string& body = "",
                           const std::string& type = "application/json", const api::Headers& headers = {}) {
    auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
    EXPECT_TRUE(c);
    auto r = (*c)->request(m, path, body, type, headers);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : api::ClientResponse{};
  }
  json watch(const std::string& node) { return server_->get("/api/v1/nodes/" + node + "/watch"); }

  std::string dir_;
  std::unique_ptr<ServerDaemon> server_;
  std::vector<std::unique_ptr<Daemon>> agents_;
  std::map<std::string, std::string> level_of_;  // node id → level
};

const std::map<std::string, std::string> kLevels = {
    {"sensor_box", "iot"},         {"vibration_filter", "iot"}, {"plant_gateway", "edge"}, {"broker", "edge"},
    {"anomaly_detector", "edge"}, {"cloud", "cloud"},          {"history", "cloud"},      {"trainer", "cloud"},
    {"simulator", "cloud"}};

TEST_F(DeploymentsTest, FactoryChainIsPlacedByLevelUpdatedAndUndeployed) {
  // An agent watching its edge node over WebSocket, before anything is deployed.
  std::string edge;
  for (const auto& [id, level] : level_of_) {
    if (level == "edge") edge = id;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<json> pushed;
  auto ws = api::WebSocketClient::connect(
      server_->url(), "/api/v1/nodes/" + edge + "/watch", client_options(server_->url()),
      [&](std::string m) {
        std::lock_guard lock(mu);
        pushed.push_back(json::parse(m));
        cv.notify_all();
      },
      [&](std::string) { cv.notify_all(); });
  ASSERT_TRUE(ws) << ws.error().to_string();

  // Deploy: every instance on a node of its level; the released ones in their nodes' desired sets.
  json body{{"template", factory_yaml()}, {"inputs", json::object()}};
  auto created = send(api::Method::POST, "/api/v1/deployments", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json d = json::parse(created.body);
  const std::string id = d["id"];
  EXPECT_EQ(d["status"], "CREATE_IN_PROGRESS") << d.dump();
  size_t released = 0;
  for (const auto& n : d["instances"]) {
    auto want = kLevels.find(n["name"].get<std::string>());
    if (want == kLevels.end()) continue;  // the twin: placed nowhere
    const std::string node = n["node"];
    ASSERT_TRUE(level_of_.contains(node)) << n.dump();
    EXPECT_EQ(level_of_[node], want->second) << n.dump();
    if (n["task_id"] == "" || (n["state"] != "starting" && n["state"] != "started")) continue;
    ++released;
    bool listed = false;
    json set = watch(node);
    for (const auto& t : set["tasks"]) listed |= t["id"] == n["task_id"];
    EXPECT_TRUE(listed) << n.dump() << set.dump();
  }
  EXPECT_GT(released, 0u) << d.dump();

  // The watcher got the edge node's new revision with the broker in it.
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] {
      return !pushed.empty() && !pushed.back()["tasks"].empty();
    })) << watch(edge).dump();
    EXPECT_EQ(pushed.back()["node"], edge);
    EXPECT_EQ(pushed.back()["revision"], watch(edge)["revision"]);
    EXPECT_EQ(pushed.back()["tasks"][0]["id"], id + ".broker.0");
    for (size_t i = 1; i < pushed.size(); ++i) EXPECT_GT(pushed[i]["revision"], pushed[i - 1]["revision"]);
  }
  // An agent resuming with the revision it has gets nothing new; an older one gets the set.
  const int64_t rev = watch(edge)["revision"];
  EXPECT_EQ(send(api::Method::GET, "/api/v1/nodes/" + edge + "/watch?revision=" + std::to_string(rev)).status, 304);
  EXPECT_EQ(send(api::Method::GET, "/api/v1/nodes/" + edge + "/watch?revision=" + std::to_string(rev - 1)).status, 200);
  EXPECT_EQ(send(api::Method::GET, "/api/v1/nodes/" + edge + "/watch?revison=1").status, 400);
  EXPECT_EQ(send(api::Method::GET, "/api/v1/nodes/nowhere/watch").status, 404);
  // Once the agents run every task, each layer released, the sets stay as they are.
  ASSERT_TRUE(eventually([&] { return server_->get("/api/v1/deployments/" + id)["status"] == "CREATE_COMPLETE"; },
                         std::chrono::seconds(60)))
      << server_->get("/api/v1/deployments/" + id).dump();
  d = server_->get("/api/v1/deployments/" + id);
  std::map<std::string, json> before;
  for (const auto& [node, level] : level_of_) before[node] = watch(node);

  // A bad template: 400 with every diagnostic, nothing stored.
  auto bad = send(api::Method::POST, "/api/v1/deployments",
                  "tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n  node_templates:\n"
                  "    a: {type: nope}\n    b: {type: tosca.nodes.Compute, properties: {x: 1}}\n",
                  "application/yaml");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("4:15"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("unknown_type"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("unknown_property"), std::string::npos) << bad.body;
  EXPECT_EQ(server_->get("/api/v1/deployments")["count"], 1);

  // Update the threshold: a stale If-Match is 409; the right one changes only the detector.
  json upd{{"template", factory_yaml()}, {"inputs", {{"threshold", 0.95}}}};
  auto stale = send(api::Method::PUT, "/api/v1/deployments/" + id, upd.dump(), "application/json", {{"If-Match", "\"7\""}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  auto updated = send(api::Method::PUT, "/api/v1/deployments/" + id, upd.dump(), "application/json",
                      {{"If-Match", "\"" + std::to_string(d["revision"].get<int64_t>()) + "\""}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_GT(json::parse(updated.body)["revision"], d["revision"]);
  std::vector<std::string> changed;
  for (const auto& e : server_->get("/api/v1/deployments/" + id + "/events")) {
    if (e["kind"] == "changed") changed.push_back(e["node"]);
  }
  EXPECT_EQ(changed, std::vector<std::string>{"anomaly_detector"});
  // Only the detector's node gets a new set (with the new threshold); the others are untouched.
  std::string detector_node;
  json updated_body = json::parse(updated.body);
  for (const auto& n : updated_body["instances"]) {
    if (n["name"] == "anomaly_detector") detector_node = n["node"];
  }
  for (const auto& [node, set] : before) {
    if (node != detector_node) {
      EXPECT_EQ(watch(node), set) << "the update touched " << node;
      continue;
    }
    EXPECT_TRUE(eventually([&] {
      json now = watch(node);
      for (const auto& t : now["tasks"]) {
        if (t["id"] == id + ".anomaly_detector.0") return t["config"].dump().find("0.95") != std::string::npos;
      }
      return false;
    })) << watch(node).dump();
  }

  // Undeploy: every desired set empties, with a new revision.
  auto removed = send(api::Method::DELETE, "/api/v1/deployments/" + id);
  ASSERT_EQ(removed.status, 202) << removed.body;
  EXPECT_EQ(json::parse(removed.body)["status"], "DELETE_IN_PROGRESS");
  for (const auto& [node, set] : before) {
    json now = watch(node);
    EXPECT_TRUE(now["tasks"].empty()) << now.dump();
    if (!set["tasks"].empty()) {
      EXPECT_GT(now["revision"], set["revision"]);
    }
  }
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return pushed.back()["tasks"].empty(); }));
}

TEST_F(DeploymentsTest, CliDeploysListsShowsAndUndeploys) {
  std::string file = dir_ + "/factory.yaml";
  ASSERT_TRUE(PosixFileSystem::instance().write_file_atomic(file, factory_yaml()));
  auto deploy = run_cli({"deploy", file, "--server", server_->url(), "--input", "threshold=0.9", "--wait",
                         "--timeout", "60s"});
  ASSERT_EQ(deploy.code, 0) << deploy.out << agents_[0]->log() << agents_[1]->log() << agents_[2]->log();
  EXPECT_NE(deploy.out.find("CREATE_COMPLETE"), std::string::npos) << deploy.out;
  EXPECT_NE(deploy.out.find("vibration_filter[0]"), std::string::npos) << deploy.out;

  auto ls = run_cli({"deployments", "--server", server_->url()});
  EXPECT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find("dep-1"), std::string::npos) << ls.out;
  auto show = run_cli({"deployments", "show", "dep-1", "--server", server_->url(), "-o", "json"});
  ASSERT_EQ(show.code, 0) << show.out;
  json shown = json::parse(show.out);
  EXPECT_EQ(shown["inputs"]["threshold"], 0.9);
  // The output comes from the live attribute the inference task set on its agent.
  EXPECT_TRUE(eventually([&] {
    json d = server_->get("/api/v1/deployments/dep-1");
    return d["outputs"]["detector_endpoint"].is_string() &&
           d["outputs"]["detector_endpoint"].get<std::string>().find("/iotwins/press-17/events/anomaly") !=
               std::string::npos;
  })) << server_->get("/api/v1/deployments/dep-1").dump();
  // The edge node hosts the agent's broker and the chain's broker service.
  json deployed = server_->get("/api/v1/deployments/dep-1");
  std::string broker_node;
  for (const auto& n : deployed["instances"]) {
    if (n["name"] == "broker") broker_node = n["node"];
  }
  json node = server_->get("/api/v1/nodes/" + broker_node);
  std::string services = node["services"].dump();
  EXPECT_NE(services.find("\"mqtt-broker\""), std::string::npos) << services;
  EXPECT_NE(services.find("iotwins.nodes.Service.MQTTBroker"), std::string::npos) << services;
  auto events = run_cli({"deployments", "events", "dep-1", "--server", server_->url()});
  EXPECT_EQ(events.code, 0) << events.out;
  EXPECT_NE(events.out.find("released"), std::string::npos) << events.out;
  auto logs = run_cli({"deployments", "logs", "dep-1", "--task", "anomaly_detector", "--server", server_->url()});
  EXPECT_EQ(logs.code, 0) << logs.out;
  EXPECT_NE(logs.out.find("press-anomaly"), std::string::npos) << logs.out;

  // --wait gives up after --timeout while an agent is gone: exit 3 with a hint.
  agents_[0]->kill9();  // the IoT agent: its filter is never confirmed stopped before the node is down
  auto wait = run_cli({"undeploy", "dep-1", "--server", server_->url(), "--wait", "--timeout", "1s"});
  EXPECT_EQ(wait.code, 3) << wait.out;
  EXPECT_NE(wait.out.find("DELETE_IN_PROGRESS"), std::string::npos) << wait.out;

  auto bad = run_cli({"deploy", file, "--server", server_->url(), "--input", "threshold=7"});
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("threshold"), std::string::npos) << bad.out;
  auto missing = run_cli({"deployments", "show", "dep-404", "--server", server_->url()});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("dep-404"), std::string::npos) << missing.out;
}

}  // namespace
}  // namespace iotwins::e2e
