#include "iam/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "iam/authorizer.h"
#include "iam/encoding.h"

namespace iotwins::iam {
namespace {

using namespace std::chrono_literals;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/iam-store-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::filesystem::remove(path_);
    db_ = std::move(*storage::open_sqlite(path_));
    reopen();
  }
  void reopen() {
    auto s = IamStore::open(*db_, clock_, StoreOptions{.password_params = {.log2_n = 10}, .refresh_ttl = 1h});
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
  }
  static Subject user(std::string n) { return Subject{SubjectKind::user, std::move(n)}; }
  static Subject sa(std::string n) { return Subject{SubjectKind::service_account, std::move(n)}; }

  std::string path_;
  ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<IamStore> store_;
};

TEST_F(StoreTest, FirstStartCreatesAnAdminOnce) {
  auto admin = store_->ensure_admin();
  ASSERT_TRUE(admin) << admin.error().to_string();
  ASSERT_TRUE(admin->has_value());
  EXPECT_EQ((*admin)->user, "admin");
  EXPECT_GE((*admin)->password.size(), 24u);
  auto logged_in = store_->authenticate_password("admin", (*admin)->password);
  ASSERT_TRUE(logged_in) << logged_in.error().to_string();
  auto p = store_->principal_for(user("admin"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(Authorizer::decide(*p, Verb::admin, ResourceKind::iam, "").allowed);
  // A restart (same database) makes no second admin and reveals no password.
  reopen();
  auto again = store_->ensure_admin();
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
}

// --admin-password-file: the chosen password, and a bad file creates nothing (an admin whose
// password nobody knows would lock the operator out: the first start is the only one).
TEST_F(StoreTest, TheFirstAdminTakesAChosenPasswordAndABadOneCreatesNothing) {
  auto refused = store_->ensure_admin([]() -> Result<std::string> {
    return make_error(Errc::invalid_argument, "--admin-password-file x is empty");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::invalid_argument);
  EXPECT_FALSE(store_->get_user("admin"));
  auto admin = store_->ensure_admin([]() -> Result<std::string> { return std::string("chosen-admin-pw"); });
  ASSERT_TRUE(admin && admin->has_value());
  EXPECT_TRUE(store_->authenticate_password("admin", "chosen-admin-pw"));
  bool asked = false;
  auto again = store_->ensure_admin([&]() -> Result<std::string> {
    asked = true;
    return std::string("other");
  });
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  EXPECT_FALSE(asked);
}

TEST_F(StoreTest, PasswordLoginAndItsFailures) {
  ASSERT_TRUE(store_->create_user("alice", "s3cret-pass"));
  EXPECT_TRUE(store_->authenticate_password("alice", "s3cret-pass"));
  auto wrong = store_->authenticate_password("alice", "nope");
  auto unknown = store_->authenticate_password("mallory", "nope");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code(), Errc::unauthenticated);
  // The same message for a wrong password and an unknown user: names cannot be probed.
  EXPECT_EQ(wrong.error().message(), unknown.error().message());
  ASSERT_TRUE(store_->set_user_disabled("alice", true));
  auto disabled = store_->authenticate_password("alice", "s3cret-pass");
  ASSERT_FALSE(disabled);
  EXPECT_NE(disabled.error().message().find("disabled"), std::string::npos);
  EXPECT_FALSE(store_->principal_for(user("alice")));
  EXPECT_EQ(store_->create_user("alice", "x").error().code(), Errc::already_exists);
  EXPECT_EQ(store_->create_user("../etc/passwd", "x").error().code(), Errc::invalid_argument);
  EXPECT_EQ(store_->create_user("a'; DROP TABLE iam_users;--", "x").error().code(), Errc::invalid_argument);
}

TEST_F(StoreTest, LoginRehashesWeakHashes) {
  ASSERT_TRUE(store_->create_user("bob", "pw-of-bob"));
  std::string weak = store_->get_user("bob")->password_hash;
  EXPECT_TRUE(weak.starts_with("$scrypt$ln=10,"));
  // The server's parameters are raised; the next login upgrades the stored hash.
  store_ = std::move(*IamStore::open(*db_, clock_, StoreOptions{.password_params = {.log2_n = 11}}));
  ASSERT_TRUE(store_->authenticate_password("bob", "pw-of-bob"));
  std::string strong = store_->get_user("bob")->password_hash;
  EXPECT_TRUE(strong.starts_with("$scrypt$ln=11,")) << strong;
  EXPECT_TRUE(store_->authenticate_password("bob", "pw-of-bob"));
}

TEST_F(StoreTest, BindingsThroughGroupsMakeThePrincipal) {
  ASSERT_TRUE(store_->create_user("carol", "pw-carol"));
  ASSERT_TRUE(store_->create_group("plant-a", "Plant A"));
  ASSERT_TRUE(store_->create_group("plant-b", ""));
  ASSERT_TRUE(store_->add_member("plant-a", user("carol")));
  ASSERT_TRUE(store_->bind(Role::operator_, Subject{SubjectKind::group, "plant-a"}, "plant-a"));
  ASSERT_TRUE(store_->bind(Role::viewer, user("carol"), "plant-b"));
  EXPECT_EQ(store_->bind(Role::viewer, user("carol"), "plant-b").error().code(), Errc::already_exists);
  EXPECT_EQ(store_->bind(Role::viewer, user("carol"), "plant-z").error().code(), Errc::not_found);
  EXPECT_EQ(store_->bind(Role::viewer, user("nobody"), "plant-a").error().code(), Errc::not_found);

  auto p = store_->principal_for(user("carol"));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->groups, std::vector<std::string>{"plant-a"});
  ASSERT_EQ(p->grants.size(), 2u);
  EXPECT_TRUE(Authorizer::decide(*p, Verb::write, ResourceKind::deployments, "plant-a").allowed);
  EXPECT_TRUE(Authorizer::decide(*p, Verb::read, ResourceKind::deployments, "plant-b").allowed);
  auto denied = Authorizer::decide(*p, Verb::write, ResourceKind::deployments, "plant-b");
  EXPECT_FALSE(denied.allowed);
  EXPECT_NE(denied.reason.find("user:carol may not write deployments in group plant-b"), std::string::npos);

  // Leaving the group takes its grants away.
  ASSERT_TRUE(store_->remove_member("plant-a", user("carol")));
  p = store_->principal_for(user("carol"));
  EXPECT_FALSE(Authorizer::decide(*p, Verb::write, ResourceKind::deployments, "plant-a").allowed);
  // Deleting a group removes the bindings scoped to it.
  ASSERT_TRUE(store_->delete_group("plant-b"));
  EXPECT_TRUE(store_->principal_for(user("carol"))->grants.empty());
}

// principal_for answers from a cache on the request path; every change through the store is
// seen by the next call.
TEST_F(StoreTest, APrincipalIsReadAgainAfterAnyChange) {
  ASSERT_TRUE(store_->create_user("dora", "pw-of-dora"));
  ASSERT_TRUE(store_->create_group("line-1", ""));
  ASSERT_TRUE(store_->principal_for(user("dora")));  // cached without grants
  EXPECT_TRUE(store_->principal_for(user("dora"))->grants.empty());
  ASSERT_TRUE(store_->bind(Role::viewer, user("dora"), "line-1"));
  EXPECT_EQ(store_->principal_for(user("dora"))->grants.size(), 1u);
  ASSERT_TRUE(store_->set_user_disabled("dora", true));
  auto disabled = store_->principal_for(user("dora"));
  ASSERT_FALSE(disabled);
  EXPECT_NE(disabled.error().message().find("disabled"), std::string::npos);
  ASSERT_TRUE(store_->set_user_disabled("dora", false));
  ASSERT_TRUE(store_->principal_for(user("dora")));
  ASSERT_TRUE(store_->delete_user("dora"));
  EXPECT_FALSE(store_->principal_for(user("dora")));
  // A node's principal: gone once the node is revoked.
  ASSERT_TRUE(store_->add_node("edge-7", "line-1"));
  ASSERT_TRUE(store_->principal_for(Subject{SubjectKind::node, "edge-7"}));
  ASSERT_TRUE(store_->revoke_node("edge-7"));
  EXPECT_FALSE(store_->principal_for(Subject{SubjectKind::node, "edge-7"}));
}

TEST_F(StoreTest, ExternalIdentitiesGetGrantsFromClaimGroups) {
  ASSERT_TRUE(store_->create_group("ops", ""));
  ASSERT_TRUE(store_->bind(Role::operator_, Subject{SubjectKind::group, "ops"}, "*"));
  auto p = store_->principal_with_groups(user("oidc-user-1"), {"ops", "ops", "unknown"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->groups, (std::vector<std::string>{"ops", "unknown"}));
  EXPECT_TRUE(Authorizer::decide(*p, Verb::delete_, ResourceKind::nodes, "any").allowed);
}

TEST_F(StoreTest, ApiTokensAreShownOnceStoredHashedAndRevocable) {
  ASSERT_TRUE(store_->create_service_account("ci", "pipeline"));
  auto issued = store_->create_api_token(sa("ci"), "deploy", 24h);
  ASSERT_TRUE(issued) << issued.error().to_string();
  EXPECT_TRUE(issued->secret.starts_with("iot_pat_" + issued->meta.id + "_"));
  // Nothing in the database contains the secret; the digest is its SHA-256.
  auto rows = *db_->query("SELECT digest FROM iam_api_tokens");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), to_hex(sha256(issued->secret)));
  EXPECT_EQ(db_->query("SELECT 1 FROM iam_api_tokens WHERE digest = ?1 OR name = ?1", {issued->secret})->size(), 0u);

  auto who = store_->authenticate_api_token(issued->secret);
  ASSERT_TRUE(who) << who.error().to_string();
  EXPECT_EQ(*who, sa("ci"));
  int64_t first_use = clock_.now_ns();
  EXPECT_EQ(store_->list_api_tokens(sa("ci"))->at(0).last_used_ns, first_use);
  // Last use is kept to the minute, so a busy token does not cost a commit per request.
  clock_.advance(10s);
  ASSERT_TRUE(store_->authenticate_api_token(issued->secret));
  EXPECT_EQ(store_->list_api_tokens(sa("ci"))->at(0).last_used_ns, first_use);
  clock_.advance(60s);
  ASSERT_TRUE(store_->authenticate_api_token(issued->secret));
  EXPECT_EQ(store_->list_api_tokens(sa("ci"))->at(0).last_used_ns, clock_.now_ns());

  std::string forged = issued->secret;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(store_->authenticate_api_token(forged).error().code(), Errc::unauthenticated);
  EXPECT_EQ(store_->authenticate_api_token("iot_pat_garbage").error().code(), Errc::unauthenticated);

  clock_.advance(24h);
  EXPECT_NE(store_->authenticate_api_token(issued->secret).error().message().find("expired"), std::string::npos);
  auto forever = *store_->create_api_token(sa("ci"), "forever");
  clock_.advance(24h * 365);
  EXPECT_TRUE(store_->authenticate_api_token(forever.secret));
  ASSERT_TRUE(store_->revoke_api_token(forever.meta.id));
  EXPECT_NE(store_->authenticate_api_token(forever.secret).error().message().find("revoked"), std::string::npos);
  EXPECT_EQ(store_->revoke_api_token(forever.meta.id).error().code(), Errc::not_found);
  // Deleting the account deletes its tokens.
  auto other = *store_->create_api_token(sa("ci"), "other");
  ASSERT_TRUE(store_->delete_service_account("ci"));
  EXPECT_FALSE(store_->authenticate_api_token(other.secret));
}

