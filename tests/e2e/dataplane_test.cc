// The data plane end to end with real processes: devices publish QoS 1 to the agents' managed
// Mosquitto; data flows IoT → edge → cloud into the server's store. A fault proxy cuts the
// edge → cloud link; agents and the server are killed with SIGKILL mid-stream. Every test
// checks that every acknowledged sample arrives exactly once (count and sum per series) and in
// order.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

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

// Device time of message i: 1 ms apart, so a resent message overwrites itself.
int64_t device_ts_ms(int64_t base, uint64_t i) { return base + static_cast<int64_t>(i); }

std::string payload(int64_t base, uint64_t i) {
  return "{\"ts\":" + std::to_string(device_ts_ms(base, i)) + ",\"seq\":" + std::to_string(i) +
         ",\"temp\":" + std::to_string(20 + static_cast<double>(i % 100) / 10) + "}";
}

bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}


class DataPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    base_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count() - 3'600'000;
  }

  struct Agent {
    std::unique_ptr<Daemon> daemon;
    std::vector<std::string> args;
    std::string data_dir;
    int mqtt_port = 0;
    std::string ingest_url() const { return read_trimmed(data_dir + "/agent.url"); }
  };

  Agent agent(const std::string& name, const std::string& level, const std::string& server_url,
              const std::string& parent_url) {
    Agent a;
    a.data_dir = dir_ + "/" + name;
    a.mqtt_port = mq::free_port();
    a.args = {"agent", "--server", server_url, "--level", level, "--data-dir", a.data_dir,
              "--name", name, "--heartbeat-interval", "300ms", "--mqtt-port",
              std::to_string(a.mqtt_port)};
    if (!parent_url.empty()) a.args.insert(a.args.end(), {"--parent-url", parent_url});
    std::filesystem::remove(a.data_dir + "/agent.url");
    a.daemon = std::make_unique<Daemon>(name, a.args, dir_);
    a.daemon->start();
    EXPECT_TRUE(eventually([&] { return !read_trimmed(a.data_dir + "/agent.url").empty(); })) << a.daemon->log();
    return a;
  }

  // The server's view of one series: count and sum of `seq` over the whole test's range.
  json query(const std::string& server_url, const std::string& twin, const std::string& agg) {
    auto c = api::HttpClient::create(server_url, client_options(server_url));
    auto r = (*c)->request(api::Method::GET, "/api/v1/series/query?twin=" + twin +
                                                 "&property=seq&from=" + std::to_string(base_ms_ - 1000) +
                                                 "ms&to=now%2B1h&agg=" + agg);
    if (!r || r->status != 200) return nullptr;
    return json::parse(r->body, nullptr, false);
  }
  uint64_t count(const std::string& server_url, const std::string& twin) {
    json j = query(server_url, twin, "count");
    if (j.is_null() || j["groups"].empty()) return 0;
    return j["groups"][0]["buckets"][0]["count"].get<uint64_t>();
  }
  double sum(const std::string& server_url, const std::string& twin) {
    json j = query(server_url, twin, "sum");
    return j["groups"][0]["buckets"][0]["sum"].get<double>();
  }
  // Raw samples of seq in time order: value i at device time base + i.
  void expect_in_order(const std::string& server_url, const std::string& twin, uint64_t n) {
    auto c = api::HttpClient::create(server_url, client_options(server_url));
    auto r = (*c)->request(api::Method::GET, "/api/v1/series/query?twin=" + twin +
                                                 "&property=seq&format=ndjson&from=" +
                                                 std::to_string(base_ms_ - 1000) + "ms&to=now%2B1h");
    ASSERT_TRUE(r && r->status == 200);
    uint64_t expected = 0;
    size_t pos = 0;
    while (pos < r->body.size()) {
      size_t nl = r->body.find('\n', pos);
      json line = json::parse(r->body.substr(pos, nl - pos), nullptr, false);
      pos = nl == std::string::npos ? r->body.size() : nl + 1;
      if (!line.contains("value")) continue;
      ASSERT_EQ(line["value"].get<double>(), static_cast<double>(expected)) << "sample " << expected;
      ++expected;
    }
    EXPECT_EQ(expected, n);
  }
  void expect_exactly_once(const std::string& server_url, const std::string& twin, uint64_t n) {
    ASSERT_TRUE(eventually([&] { return count(server_url, twin) >= n; }, 60s))
        << twin << ": " << count(server_url, twin) << " of " << n;
    EXPECT_EQ(count(server_url, twin), n);
    EXPECT_EQ(sum(server_url, twin), static_cast<double>(n) * static_cast<double>(n - 1) / 2);
    expect_in_order(server_url, twin, n);
  }

  // Publishes messages [from, to) of `twin` and waits for every PUBACK.
  static void publish_all(mq::Publisher& pub, const std::string& twin, int64_t base, uint64_t from,
                          uint64_t to) {
    for (uint64_t i = from; i < to; ++i) {
      ASSERT_TRUE(pub.publish("iotwins/" + twin + "/telemetry", payload(base, i), i)) << "message " << i;
    }
    ASSERT_TRUE(pub.wait_all_acked(60s));
  }

  std::string dir_;
  int64_t base_ms_ = 0;
};

