// Machines and devices (docs/security.md "Machines"): agents join with a one-time token, use
// mTLS and their API token, rotate their certificate, are refused once revoked or expired; the
// agent's broker admits devices by their twin's credential and only on their twin's topics.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../dataplane/mqtt_harness.h"
#include "api/http_client.h"
#include "core/clock.h"
#include "core/fs.h"
#include "harness.h"
#include "iam/ca.h"
#include "iam/keys.h"
#include "iam/x509.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

unsigned mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// One request with explicit client options: the JSON answer with "_status", or null when the
// connection (TLS handshake included) failed.
json call(const std::string& url, const api::ClientOptions& options, api::Method method, const std::string& path,
          const std::string& body = "") {
  auto client = api::HttpClient::create(url, options);
  if (!client) return nullptr;
  auto r = (*client)->request(method, path, body);
  if (!r) return nullptr;
  json j = r->body.empty() ? json::object() : json::parse(r->body, nullptr, false);
  if (!j.is_object()) j = json::object();
  j["_status"] = r->status;
  return j;
}

std::string serial_of_pem_file(const std::string& path) {
  auto info = iam::describe_certificate(read_text(path));
  return info ? info->serial : "";
}

// An agent with data in dir/name, logging to dir/<log_name or name>.log.
std::unique_ptr<Daemon> start_agent(const std::string& dir, const std::string& name, const std::string& server_url,
                                    std::vector<std::string> extra, const std::string& log_name = "") {
  std::vector<std::string> args = {"agent", "--server", server_url, "--level", "edge", "--data-dir", dir + "/" + name,
                                   "--name", name, "--heartbeat-interval", "300ms",
                                   "--mqtt-port", std::to_string(dataplane::testing::free_port())};
  args.insert(args.end(), extra.begin(), extra.end());
  auto d = std::make_unique<Daemon>(log_name.empty() ? name : log_name, args, dir);
  d->start();
  return d;
}

// A server on https with a certificate from its own CA (made here before it starts, as an
// operator bringing the CA would) and short node certificates, so rotation and expiry happen
// within the test.
struct HttpsServer {
  std::string dir, ca_file, url;
  std::unique_ptr<ServerDaemon> server;
  explicit HttpsServer(const std::string& name) : dir(temp_dir(name)) {
    auto& fs = PosixFileSystem::instance();
    auto ca = iam::CertificateAuthority::open(fs, dir + "/server/ca", SystemClock::instance());
    EXPECT_TRUE(ca) << ca.error().to_string();
    auto issued = (*ca)->issue_server({}, {"127.0.0.1"});
    EXPECT_TRUE(issued);
    EXPECT_TRUE(fs.write_file_atomic(dir + "/server.crt", issued->certificate_pem));
    EXPECT_TRUE(fs.write_file_atomic(dir + "/server.key", issued->private_key_pem));
    ca_file = dir + "/server/ca/ca.crt";
    server = std::make_unique<ServerDaemon>(dir, std::vector<std::string>{"--tls-cert", dir + "/server.crt", "--tls-key",
                                                                          dir + "/server.key", "--node-cert-validity", "8s"});
    server->daemon().start();  // ServerDaemon's own readiness probe speaks plain HTTP
    EXPECT_TRUE(eventually([&] { return !read_trimmed(dir + "/server/server.url").empty(); })) << server->daemon().log();
    url = read_trimmed(dir + "/server/server.url");
    EXPECT_TRUE(eventually([&] {
      json r = call(url, {.ca_file = ca_file}, api::Method::GET, "/readyz");
      return r.is_object() && r["_status"] == 200;
    })) << server->daemon().log();
    json login = {{"grant_type", "password"}, {"username", "admin"}, {"password", kTestAdminPassword}};
    json t = call(url, plain(), api::Method::POST, "/api/v1/auth/token", login.dump());
    EXPECT_EQ(t["_status"], 200) << t.dump();
    token = t.value("access_token", "");
  }
  std::string token;  // the admin's
  api::ClientOptions plain() const { return {.ca_file = ca_file}; }
  api::ClientOptions admin() const { return {.ca_file = ca_file, .bearer_token = token}; }
  std::string join_token() const {
    json t = call(url, admin(), api::Method::POST, "/api/v1/join-tokens", R"({"ttl":"10m"})");
    EXPECT_EQ(t["_status"], 201) << t.dump();
    return t.value("token", "");
  }
};

