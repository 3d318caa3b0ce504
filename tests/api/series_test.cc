// The /api/v1/series routes against a real EmbeddedStore in a temp dir: listing and
// pagination, raw and aggregate queries in every format, grouping, NaN/Inf, limits, last
// value, and a 400 naming the parameter for every malformed one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "api/problem.h"
#include "api/routes.h"
#include "api/series_params.h"
#include "core/clock.h"
#include "core/fs.h"
#include "tsdb/engine.h"

namespace iotwins::api {
namespace {

using nlohmann::json;
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'764'000'000 * kSec;  // 2025-11-24T16:00:00Z

struct Answer {
  int status = 0;
  std::string content_type;
  std::string body;
  json parse() const { return json::parse(body); }
};

class SeriesRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "api_series_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    tsdb::StoreOptions o;
    o.dir = dir_;
    o.sync_writes = false;
    o.clock = &clock_;
    auto s = tsdb::EmbeddedStore::open(PosixFileSystem::instance(), o);
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
    std::vector<tsdb::Sample> temp1, temp2, pressure;
    for (int64_t i = 0; i < 600; ++i) {
      temp1.push_back({kT0 + i * kSec, static_cast<double>(i)});
      temp2.push_back({kT0 + i * kSec, 2.0 * static_cast<double>(i)});
      pressure.push_back({kT0 + i * kSec, 100});
    }
    std::vector<tsdb::Sample> odd = {{kT0, 1.5},
                                     {kT0 + kSec, std::nan("")},
                                     {kT0 + 2 * kSec, INFINITY},
                                     {kT0 + 3 * kSec, -INFINITY}};
    std::vector<tsdb::SeriesWrite> batch = {{{"press-1", "temp", {{"site", "a"}}}, temp1},
                                            {{"press-2", "temp", {{"site", "b"}}}, temp2},
                                            {{"press-1", "pressure", {{"site", "a"}}}, pressure},
                                            {{"odd", "v", {}}, odd}};
    ASSERT_TRUE(store_->write(batch));
    Services services;
    services.clock = &clock_;
    services.series = store_.get();
    add_series_routes(router_, services);
  }

  Answer get(const std::string& target) {
    Request req;
    req.method = Method::GET;
    req.target = target;
    auto t = parse_target(target);
    EXPECT_TRUE(t) << target;
    req.path = t->first;
    req.query = t->second;
    Response r = router_.dispatch(req);
    Answer a{r.status, r.content_type, r.body};
    if (r.stream) {
      auto st = r.stream([&a](std::string_view piece) {
        a.body.append(piece);
        return true;
      });
      EXPECT_TRUE(st) << st.error().to_string();
    }
    return a;
  }

  std::string dir_;
  ManualClock clock_{kT0 + 600 * kSec};
  std::unique_ptr<tsdb::EmbeddedStore> store_;
  Router router_;
};

TEST_F(SeriesRoutesTest, ListsSeriesWithFirstAndLastTimeAndCount) {
  Answer a = get("/api/v1/series?twin=press-*&property=temp");
  ASSERT_EQ(a.status, 200) << a.body;
  json j = a.parse();
  ASSERT_EQ(j["items"].size(), 2u) << a.body;
  const json& first = j["items"][0];
  EXPECT_EQ(first["twin"], "press-1");
  EXPECT_EQ(first["labels"], json({{"site", "a"}}));
  EXPECT_EQ(first["first_time"], "2025-11-24T16:00:00Z");
  EXPECT_EQ(first["first_ts"], kT0);
  EXPECT_EQ(first["last_time"], "2025-11-24T16:09:59Z");
  EXPECT_EQ(first["count"], 600);
  EXPECT_TRUE(j["next_cursor"].is_null());
  EXPECT_EQ(get("/api/v1/series?label.site=b").parse()["items"].size(), 1u);
}

TEST_F(SeriesRoutesTest, PagesWalkEverySeriesOnceInAStableOrder) {
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    Answer a = get("/api/v1/series?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(a.status, 200) << a.body;
    json j = a.parse();
    ASSERT_EQ(j["items"].size(), 1u);
    seen.push_back(j["items"][0]["twin"].get<std::string>() + "/" + j["items"][0]["property"].get<std::string>());
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"odd/v", "press-1/pressure", "press-1/temp", "press-2/temp"}));
}

