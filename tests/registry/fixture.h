// A registry over a fresh SQLite file and artifact store in a temp dir, with a manual clock,
// and real model artifacts fitted by analytics.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "analytics/pca.h"
#include "registry/registry.h"
#include "storage/database.h"

namespace iotwins::registry {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("registry-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    reopen();
  }
  void reopen() {
    registry_.reset();
    auto db = storage::open_sqlite((dir_ / "metadata.db").string());
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    auto store = artifacts::ArtifactStore::open((dir_ / "artifacts").string());
    ASSERT_TRUE(store) << store.error().to_string();
    store_ = std::move(*store);
    auto r = ModelRegistry::open(*db_, *store_, clock_);
    ASSERT_TRUE(r) << r.error().to_string();
    registry_ = std::move(*r);
  }
  // A real PCA model artifact; `seed` varies the bytes.
  static std::string pca_bytes(int seed) {
    Eigen::MatrixXd x(50, 3);
    for (int r = 0; r < 50; ++r) {
      for (int c = 0; c < 3; ++c) x(r, c) = std::sin(0.3 * r * (c + 1) + seed) + 0.1 * c * r;
    }
    analytics::PcaDetector pca;
    EXPECT_TRUE(pca.fit(x).has_value());
    return pca.serialize();
  }
  static NewVersion version(int seed) {
    NewVersion v;
    v.model = pca_bytes(seed);
    v.metrics = {{"f1", 0.784}, {"far_pct", 7.66}};
    v.lineage.series = {"pump-1/flow", "pump-1/pressure"};
    v.lineage.data_from_ns = 1000;
    v.lineage.data_to_ns = 2000;
    v.lineage.parameters = {{"type", "pca"}, {"lags", "2"}};
    v.lineage.created_by = "trainer";
    return v;
  }

  std::filesystem::path dir_;
  ManualClock clock_{1'800'000'000'000'000'000};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<artifacts::ArtifactStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
};

}  // namespace iotwins::registry
