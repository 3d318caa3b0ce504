// The server with an external time-series store (--tsdb): samples ingested from a device
// through an edge agent land in a real PostgreSQL / InfluxDB and come back through
// /api/v1/series/query.
#include <gtest/gtest.h>

#include <fstream>

#include "../dataplane/mqtt_harness.h"
#include "../tsdbext/servers.h"
#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;


class ExternalStoreTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExternalStoreTest, IngestedSamplesLandInTheDatabase) {
  std::string dir = temp_dir("ExternalStoreTest-" + GetParam());
  std::string url;
  if (GetParam() == "postgresql") {
    ASSERT_TRUE(tsdbext::testing::postgres().create_schema("e2e_ingest"));
    url = tsdbext::testing::postgres().url_in_schema("e2e_ingest");
  } else {
    url = tsdbext::testing::influx().url("e2e_ingest");
  }
  ServerDaemon server(dir, {"--tsdb", url});
  server.start();
  int port = dataplane::testing::free_port();
  Daemon edge("edge", {"agent", "--server", server.url(), "--data-dir", dir + "/edge", "--name", "edge",
                       "--heartbeat-interval", "300ms", "--mqtt-port", std::to_string(port)},
              dir);
  edge.start();
  ASSERT_TRUE(eventually([&] { return !read_trimmed(dir + "/edge/agent.url").empty(); })) << edge.log();
  dataplane::testing::Publisher pub("boiler-1", port, 50);
  ASSERT_TRUE(pub.connected());
  int64_t base = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count() - 600'000;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(pub.publish("iotwins/boiler-1/telemetry",
                            "{\"ts\":" + std::to_string(base + i * 1000) + ",\"flow\":" + std::to_string(i) + "}", i));
  }
  ASSERT_TRUE(pub.wait_all_acked(30s));
  auto client = api::HttpClient::create(server.url(), client_options(server.url()));
  EXPECT_TRUE(eventually([&] {
    auto r = (*client)->request(api::Method::GET,
                                "/api/v1/series/query?twin=boiler-1&property=flow&from=now-1h&agg=count,sum,max");
    if (!r || r->status != 200) return false;
    json j = json::parse(r->body, nullptr, false);
    if (j["groups"].empty()) return false;
    const json& b = j["groups"][0]["buckets"][0];
    return b["count"] == 300 && b["sum"] == 44850.0 && b["max"] == 299.0;
  }, 30s)) << server.daemon().log();
}

INSTANTIATE_TEST_SUITE_P(Backends, ExternalStoreTest, ::testing::Values("postgresql", "influxdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace iotwins::e2e
