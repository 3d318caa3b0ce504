// The server's guard (api/auth.h) over a real identity store, key ring and audit log: who is
// calling, what they may do, and what the audit log keeps of it.
#include "api/auth.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "api/problem.h"
#include "iam/jwt.h"

namespace iotwins::api {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/api-auth-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = std::move(*storage::open_sqlite(dir_ + "/metadata.db"));
    store_ = std::move(*iam::IamStore::open(*db_, clock_, {.password_params = {.log2_n = 10}}));
    keys_ = std::move(*iam::KeyRing::open(PosixFileSystem::instance(), dir_ + "/keys"));
    audit_ = std::move(*iam::AuditLog::open(*db_, clock_));
    auth_ = std::make_unique<Auth>(*store_, *keys_, *audit_, clock_);
    ASSERT_TRUE(store_->create_user("vera", "vera-password"));
    ASSERT_TRUE(store_->bind(iam::Role::viewer, {iam::SubjectKind::user, "vera"}, "*"));
    ASSERT_TRUE(store_->create_service_account("edge", ""));
    ASSERT_TRUE(store_->bind(iam::Role::agent, {iam::SubjectKind::service_account, "edge"}, "*"));

    router_.add(Method::GET, "/api/v1/nodes", [](Request& r) { return json_response(200, who(r)); },
                {.kind = iam::ResourceKind::nodes, .verb = iam::Verb::read});
    router_.add(Method::POST, "/api/v1/nodes/{id}/drain", [](Request& r) { return json_response(200, who(r)); },
                {.kind = iam::ResourceKind::nodes, .verb = iam::Verb::write});
    router_.add(Method::GET, "/healthz", [](Request& r) { return json_response(200, who(r)); },
                {.public_route = true});
    router_.set_guard(auth_->guard());
  }
  static json who(const Request& r) { return r.principal ? json(r.principal->subject.to_string()) : json(nullptr); }

  Response send(Method m, const std::string& path, const std::string& bearer = "", const std::string& peer = "") {
    Request r;
    r.method = m;
    r.path = path;
    r.remote = "10.0.0.7:5555";
    if (!bearer.empty()) r.headers["Authorization"] = "Bearer " + bearer;
    r.peer_subject = peer;
    return router_.dispatch(r);
  }
  std::vector<iam::AuditRecord> audit() { return audit_->query({}).value().records; }

  std::string dir_;
  ManualClock clock_{SystemClock::instance().now_ns()};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<iam::IamStore> store_;
  std::unique_ptr<iam::KeyRing> keys_;
  std::unique_ptr<iam::AuditLog> audit_;
  std::unique_ptr<Auth> auth_;
  Router router_;
};

TEST_F(AuthTest, NoCredentialsIs401WithAChallengeAndTheRefusedChangeIsAudited) {
  Response r = send(Method::POST, "/api/v1/nodes/n-1/drain");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer realm=\"iotwins\"");
  EXPECT_EQ(json::parse(r.body)["code"], "unauthenticated");
  auto records = audit();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].entry.actor, "anonymous");
  EXPECT_EQ(records[0].entry.action, "nodes.drain");
  EXPECT_EQ(records[0].entry.target, "/api/v1/nodes/n-1/drain");
  EXPECT_EQ(records[0].entry.remote, "10.0.0.7:5555");
  EXPECT_EQ(records[0].entry.outcome, iam::AuditOutcome::denied);
  // Reads are not audited; public routes need nothing.
  EXPECT_EQ(send(Method::GET, "/api/v1/nodes").status, 401);
  EXPECT_EQ(send(Method::GET, "/healthz").body, "null");
  EXPECT_EQ(audit().size(), 1u);
}

