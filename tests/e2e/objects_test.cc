// Objects end to end with the real binaries: server + edge agent (no broker) + `iotwins objects
// put` of a 5 MB random file → the server holds it with the same sha256 and `objects get`
// returns the same bytes; the agent killed with SIGKILL mid-upload, restarted, the put re-run
// → it resumes (the chunks the agent holds are not sent again) and completes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string write_random(const std::string& path, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string data(n, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary) << data;
  return data;
}

class ObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    server_ = std::make_unique<ServerDaemon>(dir_);
    server_->start();
    agent_dir_ = dir_ + "/edge";
  }

  void start_agent() { agent_ = start_node("edge", agent_dir_); }

  // An agent without a broker; forwarding to `parent` (an agent's ingest URL) or the server.
  std::unique_ptr<Daemon> start_node(const std::string& level, const std::string& data_dir,
                                     const std::string& parent = "") {
    std::filesystem::remove(data_dir + "/agent.url");
    std::vector<std::string> args = {"agent", "--server", server_->url(), "--level", level, "--data-dir",
                                     data_dir, "--name", level + "-objects", "--mqtt", "none",
                                     "--heartbeat-interval", "300ms"};
    if (!parent.empty()) args.insert(args.end(), {"--parent-url", parent});
    auto d = std::make_unique<Daemon>(level, args, dir_);
    d->start();
    EXPECT_TRUE(eventually([&] { return std::filesystem::exists(data_dir + "/agent.url"); })) << d->log();
    return d;
  }

  static std::string url_of(const std::string& data_dir) {
    std::string url = read_file(data_dir + "/agent.url");
    while (!url.empty() && url.back() == '\n') url.pop_back();
    return url;
  }

  // The agent's view of an object (null if unknown or unreachable).
  json agent_status(const std::string& id) {
    auto c = api::HttpClient::create(url_of(agent_dir_));
    if (!c) return nullptr;
    auto r = (*c)->request(api::Method::GET, "/api/v1/objects/" + id);
    if (!r || r->status != 200) return nullptr;
    return json::parse(r->body, nullptr, false);
  }

  bool server_complete(const std::string& id) {
    auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
    auto r = (*c)->request(api::Method::GET, "/api/v1/objects/" + id);
    return r && r->status == 200 && json::parse(r->body)["state"] == "complete";
  }

  std::string dir_, agent_dir_;
  std::unique_ptr<ServerDaemon> server_;
  std::unique_ptr<Daemon> agent_;
};

TEST_F(ObjectsTest, PutMovesAFileToTheServerAndGetReturnsTheSameBytes) {
  start_agent();
  std::string file = dir_ + "/capture.bin";
  std::string data = write_random(file, 5'000'000, 1);
  auto put = run_cli({"objects", "put", file, "--data-dir", agent_dir_});
  ASSERT_EQ(put.code, 0) << put.out;
  EXPECT_NE(put.out.find("5000000 sent now, 0 were already there"), std::string::npos) << put.out;
  ASSERT_TRUE(eventually([&] { return server_complete("capture.bin"); })) << agent_->log();

  json meta = server_->get("/api/v1/objects/capture.bin");
  EXPECT_EQ(meta["size"], 5'000'000);
  EXPECT_EQ(meta["name"], "capture.bin");
  EXPECT_EQ(meta["received_bytes"], 5'000'000);
  EXPECT_FALSE(meta["source"].get<std::string>().empty());
  EXPECT_EQ(read_file(dir_ + "/server/objects/capture.bin"), data);
  auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
  auto metrics = (*c)->request(api::Method::GET, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("iotwins_objects{state=\"complete\"} 1"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("iotwins_objects_bytes_applied_total 5000000"), std::string::npos);

  auto ls = run_cli({"objects", "ls", "--server", server_->url()});
  ASSERT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find("capture.bin"), std::string::npos);
  EXPECT_NE(ls.out.find("complete"), std::string::npos);
  json list = server_->get("/api/v1/objects?limit=1");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["sha256"], meta["sha256"]);

  std::string out = dir_ + "/fetched.bin";
  auto get = run_cli({"objects", "get", "capture.bin", "--server", server_->url(), "-o", out});
  ASSERT_EQ(get.code, 0) << get.out;
  EXPECT_NE(get.out.find("verified"), std::string::npos) << get.out;
  EXPECT_EQ(read_file(out), data);

  // The same put again: the agent holds everything, nothing is sent.
  auto again = run_cli({"objects", "put", file, "--data-dir", agent_dir_});
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("0 sent now, 5000000 were already there"), std::string::npos) << again.out;
}

