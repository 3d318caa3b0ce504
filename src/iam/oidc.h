// OidcVerifier: accepts access or ID tokens of an external OpenID Connect provider (Keycloak,
// INDIGO-IAM, any issuer by URL). Discovery reads <issuer>/.well-known/openid-configuration
// (its `issuer` must equal the configured one, OIDC Discovery §4.3) and the JWKS behind
// `jwks_uri`. Keys are cached for jwks_cache_ttl; a token naming an unknown kid triggers a
// re-fetch — at most once per min_refresh_interval, so tokens with made-up kids cannot make
// us hammer the provider — which is how a provider's key rotation is picked up. When the
// provider is unreachable, keys already cached keep working.
// Discovery that failed is retried at most once per min_refresh_interval too; in between,
// requests get the same error at once instead of each waiting on a dead provider.
// Tokens: ES256 or RS256, iss, aud, exp, nbf checked (jwt.h); a configurable claim becomes
// the identity's groups.
// Thread-safe: one mutex; fetches happen under it, so concurrent misses fetch once.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/http_client.h"
#include "core/clock.h"
#include "core/result.h"
#include "iam/jwt.h"
#include "iam/keys.h"

namespace iotwins::iam {

struct OidcOptions {
  std::string issuer;                      // e.g. https://iam.example.org/realms/plant
  std::string audience;                    // required in `aud` (the client id or API name)
  std::string subject_claim = "sub";       // or "preferred_username", "email"
  std::string groups_claim = "groups";     // a dotted path into the claims: "realm_access.roles"
  std::chrono::seconds jwks_cache_ttl{std::chrono::hours(1)};
  std::chrono::seconds min_refresh_interval{std::chrono::seconds(30)};
  std::chrono::seconds leeway{60};
  size_t max_document_bytes = 512 * 1024;  // discovery document and JWKS
  api::ClientOptions http;                 // CA file, timeouts
};

// Who an external token speaks for.
struct ExternalIdentity {
  std::string subject;              // the subject claim's value
  std::vector<std::string> groups;  // from groups_claim: a leading '/' (Keycloak group paths) is
                                    // dropped, names that are not valid iotwins names are skipped
  VerifiedJwt token;
};

class OidcVerifier {
 public:
  OidcVerifier(OidcOptions options, const Clock& clock);

  Result<ExternalIdentity> verify(std::string_view token);
  // Fetches discovery (if not done yet) and the JWKS now.
  Status refresh();

  struct Stats {
    int discovery_fetches = 0;
    int jwks_fetches = 0;
  };
  Stats stats() const;

 private:
  Status discover_locked();  // discovery at most once per min_refresh_interval while failing
  Status discover_now_locked();
  Status fetch_jwks_locked();
  Result<nlohmann::json> fetch_json_locked(const std::string& url, std::string_view what);
  const PublicKey* find_key_locked(const DecodedJwt& decoded) const;

  OidcOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::string jwks_uri_;
  std::optional<Error> discovery_error_;  // the last failed discovery, answered until retry
  int64_t discovery_attempt_ns_ = 0;
  std::optional<KeySet> keys_;
  int64_t keys_fetched_ns_ = 0;  // steady time of the last JWKS fetch attempt
  bool fetched_once_ = false;
  Stats stats_;
};

}  // namespace iotwins::iam
