// Node KPI history and threshold events through the real server: heartbeats sent over HTTP
// with chosen KPIs land as series twin="node:<id>" (GET /api/v1/series/query and `iotwins
// series query`), and the disk rule raises one `threshold` event when crossed upward and one
// `threshold_cleared` once back at or below its clear level — not one per heartbeat. And a real
// agent's heartbeats fill its node's series.
#include <gtest/gtest.h>

#include <set>

#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

TEST(NodeKpisE2e, HeartbeatsBecomeHistoryAndThresholdEvents) {
  std::string dir = temp_dir("NodeKpisE2e");
  ServerDaemon server(dir, {"--kpi-thresholds", "disk_used_percent>90/85,buffer_saturation_percent>80/70"});
  server.start();
  auto c = api::HttpClient::create(server.url(), client_options(server.url()));
  ASSERT_TRUE(c);
  auto& client = **c;
  auto reg = client.request(api::Method::POST, "/api/v1/nodes", R"({"name":"edge-kpi","level":"edge"})");
  ASSERT_TRUE(reg && reg->ok()) << (reg ? reg->body : reg.error().to_string());
  const std::string id = json::parse(reg->body)["id"];

  auto beat = [&](uint64_t disk_used_of_1000, uint64_t buffer_bytes) {
    json hb = {{"kpis",
                {{"cpu_percent", 20.5},
                 {"memory_used_bytes", 600},
                 {"memory_available_bytes", 400},
                 {"disk_used_bytes", disk_used_of_1000},
                 {"disk_free_bytes", 1000 - disk_used_of_1000},
                 {"buffers", {{{"stream", "telemetry"}, {"backlog_records", 5}, {"bytes", buffer_bytes},
                               {"max_bytes", 1000}}}}}}};
    auto r = client.request(api::Method::PUT, "/api/v1/nodes/" + id + "/heartbeat", hb.dump());
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : r.error().to_string());
  };
  beat(500, 100);
  beat(950, 100);  // disk over 90 %
  beat(960, 900);  // still over (no new event); buffer over 80 %
  beat(870, 900);  // inside the band: nothing
  beat(800, 100);  // disk and buffer back below their clear levels

  json events = server.get("/api/v1/events?twin=node:" + id);
  ASSERT_EQ(events["count"], 4) << events.dump(2);
  std::vector<std::string> seen;
  for (const auto& e : events["items"]) {
    seen.push_back(e["type"].get<std::string>() + ":" + e["data"]["kpi"].get<std::string>());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"threshold:disk_used_percent", "threshold:buffer_saturation_percent",
                                            "threshold_cleared:disk_used_percent",
                                            "threshold_cleared:buffer_saturation_percent"}));
  const json& first = events["items"][0]["data"];
  EXPECT_EQ(first["node"], id);
  EXPECT_EQ(first["value"], 95.0);
  EXPECT_EQ(first["limit"], 90.0);
  EXPECT_EQ(events["items"][1]["data"]["stream"], "telemetry");
  EXPECT_EQ(server.get("/api/v1/events?type=threshold")["count"], 2);

  json disk = server.get("/api/v1/series/query?twin=node:" + id + "&property=disk_used_percent&from=-1h&to=now%2B1m");
  ASSERT_EQ(disk["series"].size(), 1u) << disk.dump();
  std::vector<double> values;
  for (const auto& s : disk["series"][0]["samples"]) values.push_back(s["value"]);
  EXPECT_EQ(values, (std::vector<double>{50, 95, 96, 87, 80}));
  json sat = server.get("/api/v1/series/query?twin=node:" + id +
                        "&property=buffer_saturation_percent&label.stream=telemetry&agg=max&from=-1h&to=now%2B1m");
  EXPECT_EQ(sat["groups"][0]["buckets"][0]["max"], 90.0) << sat.dump();

  auto metrics = client.request(api::Method::GET, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("iotwins_node_kpi{kpi=\"disk_used_percent\",node=\"" + id + "\"} 80\n"),
            std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("iotwins_node_kpi{kpi=\"buffer_backlog_records\",node=\"" + id +
                               "\",stream=\"telemetry\"} 5\n"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("iotwins_node_threshold_raised{kpi=\"disk_used_percent\",node=\"" + id + "\"} 0\n"),
            std::string::npos);

  auto cli = run_cli({"series", "query", "--server", server.url(), "--twin", "node:" + id, "--property", "cpu_percent",
                      "--from", "-1h", "--to", "now+1m"});
  ASSERT_EQ(cli.code, 0) << cli.out;
  EXPECT_NE(cli.out.find("20.5"), std::string::npos) << cli.out;
}

TEST(NodeKpisE2e, ARealAgentsHeartbeatsFillItsNodeSeries) {
  std::string dir = temp_dir("NodeKpisAgent");
  ServerDaemon server(dir);
  server.start();
  Daemon agent("agent", {"agent", "--server", server.url(), "--level", "edge", "--data-dir", dir + "/edge", "--name",
                         "edge-real", "--mqtt", "none", "--heartbeat-interval", "200ms"},
               dir);
  agent.start();
  std::string id;
  ASSERT_TRUE(eventually([&] {
    json nodes = server.get("/api/v1/nodes");
    if (nodes["items"].empty()) return false;
    id = nodes["items"][0]["id"];
    return true;
  })) << agent.log();
  // Two heartbeats at least: every KPI series of the node has samples.
  ASSERT_TRUE(eventually([&] {
    json s = server.get("/api/v1/series?twin=node:" + id + "&property=cpu_percent");
    return !s["items"].empty() && s["items"][0]["count"].get<int>() >= 2;
  })) << agent.log();
  json all = server.get("/api/v1/series?twin=node:" + id + "&limit=1000");
  std::set<std::string> kpis;
  for (const auto& s : all["items"]) kpis.insert(s["property"].get<std::string>());
  for (const char* k : {"cpu_percent", "load1", "memory_used_percent", "memory_total_bytes", "disk_used_percent",
                        "net_rx_rate", "net_tx_rate"}) {
    EXPECT_TRUE(kpis.contains(k)) << k << " missing from " << all.dump();
  }
  json mem = server.get("/api/v1/series/last?twin=node:" + id + "&property=memory_used_percent");
  double pct = mem["sample"]["value"];
  EXPECT_GT(pct, 0);
  EXPECT_LT(pct, 100);
  agent.stop();
}

TEST(NodeKpisE2e, BadThresholdRulesStopTheServerWithAClearError) {
  std::string dir = temp_dir("NodeKpisBadRules");
  auto r = run_cli({"server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--kpi-thresholds", "disk>90"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--kpi-thresholds: threshold rule 'disk>90': unknown KPI 'disk'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace iotwins::e2e