TEST_F(AuthTest, AnAccessTokenCarriesThePrincipalAndTheRoleDecides) {
  auto token = auth_->issue_access_token({iam::SubjectKind::user, "vera"});
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_EQ(send(Method::GET, "/api/v1/nodes", *token).body, "\"user:vera\"");
  Response denied = send(Method::POST, "/api/v1/nodes/n-1/drain", *token);
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(json::parse(denied.body)["detail"].get<std::string>().find("user:vera may not write nodes"),
            std::string::npos) << denied.body;
  EXPECT_EQ(audit().back().entry.actor, "user:vera");
  // Expired once the clock passes its lifetime and the leeway.
  clock_.advance(15min + 61s);
  Response expired = send(Method::GET, "/api/v1/nodes", *token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
}

TEST_F(AuthTest, ApiTokensAndClientCertificatesActForTheirSubject) {
  auto pat = store_->create_api_token({iam::SubjectKind::service_account, "edge"}, "agent");
  ASSERT_TRUE(pat);
  Response ok = send(Method::POST, "/api/v1/nodes/n-1/drain", pat->secret);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "\"service-account:edge\"");
  EXPECT_EQ(audit().back().entry.outcome, iam::AuditOutcome::ok);
  EXPECT_EQ(audit().back().entry.actor, "service-account:edge");
  EXPECT_EQ(send(Method::GET, "/api/v1/nodes", "", "service-account:edge").body, "\"service-account:edge\"");
  EXPECT_EQ(send(Method::GET, "/api/v1/nodes", "", "service-account:nobody").status, 401);
  ASSERT_TRUE(store_->revoke_api_token(pat->meta.id));
  EXPECT_EQ(send(Method::GET, "/api/v1/nodes", pat->secret).status, 401);
}

TEST_F(AuthTest, TokensOfOtherIssuersAndMalformedHeadersAreRefused) {
  auto other = iam::SigningKey::generate();
  ASSERT_TRUE(other);
  int64_t now = clock_.now_ns() / 1'000'000'000;
  iam::Claims c{.iss = "iotwins", .sub = "user:vera", .aud = {"iotwins"}, .exp = now + 60, .iat = now};
  EXPECT_EQ(send(Method::GET, "/api/v1/nodes", *iam::sign_jwt(*other, c)).status, 401);
  c.iss = "https://elsewhere.example";
  Response foreign = send(Method::GET, "/api/v1/nodes", *iam::sign_jwt(keys_->current(), c));
  EXPECT_EQ(foreign.status, 401);
  EXPECT_NE(foreign.body.find("not trusted"), std::string::npos) << foreign.body;
  Request basic;
  basic.path = "/api/v1/nodes";
  basic.headers["Authorization"] = "Basic dmVyYTp2ZXJh";
  EXPECT_EQ(router_.dispatch(basic).status, 401);
}

TEST_F(AuthTest, GroupHelpersAllowEverythingWithoutAGuardAndNarrowWithOne) {
  Request bare;
  EXPECT_TRUE(allowed(bare, iam::Verb::delete_, iam::ResourceKind::twins, "plant-b"));
  EXPECT_TRUE(visible_groups(bare, iam::ResourceKind::twins).all);
  ASSERT_TRUE(store_->create_group("plant-a", ""));
  ASSERT_TRUE(store_->create_user("alice", "alice-password"));
  ASSERT_TRUE(store_->bind(iam::Role::operator_, {iam::SubjectKind::user, "alice"}, "plant-a"));
  Request alice;
  alice.principal = *store_->principal_for({iam::SubjectKind::user, "alice"});
  EXPECT_TRUE(allowed(alice, iam::Verb::write, iam::ResourceKind::twins, "plant-a"));
  EXPECT_FALSE(allowed(alice, iam::Verb::read, iam::ResourceKind::twins, "plant-b"));
  EXPECT_EQ(refused(alice, iam::Verb::read, iam::ResourceKind::twins, "plant-b", "twin 'p'").status, 404);
  EXPECT_EQ(visible_groups(alice, iam::ResourceKind::twins).groups, std::set<std::string>{"plant-a"});
}

}  // namespace
}  // namespace iotwins::api
