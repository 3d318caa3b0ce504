#include "iam/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "iam/encoding.h"

namespace iotwins::iam {
namespace {

using Json = nlohmann::json;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

bool is_p256(EVP_PKEY* pkey) {
  if (!EVP_PKEY_is_a(pkey, "EC")) return false;
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) {
    return false;
  }
  std::string_view n(name, len);
  return n == "prime256v1" || n == "P-256" || n == "secp256r1";
}

Result<std::string> bn_param(EVP_PKEY* pkey, const char* name, int pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return make_error(Errc::internal, std::string("read key parameter ") + name + ": " + openssl_error());
  }
  BnPtr bn(raw, BN_free);
  int size = pad > 0 ? pad : BN_num_bytes(bn.get());
  std::string out(static_cast<size_t>(size), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), size) != size) {
    return make_error(Errc::internal, std::string("encode key parameter ") + name);
  }
  return out;
}

// The JWK members that define the public key, in the lexicographic order RFC 7638 requires.
Result<Json> public_members(EVP_PKEY* pkey) {
  if (is_p256(pkey)) {
    IOT_ASSIGN(std::string x, bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    IOT_ASSIGN(std::string y, bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    return Json{{"crv", "P-256"}, {"kty", "EC"}, {"x", base64url_encode(x)}, {"y", base64url_encode(y)}};
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    IOT_ASSIGN(std::string n, bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0));
    IOT_ASSIGN(std::string e, bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
    return Json{{"e", base64url_encode(e)}, {"kty", "RSA"}, {"n", base64url_encode(n)}};
  }
  return make_error(Errc::invalid_argument, "key is neither EC P-256 nor RSA");
}

Result<std::string> thumbprint(EVP_PKEY* pkey) {
  IOT_ASSIGN(Json members, public_members(pkey));
  return base64url_encode(sha256(members.dump()));  // nlohmann sorts keys; no whitespace
}

Result<std::shared_ptr<EVP_PKEY>> from_params(const char* type, OSSL_PARAM_BLD* bld, int selection) {
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld),
                                                                  OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    return make_error(Errc::invalid_argument, std::string("not a valid ") + type + " key: " + openssl_error());
  }
  auto pkey = own(raw);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr), EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return make_error(Errc::invalid_argument, std::string("not a valid ") + type +
                                                  " public key (fails the public key check): " +
                                                  openssl_error());
  }
  return pkey;
}

Result<std::string> member(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return make_error(Errc::invalid_argument, std::string("JWK: member \"") + name + "\" is missing or not a string");
  }
  return base64url_decode(it->get_ref<const std::string&>(), std::string("JWK ") + name);
}

Result<std::shared_ptr<EVP_PKEY>> ec_from_jwk(const Json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || *crv != "P-256") {
    return make_error(Errc::unsupported, "JWK: only the EC curve P-256 is supported");
  }
  IOT_ASSIGN(std::string x, member(jwk, "x"));
  IOT_ASSIGN(std::string y, member(jwk, "y"));
  if (x.size() != 32 || y.size() != 32) {
    return make_error(Errc::invalid_argument, "JWK: P-256 coordinates x and y must be 32 bytes");
  }
  std::string point = "\x04" + x + y;
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  return from_params("EC", bld.get(), EVP_PKEY_PUBLIC_KEY);
}

Result<std::shared_ptr<EVP_PKEY>> rsa_from_jwk(const Json& jwk) {
  IOT_ASSIGN(std::string n, member(jwk, "n"));
  IOT_ASSIGN(std::string e, member(jwk, "e"));
  if (n.empty() || e.empty() || e.size() > 8) {
    return make_error(Errc::invalid_argument, "JWK: RSA modulus or exponent has an invalid size");
  }
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr), BN_free);
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr), BN_free);
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) {
    return make_error(Errc::invalid_argument, "JWK: RSA key has " + std::to_string(BN_num_bits(bn_n.get())) +
                                                  " bits; at least " + std::to_string(kMinRsaBits) + " are required");
  }
  if (BN_num_bits(bn_n.get()) > 8192) {
    return make_error(Errc::invalid_argument, "JWK: RSA keys over 8192 bits are refused");
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  return from_params("RSA", bld.get(), EVP_PKEY_PUBLIC_KEY);
}

Result<std::string> optional_string(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return std::string();
  if (!it->is_string()) return make_error(Errc::invalid_argument, std::string("JWK: \"") + name + "\" is not a string");
  return it->get<std::string>();
}

Result<std::string> read_bio(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len < 0) return make_error(Errc::internal, "PEM buffer");
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

std::string_view to_string(JwsAlg alg) { return alg == JwsAlg::ES256 ? "ES256" : "RS256"; }

Result<PublicKey> PublicKey::wrap(std::shared_ptr<EVP_PKEY> pkey, std::string kid) {
  JwsAlg alg;
  if (is_p256(pkey.get())) {
    alg = JwsAlg::ES256;
  } else if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    if (EVP_PKEY_get_bits(pkey.get()) < kMinRsaBits) {
      return make_error(Errc::invalid_argument, "RSA key is shorter than " + std::to_string(kMinRsaBits) + " bits");
    }
    alg = JwsAlg::RS256;
  } else {
    return make_error(Errc::unsupported, "key type is neither EC P-256 nor RSA");
  }
  if (kid.empty()) {
    IOT_ASSIGN(kid, thumbprint(pkey.get()));
  }
  if (kid.size() > kMaxKidBytes) {
    return make_error(Errc::invalid_argument, "key id is longer than " + std::to_string(kMaxKidBytes) + " bytes");
  }
  return PublicKey(std::move(pkey), std::move(kid), alg);
}

