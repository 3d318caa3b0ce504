#include <filesystem>
#include <set>
#include <thread>

#include "analytics/windowed.h"
#include "fixture.h"

namespace iotwins::registry {
namespace {

TEST_F(RegistryTest, RegistersNumberedVersionsWithEverythingKept) {
  auto v1 = registry_->register_version("pump-anomaly", version(1));
  ASSERT_TRUE(v1) << v1.error().to_string();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->kind, "pca");
  EXPECT_EQ(v1->stage, Stage::candidate);
  EXPECT_EQ(v1->size, version(1).model.size());
  EXPECT_EQ(v1->sha256.size(), 64u);
  EXPECT_EQ(v1->metrics, (std::map<std::string, double>{{"f1", 0.784}, {"far_pct", 7.66}}));
  EXPECT_EQ(v1->lineage.series, (std::vector<std::string>{"pump-1/flow", "pump-1/pressure"}));
  EXPECT_EQ(v1->lineage.data_from_ns, 1000);
  EXPECT_EQ(v1->lineage.data_to_ns, 2000);
  EXPECT_EQ(v1->lineage.parameters.at("lags"), "2");
  EXPECT_EQ(v1->lineage.created_by, "trainer");
  EXPECT_EQ(v1->created_ns, clock_.now_ns());
  EXPECT_EQ(v1->revision, 1);

  clock_.advance(std::chrono::seconds(5));
  auto v2 = registry_->register_version("pump-anomaly", version(2));
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->revision, 2);
  EXPECT_NE(v2->sha256, v1->sha256);
  // The bytes live in the artifact store under their sha256.
  EXPECT_EQ(*store_->read(v2->sha256), version(2).model);
  EXPECT_EQ(*registry_->read_model("pump-anomaly", 1), version(1).model);

  auto m = registry_->get_model("pump-anomaly");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->latest_version, 2);
  EXPECT_EQ(m->promoted_version, 0);
  EXPECT_EQ(m->revision, 2);
  EXPECT_EQ(*registry_->revision(), 2);
}

TEST_F(RegistryTest, KeepsASeriesDetectorAndReadsItBackLoadable) {
  Eigen::MatrixXd x(100, 2);
  for (int r = 0; r < 100; ++r) x.row(r) << std::sin(0.2 * r), 0.01 * r * r;
  auto det = analytics::SeriesDetector::create(
      analytics::Params({{"type", std::string("pca")}, {"lags", 2.0}, {"slow_ratio", 1.0}}, "t"));
  ASSERT_TRUE(det && (*det)->fit(x));
  NewVersion v = version(0);
  v.kind = "series";
  v.model = (*det)->serialize();
  auto reg = registry_->register_version("tank", v);
  ASSERT_TRUE(reg) << reg.error().to_string();
  auto bytes = registry_->read_model("tank", 1);
  ASSERT_TRUE(bytes);
  auto back = analytics::SeriesDetector::deserialize(*bytes);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ((*back)->threshold(), (*det)->threshold());
}

TEST_F(RegistryTest, ListsModelsAndVersionsInPages) {
  for (const char* name : {"c-model", "a-model", "b-model"}) ASSERT_TRUE(registry_->register_version(name, version(1)));
  for (int i = 2; i <= 5; ++i) ASSERT_TRUE(registry_->register_version("a-model", version(i)));
  auto first = registry_->list_models({}, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].name, "a-model");
  EXPECT_EQ((*first)[0].latest_version, 5);
  EXPECT_EQ((*first)[1].name, "b-model");
  auto rest = registry_->list_models("b-model", 2);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].name, "c-model");

  auto page = registry_->list_versions("a-model", 2, 2);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].version, 3);
  EXPECT_EQ((*page)[1].version, 4);
  EXPECT_EQ((*page)[0].metrics.at("f1"), 0.784);
}

TEST_F(RegistryTest, SurvivesReopening) {
  ASSERT_TRUE(registry_->register_version("m", version(1)));
  ASSERT_TRUE(registry_->register_version("m", version(2)));
  ASSERT_TRUE(registry_->promote("m", 2, {.by = "ops"}));
  reopen();
  EXPECT_EQ(*registry_->revision(), 3);
  auto p = registry_->promoted("m");
  ASSERT_TRUE(p && p->has_value());
  EXPECT_EQ((*p)->version, 2);
  EXPECT_EQ(registry_->register_version("m", version(3))->version, 3);
}

