// JSON Web Tokens (RFC 7519) signed with JWS compact serialisation (RFC 7515): iotwins signs
// its access tokens with ES256 (P-256); verification also accepts RS256 when the caller allows
// it (tokens of external OpenID Connect providers). The header is checked strictly: `alg` must
// be one the caller allows and match the key's type (no `none`, no HS256, no key confusion),
// `crit` is refused, and keys come only from the caller's key set, never from the token.
// Every rejection is Errc::unauthenticated with a message that says what was wrong.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "iam/keys.h"

namespace iotwins::iam {

inline constexpr size_t kMaxTokenBytes = 16 * 1024;
inline constexpr size_t kMaxHeaderBytes = 2048;
inline constexpr int kMaxJsonDepth = 16;

// The registered claims iotwins uses, plus its own groups and roles. Times are NumericDate
// (seconds since the epoch); 0 means absent.
struct Claims {
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;
  int64_t exp = 0;
  int64_t nbf = 0;
  int64_t iat = 0;
  std::string jti;
  std::vector<std::string> groups;
  std::vector<std::string> roles;
};

struct JwtHeader {
  JwsAlg alg = JwsAlg::ES256;
  std::string kid;
  std::string typ;
};

// A token split and decoded, its signature NOT checked yet: nothing in it is trusted.
struct DecodedJwt {
  JwtHeader header;
  nlohmann::json payload;     // a JSON object
  std::string signing_input;  // "<header>.<payload>" as received
  std::string signature;      // raw signature bytes
};

struct VerifyOptions {
  std::vector<JwsAlg> algorithms{JwsAlg::ES256};
  std::string issuer;    // when set, `iss` must equal it
  std::string audience;  // when set, `aud` must contain it
  std::chrono::seconds leeway{60};  // clock skew tolerated on exp, nbf, iat
  bool require_exp = true;
  size_t max_token_bytes = kMaxTokenBytes;
};

struct VerifiedJwt {
  JwtHeader header;
  Claims claims;
  nlohmann::json payload;  // every claim, for mapping provider-specific ones
};

// Splits and decodes; checks sizes, encodings, JSON shape and the header (against `algorithms`).
Result<DecodedJwt> decode_jwt(std::string_view token, const std::vector<JwsAlg>& algorithms,
                              size_t max_token_bytes = kMaxTokenBytes);

// The typed claims of a payload; a claim of the wrong type is an error naming it.
Result<Claims> claims_from_json(const nlohmann::json& payload);
nlohmann::json claims_to_json(const Claims& claims);

// Checks the signature with the key named by `kid` (or the only key of that algorithm when the
// token has no kid), then time, issuer and audience.
Result<VerifiedJwt> verify_jwt(std::string_view token, const KeySet& keys, const VerifyOptions& options,
                               const Clock& clock);
// The signature and claim checks on a token already decoded (the OIDC verifier decodes first
// to learn the kid, then fetches keys).
Result<VerifiedJwt> verify_decoded(DecodedJwt decoded, const PublicKey& key, const VerifyOptions& options,
                                   const Clock& clock);

// Signs `claims` (merged with `extra` members, which must not repeat a registered one) with
// ES256; the header carries the key's kid and `typ`.
Result<std::string> sign_jwt(const SigningKey& key, const Claims& claims,
                             const nlohmann::json& extra = nlohmann::json::object(),
                             std::string_view typ = "JWT");

}  // namespace iotwins::iam