Result<PublicKey> PublicKey::from_jwk(const Json& jwk) {
  if (!jwk.is_object()) return make_error(Errc::invalid_argument, "JWK: not a JSON object");
  IOT_ASSIGN(std::string kty, optional_string(jwk, "kty"));
  IOT_ASSIGN(std::string use, optional_string(jwk, "use"));
  IOT_ASSIGN(std::string alg, optional_string(jwk, "alg"));
  IOT_ASSIGN(std::string kid, optional_string(jwk, "kid"));
  if (!use.empty() && use != "sig") {
    return make_error(Errc::unsupported, "JWK " + kid + ": use \"" + use + "\" is not \"sig\"");
  }
  std::shared_ptr<EVP_PKEY> pkey;
  if (kty == "EC") {
    if (!alg.empty() && alg != "ES256") return make_error(Errc::unsupported, "JWK " + kid + ": alg " + alg + " is not supported");
    IOT_ASSIGN(pkey, ec_from_jwk(jwk));
  } else if (kty == "RSA") {
    if (!alg.empty() && alg != "RS256") return make_error(Errc::unsupported, "JWK " + kid + ": alg " + alg + " is not supported");
    IOT_ASSIGN(pkey, rsa_from_jwk(jwk));
  } else {
    return make_error(Errc::unsupported, "JWK " + kid + ": key type \"" + kty + "\" is not supported");
  }
  auto key = wrap(std::move(pkey), std::move(kid));
  if (!key) return std::unexpected(std::move(key.error()).context("JWK"));
  return key;
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem, std::string kid) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return make_error(Errc::invalid_argument, "not a PEM public key: " + openssl_error());
  return wrap(own(raw), std::move(kid));
}

Json PublicKey::to_jwk() const {
  auto members = public_members(pkey_.get());
  Json jwk = members ? *members : Json::object();
  jwk["kid"] = kid_;
  jwk["alg"] = std::string(to_string(alg_));
  jwk["use"] = "sig";
  return jwk;
}

Result<std::string> PublicKey::to_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
    return make_error(Errc::internal, "write public key PEM: " + openssl_error());
  }
  return read_bio(bio.get());
}

Result<SigningKey> SigningKey::wrap(std::shared_ptr<EVP_PKEY> pkey, std::string kid) {
  if (!is_p256(pkey.get())) return make_error(Errc::invalid_argument, "signing key is not an EC P-256 key");
  IOT_ASSIGN(PublicKey pub, PublicKey::wrap(pkey, std::move(kid)));
  return SigningKey(std::move(pkey), std::move(pub));
}

Result<SigningKey> SigningKey::generate(std::string kid) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr) return make_error(Errc::internal, "generate P-256 key: " + openssl_error());
  return wrap(own(raw), std::move(kid));
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem, std::string kid) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return make_error(Errc::invalid_argument, "not a PEM private key: " + openssl_error());
  return wrap(own(raw), std::move(kid));
}

Result<std::string> SigningKey::to_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error(Errc::internal, "write private key PEM: " + openssl_error());
  }
  return read_bio(bio.get());
}

Result<KeySet> KeySet::from_jwks(const Json& jwks) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return make_error(Errc::invalid_argument, "JWKS: expected an object with a \"keys\" array");
  }
  KeySet set;
  size_t index = 0;
  for (const Json& jwk : jwks["keys"]) {
    auto key = PublicKey::from_jwk(jwk);
    if (!key) {
      if (key.error().code() == Errc::unsupported) {
        ++index;
        continue;
      }
      return std::unexpected(std::move(key.error()).context("JWKS key " + std::to_string(index)));
    }
    if (auto st = set.add(std::move(*key)); !st) {
      return std::unexpected(std::move(st.error()).context("JWKS key " + std::to_string(index)));
    }
    ++index;
  }
  if (set.size() == 0) return make_error(Errc::invalid_argument, "JWKS: no usable ES256 or RS256 signing key");
  return set;
}

Status KeySet::add(PublicKey key) {
  std::string kid = key.kid();
  if (!keys_.emplace(kid, std::move(key)).second) {
    return make_error(Errc::already_exists, "key id \"" + kid + "\" appears twice");
  }
  return ok();
}

const PublicKey* KeySet::find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

const PublicKey* KeySet::sole(JwsAlg alg) const {
  const PublicKey* found = nullptr;
  for (const auto& [kid, key] : keys_) {
    if (key.alg() != alg) continue;
    if (found != nullptr) return nullptr;
    found = &key;
  }
  return found;
}

Json KeySet::to_jwks() const {
  Json keys = Json::array();
  for (const auto& [kid, key] : keys_) keys.push_back(key.to_jwk());
  return Json{{"keys", std::move(keys)}};
}

std::string jwk_thumbprint(const PublicKey& key) {
  auto t = thumbprint(key.pkey());
  return t ? *t : std::string();
}

}  // namespace iotwins::iam
