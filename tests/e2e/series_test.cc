// GET /api/v1/series[/query|/last] and `iotwins series` against the real server binary, with
// its empty embedded store: answers, formats and every error path end to end. (The data path,
// agents' telemetry through POST /api/v1/ingest, is tested where ingest lands.)
#include <gtest/gtest.h>

#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

using nlohmann::json;

class SeriesE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    server_ = std::make_unique<ServerDaemon>(dir_);
    server_->start();
    auto c = api::HttpClient::create(server_->url(), client_options(server_->url()));
    ASSERT_TRUE(c);
    client_ = std::move(*c);
  }

  api::ClientResponse get(const std::string& path) {
    auto r = client_->request(api::Method::GET, path);
    EXPECT_TRUE(r) << path << ": " << r.error().to_string();
    return r ? *r : api::ClientResponse{};
  }

  CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), "series");
    args.push_back("--server");
    args.push_back(server_->url());
    return run_cli(args);
  }

  std::string dir_;
  std::unique_ptr<ServerDaemon> server_;
  std::unique_ptr<api::HttpClient> client_;
};

TEST_F(SeriesE2e, AnEmptyStoreAnswersEveryRoute) {
  json list = server_->get("/api/v1/series");
  EXPECT_EQ(list["items"], json::array());
  EXPECT_TRUE(list["next_cursor"].is_null());

  auto raw = get("/api/v1/series/query?twin=press-*&from=-1h");
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.headers["Transfer-Encoding"], "chunked");
  json j = json::parse(raw.body);
  EXPECT_EQ(j["series"], json::array());
  EXPECT_FALSE(j["truncated"].get<bool>());

  auto agg = get("/api/v1/series/query?agg=mean,p99&step=1m&group_by=label:site&format=csv");
  EXPECT_EQ(agg.status, 200);
  EXPECT_EQ(agg.headers["Content-Type"], "text/csv; charset=utf-8");
  EXPECT_EQ(agg.body, "label:site,time,ts,mean,p99\n");

  auto last = get("/api/v1/series/last?twin=press-1&property=temp");
  EXPECT_EQ(last.status, 404) << last.body;
  EXPECT_EQ(last.headers["Content-Type"], "application/problem+json");
}

TEST_F(SeriesE2e, BadParametersAre400ProblemsNamingTheParameter) {
  for (auto [path, param] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/series/query?agg=median", "'agg'"},
           {"/api/v1/series/query?agg=max&step=0s", "'step'"},
           {"/api/v1/series/query?from=now&to=-1h", "'from'"},
           {"/api/v1/series/query?agg=max&step=1ns&from=-1d", "'step'"},
           {"/api/v1/series/query?frm=-1h", "'frm'"},
           {"/api/v1/series?cursor=not-a-cursor", "'cursor'"}}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.headers["Content-Type"], "application/problem+json") << path;
    json p = json::parse(r.body);
    EXPECT_EQ(p["type"], "https://iotwins.dev/problems/invalid_argument");
    EXPECT_NE(p["detail"].get<std::string>().find(param), std::string::npos) << path << ": " << r.body;
  }
}

TEST_F(SeriesE2e, TheCliListsQueriesAndExplainsMistakes) {
  auto ls = cli({"ls"});
  EXPECT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find("TWIN"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("no series match"), std::string::npos) << ls.out;

  auto csv = cli({"query", "--twin", "press-*", "--agg", "mean,max", "--step", "5m", "-o", "csv"});
  EXPECT_EQ(csv.code, 0) << csv.out;
  EXPECT_EQ(csv.out, "twin,property,labels,time,ts,mean,max\n");

  auto table = cli({"query", "--property", "temp", "--from", "-2h"});
  EXPECT_EQ(table.code, 0) << table.out;
  EXPECT_NE(table.out.find("VALUE"), std::string::npos) << table.out;

  auto bad_agg = cli({"query", "--agg", "median"});
  EXPECT_EQ(bad_agg.code, 2) << bad_agg.out;
  EXPECT_NE(bad_agg.out.find("'agg'"), std::string::npos) << bad_agg.out;
  EXPECT_NE(bad_agg.out.find("p99"), std::string::npos) << bad_agg.out;  // what is accepted

  auto bad_label = cli({"query", "--label", "site"});
  EXPECT_EQ(bad_label.code, 2) << bad_label.out;
  EXPECT_NE(bad_label.out.find("NAME=VALUE"), std::string::npos) << bad_label.out;

  auto misplaced = cli({"ls", "--agg", "max"});
  EXPECT_EQ(misplaced.code, 2) << misplaced.out;

  auto help = run_cli({"series", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--group-by"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("RFC 3339"), std::string::npos) << help.out;

  auto unreachable = run_cli({"series", "query", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(unreachable.code, 1) << unreachable.out;
  EXPECT_NE(unreachable.out.find("cannot reach the server"), std::string::npos) << unreachable.out;
}

}  // namespace
}  // namespace iotwins::e2e
