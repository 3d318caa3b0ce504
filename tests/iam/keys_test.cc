#include "iam/keys.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "iam/encoding.h"

namespace iotwins::iam {
namespace {

using nlohmann::json;

TEST(Keys, JwkRoundTripKeepsKidAndThumbprint) {
  auto key = *SigningKey::generate();
  json jwk = key.public_key().to_jwk();
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_FALSE(jwk.contains("d"));  // never the private part
  EXPECT_EQ(base64url_decode(jwk["x"].get<std::string>(), "x")->size(), 32u);
  auto back = PublicKey::from_jwk(jwk);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->kid(), key.kid());
  EXPECT_EQ(jwk_thumbprint(*back), key.kid());  // default kid is the RFC 7638 thumbprint
  // The thumbprint is SHA-256 over the required members in lexicographic order.
  std::string canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + jwk["x"].get<std::string>() +
                          "\",\"y\":\"" + jwk["y"].get<std::string>() + "\"}";
  EXPECT_EQ(key.kid(), base64url_encode(sha256(canonical)));
}

TEST(Keys, PemRoundTrip) {
  auto key = *SigningKey::generate("k1");
  auto pem = key.to_pem();
  ASSERT_TRUE(pem);
  EXPECT_TRUE(pem->starts_with("-----BEGIN PRIVATE KEY-----"));
  auto back = SigningKey::from_pem(*pem, "k1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->public_key().to_jwk(), key.public_key().to_jwk());
  auto pub = PublicKey::from_pem(*key.public_key().to_pem());
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->kid(), jwk_thumbprint(key.public_key()));
  EXPECT_FALSE(SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
}

TEST(Keys, RejectsBadJwks) {
  auto key = *SigningKey::generate();
  json good = key.public_key().to_jwk();
  json short_x = good;
  short_x["x"] = base64url_encode(std::string(31, 'a'));
  EXPECT_NE(PublicKey::from_jwk(short_x).error().message().find("32 bytes"), std::string::npos);
  // A point that is not on the curve.
  json off_curve = good;
  std::string y = *base64url_decode(good["y"].get<std::string>(), "y");
  y[31] ^= 1;
  off_curve["y"] = base64url_encode(y);
  auto r = PublicKey::from_jwk(off_curve);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  json wrong_alg = good;
  wrong_alg["alg"] = "ES384";
  EXPECT_EQ(PublicKey::from_jwk(wrong_alg).error().code(), Errc::unsupported);
  json enc = good;
  enc["use"] = "enc";
  EXPECT_EQ(PublicKey::from_jwk(enc).error().code(), Errc::unsupported);
  EXPECT_FALSE(PublicKey::from_jwk(json::array()));
  json no_x = good;
  no_x.erase("x");
  EXPECT_NE(PublicKey::from_jwk(no_x).error().message().find("\"x\""), std::string::npos);
}

TEST(Keys, RsaKeysBelow2048BitsAreRefused) {
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  ASSERT_NE(small, nullptr);
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  EVP_PKEY_get_bn_param(small, "n", &n);
  EVP_PKEY_get_bn_param(small, "e", &e);
  auto bytes = [](BIGNUM* b) {
    std::string s(static_cast<size_t>(BN_num_bytes(b)), '\0');
    BN_bn2bin(b, reinterpret_cast<unsigned char*>(s.data()));
    return s;
  };
  json jwk = {{"kty", "RSA"}, {"kid", "small"}, {"n", base64url_encode(bytes(n))}, {"e", base64url_encode(bytes(e))}};
  BN_free(n);
  BN_free(e);
  EVP_PKEY_free(small);
  auto r = PublicKey::from_jwk(jwk);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("1024 bits"), std::string::npos);
}

TEST(Keys, JwksSkipsKeysItCannotUseButNotBrokenOnes) {
  auto a = *SigningKey::generate("a");
  auto b = *SigningKey::generate("b");
  json jwks = {{"keys",
                {a.public_key().to_jwk(),
                 {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}},
                 {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
                 {{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}},
                 b.public_key().to_jwk()}}};
  auto set = KeySet::from_jwks(jwks);
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_EQ(set->size(), 2u);
  EXPECT_NE(set->find("a"), nullptr);
  EXPECT_NE(set->find("b"), nullptr);
  EXPECT_EQ(set->find("hmac"), nullptr);
  EXPECT_EQ(KeySet::from_jwks(set->to_jwks())->size(), 2u);

  json broken = jwks;
  broken["keys"][4]["x"] = "!!";
  auto r = KeySet::from_jwks(broken);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("JWKS key 4"), std::string::npos);
  json dup = {{"keys", {a.public_key().to_jwk(), a.public_key().to_jwk()}}};
  EXPECT_EQ(KeySet::from_jwks(dup).error().code(), Errc::already_exists);
  EXPECT_FALSE(KeySet::from_jwks(json{{"keys", json::array()}}));
  EXPECT_FALSE(KeySet::from_jwks(json{{"keys", "x"}}));
}

}  // namespace
}  // namespace iotwins::iam