TEST_F(DataPlaneTest, TelemetryFlowsIotToEdgeToCloudExactlyOnce) {
  ServerDaemon server(dir_);
  server.start();
  Agent edge = agent("edge", "edge", server.url(), "");
  Agent iot = agent("iot", "iot", server.url(), edge.ingest_url());

  mq::Counter errors(iot.mqtt_port, "iotwins/+/errors");
  ASSERT_TRUE(errors.subscribed());
  mq::Publisher at_iot("press-1", iot.mqtt_port, 100);
  mq::Publisher at_edge("pump-1", edge.mqtt_port, 100);
  ASSERT_TRUE(at_iot.connected() && at_edge.connected());
  publish_all(at_iot, "press-1", base_ms_, 0, 2000);
  publish_all(at_edge, "pump-1", base_ms_, 0, 500);
  ASSERT_TRUE(at_iot.publish("iotwins/press-1/telemetry", "{\"temp\": oops}", 99999));
  ASSERT_TRUE(at_iot.publish("iotwins/press-1/events/alarm", "{\"code\":7}", 99998));

  expect_exactly_once(server.url(), "press-1", 2000);
  expect_exactly_once(server.url(), "pump-1", 500);
  // The invalid message is reported to the device side and does not stop anything.
  EXPECT_TRUE(mq::eventually([&] { return errors.count() >= 1; }));
  EXPECT_TRUE(eventually([&] {
    json ev = server.get("/api/v1/events?twin=press-1&type=alarm");
    return ev["count"] == 1 && ev["items"][0]["data"]["code"] == 7;
  }));
  // Heartbeats carry the data plane's figures; the IoT agent's telemetry backlog drains to 0.
  EXPECT_TRUE(eventually([&] {
    json nodes = server.get("/api/v1/nodes");
    for (const auto& n : nodes["items"]) {
      if (n["name"] != "iot" || n["kpis"].is_null() || !n["kpis"].contains("buffers")) continue;
      const json& k = n["kpis"];
      return k["ingest"]["messages"].get<uint64_t>() >= 2002 &&
             k["ingest"]["invalid_messages"].get<uint64_t>() >= 1 &&
             k["buffers"][0]["stream"] == "telemetry" && k["buffers"][0]["backlog_records"] == 0;
    }
    return false;
  })) << server.get("/api/v1/nodes").dump();
  // … and `iotwins nodes show` prints them.
  std::string iot_id;
  json nodes = server.get("/api/v1/nodes");
  for (const auto& n : nodes["items"]) {
    if (n["name"] == "iot") iot_id = n["id"];
  }
  std::string edge_id;
  for (const auto& n : nodes["items"]) {
    if (n["name"] == "edge") edge_id = n["id"];
  }
  // The edge forwarded everything to the server: the server knows its end-to-end delay.
  auto edge_show = run_cli({"nodes", "show", edge_id, "--server", server.url()});
  EXPECT_NE(edge_show.out.find("device time → durable in the cloud: p50"), std::string::npos) << edge_show.out;
  auto show = run_cli({"nodes", "show", iot_id, "--server", server.url()});
  EXPECT_EQ(show.code, 0) << show.out;
  EXPECT_NE(show.out.find("ingest     broker mqtt://127.0.0.1:" + std::to_string(iot.mqtt_port)), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("buffers    STREAM"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("telemetry"), std::string::npos) << show.out;
}

// 60 s of steady publishing; the edge → cloud link is down from 15 s to 45 s.
TEST_F(DataPlaneTest, APartitionOfTheEdgeLosesNothingAndDuplicatesNothing) {
  ServerDaemon server(dir_);
  server.start();
  auto target = api::parse_url(server.url());
  FaultProxy link("127.0.0.1", target->port);
  same_server(link.url(), server.url());
  Agent edge = agent("edge", "edge", link.url(), link.url());
  mq::Publisher pub("line-1", edge.mqtt_port, 100);
  ASSERT_TRUE(pub.connected());

  const auto start = std::chrono::steady_clock::now();
  uint64_t i = 0;
  uint64_t at_cut = 0, during_cut_max = 0;
  bool cut = false, healed = false;
  while (std::chrono::steady_clock::now() - start < 60s) {
    auto t = std::chrono::steady_clock::now() - start;
    if (!cut && t >= 15s) {
      link.cut();
      cut = true;
      at_cut = count(server.url(), "line-1");
    }
    if (cut && !healed && t >= 45s) {
      during_cut_max = count(server.url(), "line-1");
      link.heal();
      healed = true;
    }
    ASSERT_TRUE(pub.publish("iotwins/line-1/telemetry", payload(base_ms_, i), i));
    ++i;
    std::this_thread::sleep_for(5ms);  // a device publishing at ~200 messages/s
  }
  ASSERT_TRUE(pub.wait_all_acked(60s));
  // The cut was real: the cloud received (almost) nothing while it lasted …
  EXPECT_LT(during_cut_max, at_cut + 1000) << "counts at cut " << at_cut << ", at heal " << during_cut_max;
  // … and after it healed everything arrived once, in order.
  expect_exactly_once(server.url(), "line-1", i);
}

TEST_F(DataPlaneTest, KillingTheEdgeAgentMidStreamLosesNoAcknowledgedSample) {
  ServerDaemon server(dir_);
  server.start();
  Agent edge = agent("edge", "edge", server.url(), "");
  mq::Publisher pub("press-9", edge.mqtt_port, 100, /*clean_session=*/false);
  ASSERT_TRUE(pub.connected());
  publish_all(pub, "press-9", base_ms_, 0, 1500);
  // Mid-stream: messages are in flight when the agent (and with it its broker) dies.
  std::thread more([&] {
    for (uint64_t i = 1500; i < 1800; ++i) (void)pub.publish("iotwins/press-9/telemetry", payload(base_ms_, i), i, 60s);
  });
  std::this_thread::sleep_for(20ms);
  edge.daemon->kill9();
  // The broker follows its agent (SIGTERM on the parent's death); then restart on the same port.
  ASSERT_TRUE(eventually([&] { return !port_open(edge.mqtt_port); }, 20s));
  edge.daemon->start();
  more.join();
  ASSERT_TRUE(pub.wait_all_acked(60s));
  publish_all(pub, "press-9", base_ms_, 1800, 2500);
  expect_exactly_once(server.url(), "press-9", 2500);
}

TEST_F(DataPlaneTest, KillingTheServerDuringIngestLosesNothing) {
  ServerDaemon server(dir_);
  server.start();
  auto target = api::parse_url(server.url());
  FaultProxy link("127.0.0.1", target->port);
  same_server(link.url(), server.url());
  Agent edge = agent("edge", "edge", link.url(), link.url());
  mq::Publisher pub("mixer-2", edge.mqtt_port, 100);
  ASSERT_TRUE(pub.connected());
  std::thread publisher([&] { publish_all(pub, "mixer-2", base_ms_, 0, 6000); });
  ASSERT_TRUE(eventually([&] { return count(server.url(), "mixer-2") >= 1000; }, 60s));
  server.daemon().kill9();
  server.start();  // same data dir, a new port: the link follows it
  target = api::parse_url(server.url());
  link.retarget(target->port);
  publisher.join();
  expect_exactly_once(server.url(), "mixer-2", 6000);
}

TEST_F(DataPlaneTest, AnExternalBrokerGivenByUrlIsSubscribed) {
  ServerDaemon server(dir_);
  server.start();
  std::filesystem::create_directories(dir_ + "/external-broker");
  auto broker = mq::Broker::start({.dir = dir_ + "/external-broker"});
  ASSERT_TRUE(broker) << broker.error().message();
  std::string url = "mqtt://127.0.0.1:" + std::to_string(broker->port());
  Daemon edge("edge", {"agent", "--server", server.url(), "--data-dir", dir_ + "/edge", "--name", "edge",
                       "--heartbeat-interval", "300ms", "--mqtt", url},
              dir_);
  edge.start();
  mq::Publisher pub("feeder-4", broker->port(), 50);
  ASSERT_TRUE(pub.connected());
  // The agent subscribes once connected: probe until its first message arrives.
  uint64_t probes = 0;
  ASSERT_TRUE(eventually([&] {
    (void)pub.publish("iotwins/probe/telemetry", "{\"x\":1}", 1'000'000 + probes++);
    auto c = api::HttpClient::create(server.url(), client_options(server.url()));
    auto r = (*c)->request(api::Method::GET, "/api/v1/series?twin=probe");
    return r && r->status == 200 && json::parse(r->body)["count"] == 1;
  }, 30s)) << edge.log();
  publish_all(pub, "feeder-4", base_ms_, 0, 500);
  expect_exactly_once(server.url(), "feeder-4", 500);
}

TEST_F(DataPlaneTest, TheAgentRestartsItsBrokerWhenItDies) {
  ServerDaemon server(dir_);
  server.start();
  Agent edge = agent("edge", "edge", server.url(), "");
  mq::Publisher pub("kiln-5", edge.mqtt_port, 50, /*clean_session=*/false);
  ASSERT_TRUE(pub.connected());
  publish_all(pub, "kiln-5", base_ms_, 0, 300);
  std::string log = edge.daemon->log();
  size_t at = log.find("(pid ");
  ASSERT_NE(at, std::string::npos) << log;
  int pid = std::stoi(log.substr(at + 5));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return edge.daemon->log().find("mosquitto restarted") != std::string::npos; }, 30s))
      << edge.daemon->log();
  publish_all(pub, "kiln-5", base_ms_, 300, 600);
  expect_exactly_once(server.url(), "kiln-5", 600);
  EXPECT_TRUE(eventually([&] {
    json nodes = server.get("/api/v1/nodes");
    for (const auto& n : nodes["items"]) {
      if (!n["kpis"].is_null() && n["kpis"].contains("ingest")) return n["kpis"]["ingest"]["broker_restarts"] == 1;
    }
    return false;
  }));
}

}  // namespace
}  // namespace iotwins::e2e
