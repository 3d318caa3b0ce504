// A model belongs to one IAM group: its first version fixes it, later versions share it, and a
// version for another group is refused with nothing changed. Models registered before groups
// existed read as "default".
#include "fixture.h"
#include "storage/migrations.h"

namespace iotwins::registry {
namespace {

TEST_F(RegistryTest, TheFirstVersionFixesTheModelsGroup) {
  NewVersion in_a = version(1);
  in_a.group = "plant-a";
  auto v1 = registry_->register_version("pump-anomaly", in_a);
  ASSERT_TRUE(v1) << v1.error().to_string();
  EXPECT_EQ(registry_->get_model("pump-anomaly")->group, "plant-a");
  // A version that names no group, or the same one, joins the model's group.
  ASSERT_TRUE(registry_->register_version("pump-anomaly", version(2)));
  NewVersion again = version(3);
  again.group = "plant-a";
  ASSERT_TRUE(registry_->register_version("pump-anomaly", again));
  EXPECT_EQ(registry_->get_model("pump-anomaly")->latest_version, 3);
  ASSERT_TRUE(registry_->register_version("other", version(1)));
  EXPECT_EQ(registry_->get_model("other")->group, "default");

  reopen();
  auto models = *registry_->list_models();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[1].name, "pump-anomaly");
  EXPECT_EQ(models[1].group, "plant-a");
}

TEST_F(RegistryTest, AVersionForAnotherGroupIsAConflictAndChangesNothing) {
  NewVersion in_a = version(1);
  in_a.group = "plant-a";
  ASSERT_TRUE(registry_->register_version("pump-anomaly", in_a));
  int64_t revision = *registry_->revision();
  NewVersion in_b = version(2);
  in_b.group = "plant-b";
  auto refused = registry_->register_version("pump-anomaly", in_b);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::conflict);
  EXPECT_NE(refused.error().message().find("belongs to group plant-a"), std::string::npos) << refused.error().message();
  auto m = registry_->get_model("pump-anomaly");
  EXPECT_EQ(m->latest_version, 1);
  EXPECT_EQ(m->group, "plant-a");
  EXPECT_EQ(*registry_->revision(), revision);
}

TEST_F(RegistryTest, ModelsFromBeforeTheGroupColumnReadAsDefault) {
  NewVersion in_a = version(1);
  in_a.group = "plant-a";
  ASSERT_TRUE(registry_->register_version("pump-anomaly", in_a));
  // The schema as an older binary left it: no group column, migration 2 not applied.
  ASSERT_TRUE(db_->execute("ALTER TABLE models DROP COLUMN group_name"));
  ASSERT_TRUE(db_->execute("DELETE FROM schema_migrations WHERE component = 'registry' AND version = 2"));
  reopen();
  EXPECT_EQ(registry_->get_model("pump-anomaly")->group, "default");
  EXPECT_EQ(*storage::schema_version(*db_, "registry"), 2);
}

}  // namespace
}  // namespace iotwins::registry
