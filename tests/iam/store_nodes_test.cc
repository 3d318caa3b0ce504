// IamStore: nodes that joined (principal, certificates, revocation) and device credentials.
#include <gtest/gtest.h>

#include <filesystem>

#include "iam/authorizer.h"
#include "iam/ca.h"
#include "iam/keys.h"
#include "iam/encoding.h"
#include "iam/store.h"

namespace iotwins::iam {
namespace {

using namespace std::chrono_literals;

class StoreNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/iam-nodes-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::filesystem::remove(path_);
    db_ = std::move(*storage::open_sqlite(path_));
    auto s = IamStore::open(*db_, clock_, StoreOptions{.password_params = {.log2_n = 10}});
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
    ASSERT_TRUE(store_->create_group("plant-a", ""));
  }
  static Subject node(std::string n) { return Subject{SubjectKind::node, std::move(n)}; }

  std::string path_;
  ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<IamStore> store_;
};

TEST_F(StoreNodesTest, NodeSubjectsParseAndPrint) {
  auto s = parse_subject("node:edge-3f2a");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->kind, SubjectKind::node);
  EXPECT_EQ(s->to_string(), "node:edge-3f2a");
}

TEST_F(StoreNodesTest, AJoinedNodeIsAnAgentOfItsGroupOnly) {
  auto joined = store_->add_node("edge-1", "plant-a");
  ASSERT_TRUE(joined) << joined.error().to_string();
  auto p = store_->principal_for(node("edge-1"));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->groups, std::vector<std::string>{"plant-a"});
  EXPECT_TRUE(Authorizer::decide(*p, Verb::write, ResourceKind::series, "plant-a").allowed);
  EXPECT_FALSE(Authorizer::decide(*p, Verb::write, ResourceKind::series, "plant-b").allowed);
  EXPECT_FALSE(Authorizer::decide(*p, Verb::admin, ResourceKind::iam, "").allowed);
  // Ids are unique; the group must exist.
  EXPECT_EQ(store_->add_node("edge-1", "plant-a").error().code(), Errc::already_exists);
  EXPECT_EQ(store_->add_node("edge-2", "nowhere").error().code(), Errc::not_found);
  EXPECT_EQ(store_->principal_for(node("edge-9")).error().code(), Errc::unauthenticated);
}

TEST_F(StoreNodesTest, RevokingANodeRefusesItsTokensAndPrincipalAndListsItsCertificates) {
  ASSERT_TRUE(store_->add_node("edge-1", "plant-a"));
  ASSERT_TRUE(store_->add_node_certificate("edge-1", "1a"));
  ASSERT_TRUE(store_->add_node_certificate("edge-1", "2b"));
  auto token = store_->create_api_token(node("edge-1"), "agent");
  ASSERT_TRUE(token) << token.error().to_string();
  auto who = store_->authenticate_api_token(token->secret);
  ASSERT_TRUE(who) << who.error().to_string();
  EXPECT_EQ(who->to_string(), "node:edge-1");

  auto revoked = store_->revoke_node("edge-1");
  ASSERT_TRUE(revoked) << revoked.error().to_string();
  EXPECT_NE(revoked->revoked_ns, 0);
  EXPECT_EQ(revoked->certificate_serials, (std::vector<std::string>{"1a", "2b"}));
  EXPECT_EQ(store_->authenticate_api_token(token->secret).error().code(), Errc::unauthenticated);
  EXPECT_EQ(store_->principal_for(node("edge-1")).error().code(), Errc::unauthenticated);
  EXPECT_EQ(store_->add_node_certificate("edge-1", "3c").error().code(), Errc::unauthenticated);
  EXPECT_TRUE(store_->revoke_node("edge-1"));  // again: fine
  EXPECT_EQ(store_->revoke_node("edge-9").error().code(), Errc::not_found);
}

TEST_F(StoreNodesTest, DeviceSecretsAreStoredAsDigestsAndReplaced) {
  auto first = store_->create_device_secret("pump-1");
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_TRUE(first->starts_with("iot_dev_"));
  auto creds = store_->device_credentials({"pump-2", "pump-1"});
  ASSERT_TRUE(creds);
  ASSERT_EQ(creds->size(), 1u);
  EXPECT_EQ((*creds)[0].twin, "pump-1");
  EXPECT_EQ((*creds)[0].secret_sha256, to_hex(sha256(*first)));

  auto second = store_->create_device_secret("pump-1");
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ((*store_->device_credentials({"pump-1"}))[0].secret_sha256, to_hex(sha256(*second)));
  EXPECT_TRUE(store_->delete_device_credential("pump-1"));
  EXPECT_TRUE(store_->device_credentials({"pump-1"})->empty());
  EXPECT_EQ(store_->delete_device_credential("pump-1").error().code(), Errc::not_found);
}

TEST_F(StoreNodesTest, JoinTokensCanBeDeletedBeforeUse) {
  auto t = store_->create_join_token("plant-a", "user:admin", 1h);
  ASSERT_TRUE(t);
  ASSERT_TRUE(store_->delete_join_token(t->meta.id));
  EXPECT_EQ(store_->consume_join_token(t->secret, "edge-1").error().code(), Errc::unauthenticated);
  EXPECT_EQ(store_->delete_join_token(t->meta.id).error().code(), Errc::not_found);
}

TEST_F(StoreNodesTest, AnAgentsOwnCsrIsSignedForItsNodeWithoutItsKey) {
  auto key = SigningKey::generate();
  ASSERT_TRUE(key);
  auto csr = make_csr(key->pkey(), "asks for anything");
  ASSERT_TRUE(csr) << csr.error().to_string();
  std::string dir = ::testing::TempDir() + "/iam-nodes-ca";
  std::filesystem::remove_all(dir);
  auto ca = CertificateAuthority::open(PosixFileSystem::instance(), dir, clock_);
  ASSERT_TRUE(ca) << ca.error().to_string();
  auto cert = (*ca)->sign_csr(*csr, "node:edge-1");
  ASSERT_TRUE(cert) << cert.error().to_string();
  EXPECT_EQ(cert->info.common_name, "node:edge-1");
  EXPECT_TRUE(cert->private_key_pem.empty());
  // The certificate carries the agent's public key.
  auto pub = key->public_key().to_pem();
  ASSERT_TRUE(pub);
  auto x = read_certificate(cert->certificate_pem);
  ASSERT_TRUE(x);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(x->get()), key->pkey()), 1);
}

}  // namespace
}  // namespace iotwins::iam
