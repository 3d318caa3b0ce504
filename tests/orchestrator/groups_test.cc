// Deployments belong to an IAM group: set at create, kept across a restart and by updates that
// name none, moved by an update that names one; rows written before the group column read as
// "default".
#include <nlohmann/json.hpp>

#include "orchestrator/json.h"
#include "orchestrator_fixture.h"
#include "storage/migrations.h"

namespace iotwins::orchestrator::testing {
namespace {

TEST_F(OrchestratorTest, DeploymentGroupIsDefaultUnlessGivenAndSurvivesARestart) {
  auto plain = create(factory_yaml());
  EXPECT_EQ(plain.group, "default");
  auto in_a = orch_->create(factory_yaml(), "{}", "a");
  ASSERT_TRUE(in_a) << in_a.error().to_string();
  EXPECT_EQ(in_a->group, "a");

  open();  // a server restart: the groups come back from the store
  EXPECT_EQ(get(plain.id).group, "default");
  EXPECT_EQ(get(in_a->id).group, "a");
  auto list = *orch_->list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].group, "a");
  EXPECT_EQ(nlohmann::json::parse(deployment_json({.deployment = &list[1]}))["group"], "a");
}

TEST_F(OrchestratorTest, EmptyGroupIsRefusedAndNothingIsStored) {
  auto d = orch_->create(factory_yaml(), "{}", "");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), Errc::invalid_argument);
  EXPECT_NE(d.error().message().find("group"), std::string::npos) << d.error().message();
  EXPECT_TRUE(orch_->list()->empty());
}

TEST_F(OrchestratorTest, UpdateKeepsTheGroupUnlessItNamesAnother) {
  auto d = *orch_->create(factory_yaml(), "{}", "a");
  auto kept = orch_->update(d.id, factory_yaml(), R"({"threshold": 0.7})");
  ASSERT_TRUE(kept) << kept.error().to_string();
  EXPECT_EQ(kept->group, "a");
  auto moved = orch_->update(d.id, factory_yaml(), R"({"threshold": 0.7})", std::nullopt, "b");
  ASSERT_TRUE(moved) << moved.error().to_string();
  EXPECT_EQ(moved->group, "b");
  EXPECT_EQ(get(d.id).group, "b");
  auto events = *orch_->events(d.id);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const DeploymentEvent& e) {
    return e.kind == "group_changed" && e.message == "from group a to b";
  }));
}

TEST_F(OrchestratorTest, RowsFromBeforeTheGroupColumnReadAsDefault) {
  auto d = *orch_->create(factory_yaml(), "{}", "a");
  // The schema as an older binary left it: no group column, migration 3 not applied.
  ASSERT_TRUE(db_->execute("ALTER TABLE orch_deployments DROP COLUMN group_name"));
  ASSERT_TRUE(db_->execute("DELETE FROM schema_migrations WHERE component = 'orchestrator' AND version = 3"));
  open();
  EXPECT_EQ(get(d.id).group, "default");
  EXPECT_EQ(*storage::schema_version(*db_, "orchestrator"), 3);
}

}  // namespace
}  // namespace iotwins::orchestrator::testing
