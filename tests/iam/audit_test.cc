#include "iam/audit.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace iotwins::iam {
namespace {

using namespace std::chrono_literals;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = ::testing::TempDir() + "/iam-audit-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::filesystem::remove(path);
    db_ = std::move(*storage::open_sqlite(path));
    log_ = std::move(*AuditLog::open(*db_, clock_));
  }
  ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditTest, AppendsAndQueriesByTimeActorAndAction) {
  int64_t t0 = clock_.now_ns();
  ASSERT_TRUE(log_->append({"user:alice", "auth.login", "", "10.0.0.1", AuditOutcome::ok, ""}));
  clock_.advance(1s);
  ASSERT_TRUE(log_->append({"user:alice", "deployments.create", "deployments/d-1", "10.0.0.1", AuditOutcome::ok, ""}));
  clock_.advance(1s);
  ASSERT_TRUE(log_->append({"user:bob", "iam.bind", "user:bob", "10.0.0.2", AuditOutcome::denied, "not admin"}));
  clock_.advance(1s);
  ASSERT_TRUE(log_->append({"user:bob", "iam_x.other", "", "", AuditOutcome::failed, ""}));

  auto all = *log_->query({});
  ASSERT_EQ(all.records.size(), 4u);
  EXPECT_EQ(all.records[0].ts_ns, t0);
  EXPECT_EQ(all.records[2].entry.outcome, AuditOutcome::denied);
  EXPECT_EQ(all.records[2].entry.detail, "not admin");
  EXPECT_EQ(all.next_cursor, 0);

  EXPECT_EQ(log_->query({.actor = "user:bob"})->records.size(), 2u);
  // The prefix is literal: "iam." does not match "iam_x." (no LIKE wildcards).
  auto iam = *log_->query({.action_prefix = "iam."});
  ASSERT_EQ(iam.records.size(), 1u);
  EXPECT_EQ(iam.records[0].entry.action, "iam.bind");
  EXPECT_EQ(log_->query({.action_prefix = "iam%"})->records.size(), 0u);
  auto window = *log_->query({.from_ns = t0 + 1'000'000'000, .to_ns = t0 + 3'000'000'000});
  ASSERT_EQ(window.records.size(), 2u);
  EXPECT_EQ(window.records[0].entry.action, "deployments.create");
}

TEST_F(AuditTest, PagesWithACursor) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(log_->append({"user:a", "twins.update", "twins/t" + std::to_string(i), "", AuditOutcome::ok, ""}));
  }
  AuditQuery q{.limit = 10};
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto p = *log_->query(q);
    for (auto& r : p.records) seen.push_back(r.entry.target);
    if (p.next_cursor == 0) break;
    q.after_id = p.next_cursor;
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "twins/t0");
  EXPECT_EQ(seen.back(), "twins/t24");
}

TEST_F(AuditTest, IsAppendOnlyEvenThroughSql) {
  ASSERT_TRUE(log_->append({"user:a", "x", "", "", AuditOutcome::ok, ""}));
  auto upd = db_->execute("UPDATE audit_log SET actor = 'user:nobody'");
  ASSERT_FALSE(upd);
  EXPECT_NE(upd.error().message().find("append-only"), std::string::npos);
  EXPECT_FALSE(db_->execute("DELETE FROM audit_log"));
  EXPECT_EQ(log_->query({})->records.at(0).entry.actor, "user:a");
}

TEST_F(AuditTest, InjectionStringsAreData) {
  std::string evil = "x' OR '1'='1'; DROP TABLE audit_log;--";
  ASSERT_TRUE(log_->append({"user:a", "a", "", "", AuditOutcome::ok, ""}));
  EXPECT_EQ(log_->query({.actor = evil})->records.size(), 0u);
  EXPECT_EQ(log_->query({.action_prefix = evil})->records.size(), 0u);
  ASSERT_TRUE(log_->append({evil, evil, evil, evil, AuditOutcome::ok, evil}));
  auto found = *log_->query({.actor = evil});
  ASSERT_EQ(found.records.size(), 1u);
  EXPECT_EQ(found.records[0].entry.target, evil);
  EXPECT_EQ(log_->query({})->records.size(), 2u);
}

TEST_F(AuditTest, BadQueriesAndEntries) {
  EXPECT_EQ(log_->query({.limit = 0}).error().code(), Errc::invalid_argument);
  EXPECT_EQ(log_->query({.limit = kMaxAuditPage + 1}).error().code(), Errc::invalid_argument);
  EXPECT_FALSE(log_->query({.from_ns = 10, .to_ns = 5}));
  EXPECT_FALSE(log_->query({.after_id = -1}));
  EXPECT_FALSE(log_->append({"", "a", "", "", AuditOutcome::ok, ""}));
  // Long fields are cut, not refused: the record is kept.
  ASSERT_TRUE(log_->append({"user:a", "a", std::string(5000, 't'), "", AuditOutcome::ok, std::string(10000, 'd')}));
  auto r = log_->query({})->records.at(0);
  EXPECT_EQ(r.entry.target.size(), 1024u);
  EXPECT_TRUE(r.entry.detail.ends_with("..."));
}

}  // namespace
}  // namespace iotwins::iam
