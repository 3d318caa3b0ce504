// A TwinService on a fresh SQLite file per test, reopenable to check persistence.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>

#include "storage/database.h"
#include "twin/codec.h"
#include "twins/service.h"

namespace iotwins::twins::testing {

inline const char* kPumpModel = R"({
  "id": "Pump",
  "telemetry": {"temperature": {"type": "number", "unit": "degC"}, "flow": {"type": "number"}},
  "attributes": {"serial": {"type": "string", "required": true}},
  "desired": {"speed": {"type": "number", "min": 0, "max": 3000}, "mode": {"type": "string", "enum": ["auto", "manual"]}}
})";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "twins_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* s : {"", "-wal", "-shm"}) std::remove((path_ + s).c_str());
    clock_.set(1'700'000'000'000'000'000);
    reopen();
  }
  void reopen(ServiceOptions options = {}) {
    svc_.reset();
    db_.reset();
    db_ = std::move(*storage::open_sqlite(path_));
    auto s = TwinService::open(*db_, clock_, std::move(options));
    ASSERT_TRUE(s) << s.error().to_string();
    svc_ = std::move(*s);
  }
  twin::TwinDocument put(const std::string& id, nlohmann::json body) {
    auto r = svc_->put_twin(id, body, std::nullopt);
    EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
    return r ? r->doc : twin::TwinDocument{};
  }
  static twin::StateUpdate desired(nlohmann::json d, std::optional<int64_t> version = std::nullopt) {
    return {std::move(d), std::nullopt, version};
  }

  std::string path_;
  ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<TwinService> svc_;
};

}  // namespace iotwins::twins::testing
