// The OIDC verifier against a real OpenID provider (oidc-provider), not an imitation.
#include "iam/oidc.h"

#include <gtest/gtest.h>

#include "iam/encoding.h"
#include "jwt_test_util.h"
#include "oidc_provider.h"

namespace iotwins::iam {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class OidcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = testutil::OidcProvider::start();
    ASSERT_TRUE(p) << p.error().to_string();
    provider_ = std::move(*p);
  }
  static void TearDownTestSuite() { provider_.reset(); }

  // A client_credentials access token for `resource` (which picks the signing algorithm).
  static std::string fetch_token(const std::string& resource) {
    auto client = api::HttpClient::create(provider_->issuer());
    EXPECT_TRUE(client);
    std::string body = "grant_type=client_credentials&client_id=iotwins-test&client_secret=test-secret&scope=api"
                       "&resource=" + api::percent_encode(resource);
    auto r = (*client)->request(api::Method::POST, "/token", body, "application/x-www-form-urlencoded");
    EXPECT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body)["access_token"].get<std::string>();
  }
  OidcOptions options() const {
    OidcOptions o;
    o.issuer = provider_->issuer();
    o.audience = "iotwins";
    return o;
  }
  static nlohmann::json header_of(const std::string& token) {
    return json::parse(*base64url_decode(token.substr(0, token.find('.')), "h"));
  }

  static inline std::unique_ptr<testutil::OidcProvider> provider_;
  ManualClock clock_{SystemClock::instance().now_ns()};
};

TEST_F(OidcTest, VerifiesAnEs256AccessTokenAndMapsGroups) {
  std::string token = fetch_token("urn:iotwins:es256");
  EXPECT_EQ(header_of(token)["alg"], "ES256");
  OidcVerifier verifier(options(), clock_);
  auto id = verifier.verify(token);
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(id->subject, "iotwins-test");
  // "/plant-a" is a Keycloak-style group path; "bad group!" is not a valid name and is skipped.
  EXPECT_EQ(id->groups, (std::vector<std::string>{"ops", "plant-a"}));
  EXPECT_EQ(id->token.header.alg, JwsAlg::ES256);
  EXPECT_EQ(id->token.claims.iss, provider_->issuer());
  EXPECT_EQ(verifier.stats().discovery_fetches, 1);
  EXPECT_EQ(verifier.stats().jwks_fetches, 1);
}

TEST_F(OidcTest, VerifiesRs256AndCachesKeys) {
  OidcOptions o = options();
  o.jwks_cache_ttl = 120s;
  OidcVerifier verifier(o, clock_);
  for (int i = 0; i < 3; ++i) {
    auto id = verifier.verify(fetch_token("urn:iotwins:rs256"));
    ASSERT_TRUE(id) << id.error().to_string();
    EXPECT_EQ(id->token.header.alg, JwsAlg::RS256);
  }
  EXPECT_EQ(verifier.stats().jwks_fetches, 1);
  // After the cache lifetime the keys are fetched again (the token, 300 s long, is still valid).
  clock_.advance(121s);
  ASSERT_TRUE(verifier.verify(fetch_token("urn:iotwins:rs256")));
  EXPECT_EQ(verifier.stats().jwks_fetches, 2);
  EXPECT_EQ(verifier.stats().discovery_fetches, 1);
}

TEST_F(OidcTest, RejectsWrongAudienceAndExpiredTokens) {
  OidcVerifier verifier(options(), clock_);
  auto other = verifier.verify(fetch_token("urn:other"));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), Errc::unauthenticated);
  EXPECT_NE(other.error().message().find("audience does not include \"iotwins\""), std::string::npos);

  std::string token = fetch_token("urn:iotwins:es256");
  ASSERT_TRUE(verifier.verify(token));
  clock_.advance(300s + 61s);  // the provider's 300 s lifetime plus our 60 s leeway
  auto expired = verifier.verify(token);
  ASSERT_FALSE(expired);
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos);
}

