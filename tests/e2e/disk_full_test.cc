// Disk full on the edge: the agent's data dir is a small tmpfs (private mount namespace) that a
// ballast file fills up. Devices' messages are then refused unacknowledged (policy reject: the
// device keeps them), the agent keeps running and says why; once space returns everything
// acknowledged or retried arrives at the server exactly once.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../dataplane/mqtt_harness.h"
#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace mq = dataplane::testing;


TEST(DiskFullTest, TheEdgeRefusesWhatItCannotStoreAndRecoversWhenSpaceReturns) {
  std::string dir = temp_dir("DiskFullTest");
  ServerDaemon server(dir);
  server.start();
  std::string data = dir + "/edge";
  std::filesystem::create_directories(data);
  int port = mq::free_port();
  std::string agent_cmd = "mount -t tmpfs -o size=48m tmpfs " + data + " && exec " + binary() +
                          " agent --server " + server.url() + " --data-dir " + data +
                          " --name edge --heartbeat-interval 300ms --mqtt-port " + std::to_string(port);
  if (std::string join = join_token_for(server.url()); !join.empty()) agent_cmd += " --join-token " + join;
  ProcessOptions o;
  o.argv = {"unshare", "-m", "sh", "-c", agent_cmd};
  o.stdout_path = dir + "/edge.log";
  o.stderr_path = "stdout";
  auto agent = Process::spawn(o);
  ASSERT_TRUE(agent) << agent.error().message();
  // The agent's view of its data dir (its own mount namespace).
  std::string inside = "/proc/" + std::to_string(agent->pid()) + "/root" + data;
  ASSERT_TRUE(eventually([&] { return !read_trimmed(inside + "/agent.url").empty(); })) << read_trimmed(dir + "/edge.log");

  // Fill the disk but ~1 MiB.
  {
    auto info = std::filesystem::space(inside);
    std::ofstream ballast(inside + "/ballast", std::ios::binary);
    std::string mb(1 << 20, 'b');
    for (uint64_t left = info.available; left > (2u << 20); left -= mb.size()) ballast.write(mb.data(), mb.size());
  }
  auto pad = std::string(6000, 'x');
  int64_t base = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count() - 3'600'000;
  auto message = [&](uint64_t i) {
    return "{\"ts\":" + std::to_string(base + static_cast<int64_t>(i)) + ",\"seq\":" + std::to_string(i) +
           ",\"note\":\"" + pad + "\"}";
  };
  mq::Publisher pub("crusher-1", port, 20, /*clean_session=*/false);
  ASSERT_TRUE(pub.connected());
  // Publish until acknowledgements stop: the disk is full.
  uint64_t i = 0, last_acked = 0;
  auto last_progress = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - last_progress < 3s && i < 5000) {
    if (pub.publish("iotwins/crusher-1/telemetry", message(i), i, 100ms)) ++i;
    if (pub.acked_count() != last_acked) {
      last_acked = pub.acked_count();
      last_progress = std::chrono::steady_clock::now();
    }
  }
  ASSERT_LT(i, 5000u) << "the disk never filled";
  uint64_t stalled_at = pub.acked_count();
  EXPECT_LT(stalled_at, i);
  // Still alive, and it says why.
  EXPECT_TRUE(agent->running());
  EXPECT_TRUE(eventually([&] {
    std::string logs = read_trimmed(dir + "/edge.log") + read_trimmed(inside + "/broker/mosquitto.log");
    return logs.find("No space left on device") != std::string::npos;
  })) << read_trimmed(dir + "/edge.log");

  // Space returns: everything retried and everything acknowledged arrives once.
  std::filesystem::remove(inside + "/ballast");
  ASSERT_TRUE(pub.wait_all_acked(60s)) << pub.acked_count() << " of " << i;
  const uint64_t n = i;
  auto client = api::HttpClient::create(server.url(), client_options(server.url()));
  auto query = [&](const std::string& agg) {
    auto r = (*client)->request(api::Method::GET, "/api/v1/series/query?twin=crusher-1&property=seq&from=" +
                                                      std::to_string(base - 1000) + "ms&to=now&agg=" + agg);
    json j = r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
    return j.is_object() && !j["groups"].empty() ? j["groups"][0]["buckets"][0][agg].get<double>() : -1.0;
  };
  ASSERT_TRUE(eventually([&] { return query("count") >= static_cast<double>(n); }, 60s))
      << query("count") << " of " << n << "\n" << read_trimmed(dir + "/edge.log");
  EXPECT_EQ(query("count"), static_cast<double>(n));
  EXPECT_EQ(query("sum"), static_cast<double>(n) * static_cast<double>(n - 1) / 2);
  // A clean stop: the agent's tasks, data plane and broker (whose persisted queue is written on
  // the way out) shut down in order; on a loaded 2-core machine this has taken over 20 s.
  (void)agent->signal(SIGTERM);
  auto st = agent->wait_for(60s);
  ASSERT_TRUE(st) << "the agent did not stop within 60 s";
  EXPECT_EQ(st->code, 0) << read_trimmed(dir + "/edge.log");
}

}  // namespace
}  // namespace iotwins::e2e