TEST_F(ObjectsTest, AgentKilledMidUploadResumesAfterRestart) {
  start_agent();
  std::string file = dir_ + "/vibration.raw";
  std::string data = write_random(file, 5'000'000, 2);
  // Small chunks so the upload takes many requests; kill the agent once it holds some of them.
  Daemon put("put", {"objects", "put", file, "--id", "vib-1", "--data-dir", agent_dir_, "--chunk-size", "64KiB"},
             dir_);
  put.start();
  uint64_t held = 0;
  ASSERT_TRUE(eventually([&] {
    json s = agent_status("vib-1");
    held = s.is_object() ? s["received_bytes"].get<uint64_t>() : 0;
    return held > 0;
  })) << put.log();
  agent_->kill9();
  ASSERT_LT(held, 5'000'000u) << "the upload finished before the agent could be killed";
  auto first = put.process().wait();
  EXPECT_NE(first.code, 0) << put.log();
  EXPECT_NE(put.log().find("run the same command again to resume"), std::string::npos) << put.log();

  start_agent();
  json s = agent_status("vib-1");
  ASSERT_TRUE(s.is_object());
  uint64_t kept = s["received_bytes"].get<uint64_t>();
  EXPECT_GE(kept, held) << "an acknowledged chunk was lost by the kill";
  auto again = run_cli({"objects", "put", file, "--id", "vib-1", "--data-dir", agent_dir_, "--chunk-size", "64KiB"});
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find(std::to_string(kept) + " were already there"), std::string::npos) << again.out;
  ASSERT_TRUE(eventually([&] { return server_complete("vib-1"); })) << agent_->log();
  auto get = run_cli({"objects", "get", "vib-1", "--server", server_->url(), "-o", dir_ + "/vib.out"});
  ASSERT_EQ(get.code, 0) << get.out;
  EXPECT_EQ(read_file(dir_ + "/vib.out"), data);
}

TEST_F(ObjectsTest, FromAnIotAgentThroughTheEdgeToTheServer) {
  start_agent();
  std::string iot_dir = dir_ + "/iot";
  auto iot = start_node("iot", iot_dir, url_of(agent_dir_));
  std::string file = dir_ + "/image.png";
  std::string data = write_random(file, 700'000, 4);
  // Registered: it knows its node id, the pieces' source ("forwarding as" follows set_node_id).
  ASSERT_TRUE(eventually([&] { return iot->log().find("forwarding as") != std::string::npos; })) << iot->log();
  auto put = run_cli({"objects", "put", file, "--data-dir", iot_dir});
  ASSERT_EQ(put.code, 0) << put.out;
  ASSERT_TRUE(eventually([&] { return server_complete("image.png"); })) << iot->log() << agent_->log();
  EXPECT_EQ(read_file(dir_ + "/server/objects/image.png"), data);
  // The source is the node the file entered at, not the edge that forwarded it.
  json meta = server_->get("/api/v1/objects/image.png");
  json node = server_->get("/api/v1/nodes/" + meta["source"].get<std::string>());
  EXPECT_EQ(node["level"], "iot") << meta.dump();
}

TEST_F(ObjectsTest, ClearErrorsForBadInput) {
  auto missing = run_cli({"objects", "put", dir_ + "/nope.bin", "--agent", "http://127.0.0.1:1"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("cannot open"), std::string::npos) << missing.out;
  write_random(dir_ + "/f.bin", 10, 3);
  auto bad_id = run_cli({"objects", "put", dir_ + "/f.bin", "--id", "../etc", "--agent", "http://127.0.0.1:1"});
  EXPECT_EQ(bad_id.code, 2);
  EXPECT_NE(bad_id.out.find("[A-Za-z0-9._-]"), std::string::npos) << bad_id.out;
  auto no_agent = run_cli({"objects", "put", dir_ + "/f.bin", "--data-dir", dir_ + "/no-agent"});
  EXPECT_EQ(no_agent.code, 1);
  EXPECT_NE(no_agent.out.find("agent.url"), std::string::npos) << no_agent.out;
  auto unknown = run_cli({"objects", "get", "nothing", "--server", server_->url()});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.out.find("no object nothing"), std::string::npos) << unknown.out;
  auto verb = run_cli({"objects", "frobnicate"});
  EXPECT_EQ(verb.code, 2);

  auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
  auto r = (*c)->request(api::Method::GET, "/api/v1/objects/bad%20id");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  r = (*c)->request(api::Method::GET, "/api/v1/objects?limit=0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
}

}  // namespace
}  // namespace iotwins::e2e