TEST(SecurityMachinesTest, JoinMtlsRotationExpiryAndRevocation) {
  HttpsServer s("SecurityMachinesJoin");
  ASSERT_EQ(s.url.rfind("https://", 0), 0u);
  std::string token = s.join_token();
  ASSERT_FALSE(token.empty());

  // Joining: the agent keeps its key, certificate, CA and API token in <data-dir>/identity.
  auto agent = start_agent(s.dir, "edge", s.url, {"--join-token", token, "--ca-file", s.ca_file});
  std::string identity = s.dir + "/edge/identity";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(identity + "/credentials.json"); })) << agent->log();
  EXPECT_EQ(mode_of(identity), 0700u);
  EXPECT_EQ(mode_of(identity + "/node.pem"), 0600u);
  EXPECT_EQ(mode_of(identity + "/credentials.json"), 0600u);
  json creds = json::parse(read_text(identity + "/credentials.json"));
  std::string node_id = creds["node_id"];
  std::string api_token = creds["api_token"];
  ASSERT_EQ(api_token.rfind("iot_pat_", 0), 0u);
  ASSERT_TRUE(eventually([&] {
    json n = call(s.url, s.admin(), api::Method::GET, "/api/v1/nodes/" + node_id);
    return n.is_object() && n["_status"] == 200 && n["state"] == "ready";
  })) << agent->log();
  // Its certificate names it; the private key never left the machine (only a CSR was sent).
  auto first = iam::describe_certificate(read_text(identity + "/node.pem"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->common_name, "node:" + node_id);
  std::string first_pem = read_text(identity + "/node.pem");
  std::filesystem::copy_file(identity + "/node.pem", s.dir + "/first.pem");

  // The token was one-time: a second machine using it is refused and stops.
  auto second = start_agent(s.dir, "edge2", s.url, {"--join-token", token, "--ca-file", s.ca_file});
  ASSERT_TRUE(eventually([&] { return second->process().wait_for(0ms).has_value(); })) << second->log();
  EXPECT_NE(second->log().find("already used"), std::string::npos) << second->log();
  EXPECT_FALSE(std::filesystem::exists(s.dir + "/edge2/identity/credentials.json"));

  // mTLS: the client certificate alone identifies the node (its own routes accept it)…
  api::ClientOptions as_node{.ca_file = s.ca_file, .client_cert_file = s.dir + "/first.pem",
                             .client_key_file = s.dir + "/first.pem"};
  json mine = call(s.url, as_node, api::Method::GET, "/api/v1/nodes/" + node_id + "/device-credentials");
  ASSERT_TRUE(mine.is_object());
  EXPECT_EQ(mine["_status"], 200) << mine.dump();
  // … and without it, or for another node, the answer is no.
  json anonymous = call(s.url, s.plain(), api::Method::GET, "/api/v1/nodes/" + node_id + "/device-credentials");
  EXPECT_TRUE(anonymous["_status"] == 401 || anonymous["_status"] == 403) << anonymous.dump();
  EXPECT_EQ(call(s.url, as_node, api::Method::GET, "/api/v1/nodes/edge-000000000000/device-credentials")["_status"], 403);

  // Rotation: 8 s certificates are renewed after two thirds of their life.
  ASSERT_TRUE(eventually([&] {
    std::string now = serial_of_pem_file(identity + "/node.pem");
    return !now.empty() && now != first->serial;
  }, 30s)) << agent->log();
  EXPECT_NE(agent->log().find("client certificate renewed"), std::string::npos);

  // An expired certificate is refused at the handshake, a current one is not.
  ASSERT_TRUE(eventually([&] { return SystemClock::instance().now_ns() / 1'000'000'000 > first->not_after_s + 1; }, 30s));
  EXPECT_TRUE(call(s.url, as_node, api::Method::GET, "/readyz").is_null()) << "an expired certificate was accepted";
  std::filesystem::copy_file(identity + "/node.pem", s.dir + "/current.pem");
  api::ClientOptions current{.ca_file = s.ca_file, .client_cert_file = s.dir + "/current.pem",
                             .client_key_file = s.dir + "/current.pem"};
  EXPECT_EQ(call(s.url, current, api::Method::GET, "/api/v1/nodes/" + node_id + "/device-credentials")["_status"], 200);

  // Revocation: the certificate and the API token are refused from then on.
  json revoked = call(s.url, s.admin(), api::Method::POST, "/api/v1/nodes/" + node_id + "/revoke");
  ASSERT_EQ(revoked["_status"], 200) << revoked.dump();
  EXPECT_GE(revoked["revoked_certificates"].size(), 2u);
  EXPECT_TRUE(call(s.url, current, api::Method::GET, "/readyz").is_null()) << "a revoked certificate was accepted";
  api::ClientOptions by_token{.ca_file = s.ca_file, .bearer_token = api_token};
  json refused = call(s.url, by_token, api::Method::GET, "/api/v1/nodes/" + node_id + "/device-credentials");
  EXPECT_TRUE(refused["_status"] == 401 || refused["_status"] == 403) << refused.dump();
  // Rotation is refused too: a revoked node cannot get a fresh certificate.
  auto key = iam::SigningKey::generate();
  json csr = {{"csr", *iam::make_csr(key->pkey(), "x")}};
  json renewed = call(s.url, by_token, api::Method::POST, "/api/v1/nodes/" + node_id + "/certificate", csr.dump());
  EXPECT_TRUE(renewed["_status"] == 401 || renewed["_status"] == 403) << renewed.dump();
  agent->stop();
}

TEST(SecurityMachinesTest, ARestartedAgentKeepsItsIdentityEvenAfterItsCertificateExpired) {
  HttpsServer s("SecurityMachinesRestart");
  auto agent = start_agent(s.dir, "edge", s.url, {"--join-token", s.join_token(), "--ca-file", s.ca_file});
  std::string file = s.dir + "/edge/identity/credentials.json";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(file); })) << agent->log();
  std::string node_id = json::parse(read_text(file))["node_id"];
  agent->stop();
  // Down for longer than its certificate lives: the token renews it, no join token is needed.
  auto expired = iam::describe_certificate(read_text(s.dir + "/edge/identity/node.pem"));
  ASSERT_TRUE(expired);
  ASSERT_TRUE(eventually([&] { return SystemClock::instance().now_ns() / 1'000'000'000 > expired->not_after_s + 1; }, 30s));
  auto again = start_agent(s.dir, "edge", s.url, {"--ca-file", s.ca_file}, "edge-again");
  ASSERT_TRUE(eventually([&] {
    json n = call(s.url, s.admin(), api::Method::GET, "/api/v1/nodes/" + node_id);
    return again->log().find("registered again as node " + node_id) != std::string::npos && n.is_object() &&
           n["state"] == "ready";
  })) << again->log();
  EXPECT_NE(serial_of_pem_file(s.dir + "/edge/identity/node.pem"), expired->serial);
  EXPECT_EQ(again->log().find("joined as node"), std::string::npos);
  again->stop();
}

// mosquitto_pub as a device: exit code and output.
CommandResult mqtt_pub(int port, const std::string& user, const std::string& password, const std::string& topic,
                       const std::string& payload) {
  std::string out_file = temp_dir("SecurityMachinesPub") + "/out";
  std::string cmd = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port) + " -q 1 -i dev-" + user +
                    (user.empty() ? "" : " -u '" + user + "' -P '" + password + "'") + " -t '" + topic + "' -m '" +
                    payload + "' > " + out_file + " 2>&1";
  int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(out_file)};
}

TEST(SecurityMachinesTest, DevicesUseOnlyTheirOwnTwinsTopicsOnTheAgentsBroker) {
  std::string dir = temp_dir("SecurityMachinesAcl");
  ServerDaemon server(dir);
  server.start();
  // The operator's CLI makes the token (printed alone on stdout) and lists it.
  auto made = run_cli({"nodes", "join-token", "--server", server.url(), "--ttl", "10m"});
  ASSERT_EQ(made.code, 0) << made.out;
  size_t at = made.out.find("iot_join_");
  ASSERT_NE(at, std::string::npos) << made.out;
  json t = {{"token", made.out.substr(at, made.out.find_first_of(" \n", at) - at)}};
  auto listed = run_cli({"nodes", "join-tokens", "--server", server.url()});
  EXPECT_EQ(listed.code, 0) << listed.out;
  EXPECT_NE(listed.out.find("default"), std::string::npos) << listed.out;
  int mqtt_port = dataplane::testing::free_port();
  auto agent = std::make_unique<Daemon>(
      "edge", std::vector<std::string>{"agent", "--server", server.url(), "--level", "edge", "--data-dir", dir + "/edge",
                                       "--heartbeat-interval", "300ms", "--mqtt-port", std::to_string(mqtt_port),
                                       "--join-token", t["token"], "--broker-auth", "on"},
      dir);
  agent->start();
  std::string creds_file = dir + "/edge/identity/credentials.json";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(creds_file); })) << agent->log();
  std::string node_id = json::parse(read_text(creds_file))["node_id"];

  for (std::string twin : {"pump-1", "pump-2"}) {
    json body = {{"node", node_id}};
    ASSERT_EQ(http_json(server.url(), "PUT", "/api/v1/twins/" + twin, body.dump())["_status"], 201);
  }
  json c1 = http_json(server.url(), "POST", "/api/v1/twins/pump-1/credentials");
  json c2 = http_json(server.url(), "POST", "/api/v1/twins/pump-2/credentials");
  ASSERT_EQ(c1["_status"], 201) << c1.dump();
  std::string p1 = c1["password"], p2 = c2["password"];
  // The agent fetched the digests and wrote them for its broker; the secrets are nowhere on disk.
  std::string broker_creds = dir + "/edge/broker/credentials";
  ASSERT_TRUE(eventually([&] {
    std::string text = read_text(broker_creds);
    return text.find("device pump-1 ") != std::string::npos && text.find("device pump-2 ") != std::string::npos;
  })) << agent->log();
  EXPECT_EQ(read_text(broker_creds).find(p1), std::string::npos);
  EXPECT_EQ(mode_of(broker_creds), 0600u);

  // Wrong password and anonymous devices are refused at CONNECT.
  auto wrong = mqtt_pub(mqtt_port, "pump-1", p2, "iotwins/pump-1/telemetry", R"({"temp":5})");
  EXPECT_NE(wrong.code, 0) << wrong.out;
  auto anonymous = mqtt_pub(mqtt_port, "", "", "iotwins/pump-1/telemetry", R"({"temp":6})");
  EXPECT_NE(anonymous.code, 0) << anonymous.out;

  // pump-1 publishing on pump-2's topic: the broker drops it; on its own topic: it arrives.
  ASSERT_EQ(mqtt_pub(mqtt_port, "pump-1", p1, "iotwins/pump-2/telemetry", R"({"temp":99})").code, 0);
  ASSERT_EQ(mqtt_pub(mqtt_port, "pump-1", p1, "iotwins/pump-1/telemetry", R"({"temp":1})").code, 0);
  ASSERT_EQ(mqtt_pub(mqtt_port, "pump-2", p2, "iotwins/pump-2/telemetry", R"({"temp":2})").code, 0);
  auto reported = [&](const std::string& twin) {
    json doc = get_json(server.url(), "/api/v1/twins/" + twin);
    return doc.is_object() ? doc["state"]["reported"].value("temp", json()) : json();
  };
  ASSERT_TRUE(eventually([&] { return reported("pump-1") == 1 && reported("pump-2") == 2; })) << agent->log();
  // The forbidden message never reached the data plane: the spool, which keeps every message
  // the broker accepted (in arrival order, before its PUBACK), has pump-2's own and not it.
  std::string spool;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir + "/edge/spool")) {
    if (f.is_regular_file()) spool += read_text(f.path().string());
  }
  EXPECT_EQ(spool.find(R"({"temp":99})"), std::string::npos);
  EXPECT_NE(spool.find(R"({"temp":2})"), std::string::npos);

  // Revoked through the CLI: the node's token no longer gets its devices' credentials.
  auto revoked = run_cli({"nodes", "revoke", node_id, "--server", server.url()});
  EXPECT_EQ(revoked.code, 0) << revoked.out;
  std::string node_token = json::parse(read_text(creds_file))["api_token"];
  json refused = call(server.url(), {.bearer_token = node_token}, api::Method::GET,
                      "/api/v1/nodes/" + node_id + "/device-credentials");
  EXPECT_TRUE(refused["_status"] == 401 || refused["_status"] == 403) << refused.dump();
  agent->stop();
}

}  // namespace
}  // namespace iotwins::e2e
