// TLS on every hop between machines: device → broker (MQTT over TLS), IoT agent → edge agent
// and edge agent → server (HTTPS, verified against the CA given with --ca-file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "../dataplane/mqtt_harness.h"
#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;


// A CA and one certificate for 127.0.0.1 used by every listener (openssl CLI).
std::string make_certs(const std::string& dir) {
  std::string cmd =
      "cd " + dir + " && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt "
      "-days 2 -subj /CN=iotwins-test-ca 2>/dev/null && "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout host.key -out host.csr "
      "-subj /CN=127.0.0.1 2>/dev/null && "
      "printf 'subjectAltName=IP:127.0.0.1' > san.ext && "
      "openssl x509 -req -in host.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out host.crt -days 2 "
      "-extfile san.ext 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return dir;
}

TEST(TlsTest, EveryHopIsEncryptedAndVerified) {
  std::string dir = temp_dir("TlsTest");
  make_certs(dir);
  std::string ca = dir + "/ca.crt", cert = dir + "/host.crt", key = dir + "/host.key";
  ServerDaemon server(dir, {"--tls-cert", cert, "--tls-key", key}, ca);
  server.start();
  std::string server_url = server.url();
  ASSERT_EQ(server_url.rfind("https://", 0), 0u);

  auto start_agent = [&](const std::string& name, const std::string& level, const std::string& parent,
                         int mqtt_port) {
    std::vector<std::string> args = {"agent", "--server", server_url, "--level", level, "--data-dir",
                                     dir + "/" + name, "--name", name, "--heartbeat-interval", "300ms",
                                     "--ca-file", ca, "--tls-cert", cert, "--tls-key", key,
                                     "--mqtt-port", std::to_string(mqtt_port), "--mqtt-tls-cert", cert,
                                     "--mqtt-tls-key", key};
    if (!parent.empty()) args.insert(args.end(), {"--parent-url", parent});
    auto d = std::make_unique<Daemon>(name, args, dir);
    d->start();
    EXPECT_TRUE(eventually([&] { return !read_trimmed(dir + "/" + name + "/agent.url").empty(); })) << d->log();
    return d;
  };
  auto edge = start_agent("edge", "edge", "", dataplane::testing::free_port());
  std::string edge_url = read_trimmed(dir + "/edge/agent.url");
  ASSERT_EQ(edge_url.rfind("https://", 0), 0u);
  int iot_port = dataplane::testing::free_port();
  auto iot = start_agent("iot", "iot", edge_url, iot_port);

  // A device that verifies the broker against the CA, QoS 1.
  for (int i = 0; i < 20; ++i) {
    std::string cmd = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(iot_port) + " --cafile " + ca +
                      " -q 1 -t iotwins/valve-3/telemetry -m '{\"pos\":" + std::to_string(i) + "}'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // The same device without TLS is not let in.
  std::string plain = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(iot_port) +
                      " -q 1 -t iotwins/valve-3/telemetry -m '{\"pos\":99}' 2>/dev/null";
  EXPECT_NE(std::system(plain.c_str()), 0);

  auto client = api::HttpClient::create(server_url, client_options(server_url));
  ASSERT_TRUE(client);
  EXPECT_TRUE(eventually([&] {
    auto r = (*client)->request(api::Method::GET, "/api/v1/series/query?twin=valve-3&property=pos&agg=count,sum&from=now-1h");
    if (!r || r->status != 200) return false;
    json j = json::parse(r->body, nullptr, false);
    return !j["groups"].empty() && j["groups"][0]["buckets"][0]["count"] == 20 &&
           j["groups"][0]["buckets"][0]["sum"] == 190.0;
  }, 30s)) << iot->log() << edge->log();
  // Plain HTTP to the server gets no answer; a client without the CA refuses the server.
  auto plain_client = api::HttpClient::create("http://" + server_url.substr(8));
  EXPECT_FALSE((*plain_client)->request(api::Method::GET, "/healthz").value_or(api::ClientResponse{}).ok());
  auto unverified = api::HttpClient::create(server_url, {.ca_file = dir + "/host.crt"});
  EXPECT_FALSE((*unverified)->request(api::Method::GET, "/healthz"));
}

}  // namespace
}  // namespace iotwins::e2e
