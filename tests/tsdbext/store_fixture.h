// The behavioural suite runs every test on each store: the embedded engine, PostgreSQL and
// InfluxDB (real servers, servers.h). Each test gets an empty store of its own: a fresh data
// dir or database.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "servers.h"
#include "tsdb/store.h"
#include "tsdbext/open_store.h"

namespace iotwins::tsdbext::testing {

enum class Kind { embedded, postgresql, influxdb };
inline std::string kind_name(Kind k) {
  return k == Kind::embedded ? "embedded" : k == Kind::postgresql ? "postgresql" : "influxdb";
}

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;
constexpr int64_t kAllFrom = -(int64_t{1} << 62);
constexpr int64_t kAllTo = int64_t{1} << 62;
constexpr int64_t kPageRows = 1000;

inline tsdb::SeriesKey key(std::string twin, std::string prop, tsdb::Labels labels = {}) {
  tsdb::SeriesKey k{std::move(twin), std::move(prop), std::move(labels)};
  (void)tsdb::normalize(k);
  return k;
}

class StoreBehaviour : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    OpenStoreOptions o;
    if (small_limits_) {
      // Small pages and requests, so the tests' few thousand samples already cross their edges.
      o.postgres = {.page_rows = kPageRows, .rows_per_statement = 700};
      o.influx = {.page_rows = kPageRows, .max_body_bytes = 16 << 10};
    }
    std::string url;
    switch (GetParam()) {
      case Kind::embedded:
        dir_ = ::testing::TempDir() + "tsdbext-" + name;
        std::filesystem::remove_all(dir_);
        o.embedded.dir = dir_;
        o.embedded.sync_writes = false;
        url = "embedded";
        break;
      case Kind::postgresql: {
        auto st = postgres().create_schema(name);
        ASSERT_TRUE(st) << st.error().to_string();
        url = postgres().url_in_schema(name);
        break;
      }
      case Kind::influxdb:
        url = influx().url(name);
        break;
    }
    auto s = open_store(url, o);
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool stores_non_finite() const { return GetParam() != Kind::influxdb; }

  Status write(const tsdb::SeriesKey& k, std::vector<tsdb::Sample> samples) {
    tsdb::SeriesWrite w{k, samples};
    return store_->write({&w, 1});
  }
  // Every sample of the selected series, by series.
  std::map<std::string, std::vector<tsdb::Sample>> read(tsdb::SeriesSelector sel = {}, int64_t from = kAllFrom,
                                                        int64_t to = kAllTo) {
    std::map<std::string, std::vector<tsdb::Sample>> out;
    auto st = store_->read({std::move(sel), from, to}, [&](const tsdb::SeriesKey& k, std::span<const tsdb::Sample> run) {
      auto& v = out[tsdb::to_display(k)];
      v.insert(v.end(), run.begin(), run.end());
      return true;
    });
    EXPECT_TRUE(st) << st.error().to_string();
    return out;
  }
  std::vector<tsdb::Sample> read_one(const tsdb::SeriesKey& k) {
    auto all = read({k.twin, k.property, k.labels});
    return all[tsdb::to_display(k)];
  }

  std::unique_ptr<tsdb::TimeSeriesStore> store_;
  std::string dir_;
  bool small_limits_ = true;  // false: the stores' default page and request sizes
};

}  // namespace iotwins::tsdbext::testing
