// POST /api/v1/auth/token (password, client_credentials, refresh_token grants), POST
// /api/v1/auth/revoke, GET /api/v1/auth/whoami, GET /api/v1/auth/jwks. The token route takes a
// JSON object or an OAuth 2.0 form (application/x-www-form-urlencoded) with the same names.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "api/auth.h"
#include "api/problem.h"

namespace iotwins::api {
namespace {

using nlohmann::json;

// The body's string members: JSON object or form fields.
Result<std::map<std::string, std::string>> token_fields(const Request& req) {
  std::map<std::string, std::string> out;
  const std::string* type = req.header("Content-Type");
  if (type != nullptr && type->starts_with("application/x-www-form-urlencoded")) {
    IOT_ASSIGN(auto parsed, parse_target("/?" + req.body));
    return std::move(parsed.second);
  }
  IOT_ASSIGN(auto body, parse_json_body(req));
  if (!body.is_object()) return make_error(Errc::invalid_argument, "the body must be a JSON object");
  for (const auto& [k, v] : body.items()) {
    if (!v.is_string()) return make_error(Errc::invalid_argument, "'" + k + "' must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string field(const std::map<std::string, std::string>& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

Response token_answer(Auth& auth, const iam::Subject& subject, const std::string& refresh) {
  auto access = auth.issue_access_token(subject);
  if (!access) return problem(access.error());
  json body{{"access_token", *access},
            {"token_type", "Bearer"},
            {"expires_in", auth.options().access_ttl.count()},
            {"subject", subject.to_string()}};
  if (!refresh.empty()) body["refresh_token"] = refresh;
  Response r = json_response(200, body);
  r.headers["Cache-Control"] = "no-store";
  return r;
}

Response too_many(std::chrono::milliseconds retry_after) {
  int64_t seconds = std::max<int64_t>(1, (retry_after.count() + 999) / 1000);
  Response r = problem(429, "resource_exhausted", "Too Many Requests",
                       "too many login attempts for this user from this address; retry in " +
                           std::to_string(seconds) + " s");
  r.headers["Retry-After"] = std::to_string(seconds);
  return r;
}

Response password_grant(Auth& auth, Request& req, const std::map<std::string, std::string>& f) {
  std::string user = field(f, "username");
  if (user.empty()) return problem(400, "invalid_argument", "Bad Request", "'username' is required");
  std::string host = iam::remote_host(req.remote);
  auto gate = auth.login_limiter().try_acquire(user, host);
  if (!gate.allowed) {
    auth.audit(req, "auth.login", "user:" + user, iam::AuditOutcome::denied, "rate limited", "user:" + user);
    return too_many(gate.retry_after);
  }
  auto ok = auth.store().authenticate_password(user, field(f, "password"));
  if (!ok) {
    auth.audit(req, "auth.login", "user:" + user, iam::AuditOutcome::denied, ok.error().message(), "user:" + user);
    return unauthorized(ok.error());
  }
  auth.login_limiter().reset(user, host);
  iam::Subject subject{iam::SubjectKind::user, user};
  auto refresh = auth.store().issue_refresh_token(subject);
  if (!refresh) return problem(refresh.error());
  auth.audit(req, "auth.login", subject.to_string(), iam::AuditOutcome::ok, "password", subject.to_string());
  return token_answer(auth, subject, *refresh);
}

// client_credentials: the client secret is an API token (a service account's, or a node's).
Response client_grant(Auth& auth, Request& req, const std::map<std::string, std::string>& f) {
  std::string secret = field(f, "client_secret");
  std::string client = field(f, "client_id");
  std::string host = iam::remote_host(req.remote);
  auto gate = auth.login_limiter().try_acquire("client:" + client, host);
  if (!gate.allowed) return too_many(gate.retry_after);
  auto subject = auth.store().authenticate_api_token(secret);
  if (!subject) {
    auth.audit(req, "auth.login", client, iam::AuditOutcome::denied, subject.error().message(), "anonymous");
    return unauthorized(subject.error());
  }
  if (!client.empty() && client != subject->to_string() && client != subject->name) {
    return unauthorized(Error(Errc::unauthenticated, "client_id does not match the token's subject"));
  }
  auth.login_limiter().reset("client:" + client, host);
  auth.audit(req, "auth.login", subject->to_string(), iam::AuditOutcome::ok, "client_credentials", subject->to_string());
  return token_answer(auth, *subject, "");
}

Response refresh_grant(Auth& auth, Request& req, const std::map<std::string, std::string>& f) {
  auto grant = auth.store().use_refresh_token(field(f, "refresh_token"));
  if (!grant) {
    auth.audit(req, "auth.refresh", "", iam::AuditOutcome::denied, grant.error().message(), "anonymous");
    return unauthorized(grant.error());
  }
  if (auto p = auth.store().principal_for(grant->subject); !p) return unauthorized(p.error());
  return token_answer(auth, grant->subject, grant->refresh_token);
}

}  // namespace

void add_auth_routes(Router& router, Auth& auth) {
  router.add(Method::POST, "/api/v1/auth/token", [&auth](Request& req) {
    auto f = token_fields(req);
    if (!f) return problem(f.error());
    std::string grant = field(*f, "grant_type");
    if (grant == "password") return password_grant(auth, req, *f);
    if (grant == "client_credentials") return client_grant(auth, req, *f);
    if (grant == "refresh_token") return refresh_grant(auth, req, *f);
    return problem(400, "invalid_argument", "Bad Request",
                   "grant_type must be password, client_credentials or refresh_token (got '" + grant + "')");
  }, {.max_body = 16 * 1024,
      .summary = "an access token (JWT, ES256): grant_type=password (username, password; also a refresh_token), "
                 "client_credentials (client_secret = an API token) or refresh_token (rotates it); 429 + "
                 "Retry-After when logins from this address for this user come too fast",
      .public_route = true});

  router.add(Method::POST, "/api/v1/auth/revoke", [&auth](Request& req) {
    auto f = token_fields(req);
    if (!f) return problem(f.error());
    std::string token = field(*f, "token");
    // RFC 7009: an unknown or already invalid token is not an error.
    if (token.starts_with("iot_rt_")) {
      if (auto grant = auth.store().use_refresh_token(token)) {
        auto st = auth.store().revoke_refresh_tokens(grant->subject);
        if (!st) return problem(st.error());
        auth.audit(req, "auth.revoke", grant->subject.to_string(), iam::AuditOutcome::ok, "refresh tokens",
                   grant->subject.to_string());
      }
    } else if (token.starts_with("iot_pat_")) {
      if (auto subject = auth.store().authenticate_api_token(token)) {
        std::string id = token.substr(8, token.find('_', 8) - 8);
        auto st = auth.store().revoke_api_token(id);
        if (!st) return problem(st.error());
        auth.audit(req, "auth.revoke", "tokens/" + id, iam::AuditOutcome::ok, "api token", subject->to_string());
      }
    } else if (!token.empty()) {
      return problem(400, "invalid_argument", "Bad Request",
                     "'token' must be a refresh token (iot_rt_…) or an API token (iot_pat_…); access tokens expire");
    }
    return json_response(200, json::object());
  }, {.max_body = 16 * 1024,
      .summary = "revoke a refresh token (with every refresh token of its subject: logout) or an API token; "
                 "presenting the token is the proof",
      .public_route = true});

  router.add(Method::GET, "/api/v1/auth/whoami", [&auth](Request& req) {
    auto p = auth.authenticate(req);
    if (!p) return unauthorized(p.error());
    json grants = json::array();
    for (const auto& g : p->grants) grants.push_back({{"role", iam::to_string(g.role)}, {"scope", g.scope}, {"via", g.via}});
    return json_response(200, {{"subject", p->subject.to_string()}, {"groups", p->groups}, {"grants", grants}});
  }, {.summary = "who the credentials speak for: subject, groups, grants (any valid credentials; 401 without)",
      .public_route = true});

  router.add(Method::GET, "/api/v1/auth/jwks", [&auth](Request&) {
    Response r = json_response(200, auth.keys().verification_keys().to_jwks());
    r.headers["Cache-Control"] = "max-age=300";
    return r;
  }, {.summary = "the public keys that verify this server's access tokens (JWKS)", .public_route = true});
}

}  // namespace iotwins::api
