#include "fixture.h"

namespace iotwins::registry {
namespace {

class PromotionTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(registry_->register_version("m", version(i)));  // revisions 1-3
  }
  Stage stage(int64_t v) { return registry_->get_version("m", v)->stage; }
  int64_t promoted_version() { return registry_->get_model("m")->promoted_version; }
};

TEST_F(PromotionTest, PromoteMovesTheOnePromotedVersion) {
  EXPECT_FALSE(registry_->promoted("m")->has_value());
  auto p1 = registry_->promote("m", 1, {.by = "alice"});
  ASSERT_TRUE(p1) << p1.error().to_string();
  EXPECT_EQ(p1->stage, Stage::promoted);
  EXPECT_EQ(p1->revision, 4);
  clock_.advance(std::chrono::minutes(1));
  auto p3 = registry_->promote("m", 3, {.by = "bob"});
  ASSERT_TRUE(p3);
  EXPECT_EQ(stage(1), Stage::retired);
  EXPECT_EQ(stage(2), Stage::candidate);
  EXPECT_EQ(stage(3), Stage::promoted);
  EXPECT_EQ(promoted_version(), 3);
  EXPECT_EQ((*registry_->promoted("m"))->version, 3);
  EXPECT_EQ(*registry_->revision(), 5);

  auto h = registry_->history("m");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].action, "promote");  // newest first
  EXPECT_EQ((*h)[0].from_version, 1);
  EXPECT_EQ((*h)[0].to_version, 3);
  EXPECT_EQ((*h)[0].by, "bob");
  EXPECT_EQ((*h)[0].at_ns, clock_.now_ns());
  EXPECT_EQ((*h)[0].revision, 5);
  EXPECT_EQ((*h)[1].from_version, 0);
  EXPECT_EQ((*h)[1].to_version, 1);
}

TEST_F(PromotionTest, PromotingThePromotedVersionChangesNothing) {
  ASSERT_TRUE(registry_->promote("m", 2, {.by = "ops"}));
  auto again = registry_->promote("m", 2, {.by = "ops"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->stage, Stage::promoted);
  EXPECT_EQ(*registry_->revision(), 4);
  EXPECT_EQ(registry_->history("m")->size(), 1u);
}

TEST_F(PromotionTest, RollbackReturnsToThePreviouslyPromotedVersionsInTurn) {
  ASSERT_TRUE(registry_->promote("m", 1, {.by = "ops"}));
  ASSERT_TRUE(registry_->promote("m", 2, {.by = "ops"}));
  ASSERT_TRUE(registry_->promote("m", 3, {.by = "ops"}));
  auto back = registry_->rollback("m", {.by = "oncall"});
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->version, 2);
  EXPECT_EQ(stage(3), Stage::rolled_back);
  EXPECT_EQ(stage(2), Stage::promoted);
  EXPECT_EQ(stage(1), Stage::retired);
  auto h = registry_->history("m", 1);
  ASSERT_TRUE(h);
  EXPECT_EQ((*h)[0].action, "rollback");
  EXPECT_EQ((*h)[0].from_version, 3);
  EXPECT_EQ((*h)[0].to_version, 2);
  EXPECT_EQ((*h)[0].by, "oncall");
  // A second rollback goes one further back; then there is nothing left to return to.
  EXPECT_EQ(registry_->rollback("m", {.by = "oncall"})->version, 1);
  EXPECT_EQ(stage(2), Stage::rolled_back);
  const int64_t rev = *registry_->revision();
  auto none = registry_->rollback("m", {.by = "oncall"});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Errc::precondition_failed);
  EXPECT_EQ(none.error().message(), "model 'm' has no earlier promoted version to roll back to");
  EXPECT_EQ(*registry_->revision(), rev);
  EXPECT_EQ(promoted_version(), 1);
}

TEST_F(PromotionTest, RollbackAfterRepromotingFollowsTheStack) {
  ASSERT_TRUE(registry_->promote("m", 1, {.by = "ops"}));
  ASSERT_TRUE(registry_->promote("m", 2, {.by = "ops"}));
  ASSERT_TRUE(registry_->rollback("m", {.by = "ops"}));  // back to 1
  ASSERT_TRUE(registry_->promote("m", 3, {.by = "ops"}));  // stack: 1, 3
  EXPECT_EQ(registry_->rollback("m", {.by = "ops"})->version, 1);
}

TEST_F(PromotionTest, StaleExpectedRevisionIsAConflictAndChangesNothing) {
  const int64_t model_rev = registry_->get_model("m")->revision;  // 3
  auto stale = registry_->promote("m", 1, {.by = "ops", .expected_revision = model_rev - 1});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Errc::conflict);
  EXPECT_EQ(stale.error().message(), "model 'm' is at revision 3, not 2");
  EXPECT_EQ(promoted_version(), 0);
  EXPECT_EQ(*registry_->revision(), 3);
  auto fresh = registry_->promote("m", 1, {.by = "ops", .expected_revision = model_rev});
  ASSERT_TRUE(fresh) << fresh.error().to_string();
}

TEST_F(PromotionTest, RefusesBadRequestsAndChangesNothing) {
  ASSERT_TRUE(registry_->promote("m", 1, {.by = "ops"}));
  auto missing = registry_->promote("m", 9, {.by = "ops"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::not_found);
  EXPECT_EQ(missing.error().message(), "model 'm' has no version 9");
  auto nobody = registry_->promote("m", 2, {.by = ""});
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().message(), "by is required");
  EXPECT_EQ(registry_->promote("ghost", 1, {.by = "ops"}).error().code(), Errc::not_found);
  EXPECT_EQ(registry_->rollback("ghost", {.by = "ops"}).error().code(), Errc::not_found);
  EXPECT_EQ(registry_->history("m", 5000).error().code(), Errc::invalid_argument);
  EXPECT_EQ(promoted_version(), 1);
  EXPECT_EQ(stage(2), Stage::candidate);
  EXPECT_EQ(*registry_->revision(), 4);
  EXPECT_EQ(registry_->history("m")->size(), 1u);
}

}  // namespace
}  // namespace iotwins::registry
