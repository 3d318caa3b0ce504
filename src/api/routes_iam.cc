// Identity administration under /api/v1/iam: users, groups and their members, service
// accounts, API tokens and role bindings. Reads need `iam` read (admin, operator); every change
// needs `iam` admin (admin bindings on "*" only). Secrets (passwords, token hashes) never leave.
#include <nlohmann/json.hpp>

#include <charconv>

#include "api/auth.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/series_params.h"

namespace iotwins::api {
namespace {

using nlohmann::json;
RouteOptions change(std::string summary) {
  return {.max_body = 64 * 1024, .summary = std::move(summary), .kind = iam::ResourceKind::iam,
          .verb = iam::Verb::admin, .audit_answers = false};  // changed() audits with the target
}
RouteOptions read(std::string summary) {
  return {.summary = std::move(summary), .kind = iam::ResourceKind::iam, .verb = iam::Verb::read};
}

std::string time_or_null(int64_t ns) { return ns == 0 ? std::string() : series::format_time(ns); }

json user_json(const iam::User& u) {
  return {{"name", u.name}, {"disabled", u.disabled}, {"groups", u.groups},
          {"password_login", !u.password_hash.empty()}, {"created", series::format_time(u.created_ns)}};
}
json token_json(const iam::ApiToken& t) {
  return {{"id", t.id},
          {"subject", t.subject.to_string()},
          {"name", t.name},
          {"created", series::format_time(t.created_ns)},
          {"expires", time_or_null(t.expires_ns)},
          {"last_used", time_or_null(t.last_used_ns)},
          {"revoked", time_or_null(t.revoked_ns)}};
}
json binding_json(const iam::RoleBinding& b) {
  return {{"id", b.id}, {"role", iam::to_string(b.role)}, {"subject", b.subject.to_string()}, {"scope", b.scope},
          {"created", series::format_time(b.created_ns)}};
}

Result<json> object_body(const Request& req) {
  IOT_ASSIGN(auto body, parse_json_body(req));
  if (!body.is_object()) return make_error(Errc::invalid_argument, "the body must be a JSON object");
  return body;
}

template <class T, class F>
Response list_of(const Result<std::vector<T>>& items, F to_json) {
  if (!items) return problem(items.error());
  json out = json::array();
  for (const auto& i : *items) out.push_back(to_json(i));
  return json_response(200, {{"items", out}, {"count", out.size()}});
}

// Audits a change made by an IAM route with its target (the guard's record names only the path).
Response changed(Auth& auth, const Request& req, const std::string& action, const std::string& target,
                 const Status& st, Response ok) {
  if (!st) {
    auth.audit(req, action, target, iam::AuditOutcome::failed, st.error().message());
    return problem(st.error());
  }
  auth.audit(req, action, target, iam::AuditOutcome::ok, "");
  return ok;
}

void add_user_routes(Router& router, Auth& auth) {
  iam::IamStore& store = auth.store();
  router.add(Method::GET, "/api/v1/iam/users", [&store](Request&) {
    return list_of(store.list_users(), user_json);
  }, read("users: name, disabled, groups, created"));
  router.add(Method::POST, "/api/v1/iam/users", [&auth, &store](Request& req) {
    auto body = object_body(req);
    if (!body) return problem(body.error());
    auto name = string_member(*body, "name", true);
    auto password = string_member(*body, "password", false);
    if (!name || !password) return problem(!name ? name.error() : password.error());
    auto user = store.create_user(*name, *password);
    Status st = user ? ok() : Status(std::unexpected(user.error()));
    return changed(auth, req, "iam.users.create", "user:" + *name, st, user ? json_response(201, user_json(*user)) : Response{});
  }, change("create a user {name, password} (no password: external login only)"));
  router.add(Method::GET, "/api/v1/iam/users/{name}", [&store](Request& req) {
    auto user = store.get_user(req.param("name"));
    return user ? json_response(200, user_json(*user)) : problem(user.error());
  }, read("one user"));
  router.add(Method::PATCH, "/api/v1/iam/users/{name}", [&auth, &store](Request& req) {
    auto body = object_body(req);
    if (!body) return problem(body.error());
    const std::string& name = req.param("name");
    Status st = ok();
    if (auto p = string_member(*body, "password", false); !p) {
      st = std::unexpected(p.error());
    } else if (!p->empty()) {
      st = store.set_password(name, *p);
    }
    if (st && body->contains("disabled")) {
      if (!(*body)["disabled"].is_boolean()) {
        st = make_error(Errc::invalid_argument, "'disabled' must be true or false");
      } else {
        st = store.set_user_disabled(name, (*body)["disabled"].get<bool>());
      }
    }
    auto user = st ? store.get_user(name) : Result<iam::User>(std::unexpected(st.error()));
    return changed(auth, req, "iam.users.update", "user:" + name, st,
                   user ? json_response(200, user_json(*user)) : Response{});
  }, change("change a user's password and/or disabled flag {password?, disabled?}"));
  router.add(Method::DELETE, "/api/v1/iam/users/{name}", [&auth, &store](Request& req) {
    const std::string& name = req.param("name");
    return changed(auth, req, "iam.users.delete", "user:" + name, store.delete_user(name), Response{.status = 204});
  }, change("delete a user with its memberships, bindings and tokens"));
}

void add_group_routes(Router& router, Auth& auth) {
  iam::IamStore& store = auth.store();
  router.add(Method::GET, "/api/v1/iam/groups", [&store](Request&) {
    return list_of(store.list_groups(), [](const iam::Group& g) {
      return json{{"name", g.name}, {"description", g.description}, {"created", series::format_time(g.created_ns)}};
    });
  }, read("groups"));
  router.add(Method::POST, "/api/v1/iam/groups", [&auth, &store](Request& req) {
    auto body = object_body(req);
    if (!body) return problem(body.error());
    auto name = string_member(*body, "name", true);
    auto description = string_member(*body, "description", false);
    if (!name || !description) return problem(!name ? name.error() : description.error());
    auto g = store.create_group(*name, *description);
    Status st = g ? ok() : Status(std::unexpected(g.error()));
    return changed(auth, req, "iam.groups.create", "group:" + *name, st,
                   json_response(201, {{"name", *name}, {"description", *description}}));
  }, change("create a group {name, description?}"));
  router.add(Method::DELETE, "/api/v1/iam/groups/{name}", [&auth, &store](Request& req) {
    const std::string& name = req.param("name");
    return changed(auth, req, "iam.groups.delete", "group:" + name, store.delete_group(name), Response{.status = 204});
  }, change("delete a group with its memberships and bindings"));
  router.add(Method::POST, "/api/v1/iam/groups/{name}/members", [&auth, &store](Request& req) {
    auto body = object_body(req);
    if (!body) return problem(body.error());
    auto text = string_member(*body, "subject", true);
    if (!text) return problem(text.error());
    auto subject = iam::parse_subject(*text);
    if (!subject) return problem(subject.error());
    const std::string& group = req.param("name");
    return changed(auth, req, "iam.groups.add_member", "group:" + group + " " + *text,
                   store.add_member(group, *subject), Response{.status = 204});
  }, change("add a member {subject: user:NAME | service-account:NAME}"));
  router.add(Method::DELETE, "/api/v1/iam/groups/{name}/members/{subject}", [&auth, &store](Request& req) {
    auto subject = iam::parse_subject(req.param("subject"));
    if (!subject) return problem(subject.error());
    const std::string& group = req.param("name");
    return changed(auth, req, "iam.groups.remove_member", "group:" + group + " " + req.param("subject"),
                   store.remove_member(group, *subject), Response{.status = 204});
  }, change("remove a member"));
}

void add_service_account_routes(Router& router, Auth& auth) {
  iam::IamStore& store = auth.store();
  router.add(Method::GET, "/api/v1/iam/service-accounts", [&store](Request&) {
    return list_of(store.list_service_accounts(), [](const iam::ServiceAccount& a) {
      return json{{"name", a.name}, {"description", a.description}, {"disabled", a.disabled},
                  {"created", series::format_time(a.created_ns)}};
    });
  }, read("service accounts"));
  router.add(Method::POST, "/api/v1/iam/service-accounts", [&auth, &store](Request& req) {
    auto body = object_body(req);
    if (!body) return problem(body.error());
    auto name = string_member(*body, "name", true);
    auto description = string_member(*body, "description", false);
    if (!name || !description) return problem(!name ? name.error() : description.error());
    auto a = store.create_service_account(*name, *description);
    Status st = a ? ok() : Status(std::unexpected(a.error()));
    return changed(auth, req, "iam.service_accounts.create", "service-account:" + *name, st,
                   json_response(201, {{"name", *name}, {"description", *description}}));
  }, change("create a service account {name, description?}"));
  router.add(Method::DELETE, "/api/v1/iam/service-accounts/{name}", [&auth, &store](Request& req) {
    const std::string& name = req.param("name");
    return changed(auth, req, "iam.service_accounts.delete", "service-account:" + name,
                   store.delete_service_account(name), Response{.status = 204});
  }, change("delete a service account with its bindings and tokens"));
}

void add_token_routes(Router& router, Auth& auth) {
  iam::IamStore& store = auth.store();
  router.add(Method::GET, "/api/v1/iam/tokens", [&store](Request& req) {
    if (auto st = only_params(req, {"subject"}); !st) return problem(st.error());
    const std::string* text = req.query_param("subject");
    if (text == nullptr) return problem(400, "invalid_argument", "Bad Request", "?subject= is required");
    auto subject = iam::parse_subject(*text);
    if (!subject) return problem(subject.error());
    return list_of(store.list_api_tokens(*subject), token_json);
  }, read("a subject's API tokens (?subject=KIND:NAME), never their secrets"));
  router.add(Method::POST, "/api/v1/iam/tokens", [&auth, &store](Request& req) {
    auto body = object_body(req);
    if (!body) return problem(body.error());
    auto text = string_member(*body, "subject", true);
    auto name = string_member(*body, "name", false);
    if (!text || !name) return problem(!text ? text.error() : name.error());
    auto subject = iam::parse_subject(*text);
    if (!subject) return problem(subject.error());
    int64_t ttl = 0;
    if (auto it = body->find("ttl_seconds"); it != body->end()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 0) {
        return problem(400, "invalid_argument", "Bad Request", "'ttl_seconds' must be a non-negative integer");
      }
      ttl = it->get<int64_t>();
    }
    auto issued = store.create_api_token(*subject, *name, std::chrono::seconds(ttl));
    Status st = issued ? ok() : Status(std::unexpected(issued.error()));
    if (!issued) return changed(auth, req, "iam.tokens.create", *text, st, Response{});
    json out = token_json(issued->meta);
    out["token"] = issued->secret;  // shown once
    Response r = json_response(201, out);
    r.headers["Cache-Control"] = "no-store";
    return changed(auth, req, "iam.tokens.create", "tokens/" + issued->meta.id + " " + *text, st, std::move(r));
  }, change("create an API token {subject, name?, ttl_seconds? (0: no expiry)}; the secret is in the answer only"));
  router.add(Method::DELETE, "/api/v1/iam/tokens/{id}", [&auth, &store](Request& req) {
    const std::string& id = req.param("id");
    return changed(auth, req, "iam.tokens.revoke", "tokens/" + id, store.revoke_api_token(id), Response{.status = 204});
  }, change("revoke an API token"));
}

void add_binding_routes(Router& router, Auth& auth) {
  iam::IamStore& store = auth.store();
  router.add(Method::GET, "/api/v1/iam/bindings", [&store](Request&) {
    return list_of(store.list_bindings(), binding_json);
  }, read("role bindings: role, subject, scope (a group or *)"));
  router.add(Method::POST, "/api/v1/iam/bindings", [&auth, &store](Request& req) {
    auto body = object_body(req);
    if (!body) return problem(body.error());
    auto role_text = string_member(*body, "role", true);
    auto subject_text = string_member(*body, "subject", true);
    auto scope = string_member(*body, "scope", false);
    if (!role_text || !subject_text || !scope) {
      return problem(!role_text ? role_text.error() : !subject_text ? subject_text.error() : scope.error());
    }
    auto role = iam::parse_role(*role_text);
    if (!role) return problem(role.error());
    auto subject = iam::parse_subject(*subject_text);
    if (!subject) return problem(subject.error());
    std::string where = scope->empty() ? std::string(iam::kAllGroups) : *scope;
    auto b = store.bind(*role, *subject, where);
    Status st = b ? ok() : Status(std::unexpected(b.error()));
    std::string target = *role_text + " " + *subject_text + " " + where;
    return changed(auth, req, "iam.bindings.create", target, st, b ? json_response(201, binding_json(*b)) : Response{});
  }, change("bind a role {role, subject, scope? (a group; default *: every group and iam/audit)}"));
  router.add(Method::DELETE, "/api/v1/iam/bindings/{id}", [&auth, &store](Request& req) {
    const std::string& text = req.param("id");
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return problem(400, "invalid_argument", "Bad Request", "binding id must be an integer, got '" + text + "'");
    }
    return changed(auth, req, "iam.bindings.delete", "bindings/" + text, store.unbind(id), Response{.status = 204});
  }, change("remove a role binding"));
}

}  // namespace

void add_iam_routes(Router& router, Auth& auth) {
  add_user_routes(router, auth);
  add_group_routes(router, auth);
  add_service_account_routes(router, auth);
  add_token_routes(router, auth);
  add_binding_routes(router, auth);
}

}  // namespace iotwins::api
