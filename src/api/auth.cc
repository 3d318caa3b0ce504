#include "api/auth.h"

#include <nlohmann/json.hpp>

#include "api/problem.h"
#include "core/log.h"
#include "iam/encoding.h"
#include "iam/jwt.h"

namespace iotwins::api {
namespace {

auto& logger() {
  static auto& log = log::get("auth");
  return log;
}

constexpr std::string_view kApiTokenPrefix = "iot_pat_";

// "deployments.create", "nodes.drain": the kind, then the route's own verb segment when its
// pattern ends in one ("/nodes/{id}/drain"), else what the method does.
std::string action_of(const Route& route) {
  std::string kind = route.options.kind ? std::string(iam::to_string(*route.options.kind)) : "public";
  std::string_view pattern = route.pattern;
  std::string_view last = pattern.substr(pattern.rfind('/') + 1);
  bool verb_segment = !last.empty() && last.front() != '{' && last != kind && pattern.find('{') != std::string::npos;
  if (verb_segment) return kind + "." + std::string(last);
  switch (route.method) {
    case Method::POST: return kind + ".create";
    case Method::PUT: return kind + ".update";
    case Method::PATCH: return kind + ".update";
    case Method::DELETE: return kind + ".delete";
    default: return kind + "." + std::string(to_string(route.method));
  }
}

bool is_change(Method m) { return m != Method::GET && m != Method::HEAD && m != Method::OPTIONS; }

}  // namespace

Response unauthorized(const Error& error) {
  Response r = problem(401, "unauthenticated", "Unauthorized", error.message());
  r.headers["WWW-Authenticate"] = "Bearer realm=\"iotwins\"";
  return r;
}

Auth::Auth(iam::IamStore& store, iam::KeyRing& keys, iam::AuditLog& audit, const Clock& clock, AuthOptions options,
           iam::OidcVerifier* oidc)
    : store_(store), keys_(keys), audit_(audit), clock_(clock), options_(std::move(options)), oidc_(oidc),
      limiter_(clock) {}

Result<iam::Principal> Auth::from_bearer(const std::string& token) const {
  if (token.starts_with(kApiTokenPrefix)) {
    IOT_ASSIGN(auto subject, store_.authenticate_api_token(token));
    return store_.principal_for(subject);
  }
  // Decoded only to learn the issuer; nothing in it is trusted before the signature is checked.
  auto decoded = iam::decode_jwt(token, {iam::JwsAlg::ES256, iam::JwsAlg::RS256});
  if (!decoded) return make_error(Errc::unauthenticated, "token rejected: " + decoded.error().message());
  std::string iss;
  if (auto it = decoded->payload.find("iss"); it != decoded->payload.end() && it->is_string()) iss = *it;
  if (iss == options_.issuer) {
    IOT_ASSIGN(std::string sub, verified_subject(token));
    auto subject = iam::parse_subject(sub);
    if (!subject) return make_error(Errc::unauthenticated, "token rejected: " + subject.error().message());
    return store_.principal_for(*subject);
  }
  if (oidc_ != nullptr && !iss.empty()) {
    auto identity = oidc_->verify(token);
    if (!identity) return make_error(Errc::unauthenticated, identity.error().message());
    return store_.principal_with_groups({iam::SubjectKind::user, identity->subject}, identity->groups);
  }
  return make_error(Errc::unauthenticated, "token rejected: issuer '" + iss + "' is not trusted by this server");
}

Result<std::string> Auth::verified_subject(const std::string& token) const {
  const int64_t now = clock_.now_ns() / 1'000'000'000;
  {
    std::lock_guard lock(verified_mu_);
    if (auto it = verified_.find(token); it != verified_.end()) {
      if (now < it->second.exp) return it->second.subject;
      verified_.erase(it);  // expired: verify_jwt says so with the time
    }
  }
  auto verified = iam::verify_jwt(token, keys_.verification_keys(),
                                  {.issuer = options_.issuer, .audience = options_.audience}, clock_);
  if (!verified) return make_error(Errc::unauthenticated, verified.error().message());
  std::lock_guard lock(verified_mu_);
  if (verified_.size() >= kMaxVerifiedTokens) verified_.clear();
  verified_[token] = VerifiedToken{verified->claims.sub, verified->claims.exp};
  return verified->claims.sub;
}

Result<iam::Principal> Auth::authenticate(const Request& request) const {
  if (const std::string* h = request.header("Authorization")) {
    std::string_view value = *h;
    if (value.size() < 7 || !(value.substr(0, 7) == "Bearer " || value.substr(0, 7) == "bearer ")) {
      return make_error(Errc::unauthenticated, "the Authorization header must be 'Bearer <token>'");
    }
    std::string token(value.substr(7));
    while (!token.empty() && token.front() == ' ') token.erase(0, 1);
    auto principal = from_bearer(token);
    if (!principal && principal.error().code() != Errc::unauthenticated) {
      // A store failure or an unknown subject: the credentials do not hold, say so without internals.
      logger().warn("authentication failed: {}", principal.error().message());
      return make_error(Errc::unauthenticated, "credentials rejected: " + principal.error().message());
    }
    return principal;
  }
  if (!request.peer_subject.empty()) {
    auto subject = iam::parse_subject(request.peer_subject);
    if (!subject) return make_error(Errc::unauthenticated, "client certificate: " + subject.error().message());
    auto principal = store_.principal_for(*subject);
    if (!principal) return make_error(Errc::unauthenticated, "client certificate: " + principal.error().message());
    return principal;
  }
  return make_error(Errc::unauthenticated,
                    "no credentials: send 'Authorization: Bearer <token>' (iotwins login, or an API token)");
}

Result<std::string> Auth::issue_access_token(const iam::Subject& subject) const {
  IOT_ASSIGN(auto jti, iam::random_bytes(12));
  int64_t now = clock_.now_ns() / 1'000'000'000;
  iam::Claims claims{.iss = options_.issuer,
                     .sub = subject.to_string(),
                     .aud = {options_.audience},
                     .exp = now + options_.access_ttl.count(),
                     .iat = now,
                     .jti = iam::base64url_encode(jti)};
  return iam::sign_jwt(keys_.current(), claims);
}

void Auth::audit(const Request& request, const std::string& action, const std::string& target,
                 iam::AuditOutcome outcome, const std::string& detail, const std::string& actor) const {
  std::string who = !actor.empty() ? actor : request.principal ? request.principal->subject.to_string() : "anonymous";
  auto r = audit_.append({who, action, target, request.remote, outcome, detail});
  if (!r) logger().error("audit record for {} {} lost: {}", action, target, r.error().message());
}

std::optional<Response> Auth::admit(Request& request, const Route& route) const {
  if (route.options.public_route) return std::nullopt;
  auto principal = authenticate(request);
  if (!principal) {
    if (is_change(request.method)) {
      audit(request, action_of(route), request.path, iam::AuditOutcome::denied, principal.error().message());
    }
    return unauthorized(principal.error());
  }
  iam::ResourceKind kind = *route.options.kind;
  iam::Verb verb = *route.options.verb;
  bool may = iam::is_global(kind) ? iam::Authorizer::decide(*principal, verb, kind, "").allowed
                                  : [&] {
                                      auto groups = iam::Authorizer::visible_groups(*principal, verb, kind);
                                      return groups.all || !groups.groups.empty();
                                    }();
  request.principal = std::move(*principal);
  if (!may) {
    // No grant allows it in any group: the authorizer's reason, without a group to name.
    std::string reason = iam::Authorizer::decide(*request.principal, verb, kind, "").reason;
    if (auto cut = reason.find(" (resource has no group)"); cut != std::string::npos) reason.erase(cut, 24);
    if (is_change(request.method)) audit(request, action_of(route), request.path, iam::AuditOutcome::denied, reason);
    return problem(403, "permission_denied", "Forbidden", reason);
  }
  return std::nullopt;
}

void Auth::after(const Request& request, const Route& route, const Response& response) const {
  if (route.options.public_route || !route.options.audit_answers || !is_change(request.method)) return;
  iam::AuditOutcome outcome = response.status < 400    ? iam::AuditOutcome::ok
                              : response.status == 403 ? iam::AuditOutcome::denied
                                                       : iam::AuditOutcome::failed;
  audit(request, action_of(route), request.path, outcome, std::to_string(response.status));
}

Guard Auth::guard() {
  return {.admit = [this](Request& r, const Route& route) { return admit(r, route); },
          .after = [this](const Request& r, const Route& route, const Response& res) { after(r, route, res); }};
}

bool allowed(const Request& request, iam::Verb verb, iam::ResourceKind kind, std::string_view group) {
  if (!request.principal) return true;
  return iam::Authorizer::decide(*request.principal, verb, kind, group).allowed;
}

iam::GroupFilter visible_groups(const Request& request, iam::ResourceKind kind) {
  if (!request.principal) return {.all = true};
  return iam::Authorizer::visible_groups(*request.principal, iam::Verb::read, kind);
}

Response refused(const Request& request, iam::Verb verb, iam::ResourceKind kind, std::string_view group,
                 std::string_view what) {
  if (!request.principal) return problem(403, "permission_denied", "Forbidden", std::string(what) + ": refused");
  if (!allowed(request, iam::Verb::read, kind, group)) {
    return problem(404, "not_found", "Not Found", std::string(what) + " does not exist");
  }
  auto d = iam::Authorizer::decide(*request.principal, verb, kind, group);
  return problem(403, "permission_denied", "Forbidden",
                 request.principal->subject.to_string() + " may not " + std::string(iam::to_string(verb)) + " " +
                     std::string(what) + " (group " + std::string(group) + "): " + d.reason);
}

}  // namespace iotwins::api
