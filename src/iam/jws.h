// The signature primitives of JWS: ES256 (ECDSA P-256 + SHA-256, signature as the raw 64-byte
// r||s that RFC 7518 §3.4 requires, not OpenSSL's DER) and RS256 (RSASSA-PKCS1-v1_5 + SHA-256).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "iam/keys.h"

namespace iotwins::iam {

// ES256 signature (64 bytes) of `input`.
Result<std::string> jws_sign(const SigningKey& key, std::string_view input);
// True when `signature` is a valid signature of `input` by `key` with the key's algorithm.
bool jws_verify(const PublicKey& key, std::string_view input, std::string_view signature);

// DER ECDSA-Sig-Value <-> raw r||s of 32 bytes each (exposed for tests).
Result<std::string> ecdsa_der_to_raw(std::string_view der);
Result<std::string> ecdsa_raw_to_der(std::string_view raw);

}  // namespace iotwins::iam
