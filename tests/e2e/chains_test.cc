// Computing chains run end to end (issue #8): a real server and real agents of three levels run
// the tasks of a deployment as processes. Deploy, logs, an update that restarts only what changed,
// a task crash healed by its agent, a node lost (its movable tasks rescheduled, a pinned one
// failed with the reason), undeploy; and an agent restarted while the server is down keeps its
// tasks running and reports what happened once the server is back.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "../dataplane/mqtt_harness.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

// Three exec tasks, one per level; `message` reaches only the archiver, so an update of it
// restarts the archiver alone. The gateway is a placement unit that may move to any edge node of
// zone z1; `pinned` may only run on a node labelled site=a.
constexpr const char* kChain = R"(tosca_definitions_version: tosca_simple_yaml_1_3
imports: [iotwins]
topology_template:
  inputs:
    message: {type: string, default: hello}
  node_templates:
    sensor_box: {type: iotwins.nodes.Compute, properties: {level: iot}}
    gateway:
      type: iotwins.nodes.Compute
      properties: {level: edge, labels: {zone: z1}}
    cloud: {type: iotwins.nodes.Compute, properties: {level: cloud}}
    collector:
      type: iotwins.nodes.Task
      properties:
        command: [/bin/sh, -c, 'echo collector started; exec sleep 100000']
        resources: {cpu: 0.05, memory: 16 MiB}
      requirements: [{host: sensor_box}]
    analyser:
      type: iotwins.nodes.Task
      properties:
        command: [/bin/sh, -c, 'echo analyser started; exec sleep 100000']
        resources: {cpu: 0.05, memory: 16 MiB}
      requirements: [{host: gateway}]
    pinned:
      type: iotwins.nodes.Task
      properties:
        command: [/bin/sh, -c, 'exec sleep 100000']
        resources: {cpu: 0.05, memory: 16 MiB}
    archiver:
      type: iotwins.nodes.Task
      properties:
        command: [/bin/sh, -c, 'echo archiver says $0; echo oops >&2; exec sleep 100000', {get_input: message}]
        resources: {cpu: 0.05, memory: 16 MiB}
      requirements: [{host: cloud}]
  policies:
    - site_a:
        type: iotwins.policies.Placement
        properties: {level: edge, labels: {site: a}}
        targets: [pinned]
)";

bool alive(int64_t pid) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

class ChainsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    port_ = ::iotwins::testing::free_port();
    server_ = std::make_unique<ServerDaemon>(
        dir_, std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port_), "--reconcile-interval",
                                       "200ms", "--heartbeat-timeout", "1s", "--down-timeout", "3s"});
    server_->start();
    chain_file_ = dir_ + "/chain.yaml";
    std::ofstream(chain_file_) << kChain;
  }
  void TearDown() override {
    agents_.clear();  // SIGTERM: with --stop-tasks-on-exit each agent stops its tasks
    // A killed agent's tasks outlive it (as they should): end the ones a test left behind.
    for (int64_t pid : pids_seen_) {
      if (alive(pid)) ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }

  // mqtt_port 0: no broker (the exec tasks of the chain above need none).
  Daemon& start_agent(const std::string& name, const std::string& level, const std::string& labels,
                      uint16_t mqtt_port = 0) {
    std::vector<std::string> args = {"agent", "--server", server_->url(), "--level", level, "--data-dir",
                                     dir_ + "/" + name, "--name", name, "--heartbeat-interval", "200ms",
                                     "--labels", labels, "--stop-tasks-on-exit"};
    if (mqtt_port) {
      args.insert(args.end(), {"--mqtt-port", std::to_string(mqtt_port)});
    } else {
      args.insert(args.end(), {"--mqtt", "none"});
    }
    agents_[name] = std::make_unique<Daemon>(name, args, dir_);
    agents_[name]->start();
    return *agents_[name];
  }
  std::string agent_logs() {
    std::string out;
    for (auto& [name, a] : agents_) out += "--- " + name + "\n" + a->log();
    return out;
  }
  bool nodes_ready(size_t n) {
    return eventually([&] {
      json nodes = get_json(server_->url(), "/api/v1/nodes");
      if (nodes.is_null()) return false;
      size_t ready = 0;
      for (const auto& node : nodes["items"]) ready += node["state"] == "ready";
      return ready == n;
    }, std::chrono::seconds(30));
  }
  std::string node_id(const std::string& name) {
    json nodes = server_->get("/api/v1/nodes");
    for (const auto& n : nodes["items"]) {
      if (n["name"] == name) return n["id"];
    }
    ADD_FAILURE() << "no node named " << name << " in " << nodes.dump();
    return "";
  }
  json deployment(const std::string& id) { return get_json(server_->url(), "/api/v1/deployments/" + id); }
  json instance(const json& d, const std::string& name) {
    for (const auto& n : d["instances"]) {
      if (n["name"] == name) return n;
    }
    return nullptr;
  }
  int64_t pid_of(const std::string& id, const std::string& name) {
    json d = deployment(id);
    if (d.is_null()) return 0;
    json n = instance(d, name);
    if (n.is_null() || n["state"] != "started" || !n["attributes"].contains("pid")) return 0;
    int64_t pid = std::stoll(n["attributes"]["pid"].get<std::string>());
    pids_seen_.insert(pid);
    return pid;
  }
  bool status_is(const std::string& id, const std::string& status, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    return eventually([&] {
      json d = deployment(id);
      return !d.is_null() && d["status"] == status;
    }, timeout);
  }
  std::string events_text(const std::string& id) { return server_->get("/api/v1/deployments/" + id + "/events").dump(); }

  std::string dir_;
  uint16_t port_ = 0;
  std::string chain_file_;
  std::unique_ptr<ServerDaemon> server_;
  std::map<std::string, std::unique_ptr<Daemon>> agents_;
  std::set<int64_t> pids_seen_;
};