TEST_F(SeriesRoutesTest, EveryMalformedParameterIsA400NamingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/series/query?from=yesterday", "'from'"},
      {"/api/v1/series/query?to=2026-13-01T00:00:00Z", "'to'"},
      {"/api/v1/series/query?from=now&to=now-1h", "'from'"},
      {"/api/v1/series/query?from=99999999999999999999", "'from'"},
      {"/api/v1/series/query?agg=median", "'agg'"},
      {"/api/v1/series/query?agg=mean,mean", "'agg'"},
      {"/api/v1/series/query?agg=mean&step=0s", "'step'"},
      {"/api/v1/series/query?agg=mean&step=-5s", "'step'"},
      {"/api/v1/series/query?agg=mean&step=5parsecs", "'step'"},
      {"/api/v1/series/query?agg=mean&step=1ms", "'step'"},  // 3.6M buckets
      {"/api/v1/series/query?step=1m", "'step'"},             // no agg
      {"/api/v1/series/query?twin=", "'twin'"},
      {"/api/v1/series/query?property=a%01b", "'property'"},
      {"/api/v1/series/query?agg=mean&group_by=site", "'group_by'"},
      {"/api/v1/series/query?group_by=twin", "'group_by'"},  // no agg
      {"/api/v1/series/query?format=xml", "'format'"},
      {"/api/v1/series/query?limit=0", "'limit'"},
      {"/api/v1/series/query?limit=ten", "'limit'"},
      {"/api/v1/series/query?colour=red", "'colour'"},
      {"/api/v1/series/query?label.=x", "'label.'"},
      {"/api/v1/series?cursor=zz", "'cursor'"},
      {"/api/v1/series?cursor=00", "'cursor'"},
      {"/api/v1/series?limit=5000", "'limit'"},
      {"/api/v1/series?from=now", "'from'"},  // not a parameter of the listing
      {"/api/v1/series/last?twin=press-1", "'property'"},
  };
  for (const auto& [target, param] : cases) {
    Answer a = get(target);
    EXPECT_EQ(a.status, 400) << target << " → " << a.body;
    EXPECT_EQ(a.content_type, "application/problem+json") << target;
    std::string detail = a.parse().value("detail", "");
    EXPECT_NE(detail.find(param), std::string::npos) << target << " → " << detail;
    EXPECT_EQ(a.parse()["code"], "invalid_argument") << target;
  }
}

TEST_F(SeriesRoutesTest, RawSamplesInJsonWithTimesInEveryAcceptedSpelling) {
  for (std::string range : {"from=2025-11-24T16:00:00Z&to=2025-11-24T16:00:10Z",
                            "from=2025-11-24T17:00:00%2B01:00&to=2025-11-24T16:00:10.000Z",
                            "from=1764000000000&to=1764000010s", "from=1764000000000000us&to=1764000010000000000ns"}) {
    Answer a = get("/api/v1/series/query?twin=press-1&property=temp&" + range);
    ASSERT_EQ(a.status, 200) << range << ": " << a.body;
    EXPECT_EQ(a.content_type, "application/json");
    json j = a.parse();
    ASSERT_EQ(j["series"].size(), 1u) << range;
    const json& samples = j["series"][0]["samples"];
    ASSERT_EQ(samples.size(), 10u) << range;
    EXPECT_EQ(samples[3]["value"], 3.0);
    EXPECT_EQ(samples[3]["ts"], kT0 + 3 * kSec);
    EXPECT_EQ(samples[3]["time"], "2025-11-24T16:00:03Z");
    EXPECT_FALSE(j["truncated"].get<bool>());
  }
  // Relative times: now is kT0 + 10 min; `to` defaults to now (exclusive).
  EXPECT_EQ(get("/api/v1/series/query?twin=press-1&property=temp&from=now-5m").parse()["series"][0]["samples"].size(), 300u);
  EXPECT_EQ(get("/api/v1/series/query?twin=press-1&property=temp&from=-5m").parse()["series"][0]["samples"].size(), 300u);
  // Without from: the last hour.
  EXPECT_EQ(get("/api/v1/series/query?twin=press-1&property=temp").parse()["series"][0]["samples"].size(), 600u);
}