TEST_F(RegistryTest, RefusesBadInputAndChangesNothing) {
  ASSERT_TRUE(registry_->register_version("m", version(1)));
  auto expect_refused = [&](std::string_view name, const NewVersion& v, Errc code, std::string_view words) {
    auto r = registry_->register_version(name, v);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code(), code) << r.error().to_string();
    EXPECT_NE(r.error().message().find(words), std::string::npos) << r.error().message();
  };
  expect_refused("", version(2), Errc::invalid_argument, "model name must be 1..128");
  expect_refused("../etc", version(2), Errc::invalid_argument, "must start with a letter or digit");
  expect_refused("a/b", version(2), Errc::invalid_argument, "may hold only");
  NewVersion v = version(2);
  v.model = "not a model";
  expect_refused("m", v, Errc::invalid_argument, "model bytes: not a model artifact");
  v = version(2);
  v.model[v.model.size() / 2] ^= 0x40;  // a flipped byte fails the checksum
  expect_refused("m", v, Errc::invalid_argument, "checksum");
  v = version(2);
  v.kind = "mset";
  expect_refused("m", v, Errc::invalid_argument, "kind 'mset' does not match the model artifact, which is a 'pca' model");
  v = version(2);
  v.metrics["f1"] = std::nan("");
  expect_refused("m", v, Errc::invalid_argument, "metric 'f1' is not a finite number");
  v = version(2);
  v.metrics["bad name"] = 1;
  expect_refused("m", v, Errc::invalid_argument, "metric name 'bad name'");
  v = version(2);
  v.lineage.data_from_ns = 3000;
  expect_refused("m", v, Errc::invalid_argument, "lineage data range");
  v = version(2);
  v.lineage.series.push_back("");
  expect_refused("m", v, Errc::invalid_argument, "lineage.series[2] is empty");
  v = version(2);
  v.lineage.series[0] = "bad\nname";
  expect_refused("m", v, Errc::invalid_argument, "lineage.series[0] holds a control character");
  v = version(2);
  v.lineage.created_by = "";
  expect_refused("m", v, Errc::invalid_argument, "lineage.created_by is required");

  auto small = ModelRegistry::open(*db_, *store_, clock_, {.max_model_bytes = 10});
  ASSERT_TRUE(small);
  auto big = (*small)->register_version("m", version(2));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), Errc::too_large);

  // Nothing changed: one model, one version, revision 1, one artifact file.
  EXPECT_EQ(*registry_->revision(), 1);
  EXPECT_EQ(registry_->get_model("m")->latest_version, 1);
  EXPECT_EQ(registry_->list_models()->size(), 1u);
  EXPECT_EQ(store_->list()->items.size(), 1u);
}

TEST_F(RegistryTest, NotFoundNamesWhatIsMissing) {
  auto none = registry_->get_model("ghost");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Errc::not_found);
  EXPECT_EQ(none.error().message(), "model 'ghost' is not registered");
  ASSERT_TRUE(registry_->register_version("m", version(1)));
  auto v = registry_->get_version("m", 4);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message(), "model 'm' has no version 4");
  EXPECT_EQ(registry_->list_versions("ghost").error().code(), Errc::not_found);
  EXPECT_EQ(registry_->list_models({}, 0).error().code(), Errc::invalid_argument);
}

TEST_F(RegistryTest, ReadModelDetectsAlteredBytes) {
  auto v = registry_->register_version("m", version(1));
  ASSERT_TRUE(v);
  const std::string path = *store_->path_of(v->sha256);
  std::filesystem::permissions(path, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  {
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fputc('X', f);
    std::fclose(f);
  }
  auto bytes = registry_->read_model("m", 1);
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code(), Errc::corruption);
  EXPECT_NE(bytes.error().message().find("model 'm' version 1"), std::string::npos) << bytes.error().message();
}

TEST_F(RegistryTest, ConcurrentRegistrationsGetDistinctVersions) {
  const std::string bytes = pca_bytes(1);
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      NewVersion v = version(1);
      v.model = bytes;
      for (int i = 0; i < 10; ++i) {
        auto r = registry_->register_version("shared", v);
        if (r) got[t].push_back(r->version);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), 40u);
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 40);
  EXPECT_EQ(*registry_->revision(), 40);
  EXPECT_EQ(store_->list()->items.size(), 1u);  // the same bytes are one artifact
}

TEST_F(RegistryTest, ChangesListModelsAfterARevision) {
  ASSERT_TRUE(registry_->register_version("a", version(1)));  // revision 1
  ASSERT_TRUE(registry_->register_version("b", version(1)));  // 2
  ASSERT_TRUE(registry_->promote("a", 1, {.by = "ops"}));     // 3
  auto all = registry_->changes(0);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->revision, 3);
  ASSERT_EQ(all->models.size(), 2u);
  EXPECT_EQ(all->models[0].name, "b");
  EXPECT_EQ(all->models[1].name, "a");
  EXPECT_EQ(all->models[1].promoted_version, 1);
  auto later = registry_->changes(2);
  ASSERT_TRUE(later);
  ASSERT_EQ(later->models.size(), 1u);
  EXPECT_EQ(later->models[0].name, "a");
  EXPECT_TRUE(registry_->changes(3)->models.empty());
}

}  // namespace
}  // namespace iotwins::registry