TEST_F(StoreTest, RefreshTokensRotateAndReuseRevokesTheFamily) {
  ASSERT_TRUE(store_->create_user("dan", "pw-dan-1"));
  auto first = store_->issue_refresh_token(user("dan"));
  ASSERT_TRUE(first);
  auto second = store_->use_refresh_token(*first);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(second->subject, user("dan"));
  EXPECT_NE(second->refresh_token, *first);
  auto third = store_->use_refresh_token(second->refresh_token);
  ASSERT_TRUE(third);
  // An attacker replays the first token: refused, and the legitimate latest one dies too.
  auto replay = store_->use_refresh_token(*first);
  ASSERT_FALSE(replay);
  EXPECT_NE(replay.error().message().find("already used"), std::string::npos);
  EXPECT_NE(store_->use_refresh_token(third->refresh_token).error().message().find("revoked"), std::string::npos);
  // A fresh session works, and expires.
  auto fresh = *store_->issue_refresh_token(user("dan"));
  clock_.advance(61min);
  EXPECT_NE(store_->use_refresh_token(fresh).error().message().find("expired"), std::string::npos);
  // Changing the password ends sessions.
  auto s = *store_->issue_refresh_token(user("dan"));
  ASSERT_TRUE(store_->set_password("dan", "pw-dan-2"));
  EXPECT_FALSE(store_->use_refresh_token(s));
}