TEST_F(SeriesRoutesTest, NonFiniteValuesAreSpelledAsStringsInJsonAndWordsInCsv) {
  json j = get("/api/v1/series/query?twin=odd&from=-1h").parse();
  const json& s = j["series"][0]["samples"];
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0]["value"], 1.5);
  EXPECT_EQ(s[1]["value"], "NaN");
  EXPECT_EQ(s[2]["value"], "Infinity");
  EXPECT_EQ(s[3]["value"], "-Infinity");
  Answer csv = get("/api/v1/series/query?twin=odd&format=csv");
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body,
            "twin,property,labels,time,ts,value\n"
            "odd,v,{},2025-11-24T16:00:00Z,1764000000000000000,1.5\n"
            "odd,v,{},2025-11-24T16:00:01Z,1764000001000000000,NaN\n"
            "odd,v,{},2025-11-24T16:00:02Z,1764000002000000000,Infinity\n"
            "odd,v,{},2025-11-24T16:00:03Z,1764000003000000000,-Infinity\n");
  json last = get("/api/v1/series/last?twin=odd&property=v").parse();
  EXPECT_EQ(last["sample"]["value"], "-Infinity");
}

TEST_F(SeriesRoutesTest, AggregatesPerSeriesOverBuckets) {
  Answer a = get("/api/v1/series/query?twin=press-1&property=temp&agg=mean,max,count,p50,p99&step=1m");
  ASSERT_EQ(a.status, 200) << a.body;
  json j = a.parse();
  EXPECT_EQ(j["aggs"], json({"mean", "max", "count", "p50", "p99"}));
  EXPECT_EQ(j["step_ns"], 60 * kSec);
  ASSERT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(j["groups"][0]["group"], json({{"twin", "press-1"}, {"property", "temp"}, {"labels", {{"site", "a"}}}}));
  const json& b = j["groups"][0]["buckets"];
  ASSERT_EQ(b.size(), 10u);
  EXPECT_EQ(b[0]["time"], "2025-11-24T16:00:00Z");
  EXPECT_DOUBLE_EQ(b[0]["mean"].get<double>(), 29.5);
  EXPECT_DOUBLE_EQ(b[0]["max"].get<double>(), 59);
  EXPECT_DOUBLE_EQ(b[0]["count"].get<double>(), 60);
  EXPECT_DOUBLE_EQ(b[0]["p50"].get<double>(), 29.5);
  EXPECT_NEAR(b[0]["p99"].get<double>(), 58.41, 1e-9);
  EXPECT_DOUBLE_EQ(b[9]["mean"].get<double>(), 569.5);
  // No step: one bucket over the whole range.
  json one = get("/api/v1/series/query?twin=press-1&property=temp&agg=count&from=-1h").parse();
  ASSERT_EQ(one["groups"][0]["buckets"].size(), 1u);
  EXPECT_EQ(one["groups"][0]["buckets"][0]["count"], 600.0);
  EXPECT_EQ(one["step_ns"], 3600 * kSec);
}

TEST_F(SeriesRoutesTest, GroupsByLabelPropertyOrEverything) {
  json by_site = get("/api/v1/series/query?property=temp&agg=sum&group_by=label:site").parse();
  ASSERT_EQ(by_site["groups"].size(), 2u) << by_site.dump();
  EXPECT_EQ(by_site["groups"][0]["group"], json({{"label:site", "a"}}));
  EXPECT_DOUBLE_EQ(by_site["groups"][0]["buckets"][0]["sum"].get<double>(), 179700);
  EXPECT_EQ(by_site["groups"][1]["group"], json({{"label:site", "b"}}));
  EXPECT_DOUBLE_EQ(by_site["groups"][1]["buckets"][0]["sum"].get<double>(), 359400);

  json by_prop = get("/api/v1/series/query?twin=press-1&agg=count&group_by=twin,property").parse();
  ASSERT_EQ(by_prop["groups"].size(), 2u);
  EXPECT_EQ(by_prop["groups"][0]["group"], json({{"twin", "press-1"}, {"property", "pressure"}}));

  json all = get("/api/v1/series/query?twin=press-*&property=temp&agg=count&group_by=all").parse();
  ASSERT_EQ(all["groups"].size(), 1u);
  EXPECT_EQ(all["groups"][0]["group"], json::object());
  EXPECT_EQ(all["groups"][0]["buckets"][0]["count"], 1200.0);

  Answer csv = get("/api/v1/series/query?property=temp&agg=sum,max&group_by=label:site&format=csv");
  EXPECT_EQ(csv.body,
            "label:site,time,ts,sum,max\n"
            "a,2025-11-24T15:10:00Z,1763997000000000000,179700,599\n"
            "b,2025-11-24T15:10:00Z,1763997000000000000,359400,1198\n");
}

