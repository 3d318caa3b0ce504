// Keys for JSON Web Signatures: P-256 signing keys (ES256, what iotwins issues with), public
// verification keys (ES256, and RS256 for external identity providers such as Keycloak or
// INDIGO-IAM), and key sets with JWK/JWKS (RFC 7517) and PEM import/export.
// A key's `kid`, unless given, is its RFC 7638 thumbprint, so it is stable across restarts.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>
#include <openssl/types.h>

#include "core/result.h"

namespace iotwins::iam {

enum class JwsAlg { ES256, RS256 };
std::string_view to_string(JwsAlg alg);

inline constexpr int kMinRsaBits = 2048;
inline constexpr size_t kMaxKidBytes = 128;

// An immutable public key; cheap to copy (shared OpenSSL handle).
class PublicKey {
 public:
  // A JWK object: EC P-256 (`ES256`) or RSA ≥ 2048 bits (`RS256`). `use`, when present, must
  // be "sig"; `alg`, when present, must match the key type. Private members are ignored.
  static Result<PublicKey> from_jwk(const nlohmann::json& jwk);
  // A "PUBLIC KEY" PEM block (SubjectPublicKeyInfo); kid empty: the thumbprint.
  static Result<PublicKey> from_pem(std::string_view pem, std::string kid = "");

  nlohmann::json to_jwk() const;
  Result<std::string> to_pem() const;
  const std::string& kid() const { return kid_; }
  JwsAlg alg() const { return alg_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  PublicKey(std::shared_ptr<EVP_PKEY> pkey, std::string kid, JwsAlg alg)
      : pkey_(std::move(pkey)), kid_(std::move(kid)), alg_(alg) {}
  friend class SigningKey;
  static Result<PublicKey> wrap(std::shared_ptr<EVP_PKEY> pkey, std::string kid);

  std::shared_ptr<EVP_PKEY> pkey_;
  std::string kid_;
  JwsAlg alg_;
};

// A P-256 private key that signs ES256 tokens.
class SigningKey {
 public:
  static Result<SigningKey> generate(std::string kid = "");
  // A "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" PEM block holding a P-256 key.
  static Result<SigningKey> from_pem(std::string_view pem, std::string kid = "");
  // PKCS#8 PEM, unencrypted: the caller stores it with mode 0600.
  Result<std::string> to_pem() const;

  const PublicKey& public_key() const { return public_; }
  const std::string& kid() const { return public_.kid(); }
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  SigningKey(std::shared_ptr<EVP_PKEY> pkey, PublicKey pub) : pkey_(std::move(pkey)), public_(std::move(pub)) {}
  static Result<SigningKey> wrap(std::shared_ptr<EVP_PKEY> pkey, std::string kid);

  std::shared_ptr<EVP_PKEY> pkey_;
  PublicKey public_;
};

// Verification keys by kid.
class KeySet {
 public:
  // A JWKS document {"keys":[…]}. Keys this library cannot verify with (encryption keys,
  // other curves, symmetric keys) are skipped, as a relying party must; a malformed entry of a
  // supported type is an error, and so is a set with no usable key.
  static Result<KeySet> from_jwks(const nlohmann::json& jwks);

  // already_exists when the kid is taken.
  Status add(PublicKey key);
  const PublicKey* find(std::string_view kid) const;
  // The only key of this algorithm, for tokens without a kid; nullptr when there are 0 or 2+.
  const PublicKey* sole(JwsAlg alg) const;
  size_t size() const { return keys_.size(); }
  nlohmann::json to_jwks() const;

 private:
  std::map<std::string, PublicKey, std::less<>> keys_;
};

// RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key.
std::string jwk_thumbprint(const PublicKey& key);

}  // namespace iotwins::iam
