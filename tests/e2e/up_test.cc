// `iotwins up` end to end: the server, three agents with their brokers, the simulated plant and
// the factory chain, as a new user starts them. Within bounded times: three levels ready, the
// chain CREATE_COMPLETE, the plant's telemetry in the cloud store, a model trained and promoted,
// an injected fault → an anomaly event; SIGTERM stops every process it started.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

#include "core/fs.h"
#include "harness.h"
#include "testing/net.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// The first of three consecutive free loopback ports (up's edge, IoT and cloud brokers).
int three_free_ports() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int p = testing::free_port();
    if (p + 2 <= 65535 && port_free(p + 1) && port_free(p + 2)) return p;
  }
  return 0;
}

// Processes whose command line mentions `needle` (the test's data dir: agents and brokers).
std::set<int> processes_mentioning(const std::string& needle) {
  std::set<int> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = read_text(e.path().string() + "/cmdline");
    if (cmd.find(needle) != std::string::npos) out.insert(std::stoi(name));
  }
  return out;
}

// The "items" of a list answer (none while the server does not answer).
json items_of(const json& answer) { return answer.is_object() ? answer.value("items", json::array()) : json::array(); }

TEST(Up, RunsTheContinuumWithTheChainAndAnomaliesFlow) {
  const std::string dir = temp_dir("up");
  const std::string data = dir + "/data";
  const int http = testing::free_port();
  const int mqtt = three_free_ports();
  ASSERT_GT(mqtt, 0);
  const std::string src = IOTWINS_SOURCE_DIR;
  Daemon up("up", {"up", "--fresh", "--data-dir", data, "--listen", "127.0.0.1:" + std::to_string(http),
                   "--mqtt-port", std::to_string(mqtt), "--plant", src + "/examples/plant.yaml", "--chain",
                   src + "/examples/chains/factory.yaml"},
            dir);
  const std::string credentials = dir + "/cli/credentials.json";  // not the user's own file
  up.set_env({"IOTWINS_CREDENTIALS=" + credentials});
  up.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(http);

  // up logs in as its admin and stores the token where the CLI finds it; without it the server
  // lets nothing in.
  ASSERT_TRUE(eventually([&] { return !read_text(credentials).empty(); }, std::chrono::seconds(30))) << up.log();
  json stored = json::parse(read_text(credentials), nullptr, false);
  ASSERT_TRUE(stored.is_object() && stored["servers"].contains(url)) << stored.dump();
  use_token(url, stored["servers"][url].value("access_token", ""));
  EXPECT_EQ(http_json(url, "GET", "/api/v1/nodes")["_status"], 200);
  EXPECT_EQ(std::filesystem::status(credentials).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  {
    auto c = api::HttpClient::create(url);
    auto anonymous = (*c)->request(api::Method::GET, "/api/v1/nodes");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401);
  }

  // Three levels ready.
  ASSERT_TRUE(eventually([&] {
    json nodes = get_json(url, "/api/v1/nodes?state=ready");
    std::set<std::string> levels;
    for (const auto& n : items_of(nodes)) levels.insert(n.value("level", ""));
    return levels == std::set<std::string>{"iot", "edge", "cloud"};
  }, std::chrono::seconds(30))) << up.log();

  // The chain, complete; every task on a node of its level.
  json chain;
  ASSERT_TRUE(eventually([&] {
    chain = get_json(url, "/api/v1/deployments/dep-1");
    return chain.is_object() && chain.value("status", "") == "CREATE_COMPLETE";
  }, std::chrono::seconds(30))) << chain.dump() << up.log();
  EXPECT_NE(up.log().find("vibration_filter"), std::string::npos) << up.log();  // where each task runs

  // The plant's telemetry in the cloud store.
  ASSERT_TRUE(eventually([&] {
    json q = get_json(url, "/api/v1/series/query?twin=pump-101&property=flow_m3h&from=-10m&to=now");
    return q.is_object() && q.dump().find("\"value") != std::string::npos;
  }, std::chrono::seconds(30))) << up.log();

  // A model trained on the pump's first minute and promoted (before the fault: it learns the normal).
  ASSERT_TRUE(eventually([&] {
    json m = get_json(url, "/api/v1/models");
    for (const auto& item : items_of(m)) {
      if (item.value("name", "") == "press-anomaly" && item.value("promoted_version", 0) > 0) return true;
    }
    return false;
  }, std::chrono::seconds(90))) << read_text(data + "/agent-cloud/tasks/dep-1.trainer.0/logs/stdout.log");

  // A fault on the pump's circuit → an anomaly event from the edge's detector.
  auto injected = run_cli({"simulate", "inject", "valve_closure:valve-101,severity=0.9", "--broker",
                           "mqtt://127.0.0.1:" + std::to_string(mqtt + 1)});
  ASSERT_EQ(injected.code, 0) << injected.out;
  json events;
  EXPECT_TRUE(eventually([&] {
    events = get_json(url, "/api/v1/events?type=anomaly");
    return !items_of(events).empty();
  }, std::chrono::seconds(40))) << read_text(data + "/agent-edge/tasks/dep-1.anomaly_detector.0/logs/stdout.log");
  if (!items_of(events).empty()) {
    EXPECT_EQ(events["items"][0].value("twin", ""), "pump-101");
  }
  auto listed = run_cli({"events", "--type", "anomaly", "--server", url}, {.env = {"IOTWINS_CREDENTIALS=" + credentials}, .server_token = false});  // as the user: the stored login
  EXPECT_EQ(listed.code, 0) << listed.out;
  EXPECT_NE(listed.out.find("anomaly"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("pump-101"), std::string::npos) << listed.out;

  // SIGTERM: every process up started is gone (brokers and agents name the data dir; the plant and
  // the hybrid twin are in up's summary).
  std::set<int> before = processes_mentioning(data);
  EXPECT_GE(before.size(), 7u);  // server, 3 agents, 3 brokers
  std::regex pid_line(R"(pid (\d+))");
  std::string log = up.log();
  for (auto it = std::sregex_iterator(log.begin(), log.end(), pid_line); it != std::sregex_iterator(); ++it) {
    before.insert(std::stoi((*it)[1].str()));
  }
  ExitStatus st = up.stop();
  EXPECT_EQ(st.to_string(), "exited with code 0") << up.log();
  for (int pid : before) {
    bool gone = ::kill(pid, 0) != 0 ||
                read_text("/proc/" + std::to_string(pid) + "/stat").find(") Z") != std::string::npos;
    EXPECT_TRUE(gone) << "pid " << pid << " still runs: " << read_text("/proc/" + std::to_string(pid) + "/cmdline");
  }
}

}  // namespace
}  // namespace iotwins::e2e
