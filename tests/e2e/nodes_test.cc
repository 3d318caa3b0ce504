// Server and agents as real processes: registration, heartbeats, liveness, restarts, shutdown.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

constexpr const char* kInterval = "200ms";
constexpr int64_t kTimeoutMs = 600;  // three heartbeat intervals

class NodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    server_ = std::make_unique<ServerDaemon>(dir_, std::vector<std::string>{
                                                       "--heartbeat-timeout", std::to_string(kTimeoutMs) + "ms"});
    server_->start();
  }

  std::unique_ptr<Daemon> agent(const std::string& name, const std::string& level,
                                std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"agent", "--server", server_->url(), "--level", level,
                                     "--data-dir", dir_ + "/" + name, "--name", name,
                                     "--heartbeat-interval", kInterval, "--mqtt-port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto d = std::make_unique<Daemon>(name, args, dir_);
    d->start();
    return d;
  }

  json nodes() { return server_->get("/api/v1/nodes")["items"]; }

  json node_named(const std::string& name) {
    for (const auto& n : nodes()) {
      if (n["name"] == name) return n;
    }
    return nullptr;
  }

  bool wait_state(const std::string& name, const std::string& state) {
    return eventually([&] {
      json n = node_named(name);
      return !n.is_null() && n["state"] == state;
    });
  }

  std::string dir_;
  std::unique_ptr<ServerDaemon> server_;
};

TEST_F(NodesTest, AgentRegistersWithItsFactsAndTheCliShowsItReady) {
  auto a = agent("edge-a", "edge", {"--labels", "site=plant-1,line=2"});
  ASSERT_TRUE(wait_state("edge-a", "ready")) << a->log();
  json n = node_named("edge-a");
  EXPECT_EQ(n["level"], "edge");
  EXPECT_EQ(n["labels"]["site"], "plant-1");
  EXPECT_EQ(n["labels"]["line"], "2");
  EXPECT_GT(n["facts"]["cores"].get<int>(), 0);
  EXPECT_GT(n["facts"]["memory_bytes"].get<uint64_t>(), 0u);
  EXPECT_FALSE(n["facts"]["arch"].get<std::string>().empty());
  EXPECT_FALSE(n["facts"]["hostname"].get<std::string>().empty());

  auto table = run_cli({"nodes", "--server", server_->url()});
  EXPECT_EQ(table.code, 0) << table.out;
  EXPECT_NE(table.out.find("edge-a"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("ready"), std::string::npos);
  EXPECT_EQ(table.out.rfind("ID ", 0), 0u);

  auto js = run_cli({"nodes", "--server", server_->url(), "-o", "json"});
  ASSERT_EQ(js.code, 0);
  json parsed = json::parse(js.out);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0]["state"], "ready");

  // Heartbeats carry KPIs, which `nodes show` displays.
  ASSERT_TRUE(eventually([&] { return !node_named("edge-a")["kpis"].is_null(); }));
  auto show = run_cli({"nodes", "show", n["id"], "--server", server_->url()});
  EXPECT_EQ(show.code, 0) << show.out;
  EXPECT_NE(show.out.find("KPIs"), std::string::npos) << show.out;
}

TEST_F(NodesTest, MissedHeartbeatsMakeANodeUnreachableAndItsReturnMakesItReady) {
  auto a = agent("edge-b", "edge");
  ASSERT_TRUE(wait_state("edge-b", "ready")) << a->log();
  ASSERT_TRUE(a->process().signal(SIGSTOP));  // the agent freezes: no more heartbeats
  ASSERT_TRUE(wait_state("edge-b", "unreachable"));
  // Declared unreachable only once it was silent for the whole timeout.
  EXPECT_GE(node_named("edge-b")["last_seen_age_ms"].get<int64_t>(), kTimeoutMs);
  ASSERT_TRUE(a->process().signal(SIGCONT));
  ASSERT_TRUE(wait_state("edge-b", "ready")) << a->log();
}

TEST_F(NodesTest, NodesSurviveAServerRestartAndAgentsKeepTheirIds) {
  auto a = agent("cloud-c", "cloud");
  auto b = agent("iot-d", "iot");
  ASSERT_TRUE(wait_state("cloud-c", "ready"));
  ASSERT_TRUE(wait_state("iot-d", "ready"));
  std::string id_c = node_named("cloud-c")["id"];
  std::string id_d = node_named("iot-d")["id"];

  ExitStatus st = server_->stop();
  EXPECT_TRUE(st.exited() && st.code == 0) << st.to_string();
  server_->start();  // same data dir; agents retry until it is back
  json n = node_named("cloud-c");
  ASSERT_FALSE(n.is_null()) << "node list lost across the restart: " << nodes().dump() << server_->daemon().log();
  EXPECT_EQ(n["id"], id_c);
  ASSERT_TRUE(wait_state("cloud-c", "ready"));

  // An agent restarted from its data dir is the same node, not a new one.
  b->stop();
  b = agent("iot-d", "iot");
  ASSERT_TRUE(eventually([&] { return node_named("iot-d")["last_seen_age_ms"].get<int64_t>() < kTimeoutMs; }));
  EXPECT_EQ(node_named("iot-d")["id"], id_d);
  EXPECT_EQ(nodes().size(), 2u);
}

