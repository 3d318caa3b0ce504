// The artifact store and the model registry through the real server binary and the CLI:
// artifact put/get round trips, digest mismatches and hostile names refused; model versions
// registered from uploaded artifacts, promoted and rolled back with If-Match revisions (409 on
// a stale one), history and the change feed; `iotwins artifacts` and `iotwins models`.
#include <gtest/gtest.h>

#include <fstream>

#include "analytics/pca.h"
#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

// A real PCA detector artifact; `seed` varies the bytes.
std::string pca_bytes(int seed) {
  Eigen::MatrixXd x(60, 3);
  for (int r = 0; r < 60; ++r) {
    for (int c = 0; c < 3; ++c) x(r, c) = std::sin(0.3 * r * (c + 1) + seed) + 0.1 * c * r;
  }
  analytics::PcaDetector pca;
  EXPECT_TRUE(pca.fit(x).has_value());
  return pca.serialize();
}

class ModelsE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    server_ = std::make_unique<ServerDaemon>(dir_, std::vector<std::string>{"--max-artifact", "1MiB"});
    server_->start();
    auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
    ASSERT_TRUE(c);
    client_ = std::move(*c);
  }

  api::ClientResponse send(api::Method m, const std::string& path, const std::string& body = "",
                           const api::Headers& headers = {}, const std::string& type = "application/json") {
    auto r = client_->request(m, path, body, type, headers);
    EXPECT_TRUE(r) << path << ": " << r.error().to_string();
    return r ? *r : api::ClientResponse{};
  }
  json put_artifact(const std::string& bytes, int expect_status) {
    auto r = send(api::Method::PUT, "/api/v1/artifacts", bytes, {}, "application/octet-stream");
    EXPECT_EQ(r.status, expect_status) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json register_version(const std::string& model, int seed, double f1) {
    json a = put_artifact(pca_bytes(seed), 201);
    json body = {{"artifact", a["sha256"]},
                 {"metrics", {{"f1", f1}}},
                 {"lineage", {{"series", {"pump-1/flow"}}, {"data_from", "2026-11-01T00:00:00Z"},
                              {"data_to", "2026-11-02T00:00:00Z"}, {"created_by", "trainer"}}}};
    auto r = send(api::Method::POST, "/api/v1/models/" + model + "/versions", body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  CommandResult cli(std::vector<std::string> args) {
    args.push_back("--server");
    args.push_back(server_->url());
    return run_cli(args);
  }

  std::string dir_;
  std::unique_ptr<ServerDaemon> server_;
  std::unique_ptr<api::HttpClient> client_;
};

TEST_F(ModelsE2e, ArtifactsRoundTripAndRefuseBadInput) {
  std::string bytes = "#!/bin/sh\necho hello\n";
  bytes += std::string(300'000, 'x');
  json a = put_artifact(bytes, 201);
  const std::string sha = a["sha256"];
  EXPECT_EQ(sha.size(), 64u);
  EXPECT_EQ(a["size"], bytes.size());
  EXPECT_EQ(put_artifact(bytes, 200)["sha256"], sha);  // the same bytes again: already stored

  auto got = send(api::Method::GET, "/api/v1/artifacts/" + sha);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, bytes);
  EXPECT_EQ(got.headers["X-Artifact-Sha256"], sha);
  EXPECT_EQ(got.headers["Transfer-Encoding"], "chunked");
  EXPECT_EQ(read_text(dir_ + "/server/artifacts/" + sha.substr(0, 2) + "/" + sha), bytes);
  EXPECT_EQ(server_->get("/api/v1/artifacts/" + sha + "/meta")["size"], bytes.size());

  // A body whose digest is not the announced one is refused and nothing is stored.
  auto mismatch = send(api::Method::PUT, "/api/v1/artifacts", "other bytes", {{"X-Artifact-Sha256", sha}},
                       "application/octet-stream");
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(json::parse(mismatch.body)["code"], "digest_mismatch");
  EXPECT_EQ(server_->get("/api/v1/artifacts")["count"], 1);

  // Names that are not 64 lowercase hex digits never reach the file system.
  for (const std::string& name : std::vector<std::string>{"ABCDEF", std::string(64, 'A'), "%2E%2E", sha.substr(0, 62) + ".."}) {
    auto r = send(api::Method::GET, "/api/v1/artifacts/" + name);
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
    EXPECT_EQ(json::parse(r.body, nullptr, false)["code"], "invalid_argument") << name;
  }
  // Traversal spelled as path segments finds no route at all.
  for (const std::string& path : std::vector<std::string>{"/api/v1/artifacts/..%2F..%2Fserver.url", "/api/v1/artifacts/../../server.url",
                                 "/api/v1/artifacts/%2Fetc%2Fpasswd"}) {
    auto r = send(api::Method::GET, path);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << path << ": " << r.status << " " << r.body;
  }
  EXPECT_EQ(send(api::Method::GET, "/api/v1/artifacts/" + std::string(64, 'a')).status, 404);
  // Over --max-artifact: 413 from Content-Length, before the body is read. The server closes the
  // connection after answering, so a client still writing may see the reset instead of the 413.
  auto big = client_->request(api::Method::PUT, "/api/v1/artifacts", std::string((1 << 20) + 1, 'z'),
                              "application/octet-stream");
  if (big) {
    EXPECT_EQ(big->status, 413) << big->body;
  }
  EXPECT_EQ(server_->get("/api/v1/artifacts")["count"], 1);
  EXPECT_EQ(send(api::Method::GET, "/api/v1/artifacts?limit=0").status, 400);
  EXPECT_EQ(send(api::Method::GET, "/api/v1/artifacts?colour=red").status, 400);

  // The CLI: put prints the sha256, get verifies and writes, ls lists.
  std::string file = dir_ + "/task.sh";
  std::ofstream(file, std::ios::binary) << "#!/bin/sh\nexit 0\n";
  auto put = cli({"artifacts", "put", file});
  ASSERT_EQ(put.code, 0) << put.out;
  std::string cli_sha = put.out.substr(0, 64);
  EXPECT_NE(put.out.find("stored"), std::string::npos) << put.out;
  auto fetched = cli({"artifacts", "get", cli_sha, "-o", dir_ + "/fetched.sh"});
  ASSERT_EQ(fetched.code, 0) << fetched.out;
  EXPECT_EQ(read_text(dir_ + "/fetched.sh"), "#!/bin/sh\nexit 0\n");
  auto ls = cli({"artifacts", "ls"});
  ASSERT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find(sha), std::string::npos);
  EXPECT_NE(ls.out.find(cli_sha), std::string::npos);
  auto bad = cli({"artifacts", "get", "../etc/passwd"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("64 lowercase hex"), std::string::npos) << bad.out;
  auto missing = cli({"artifacts", "get", std::string(64, 'b'), "-o", dir_ + "/none"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/none")) << missing.out;
  EXPECT_EQ(cli({"artifacts"}).code, 2);
}

TEST_F(ModelsE2e, RegisterPromoteRollbackWithRevisions) {
  json v1 = register_version("pump-anomaly", 1, 0.70);
  json v2 = register_version("pump-anomaly", 2, 0.78);
  EXPECT_EQ(v1["version"], 1);
  EXPECT_EQ(v2["version"], 2);
  EXPECT_EQ(v2["stage"], "candidate");
  EXPECT_EQ(v2["kind"], "pca");
  EXPECT_EQ(v2["lineage"]["data_from"], "2026-11-01T00:00:00Z");
  EXPECT_EQ(v2["metrics"]["f1"], 0.78);
  // The version's bytes are the artifact it names.
  auto bytes = send(api::Method::GET, "/api/v1/artifacts/" + v2["sha256"].get<std::string>());
  EXPECT_EQ(bytes.body, pca_bytes(2));

  auto model = send(api::Method::GET, "/api/v1/models/pump-anomaly");
  ASSERT_EQ(model.status, 200);
  EXPECT_EQ(model.headers["ETag"], "\"2\"");
  EXPECT_TRUE(json::parse(model.body)["promoted"].is_null());

  auto p1 = send(api::Method::POST, "/api/v1/models/pump-anomaly/versions/1/promote", R"({"by":"alice"})",
                 {{"If-Match", "\"2\""}});
  ASSERT_EQ(p1.status, 200) << p1.body;
  EXPECT_EQ(p1.headers["ETag"], "\"3\"");
  auto p2 = send(api::Method::POST, "/api/v1/models/pump-anomaly/versions/2/promote", "", {{"If-Match", "\"3\""}});
  ASSERT_EQ(p2.status, 200) << p2.body;
  EXPECT_EQ(json::parse(p2.body)["stage"], "promoted");
  // A stale revision: 409 and nothing changes.
  auto stale = send(api::Method::POST, "/api/v1/models/pump-anomaly/rollback", "", {{"If-Match", "\"3\""}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(server_->get("/api/v1/models/pump-anomaly")["promoted_version"], 2);
  auto back = send(api::Method::POST, "/api/v1/models/pump-anomaly/rollback", "", {{"If-Match", "4"}});
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(json::parse(back.body)["version"], 1);
  EXPECT_EQ(server_->get("/api/v1/models/pump-anomaly/versions/2")["stage"], "rolled_back");
  // Nothing earlier than version 1 was promoted: 412.
  EXPECT_EQ(send(api::Method::POST, "/api/v1/models/pump-anomaly/rollback").status, 412);

  json history = server_->get("/api/v1/models/pump-anomaly/history");
  ASSERT_EQ(history["count"], 3);
  EXPECT_EQ(history["items"][0]["action"], "rollback");
  EXPECT_EQ(history["items"][2]["by"], "alice");
  json changes = server_->get("/api/v1/models/changes?after=4");
  EXPECT_EQ(changes["revision"], 5);
  ASSERT_EQ(changes["count"], 1);
  EXPECT_EQ(changes["items"][0]["promoted_version"], 1);
  EXPECT_EQ(server_->get("/api/v1/models/changes?after=5")["count"], 0);
  EXPECT_EQ(server_->get("/api/v1/models")["items"][0]["name"], "pump-anomaly");

  // Bad input: 400 naming the field, nothing registered.
  auto bad = [&](const std::string& path, const json& body, const std::string& part) {
    auto r = send(api::Method::POST, path, body.dump());
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find(part), std::string::npos) << r.body;
  };
  bad("/api/v1/models/pump-anomaly/versions", json::object(), "field 'artifact' is required");
  bad("/api/v1/models/pump-anomaly/versions", {{"artifact", std::string(64, 'c')}}, "no artifact");
  json junk = put_artifact("not a model", 201);
  bad("/api/v1/models/pump-anomaly/versions", {{"artifact", junk["sha256"]}}, "model");
  bad("/api/v1/models/pump-anomaly/versions", {{"artifact", v1["sha256"]}, {"metrics", {{"f1", "high"}}}},
      "metric 'f1' must be a number");
  bad("/api/v1/models/pump-anomaly/versions", {{"artifact", v1["sha256"]}, {"colour", 1}}, "unknown field 'colour'");
  bad("/api/v1/models/bad%20name/versions", {{"artifact", v1["sha256"]}}, "name");
  EXPECT_EQ(server_->get("/api/v1/models/pump-anomaly")["latest_version"], 2);
  EXPECT_EQ(send(api::Method::POST, "/api/v1/models/pump-anomaly/versions/x/promote").status, 400);
  EXPECT_EQ(send(api::Method::POST, "/api/v1/models/pump-anomaly/versions/9/promote").status, 404);
  EXPECT_EQ(send(api::Method::POST, "/api/v1/models/pump-anomaly/rollback", "", {{"If-Match", "soon"}}).status, 400);
}

TEST_F(ModelsE2e, CliRegistersListsPromotesAndRollsBack) {
  std::string file = dir_ + "/model.bin";
  std::ofstream(file, std::ios::binary) << pca_bytes(7);
  auto reg = cli({"models", "register", "tank-level", file, "--metric", "f1=0.81,far_pct=6.5", "--series",
                  "tank-1/level", "--param", "lags=2", "--by", "ci"});
  ASSERT_EQ(reg.code, 0) << reg.out;
  EXPECT_NE(reg.out.find("version 1 registered"), std::string::npos) << reg.out;
  std::ofstream(file, std::ios::binary) << pca_bytes(8);
  ASSERT_EQ(cli({"models", "register", "tank-level", file}).code, 0);

  auto ls = cli({"models", "ls"});
  ASSERT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find("tank-level"), std::string::npos) << ls.out;
  ASSERT_EQ(cli({"models", "promote", "tank-level", "1"}).code, 0);
  auto promoted = cli({"models", "promote", "tank-level", "2", "--if-revision", "3"});
  ASSERT_EQ(promoted.code, 0) << promoted.out;
  EXPECT_NE(promoted.out.find("version 2 is promoted"), std::string::npos) << promoted.out;
  auto stale = cli({"models", "rollback", "tank-level", "--if-revision", "3"});
  EXPECT_EQ(stale.code, 1);
  EXPECT_NE(stale.out.find("revision 4, not 3"), std::string::npos) << stale.out;
  auto rb = cli({"models", "rollback", "tank-level"});
  ASSERT_EQ(rb.code, 0) << rb.out;
  EXPECT_NE(rb.out.find("version 1 is promoted"), std::string::npos) << rb.out;

  auto show = cli({"models", "show", "tank-level"});
  ASSERT_EQ(show.code, 0) << show.out;
  EXPECT_NE(show.out.find("rolled_back"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("f1=0.81"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("rollback"), std::string::npos) << show.out;
  json j = json::parse(cli({"models", "show", "tank-level", "-o", "json"}).out);
  EXPECT_EQ(j["promoted_version"], 1);
  EXPECT_EQ(j["versions"][0]["lineage"]["parameters"]["lags"], "2");

  auto unknown = cli({"models", "show", "nope"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.out.find("nope"), std::string::npos) << unknown.out;
  EXPECT_EQ(cli({"models", "promote", "tank-level"}).code, 2);
  EXPECT_EQ(cli({"models", "frobnicate"}).code, 2);
  auto bad_metric = cli({"models", "register", "tank-level", file, "--metric", "f1"});
  EXPECT_EQ(bad_metric.code, 1);
  EXPECT_NE(bad_metric.out.find("expected NAME=VALUE"), std::string::npos) << bad_metric.out;
  auto help = run_cli({"models", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("iotwins models rollback NAME"), std::string::npos);
}

}  // namespace
}  // namespace iotwins::e2e