TEST_F(SeriesRoutesTest, NdjsonHasOneObjectPerLine) {
  Answer raw = get("/api/v1/series/query?twin=press-*&property=temp&format=ndjson&from=-10m&to=2025-11-24T16:00:02Z");
  EXPECT_EQ(raw.content_type, "application/x-ndjson");
  std::istringstream lines(raw.body);
  std::vector<json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 4u) << raw.body;
  EXPECT_EQ(rows[3], json({{"twin", "press-2"}, {"property", "temp"}, {"labels", {{"site", "b"}}},
                           {"time", "2025-11-24T16:00:01Z"}, {"ts", kT0 + kSec}, {"value", 2.0}}));
  Answer agg = get("/api/v1/series/query?twin=press-1&property=temp&agg=min&step=5m&format=ndjson");
  std::istringstream agg_lines(agg.body);
  std::string first;
  std::getline(agg_lines, first);
  json row = json::parse(first);
  EXPECT_EQ(row["group"]["twin"], "press-1");
  EXPECT_EQ(row["min"], 0.0);
}

TEST_F(SeriesRoutesTest, LimitCutsTheResultAndSaysSo) {
  json j = get("/api/v1/series/query?property=temp&limit=5").parse();
  ASSERT_EQ(j["series"].size(), 1u);
  EXPECT_EQ(j["series"][0]["samples"].size(), 5u);
  EXPECT_TRUE(j["truncated"].get<bool>());
  Answer nd = get("/api/v1/series/query?property=temp&limit=2&format=ndjson");
  EXPECT_NE(nd.body.find("{\"truncated\":true}\n"), std::string::npos) << nd.body;
  json agg = get("/api/v1/series/query?property=temp&agg=max&step=1m&limit=3").parse();
  EXPECT_EQ(agg["groups"][0]["buckets"].size(), 3u);
  EXPECT_TRUE(agg["truncated"].get<bool>());
}

TEST_F(SeriesRoutesTest, LastValueOfOneSeries) {
  json j = get("/api/v1/series/last?twin=press-2&property=temp&label.site=b").parse();
  EXPECT_EQ(j["sample"]["value"], 1198.0);
  EXPECT_EQ(j["sample"]["time"], "2025-11-24T16:09:59Z");
  Answer missing = get("/api/v1/series/last?twin=press-9&property=temp");
  EXPECT_EQ(missing.status, 404) << missing.body;
  // Globs are names here, not patterns.
  EXPECT_EQ(get("/api/v1/series/last?twin=press-*&property=temp").status, 404);
}

TEST(SeriesParams, TimesFormatAndParseBothWays) {
  EXPECT_EQ(series::format_time(kT0 + 250'000'000), "2025-11-24T16:00:00.25Z");
  EXPECT_EQ(series::format_time(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(series::format_time(0), "1970-01-01T00:00:00Z");
  for (int64_t t : {kT0, kT0 + 1, int64_t{-86400} * kSec * 365 * 100 + 7}) {
    auto back = series::parse_time(series::format_time(t), 0);
    ASSERT_TRUE(back) << series::format_time(t);
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(*series::parse_duration_ns("1h30m"), 5400 * kSec);
  EXPECT_FALSE(series::parse_duration_ns("1.5h"));
  EXPECT_FALSE(series::parse_duration_ns("99999999999d"));
}

}  // namespace
}  // namespace iotwins::api