TEST_F(NodesTest, AServerThatForgotANodeMakesTheAgentRegisterAgain) {
  auto a = agent("edge-e", "edge");
  ASSERT_TRUE(wait_state("edge-e", "ready"));
  std::string id = node_named("edge-e")["id"];
  auto r = run_cli({"nodes", "drain", id, "--server", server_->url()});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(node_named("edge-e")["state"], "draining");
  auto u = run_cli({"nodes", "undrain", id, "--server", server_->url()});
  EXPECT_EQ(u.code, 0) << u.out;
  // Delete the node behind the agent's back: its next heartbeat gets 404 and it registers again.
  auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
  ASSERT_EQ((*c)->request(api::Method::DELETE, "/api/v1/nodes/" + id)->status, 204);
  ASSERT_TRUE(eventually([&] { return !node_named("edge-e").is_null(); })) << a->log();
  EXPECT_EQ(node_named("edge-e")["id"], id);
}

TEST_F(NodesTest, SigtermStopsServerAndAgentCleanly) {
  auto a = agent("edge-f", "edge");
  ASSERT_TRUE(wait_state("edge-f", "ready"));
  ExitStatus as = a->stop();
  EXPECT_TRUE(as.exited()) << as.to_string();
  EXPECT_EQ(as.code, 0);
  EXPECT_NE(a->log().find("stopped"), std::string::npos);
  ExitStatus ss = server_->stop();
  EXPECT_TRUE(ss.exited()) << ss.to_string();
  EXPECT_EQ(ss.code, 0);
  EXPECT_NE(server_->daemon().log().find("stopped"), std::string::npos);
}

TEST_F(NodesTest, BadRequestsGetProblemJson) {
  auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
  auto bad = (*c)->request(api::Method::POST, "/api/v1/nodes", "{\"level\": \"fog\"}");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("allowed: iot, edge, cloud"), std::string::npos) << bad->body;
  auto garbage = (*c)->request(api::Method::POST, "/api/v1/nodes", "{level");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(garbage->headers["Content-Type"], "application/problem+json");
  auto missing = (*c)->request(api::Method::PUT, "/api/v1/nodes/nope/heartbeat", "{}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto method = (*c)->request(api::Method::PATCH, "/api/v1/nodes");
  ASSERT_TRUE(method);
  EXPECT_EQ(method->status, 405);
  EXPECT_EQ(method->headers["Allow"], "GET, POST");
  auto big = (*c)->request(api::Method::POST, "/api/v1/nodes", std::string(100 * 1024, ' '));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto metrics = (*c)->request(api::Method::GET, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("iotwins_http_requests_total"), std::string::npos);
  EXPECT_EQ(nodes().size(), 0u);  // none of it registered anything
}

}  // namespace
}  // namespace iotwins::e2e

namespace iotwins::e2e {
namespace {

// docs/api/openapi.json is the served document, byte for byte (as pretty JSON): regenerate it with
//   curl -s http://127.0.0.1:8470/api/v1/openapi.json | python3 -m json.tool --indent 2 > docs/api/openapi.json
TEST(OpenApi, TheCommittedDocumentIsTheServedOne) {
  std::string dir = temp_dir("openapi");
  ServerDaemon server(dir);
  server.start();
  nlohmann::json served = server.get("/api/v1/openapi.json");
  ASSERT_TRUE(served.is_object());
  EXPECT_EQ(served["openapi"], "3.0.3");
  EXPECT_TRUE(served["paths"].contains("/api/v1/nodes/{id}/heartbeat"));
  std::ifstream in(std::string(IOTWINS_SOURCE_DIR) + "/docs/api/openapi.json");
  ASSERT_TRUE(in.good()) << "docs/api/openapi.json is missing";
  nlohmann::json committed = nlohmann::json::parse(in, nullptr, false);
  served["info"].erase("version");
  committed["info"].erase("version");
  EXPECT_EQ(served, committed) << "docs/api/openapi.json is out of date; regenerate it (see the comment above)";
}

}  // namespace
}  // namespace iotwins::e2e
