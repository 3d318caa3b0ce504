#include "iam/jwt.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "iam/encoding.h"
#include "iam/jws.h"
#include "jwt_test_util.h"

namespace iotwins::iam {
namespace {

using nlohmann::json;
using testutil::es256_token;
using testutil::segment;

constexpr int64_t kNow = 1'700'000'000;

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *SigningKey::generate();
    ASSERT_TRUE(keys_.add(key_.public_key()));
    options_.issuer = "https://iotwins.test";
    options_.audience = "iotwins";
  }
  Claims claims() const {
    Claims c;
    c.iss = "https://iotwins.test";
    c.sub = "user:alice";
    c.aud = {"iotwins"};
    c.iat = kNow;
    c.exp = kNow + 600;
    c.jti = "t-1";
    c.groups = {"plant-a"};
    c.roles = {"operator"};
    return c;
  }
  Result<VerifiedJwt> verify(const std::string& token) { return verify_jwt(token, keys_, options_, clock_); }
  void expect_rejected(const std::string& token, const std::string& why) {
    auto r = verify(token);
    ASSERT_FALSE(r) << "accepted a token that should fail with: " << why;
    EXPECT_EQ(r.error().code(), Errc::unauthenticated);
    EXPECT_NE(r.error().message().find(why), std::string::npos) << r.error().message();
  }

  SigningKey key_ = *SigningKey::generate();
  KeySet keys_;
  VerifyOptions options_;
  ManualClock clock_{kNow * 1'000'000'000};
};

TEST_F(JwtTest, SignedTokenVerifiesWithAllClaims) {
  auto token = sign_jwt(key_, claims(), json{{"name", "Alice"}});
  ASSERT_TRUE(token) << token.error().to_string();
  auto v = verify(*token);
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->header.kid, key_.kid());
  EXPECT_EQ(v->header.alg, JwsAlg::ES256);
  EXPECT_EQ(v->claims.sub, "user:alice");
  EXPECT_EQ(v->claims.exp, kNow + 600);
  EXPECT_EQ(v->claims.groups, std::vector<std::string>{"plant-a"});
  EXPECT_EQ(v->claims.roles, std::vector<std::string>{"operator"});
  EXPECT_EQ(v->payload["name"], "Alice");
}