TEST_F(OidcTest, RejectsForgedTokensThatNameTheProvidersKey) {
  std::string token = fetch_token("urn:iotwins:es256");
  json header = header_of(token);
  size_t d1 = token.find('.'), d2 = token.rfind('.');
  json payload = json::parse(*base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), "p"));
  payload["groups"] = {"admins"};
  OidcVerifier verifier(options(), clock_);
  auto attacker = *SigningKey::generate();
  auto forged = verifier.verify(testutil::es256_token(attacker, header, payload));
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().message().find("signature does not verify"), std::string::npos);
  json none = {{"alg", "none"}, {"kid", header["kid"]}};
  auto unsigned_token = verifier.verify(testutil::segment(none) + "." + testutil::segment(payload) + ".");
  ASSERT_FALSE(unsigned_token);
  EXPECT_NE(unsigned_token.error().message().find("alg none"), std::string::npos);
}

TEST_F(OidcTest, PicksUpKeyRotationWithRateLimitedRefresh) {
  OidcOptions o = options();
  o.min_refresh_interval = 30s;
  OidcVerifier verifier(o, clock_);
  std::string before = fetch_token("urn:iotwins:es256");
  ASSERT_TRUE(verifier.verify(before));
  EXPECT_EQ(verifier.stats().jwks_fetches, 1);

  auto admin = *api::HttpClient::create(provider_->issuer());
  auto rotated = admin->request(api::Method::POST, "/test/rotate");
  ASSERT_TRUE(rotated && rotated->status == 200);
  std::string new_ec_kid = json::parse(rotated->body)["kids"][0];
  std::string after = fetch_token("urn:iotwins:es256");
  ASSERT_EQ(header_of(after)["kid"], new_ec_kid);

  // Within the refresh interval an unknown kid does not reach the provider.
  auto too_soon = verifier.verify(after);
  ASSERT_FALSE(too_soon);
  EXPECT_NE(too_soon.error().message().find("unknown key id \"" + new_ec_kid + "\""), std::string::npos);
  EXPECT_EQ(verifier.stats().jwks_fetches, 1);

  clock_.advance(31s);
  auto id = verifier.verify(after);
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(verifier.stats().jwks_fetches, 2);
  // The old key is still published, so tokens signed before the rotation stay valid.
  EXPECT_TRUE(verifier.verify(before));
  EXPECT_EQ(verifier.stats().jwks_fetches, 2);
}

TEST_F(OidcTest, IssuerMustMatchDiscovery) {
  OidcOptions o = options();
  o.issuer = "http://localhost:" + std::to_string(provider_->port());  // same server, another name
  OidcVerifier verifier(o, clock_);
  auto r = verifier.verify(fetch_token("urn:iotwins:es256"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::unavailable);
  EXPECT_NE(r.error().message().find("names issuer"), std::string::npos) << r.error().message();
}

TEST_F(OidcTest, UnreachableProviderIsUnavailable) {
  OidcOptions o = options();
  o.issuer = "http://127.0.0.1:1";
  OidcVerifier verifier(o, clock_);
  std::string token = fetch_token("urn:iotwins:es256");
  auto r = verifier.verify(token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::unavailable) << r.error().to_string();
  // Requests in the next moments get the same answer without another attempt.
  auto again = verifier.verify(token);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(), r.error().message());
  EXPECT_EQ(verifier.stats().discovery_fetches, 1);
  clock_.advance(31s);
  EXPECT_FALSE(verifier.verify(token));
  EXPECT_EQ(verifier.stats().discovery_fetches, 2);
}

TEST_F(OidcTest, CachedKeysOutliveAnOutage) {
  // A provider of its own, so stopping it leaves the suite's one alone.
  auto own = testutil::OidcProvider::start();
  ASSERT_TRUE(own) << own.error().to_string();
  OidcOptions o = options();
  o.issuer = (*own)->issuer();
  o.jwks_cache_ttl = 60s;
  o.min_refresh_interval = 10s;
  OidcVerifier verifier(o, clock_);
  ASSERT_TRUE(verifier.refresh());
  auto client = *api::HttpClient::create((*own)->issuer());
  auto r = client->request(api::Method::POST, "/token",
                           "grant_type=client_credentials&client_id=iotwins-test&client_secret=test-secret"
                           "&scope=api&resource=urn%3Aiotwins%3Aes256",
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(r && r->status == 200);
  std::string token = json::parse(r->body)["access_token"];
  own->reset();  // the provider is gone
  clock_.advance(90s);  // the cache is stale and a refresh is allowed: the fetch fails
  auto id = verifier.verify(token);
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(verifier.stats().jwks_fetches, 2);
}

}  // namespace
}  // namespace iotwins::iam
