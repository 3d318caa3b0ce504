// Helpers for JWT tests: hand-built tokens, made without the code under test's signer, so
// the verifier is checked against independently produced input.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include <nlohmann/json.hpp>

#include "iam/encoding.h"
#include "iam/jws.h"
#include "iam/keys.h"

namespace iotwins::iam::testutil {

inline std::string segment(const nlohmann::json& j) { return base64url_encode(j.dump()); }

// Signs `input` with any EVP key and SHA-256 (RSA PKCS#1 v1.5 or ECDSA DER), as OpenSSL does.
inline std::string evp_sign(EVP_PKEY* pkey, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

inline std::string hs256(const std::string& secret, const std::string& input) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// A compact token from a header, a payload and the key that signs it with ES256.
inline std::string es256_token(const SigningKey& key, const nlohmann::json& header, const nlohmann::json& payload) {
  std::string input = segment(header) + "." + segment(payload);
  std::string raw = *ecdsa_der_to_raw(evp_sign(key.pkey(), input));
  return input + "." + base64url_encode(raw);
}

}  // namespace iotwins::iam::testutil