// RFC 7515 Appendix A.3: an ES256 token produced by the specification's authors.
TEST_F(JwtTest, VerifiesRfc7515AppendixA3) {
  auto pub = PublicKey::from_jwk(json{{"kty", "EC"},
                                      {"crv", "P-256"},
                                      {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                                      {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}});
  ASSERT_TRUE(pub) << pub.error().to_string();
  KeySet set;
  ASSERT_TRUE(set.add(*pub));
  std::string token =
      "eyJhbGciOiJFUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  ManualClock at(int64_t{1'300'819'300} * 1'000'000'000);
  auto v = verify_jwt(token, set, VerifyOptions{}, at);
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->claims.iss, "joe");
  EXPECT_EQ(v->payload["http://example.com/is_root"], true);
  // The same token an hour after its exp.
  ManualClock later(int64_t{1'300'823'000} * 1'000'000'000);
  EXPECT_FALSE(verify_jwt(token, set, VerifyOptions{}, later));
  // One flipped signature bit.
  std::string tampered = token;
  tampered.back() = 'A';
  EXPECT_FALSE(verify_jwt(tampered, set, VerifyOptions{}, at));
}

TEST_F(JwtTest, RejectsAlgNoneInEveryForm) {
  json payload = claims_to_json(claims());
  expect_rejected(segment({{"alg", "none"}}) + "." + segment(payload) + ".", "alg none");
  expect_rejected(segment({{"alg", "none"}}) + "." + segment(payload) + ".c2ln", "alg none");
  expect_rejected(segment({{"alg", "NONE"}}) + "." + segment(payload) + ".c2ln", "alg none");
  // A valid ES256 header but no signature.
  expect_rejected(segment({{"alg", "ES256"}, {"kid", key_.kid()}}) + "." + segment(payload) + ".",
                  "signature is empty");
  expect_rejected(segment({{"alg", "ES256"}}) + "." + segment(payload), "three dot-separated parts");
}

TEST_F(JwtTest, RejectsHs256KeyConfusion) {
  // The classic attack: HMAC with the server's public key as the secret.
  std::string secret = *key_.public_key().to_pem();
  std::string input = segment({{"alg", "HS256"}, {"kid", key_.kid()}}) + "." + segment(claims_to_json(claims()));
  expect_rejected(input + "." + base64url_encode(testutil::hs256(secret, input)), "symmetric algorithm HS256");
}

TEST_F(JwtTest, RejectsOtherAlgorithms) {
  json payload = claims_to_json(claims());
  expect_rejected(segment({{"alg", "PS256"}}) + "." + segment(payload) + ".c2ln", "\"PS256\" is not allowed");
  expect_rejected(segment({{"alg", "RS256"}}) + "." + segment(payload) + ".c2ln", "\"RS256\" is not allowed");
  expect_rejected(segment({{"typ", "JWT"}}) + "." + segment(payload) + ".c2ln", "no \"alg\"");
  expect_rejected(segment({{"alg", 7}}) + "." + segment(payload) + ".c2ln", "no \"alg\"");
}

TEST_F(JwtTest, RejectsForgedAndTamperedTokens) {
  // Signed by another key that claims our kid.
  auto other = *SigningKey::generate();
  expect_rejected(es256_token(other, {{"alg", "ES256"}, {"kid", key_.kid()}}, claims_to_json(claims())),
                  "signature does not verify");
  // Payload swapped after signing.
  std::string token = *sign_jwt(key_, claims());
  Claims admin = claims();
  admin.roles = {"admin"};
  size_t d1 = token.find('.'), d2 = token.rfind('.');
  std::string swapped = token.substr(0, d1 + 1) + segment(claims_to_json(admin)) + token.substr(d2);
  expect_rejected(swapped, "signature does not verify");
  // Unknown kid.
  expect_rejected(es256_token(other, {{"alg", "ES256"}, {"kid", "nobody"}}, claims_to_json(claims())),
                  "unknown key id \"nobody\"");
  // Truncated signature: 85 characters cannot be base64url. (Cutting 4 left valid base64url
  // whenever the new last character's low bits happened to be zero — 1 run in 16.)
  expect_rejected(token.substr(0, token.size() - 1), "signature: not base64url (impossible length 85)");
  // A last character with bits beyond the 64 bytes set ('B' = 000001; 86 characters carry 4 spare bits).
  expect_rejected(token.substr(0, token.size() - 1) + "B", "signature: not canonical base64url");
  std::string sig = *base64url_decode(token.substr(d2 + 1), "sig");
  expect_rejected(token.substr(0, d2 + 1) + base64url_encode(sig.substr(0, 62)), "signature does not verify");
}

TEST_F(JwtTest, ChecksTimeWithLeeway) {
  Claims c = claims();
  c.exp = kNow - 30;  // expired 30 s ago: inside the 60 s leeway
  EXPECT_TRUE(verify(*sign_jwt(key_, c)));
  c.exp = kNow - 60;
  expect_rejected(*sign_jwt(key_, c), "expired at 1699999940");
  c = claims();
  c.nbf = kNow + 61;
  expect_rejected(*sign_jwt(key_, c), "not valid before");
  c.nbf = kNow + 59;
  EXPECT_TRUE(verify(*sign_jwt(key_, c)));
  c = claims();
  c.iat = kNow + 3600;
  expect_rejected(*sign_jwt(key_, c), "issued in the future");
  c = claims();
  c.exp = 0;
  expect_rejected(*sign_jwt(key_, c), "no \"exp\"");
  clock_.advance(std::chrono::seconds(600 + 60));
  expect_rejected(*sign_jwt(key_, claims()), "expired");
}

TEST_F(JwtTest, ChecksIssuerAndAudience) {
  Claims c = claims();
  c.aud = {"grafana", "other"};
  expect_rejected(*sign_jwt(key_, c), "audience does not include \"iotwins\"");
  c.aud = {"grafana", "iotwins"};
  EXPECT_TRUE(verify(*sign_jwt(key_, c)));
  c = claims();
  c.iss = "https://evil.test";
  expect_rejected(*sign_jwt(key_, c), "issuer \"https://evil.test\" is not the expected");
}

TEST_F(JwtTest, ChecksClaimTypes) {
  json payload = claims_to_json(claims());
  payload["exp"] = "tomorrow";
  expect_rejected(es256_token(key_, {{"alg", "ES256"}, {"kid", key_.kid()}}, payload), "\"exp\" is not a number");
  payload = claims_to_json(claims());
  payload["groups"] = json::array({"a", 1});
  expect_rejected(es256_token(key_, {{"alg", "ES256"}, {"kid", key_.kid()}}, payload), "\"groups\" has a member");
  payload = claims_to_json(claims());
  payload["exp"] = 1e300;
  expect_rejected(es256_token(key_, {{"alg", "ES256"}, {"kid", key_.kid()}}, payload), "out of range");
}

TEST_F(JwtTest, StrictHeaderAndShape) {
  json payload = claims_to_json(claims());
  expect_rejected(es256_token(key_, {{"alg", "ES256"}, {"kid", key_.kid()}, {"crit", {"exp"}}}, payload), "crit");
  expect_rejected(es256_token(key_, {{"alg", "ES256"}, {"kid", key_.kid()}, {"typ", "JWE"}}, payload), "typ");
  expect_rejected("a.b.c.d.e", "JWE");
  expect_rejected(segment(json::array({1})) + "." + segment(payload) + ".c2ln", "header is not a JSON object");
  expect_rejected(base64url_encode("{not json") + "." + segment(payload) + ".c2ln", "header is not valid JSON");
  expect_rejected(segment({{"alg", "ES256"}}) + ".!!." + "c2ln", "payload");
  std::string deep(200, '[');
  expect_rejected(segment({{"alg", "ES256"}}) + "." + base64url_encode(deep) + ".c2ln", "nests deeper");
  expect_rejected(std::string(kMaxTokenBytes + 1, 'a'), "over the limit of 16384");
  expect_rejected("", "empty token");
  // The typ oidc-provider and RFC 9068 use for access tokens is accepted.
  EXPECT_TRUE(verify(es256_token(key_, {{"alg", "ES256"}, {"kid", key_.kid()}, {"typ", "at+jwt"}}, payload)));
}

TEST_F(JwtTest, KidlessTokenUsesTheOnlyKey) {
  json payload = claims_to_json(claims());
  EXPECT_TRUE(verify(es256_token(key_, {{"alg", "ES256"}}, payload)));
  ASSERT_TRUE(keys_.add(SigningKey::generate()->public_key()));
  expect_rejected(es256_token(key_, {{"alg", "ES256"}}, payload), "no single key");
}

TEST_F(JwtTest, Rs256FromAnotherSigner) {
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  ASSERT_NE(rsa, nullptr);
  std::shared_ptr<EVP_PKEY> owner(rsa, EVP_PKEY_free);
  // Export through the JWK path an IdP's JWKS would take.
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, rsa);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  auto pub = PublicKey::from_pem(std::string(data, len), "rsa-1");
  BIO_free(bio);
  ASSERT_TRUE(pub) << pub.error().to_string();
  auto imported = PublicKey::from_jwk(pub->to_jwk());
  ASSERT_TRUE(imported) << imported.error().to_string();
  KeySet set;
  ASSERT_TRUE(set.add(*imported));
  std::string input = segment({{"alg", "RS256"}, {"kid", "rsa-1"}}) + "." + segment(claims_to_json(claims()));
  std::string token = input + "." + base64url_encode(testutil::evp_sign(rsa, input));
  VerifyOptions rs = options_;
  rs.algorithms = {JwsAlg::RS256, JwsAlg::ES256};
  auto v = verify_jwt(token, set, rs, clock_);
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->header.alg, JwsAlg::RS256);
  // Not allowed unless the caller says so.
  EXPECT_FALSE(verify_jwt(token, set, options_, clock_));
  // An ES256 header naming the RSA key: algorithm/key mismatch.
  auto mixed = es256_token(key_, {{"alg", "ES256"}, {"kid", "rsa-1"}}, claims_to_json(claims()));
  auto r = verify_jwt(mixed, set, rs, clock_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("does not match key"), std::string::npos);
}

TEST_F(JwtTest, ExtraClaimsMayNotShadowRegisteredOnes) {
  auto r = sign_jwt(key_, claims(), json{{"sub", "root"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  EXPECT_FALSE(sign_jwt(key_, claims(), json{{"roles", "admin"}}));
}

TEST(Jws, DerRawConversionRoundTrips) {
  auto key = *SigningKey::generate();
  std::string der = testutil::evp_sign(key.pkey(), "hello");
  auto raw = ecdsa_der_to_raw(der);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 64u);
  EXPECT_EQ(*ecdsa_raw_to_der(*raw), der);
  EXPECT_TRUE(jws_verify(key.public_key(), "hello", *raw));
  EXPECT_FALSE(jws_verify(key.public_key(), "hellO", *raw));
  EXPECT_FALSE(jws_verify(key.public_key(), "hello", der));  // DER is not a JWS signature
  EXPECT_FALSE(ecdsa_raw_to_der(std::string(63, 'x')));
  EXPECT_FALSE(ecdsa_der_to_raw("garbage"));
}

}  // namespace
}  // namespace iotwins::iam
