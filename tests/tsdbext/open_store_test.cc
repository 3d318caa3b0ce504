// open_store(url): the accepted forms, bad URLs, and unreachable servers named in the error.
#include <gtest/gtest.h>

#include <filesystem>

#include "servers.h"
#include "tsdbext/influx_store.h"
#include "tsdbext/open_store.h"
#include "tsdbext/postgres_store.h"

namespace iotwins::tsdbext::testing {
namespace {

TEST(OpenStore, BadUrlsNameTheUrlAndTheAcceptedForms) {
  for (std::string url : {"mysql://h:1/db", "postgresql://", "influxdb://127.0.0.1:8086", "influxdb://127.0.0.1:8086/",
                          "influxdb://hostonly/db", "influxdb://h:1/%zz", "embeded"}) {
    auto s = open_store(url);
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().code(), Errc::invalid_argument) << url;
    EXPECT_NE(s.error().message().find("'" + url + "'"), std::string::npos) << s.error().message();
    EXPECT_NE(s.error().message().find("postgresql://user@host:port/db"), std::string::npos) << s.error().message();
  }
}

TEST(OpenStore, EmbeddedIsTheDefault) {
  std::string dir = ::testing::TempDir() + "tsdbext-open-embedded";
  std::filesystem::remove_all(dir);
  for (std::string url : {"", "embedded"}) {
    OpenStoreOptions o;
    o.embedded.dir = dir;
    auto s = open_store(url, o);
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_NE(dynamic_cast<tsdb::EmbeddedStore*>(s->get()), nullptr);
  }
  std::filesystem::remove_all(dir);
}

TEST(OpenStore, PostgresAliasesAndKinds) {
  ASSERT_TRUE(postgres().create_database("aliases"));
  std::string url = postgres().url("aliases");
  for (std::string u : {url, "postgres://" + url.substr(url.find("://") + 3)}) {
    auto s = open_store(u);
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_NE(dynamic_cast<PostgresStore*>(s->get()), nullptr);
  }
  OpenStoreOptions bad;
  bad.postgres.page_rows = 0;
  auto refused = open_store(url, bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::invalid_argument);
  auto i = open_store(influx().url("kinds"));
  ASSERT_TRUE(i) << i.error().to_string();
  EXPECT_NE(dynamic_cast<InfluxStore*>(i->get()), nullptr);
  // An InfluxDB database name with odd characters, percent-escaped in the URL.
  auto odd = open_store(influx().url("odd%20db%2C%22q%22%27"));
  ASSERT_TRUE(odd) << odd.error().to_string();
  std::vector<tsdb::Sample> s{{5, 2.5}};
  tsdb::SeriesWrite w{{"t", "p", {}}, s};
  ASSERT_TRUE((*odd)->write({&w, 1}));
  auto last = (*odd)->last(w.key);
  ASSERT_TRUE(last && *last) << (last ? "empty" : last.error().to_string());
  EXPECT_EQ(**last, s[0]);
}

TEST(OpenStore, UnreachableServersAreUnavailableNamingHostAndPort) {
  const int closed = free_port();
  const std::string where = "127.0.0.1:" + std::to_string(closed);
  for (std::string url : {"postgresql://iotwins@" + where + "/db", "influxdb://" + where + "/db"}) {
    auto s = open_store(url);
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().code(), Errc::unavailable) << s.error().to_string();
    EXPECT_NE(s.error().message().find(where), std::string::npos) << s.error().message();
  }
}

TEST(OpenStore, PostgresLostConnectionIsUnavailableThenReconnects) {
  ASSERT_TRUE(postgres().create_schema("reconnect"));
  auto s = open_store(postgres().url_in_schema("reconnect"));
  ASSERT_TRUE(s) << s.error().to_string();
  tsdb::SeriesKey k{"t", "p", {}};
  std::vector<tsdb::Sample> samples{{1, 1.0}};
  tsdb::SeriesWrite w{k, samples};
  ASSERT_TRUE((*s)->write({&w, 1}));
  ASSERT_TRUE(postgres().terminate_connections());
  auto st = (*s)->write({&w, 1});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::unavailable) << st.error().to_string();
  EXPECT_NE(st.error().message().find("127.0.0.1:" + std::to_string(postgres().port())), std::string::npos)
      << st.error().message();
  // The next call connects again.
  ASSERT_TRUE((*s)->write({&w, 1}));
  auto last = (*s)->last(k);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ(**last, samples[0]);
}

}  // namespace
}  // namespace iotwins::tsdbext::testing