TEST_F(StoreTest, JoinTokensAreOneTimeAndExpire) {
  ASSERT_TRUE(store_->create_group("edge", ""));
  EXPECT_EQ(store_->create_join_token("nope", "admin", 1h).error().code(), Errc::not_found);
  EXPECT_FALSE(store_->create_join_token("edge", "admin", 0s));
  auto join = store_->create_join_token("edge", "user:admin", 1h);
  ASSERT_TRUE(join);
  EXPECT_TRUE(join->secret.starts_with("iot_join_"));
  auto grant = store_->consume_join_token(join->secret, "edge-1");
  ASSERT_TRUE(grant) << grant.error().to_string();
  EXPECT_EQ(grant->group, "edge");
  auto second = store_->consume_join_token(join->secret, "edge-2");
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("already used by node edge-1"), std::string::npos);
  auto listed = *store_->list_join_tokens();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].used_by, "edge-1");

  auto late = *store_->create_join_token("edge", "user:admin", 10min);
  clock_.advance(10min);
  EXPECT_NE(store_->consume_join_token(late.secret, "edge-3").error().message().find("expired"), std::string::npos);
  EXPECT_EQ(store_->consume_join_token("iot_pat_x", "edge-4").error().code(), Errc::unauthenticated);
}

TEST_F(StoreTest, ConcurrentJoinsWithOneTokenAdmitOneNode) {
  ASSERT_TRUE(store_->create_group("edge", ""));
  auto join = *store_->create_join_token("edge", "user:admin", 1h);
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = store_->consume_join_token(join.secret, "edge-" + std::to_string(i));
      (r ? admitted : refused)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(StoreTest, DeletingAUserRemovesEverythingItHeld) {
  ASSERT_TRUE(store_->create_user("erin", "pw-erin"));
  ASSERT_TRUE(store_->create_group("g", ""));
  ASSERT_TRUE(store_->add_member("g", user("erin")));
  ASSERT_TRUE(store_->bind(Role::developer, user("erin"), "g"));
  auto token = *store_->create_api_token(user("erin"), "laptop");
  ASSERT_TRUE(store_->delete_user("erin"));
  EXPECT_EQ(store_->get_user("erin").error().code(), Errc::not_found);
  EXPECT_FALSE(store_->authenticate_api_token(token.secret));
  EXPECT_TRUE(store_->list_bindings()->empty());
  EXPECT_TRUE(store_->groups_of(user("erin"))->empty());
  EXPECT_EQ(store_->delete_user("erin").error().code(), Errc::not_found);
}

}  // namespace
}  // namespace iotwins::iam
