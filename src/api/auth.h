// Who is calling and may they: the server's authentication and authorization in front of every
// route (a Router Guard), over the iam library. Credentials accepted, in this order:
//   Authorization: Bearer iot_pat_…   an API token (service accounts, agents)
//   Authorization: Bearer <JWT>       our ES256 access token (iss = AuthOptions::issuer), or an
//                                     external OpenID Connect provider's (iss = its issuer)
//   a verified TLS client certificate (Request::peer_subject, "node:<id>")
// No credentials or bad ones → 401 problem with WWW-Authenticate: Bearer; a principal whose
// grants do not allow the route's (kind, verb) in any group → 403 with the reason. Handlers of
// group-scoped kinds then narrow to the object's group (visible_groups / allowed below).
// Every change (a non-GET request that passed or was refused) is appended to the audit log.
// Thread-safe: the pieces it holds are.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/router.h"
#include "core/clock.h"
#include "iam/audit.h"
#include "iam/authorizer.h"
#include "iam/keyring.h"
#include "iam/oidc.h"
#include "iam/rate_limit.h"
#include "iam/store.h"

namespace iotwins::api {

struct AuthOptions {
  std::string issuer = "iotwins";   // `iss` of the access tokens we sign
  std::string audience = "iotwins";  // `aud` they carry and we require
  std::chrono::seconds access_ttl{std::chrono::minutes(15)};
};

class Auth {
 public:
  // `oidc` may be null (no external provider).
  Auth(iam::IamStore& store, iam::KeyRing& keys, iam::AuditLog& audit, const Clock& clock,
       AuthOptions options = {}, iam::OidcVerifier* oidc = nullptr);

  // The principal behind the request's credentials; unauthenticated with the reason otherwise.
  Result<iam::Principal> authenticate(const Request& request) const;
  // A signed access token for `subject` and its lifetime in seconds.
  Result<std::string> issue_access_token(const iam::Subject& subject) const;
  // The guard to install on the server's router.
  Guard guard();

  // Appends one audit record for this request (actor from its principal, or `actor` when set).
  void audit(const Request& request, const std::string& action, const std::string& target,
             iam::AuditOutcome outcome, const std::string& detail, const std::string& actor = "") const;

  iam::IamStore& store() const { return store_; }
  iam::KeyRing& keys() const { return keys_; }
  iam::AuditLog& audit_log() const { return audit_; }
  iam::LoginRateLimiter& login_limiter() { return limiter_; }
  const AuthOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }

 private:
  Result<iam::Principal> from_bearer(const std::string& token) const;
  // The `sub` of our access token `token` once its signature and claims hold (cached).
  Result<std::string> verified_subject(const std::string& token) const;
  std::optional<Response> admit(Request& request, const Route& route) const;
  void after(const Request& request, const Route& route, const Response& response) const;

  iam::IamStore& store_;
  iam::KeyRing& keys_;
  iam::AuditLog& audit_;
  const Clock& clock_;
  AuthOptions options_;
  iam::OidcVerifier* oidc_;
  iam::LoginRateLimiter limiter_;

  // Our access tokens whose signature and claims were verified, until they expire: a client
  // sends the same token with every request, and the ECDSA verify would otherwise be most of a
  // small request's cost. Who the subject is now (disabled, bindings) is still asked every time.
  struct VerifiedToken {
    std::string subject;
    int64_t exp = 0;  // seconds since the epoch
  };
  static constexpr size_t kMaxVerifiedTokens = 4096;
  mutable std::mutex verified_mu_;
  mutable std::unordered_map<std::string, VerifiedToken> verified_;
};

// 401 with WWW-Authenticate: Bearer (RFC 6750 §3).
Response unauthorized(const Error& error);

// --- group scoping for handlers ---
// The group a request creates an object in: ?group= or the "group" member of a JSON body
// (the caller passes it), "default" when absent.
inline constexpr std::string_view kDefaultGroup = "default";
// Whether the request may `verb` a `kind` object of `group`: true without a principal (the
// router has no guard: the agent's local API, unit tests).
bool allowed(const Request& request, iam::Verb verb, iam::ResourceKind kind, std::string_view group);
// Groups whose `kind` objects the request may read (all without a principal).
iam::GroupFilter visible_groups(const Request& request, iam::ResourceKind kind);
// A 403 problem naming what was refused, or a 404 when the caller may not even read the kind
// in that group (so objects of other groups are not revealed).
Response refused(const Request& request, iam::Verb verb, iam::ResourceKind kind, std::string_view group,
                 std::string_view what);

// Server: POST /api/v1/auth/token, /auth/revoke, GET /auth/whoami, /auth/jwks.
void add_auth_routes(Router& router, Auth& auth);
// Server: users, groups, service accounts, API tokens and role bindings under /api/v1/iam.
void add_iam_routes(Router& router, Auth& auth);
// Server: GET /api/v1/audit (admins).
void add_audit_routes(Router& router, Auth& auth);

}  // namespace iotwins::api