TEST_F(ChainsTest, DeployLogsUpdateCrashNodeLossUndeploy) {
  start_agent("iot-1", "iot", "zone=z0");
  start_agent("edge-a", "edge", "zone=z1,site=a");
  start_agent("cloud-1", "cloud", "zone=z9");
  ASSERT_TRUE(nodes_ready(3)) << agent_logs();

  // Deploy and wait: every task runs as a process on a node of its level.
  auto deploy = run_cli({"deploy", chain_file_, "--wait", "--timeout", "60s", "--server", server_->url()});
  ASSERT_EQ(deploy.code, 0) << deploy.out << agent_logs();
  EXPECT_NE(deploy.out.find("CREATE_COMPLETE"), std::string::npos) << deploy.out;
  json list = server_->get("/api/v1/deployments");
  ASSERT_EQ(list["items"].size(), 1u);
  const std::string id = list["items"][0]["id"];
  const std::map<std::string, std::string> placed = {
      {"collector", "iot-1"}, {"analyser", "edge-a"}, {"pinned", "edge-a"}, {"archiver", "cloud-1"}};
  std::map<std::string, int64_t> pid;
  for (const auto& [task, node] : placed) {
    EXPECT_EQ(instance(deployment(id), task)["node"], node_id(node)) << task;
    pid[task] = pid_of(id, task);
    EXPECT_TRUE(alive(pid[task])) << task << " pid " << pid[task];
  }

  // Logs, read by the server from the agents.
  auto logs = run_cli({"deployments", "logs", id, "--task", "archiver", "--server", server_->url()});
  EXPECT_EQ(logs.code, 0) << logs.out;
  EXPECT_NE(logs.out.find("archiver says hello"), std::string::npos) << logs.out;
  auto errs = run_cli({"deployments", "logs", id, "--task", "archiver", "--stream", "stderr", "--server", server_->url()});
  EXPECT_NE(errs.out.find("oops"), std::string::npos) << errs.out;
  auto all = run_cli({"deployments", "logs", id, "--server", server_->url()});
  EXPECT_NE(all.out.find("collector started"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("analyser started"), std::string::npos) << all.out;
  EXPECT_NE(run_cli({"deployments", "logs", id, "--task", "nope", "--server", server_->url()}).code, 0);

  // Update the input only the archiver uses: the archiver restarts, nothing else does.
  json body{{"template", std::string(kChain)}, {"inputs", {{"message", "bye"}}}};
  json updated = http_json(server_->url(), "PUT", "/api/v1/deployments/" + id, body.dump());
  ASSERT_EQ(updated["_status"], 200) << updated.dump();
  ASSERT_TRUE(status_is(id, "UPDATE_COMPLETE")) << deployment(id).dump() << agent_logs();
  ASSERT_TRUE(eventually([&] {
    int64_t p = pid_of(id, "archiver");
    return p != 0 && p != pid["archiver"];
  })) << deployment(id).dump();
  EXPECT_FALSE(alive(pid["archiver"]));
  for (const auto& task : {"collector", "analyser", "pinned"}) EXPECT_EQ(pid_of(id, task), pid[task]) << task;
  EXPECT_TRUE(eventually([&] {
    return run_cli({"deployments", "logs", id, "--task", "archiver", "--server", server_->url()}).out.find(
               "archiver says bye") != std::string::npos;
  }));

  // A task crashes: its agent starts it again, the server sees exited then started.
  ASSERT_EQ(::kill(static_cast<pid_t>(pid["analyser"]), SIGKILL), 0);
  ASSERT_TRUE(eventually([&] {
    int64_t p = pid_of(id, "analyser");
    return p != 0 && p != pid["analyser"] && alive(p);
  }, std::chrono::seconds(30))) << deployment(id).dump() << agent_logs();
  EXPECT_NE(events_text(id).find("exited"), std::string::npos) << events_text(id);
  pid["analyser"] = pid_of(id, "analyser");

  // A second edge node joins; then edge-a is lost with its tasks. The gateway's tasks move to
  // edge-b once edge-a is down; `pinned` has nowhere to go and fails with the reason.
  start_agent("edge-b", "edge", "zone=z1");
  ASSERT_TRUE(nodes_ready(4)) << agent_logs();
  agents_["edge-a"]->kill9();
  for (const auto& task : {"analyser", "pinned"}) ::kill(static_cast<pid_t>(pid[task]), SIGKILL);
  ASSERT_TRUE(eventually([&] {
    json d = deployment(id);
    return !d.is_null() && instance(d, "analyser")["node"] == node_id("edge-b") && pid_of(id, "analyser") != 0;
  }, std::chrono::seconds(40))) << deployment(id).dump() << agent_logs();
  EXPECT_TRUE(alive(pid_of(id, "analyser")));
  json pinned = instance(deployment(id), "pinned");
  EXPECT_EQ(pinned["state"], "error") << pinned.dump();
  EXPECT_NE(pinned["reason"].get<std::string>().find("down"), std::string::npos) << pinned.dump();
  EXPECT_EQ(pid_of(id, "collector"), pid["collector"]);  // untouched elsewhere

  // Undeploy: every task that still runs is stopped, on every node.
  std::vector<int64_t> running = {pid_of(id, "collector"), pid_of(id, "analyser"), pid_of(id, "archiver")};
  auto undeploy = run_cli({"undeploy", id, "--wait", "--timeout", "60s", "--server", server_->url()});
  EXPECT_EQ(undeploy.code, 0) << undeploy.out << deployment(id).dump();
  EXPECT_NE(undeploy.out.find("DELETE_COMPLETE"), std::string::npos) << undeploy.out;
  for (int64_t p : running) EXPECT_TRUE(eventually([&] { return !alive(p); })) << "pid " << p << " still runs";
}

TEST_F(ChainsTest, AgentRestartedWhileTheServerIsDownKeepsItsTasksAndReportsLater) {
  start_agent("edge-a", "edge", "zone=z1,site=a");
  start_agent("iot-1", "iot", "zone=z0");
  start_agent("cloud-1", "cloud", "zone=z9");
  ASSERT_TRUE(nodes_ready(3)) << agent_logs();
  auto deploy = run_cli({"deploy", chain_file_, "--wait", "--timeout", "60s", "--server", server_->url()});
  ASSERT_EQ(deploy.code, 0) << deploy.out << agent_logs();
  const std::string id = server_->get("/api/v1/deployments")["items"][0]["id"];
  const int64_t before = pid_of(id, "analyser");
  ASSERT_TRUE(alive(before));

  // The server goes away; the edge agent crashes and comes back while it is away.
  server_->stop();
  agents_["edge-a"]->kill9();
  EXPECT_TRUE(alive(before)) << "a task outlives its agent";
  agents_["edge-a"]->start();
  ASSERT_TRUE(eventually([&] { return agents_["edge-a"]->log().find("recovered") != std::string::npos; }))
      << agents_["edge-a"]->log();
  EXPECT_TRUE(alive(before));
  // Still without the server, a crash is healed from the persisted desired set.
  ASSERT_EQ(::kill(static_cast<pid_t>(before), SIGKILL), 0);
  int64_t healed = 0;
  ASSERT_TRUE(eventually([&] {
    json state = json::parse(read_text(dir_ + "/edge-a/tasks.json"), nullptr, false);
    if (!state.is_object()) return false;
    for (const auto& t : state["tasks"]) {
      if (t["id"] == id + ".analyser.0" && t.contains("handle")) healed = t["handle"]["pid"];
    }
    return healed != 0 && healed != before && alive(healed);
  }, std::chrono::seconds(30))) << agents_["edge-a"]->log();
  pids_seen_.insert(healed);

  // The server is back on the same address: the agent reports what happened.
  server_->start();
  ASSERT_TRUE(eventually([&] { return pid_of(id, "analyser") == healed; }, std::chrono::seconds(30)))
      << deployment(id).dump() << agents_["edge-a"]->log();
  std::string events = events_text(id);
  EXPECT_NE(events.find("recovered"), std::string::npos) << events;
  EXPECT_NE(events.find("exited"), std::string::npos) << events;
  EXPECT_TRUE(status_is(id, "CREATE_COMPLETE")) << deployment(id).dump();
}

// `iotwins nodes drain` (issue #7): the drained node's movable tasks start elsewhere and stop
// there; a task only that node fits keeps running, with the reason in the event log. Heartbeats
// carry each task's usage.
TEST_F(ChainsTest, DrainMovesTasksAndHeartbeatsCarryTheirUsage) {
  start_agent("iot-1", "iot", "zone=z0");
  start_agent("edge-a", "edge", "zone=z1,site=a");
  start_agent("cloud-1", "cloud", "zone=z9");
  ASSERT_TRUE(nodes_ready(3)) << agent_logs();
  auto deploy = run_cli({"deploy", chain_file_, "--wait", "--timeout", "60s", "--server", server_->url()});
  ASSERT_EQ(deploy.code, 0) << deploy.out << agent_logs();
  const std::string id = server_->get("/api/v1/deployments")["items"][0]["id"];
  const int64_t before = pid_of(id, "analyser");
  ASSERT_TRUE(alive(before));
  start_agent("edge-b", "edge", "zone=z1");
  ASSERT_TRUE(nodes_ready(4)) << agent_logs();

  auto drain = run_cli({"nodes", "drain", node_id("edge-a"), "--server", server_->url()});
  ASSERT_EQ(drain.code, 0) << drain.out;
  ASSERT_TRUE(eventually([&] {
    json d = deployment(id);
    return !d.is_null() && instance(d, "analyser")["node"] == node_id("edge-b") && pid_of(id, "analyser") != 0;
  }, std::chrono::seconds(30))) << deployment(id).dump() << agent_logs();
  EXPECT_TRUE(eventually([&] { return !alive(before); })) << "the drained node still runs pid " << before;
  // `pinned` fits no other node: it keeps running where it is, and the event log says why.
  json pinned = instance(deployment(id), "pinned");
  EXPECT_EQ(pinned["node"], node_id("edge-a")) << pinned.dump();
  EXPECT_EQ(pinned["state"], "started") << pinned.dump();
  std::string events = events_text(id);
  EXPECT_NE(events.find("drain_blocked"), std::string::npos) << events;
  EXPECT_NE(events.find("is draining and no other node fits"), std::string::npos) << events;

  // edge-b's heartbeat lists the analyser with its usage; `nodes show` prints it.
  const std::string task = id + ".analyser.0";
  ASSERT_TRUE(eventually([&] {
    json node = server_->get("/api/v1/nodes/" + node_id("edge-b"));
    for (const auto& t : node["kpis"]["tasks"]) {
      if (t["id"] == task) return t["state"] == "running" && t["rss_bytes"].get<uint64_t>() > 0;
    }
    return false;
  })) << server_->get("/api/v1/nodes/" + node_id("edge-b")).dump();
  // The registry's view of edge-b: its capacity and what the orchestrator allocated there.
  json edge_b = server_->get("/api/v1/nodes/" + node_id("edge-b"));
  EXPECT_GT(edge_b["capacity"]["cpu_millis"].get<int64_t>(), 0) << edge_b.dump();
  EXPECT_EQ(edge_b["allocated"]["cpu_millis"], 50) << edge_b.dump();  // the analyser's 0.05 cpu
  ASSERT_EQ(edge_b["allocated"]["tasks"].size(), 1u) << edge_b.dump();
  EXPECT_EQ(edge_b["allocated"]["tasks"][0]["task"], task);
  auto show = run_cli({"nodes", "show", node_id("edge-b"), "--server", server_->url()});
  EXPECT_NE(show.out.find(task), std::string::npos) << show.out;
}

// examples/chains/custom-task: a Python script between a builtin filter (same node: over the
// node's broker through the stream bridge) and its own copy in the cloud (another node: through
// the data plane and the server's event log), uploaded by `iotwins deploy` and fetched by sha256.
TEST_F(ChainsTest, CustomTaskInAnotherLanguageReadsAndWritesJsonLines) {
  const uint16_t edge_mqtt = ::iotwins::testing::free_port();
  start_agent("edge-a", "edge", "zone=z1", edge_mqtt);
  start_agent("cloud-1", "cloud", "zone=z9", ::iotwins::testing::free_port());
  ASSERT_TRUE(nodes_ready(2)) << agent_logs();
  const std::string example = std::string(IOTWINS_SOURCE_DIR) + "/examples/chains/custom-task/chain.yaml";
  auto deploy = run_cli({"deploy", example, "--wait", "--timeout", "60s", "--server", server_->url()});
  ASSERT_EQ(deploy.code, 0) << deploy.out << agent_logs();
  EXPECT_NE(deploy.out.find("scale.py → sha256:"), std::string::npos) << deploy.out;
  const std::string id = server_->get("/api/v1/deployments")["items"][0]["id"];

  // A hot and a cold reading of the oven: only the hot one passes the filter, is converted, archived.
  ::iotwins::dataplane::testing::Publisher device("oven-1", edge_mqtt);
  uint64_t n = 0;
  ASSERT_TRUE(eventually([&] {
    // Repeated until the chain is connected end to end (subscriptions come up as tasks start).
    ++n;
    device.publish("iotwins/oven-1/telemetry", R"({"temp": 60, "seq": )" + std::to_string(n) + "}", 2 * n);
    device.publish("iotwins/oven-1/telemetry", R"({"temp": 20, "cold": 1})", 2 * n + 1);
    auto logs = run_cli({"deployments", "logs", id, "--task", "archive", "--server", server_->url()});
    return logs.out.find("\"temp_f\": 140.0") != std::string::npos;
  }, std::chrono::seconds(45))) << run_cli({"deployments", "logs", id, "--server", server_->url()}).out
                                  << run_cli({"deployments", "logs", id, "--stream", "stderr", "--server", server_->url()}).out
                                  << agent_logs();
  auto archived = run_cli({"deployments", "logs", id, "--task", "archive", "--server", server_->url()}).out;
  EXPECT_EQ(archived.find("cold"), std::string::npos) << archived;
  EXPECT_NE(archived.find("\"twin\": \"oven-1\""), std::string::npos) << archived;
  // The records crossed nodes as stream events, kept in the server's event log.
  json streamed = server_->get("/api/v1/events?type=stream:" + id + ".to_fahrenheit.archive");
  EXPECT_FALSE(streamed["items"].empty()) << streamed.dump();
}

}  // namespace
}  // namespace iotwins::e2e
