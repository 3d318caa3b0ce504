// /api/v1/models: the model registry (registry/registry.h). Versions are registered from bytes
// already in the artifact store (PUT /api/v1/artifacts first, then POST the version naming the
// sha256), promoted and rolled back with If-Match = the model's revision, and watched by edge
// agents through GET /api/v1/models/changes?after=REV. A model belongs to an IAM group (its first
// version's "group" or ?group=, default "default"); lists and every route narrow to it, except
// that agents read every group's models (they run whatever the scheduler placed on their node).
#include <nlohmann/json.hpp>

#include <charconv>

#include "api/group_scope.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "api/series_params.h"
#include "api/twin_http.h"
#include "artifacts/store.h"
#include "registry/registry.h"

namespace iotwins::api {
namespace {

using nlohmann::json;

json summary_json(const registry::ModelSummary& m) {
  return {{"name", m.name},
          {"group", m.group},
          {"latest_version", m.latest_version},
          {"promoted_version", m.promoted_version ? json(m.promoted_version) : json(nullptr)},
          {"created", series::format_time(m.created_ns)},
          {"revision", m.revision}};
}

json version_json(const registry::ModelVersion& v) {
  return {{"name", v.name},
          {"version", v.version},
          {"kind", v.kind},
          {"sha256", v.sha256},
          {"size", v.size},
          {"stage", registry::stage_name(v.stage)},
          {"metrics", v.metrics},
          {"lineage",
           {{"series", v.lineage.series},
            {"data_from", series::format_time(v.lineage.data_from_ns)},
            {"data_to", series::format_time(v.lineage.data_to_ns)},
            {"parameters", v.lineage.parameters},
            {"created_by", v.lineage.created_by}}},
          {"created", series::format_time(v.created_ns)},
          {"revision", v.revision}};
}

json record_json(const registry::PromotionRecord& r) {
  return {{"id", r.id},           {"action", r.action}, {"from_version", r.from_version},
          {"to_version", r.to_version}, {"by", r.by},   {"at", series::format_time(r.at_ns)},
          {"revision", r.revision}};
}

Response with_etag(Response r, int64_t revision) {
  r.headers.insert_or_assign("ETag", "\"" + std::to_string(revision) + "\"");
  return r;
}

Result<int64_t> version_param(const Request& req) {
  const std::string& text = req.param("v");
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < 1) {
    return make_error(Errc::invalid_argument, "version '" + text.substr(0, 40) + "' must be a positive integer");
  }
  return v;
}

// Who promotes or rolls back: the body's "by", else the mTLS client's CN, else "api".
// If-Match (the model's revision) becomes the expected revision.
Result<registry::ChangeOptions> change_options(const Request& req) {
  registry::ChangeOptions c;
  c.by = "api";
  if (const std::string* cn = req.header("X-Client-CN")) c.by = *cn;
  if (!req.body.empty()) {
    IOT_ASSIGN(json body, parse_json_body(req));
    if (!body.is_object()) return make_error(Errc::invalid_argument, "the body must be a JSON object {\"by\": …}");
    for (const auto& [k, v] : body.items()) {
      if (k != "by") return make_error(Errc::invalid_argument, "unknown field '" + k + "' (accepted: by)");
      if (!v.is_string()) return make_error(Errc::invalid_argument, "field 'by' must be a string");
      c.by = v.get<std::string>();
    }
  }
  auto rev = if_match_version(req);
  if (!rev) return make_error(Errc::invalid_argument, "If-Match must be the model's revision (its ETag), e.g. \"3\"");
  if (*rev) {
    if (**rev < 1) return make_error(Errc::invalid_argument, "If-Match: a model's revision is at least 1");
    c.expected_revision = **rev;
  }
  return c;
}

// {"artifact": sha256, "kind"?, "metrics"?: {name: number}, "lineage"?: {series, data_from,
// data_to, parameters: {name: text}, created_by}} — data_from/data_to as the series API's times.
Result<registry::NewVersion> parse_new_version(const json& body, artifacts::ArtifactStore& store, int64_t now) {
  if (!body.is_object()) return make_error(Errc::invalid_argument, "the body must be a JSON object");
  registry::NewVersion v;
  auto str = [](const json& j, const std::string& field) -> Result<std::string> {
    if (!j.is_string()) return make_error(Errc::invalid_argument, "field '" + field + "' must be a string");
    return j.get<std::string>();
  };
  std::string sha;
  for (const auto& [k, val] : body.items()) {
    if (k == "artifact") {
      IOT_ASSIGN(sha, str(val, k));
    } else if (k == "kind") {
      IOT_ASSIGN(v.kind, str(val, k));
    } else if (k == "metrics") {
      if (!val.is_object()) return make_error(Errc::invalid_argument, "field 'metrics' must be an object of numbers");
      for (const auto& [m, x] : val.items()) {
        if (!x.is_number()) return make_error(Errc::invalid_argument, "metric '" + m + "' must be a number");
        v.metrics[m] = x.get<double>();
      }
    } else if (k == "group") {
      continue;  // the route reads it (requested_group)
    } else if (k == "lineage") {
      if (!val.is_object()) return make_error(Errc::invalid_argument, "field 'lineage' must be an object");
      for (const auto& [lk, lv] : val.items()) {
        const std::string f = "lineage." + lk;
        if (lk == "series") {
          if (!lv.is_array()) return make_error(Errc::invalid_argument, "field '" + f + "' must be an array of strings");
          for (const auto& s : lv) {
            IOT_ASSIGN(std::string name, str(s, f + "[]"));
            v.lineage.series.push_back(std::move(name));
          }
        } else if (lk == "data_from" || lk == "data_to") {
          IOT_ASSIGN(std::string text, str(lv, f));
          auto ns = series::parse_time(text, now);
          if (!ns) return make_error(Errc::invalid_argument, "field '" + f + "': " + ns.error().message());
          (lk == "data_from" ? v.lineage.data_from_ns : v.lineage.data_to_ns) = *ns;
        } else if (lk == "parameters") {
          if (!lv.is_object()) return make_error(Errc::invalid_argument, "field '" + f + "' must be an object of strings");
          for (const auto& [pk, pv] : lv.items()) {
            IOT_ASSIGN(v.lineage.parameters[pk], str(pv, f + "." + pk));
          }
        } else if (lk == "created_by") {
          IOT_ASSIGN(v.lineage.created_by, str(lv, f));
        } else {
          return make_error(Errc::invalid_argument, "unknown field '" + f +
                                                        "' (accepted: series, data_from, data_to, parameters, created_by)");
        }
      }
    } else {
      return make_error(Errc::invalid_argument, "unknown field '" + k + "' (accepted: artifact, kind, metrics, lineage, group)");
    }
  }
  if (sha.empty()) {
    return make_error(Errc::invalid_argument,
                      "field 'artifact' is required: the sha256 of the model bytes, stored first with PUT /api/v1/artifacts");
  }
  if (auto st = artifacts::validate_sha256(sha); !st) return std::unexpected(Error(st.error()).context("field 'artifact'"));
  auto bytes = store.read(sha);
  if (!bytes && bytes.error().code() == Errc::not_found) {
    return make_error(Errc::invalid_argument, "field 'artifact': no artifact " + sha + " is stored (PUT it to /api/v1/artifacts first)");
  }
  if (!bytes) return std::unexpected(bytes.error());
  v.model = std::move(*bytes);
  return v;
}

// The answer to a promote or rollback: the version now promoted, ETag = the model's new revision.
Response changed(registry::ModelRegistry& reg, const Result<registry::ModelVersion>& mv) {
  if (!mv) return problem(mv.error());
  auto m = reg.get_model(mv->name);
  return with_etag(json_response(200, version_json(*mv)), m ? m->revision : mv->revision);
}


bool readable(const Request& req, const iam::GroupFilter& visible, const registry::ModelSummary& m) {
  return is_node_agent(req) || visible.contains(m.group);
}

ObjectOf model_of(registry::ModelRegistry& reg, iam::Verb verb) {
  return [&reg, verb](const Request& req) -> std::optional<ScopedObject> {
    if (verb == iam::Verb::read && is_node_agent(req)) return std::nullopt;
    auto m = reg.get_model(req.param("name"));
    if (!m) return std::nullopt;
    return ScopedObject{m->group, "model '" + m->name + "'"};
  };
}

Handler gated(registry::ModelRegistry& reg, iam::Verb verb, Handler inner) {
  return group_gated(model_of(reg, verb), iam::ResourceKind::models, verb, std::move(inner));
}

void add_read_routes(Router& router, registry::ModelRegistry& reg) {
  router.add(Method::GET, "/api/v1/models", [&reg](Request& req) {
    if (auto st = only_params(req, {"after", "limit"}); !st) return problem(st.error());
    auto limit = int_param(req, "limit", 100, 1, 1000);
    if (!limit) return problem(limit.error());
    const std::string* after = req.query_param("after");
    auto models = reg.list_models(after ? *after : "", static_cast<size_t>(*limit));
    if (!models) return problem(models.error());
    auto rev = reg.revision();
    if (!rev) return problem(rev.error());
    json items = json::array();
    iam::GroupFilter visible = visible_groups(req, iam::ResourceKind::models);
    for (const auto& m : *models) {
      if (readable(req, visible, m)) items.push_back(summary_json(m));
    }
    // The cursor is the page's last name, shown or not, so paging skips no readable model.
    json body = {{"items", items}, {"count", items.size()}, {"revision", *rev}};
    if (!models->empty() && models->size() == static_cast<size_t>(*limit)) body["next"] = models->back().name;
    return json_response(200, body);
  }, {.summary = "models of the groups the caller may read, by name: group, latest and promoted version, revision "
                 "(?after=<name cursor>, ?limit=1..1000; a page may hold fewer than ?limit and still have a next); "
                 "'revision' is the registry's, for GET /api/v1/models/changes",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::read});

  router.add(Method::GET, "/api/v1/models/changes", [&reg](Request& req) {
    if (auto st = only_params(req, {"after", "limit"}); !st) return problem(st.error());
    auto after = int_param(req, "after", 0, 0, INT64_MAX);
    if (!after) return problem(after.error());
    auto limit = int_param(req, "limit", 100, 1, 1000);
    if (!limit) return problem(limit.error());
    auto ch = reg.changes(*after, static_cast<size_t>(*limit));
    if (!ch) return problem(ch.error());
    json items = json::array();
    iam::GroupFilter visible = visible_groups(req, iam::ResourceKind::models);
    for (const auto& m : ch->models) {
      if (readable(req, visible, m)) items.push_back(summary_json(m));
    }
    return json_response(200, {{"revision", ch->revision}, {"items", items}, {"count", items.size()}});
  }, {.summary = "models changed after registry revision ?after= (edge agents poll this to pick up promotions "
                 "and rollbacks), ascending revision; pass the answer's last item revision (or 'revision' when "
                 "empty) as the next ?after. A model named 'changes' is reached through its /versions routes",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::read});

  router.add(Method::GET, "/api/v1/models/{name}", gated(reg, iam::Verb::read, [&reg](Request& req) {
    auto m = reg.get_model(req.param("name"));
    if (!m) return problem(m.error());
    auto promoted = reg.promoted(m->name);
    if (!promoted) return problem(promoted.error());
    json body = summary_json(*m);
    body["promoted"] = *promoted ? version_json(**promoted) : json(nullptr);
    return with_etag(json_response(200, body), m->revision);
  }), {.summary = "one model with its promoted version; ETag = the model's revision (If-Match of promote/rollback)",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::read});

  router.add(Method::GET, "/api/v1/models/{name}/versions", gated(reg, iam::Verb::read, [&reg](Request& req) {
    if (auto st = only_params(req, {"after", "limit"}); !st) return problem(st.error());
    auto after = int_param(req, "after", 0, 0, INT64_MAX);
    if (!after) return problem(after.error());
    auto limit = int_param(req, "limit", 100, 1, 1000);
    if (!limit) return problem(limit.error());
    auto vs = reg.list_versions(req.param("name"), *after, static_cast<size_t>(*limit));
    if (!vs) return problem(vs.error());
    json items = json::array();
    for (const auto& v : *vs) items.push_back(version_json(v));
    json body = {{"items", items}, {"count", items.size()}};
    if (!vs->empty() && vs->size() == static_cast<size_t>(*limit)) body["next"] = vs->back().version;
    return json_response(200, body);
  }), {.summary = "a model's versions, ascending: kind, sha256 (GET /api/v1/artifacts/{sha256} for the bytes), "
                 "stage, metrics, lineage (?after=<version cursor>, ?limit=1..1000)",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::read});

  router.add(Method::GET, "/api/v1/models/{name}/versions/{v}", gated(reg, iam::Verb::read, [&reg](Request& req) {
    auto v = version_param(req);
    if (!v) return problem(v.error());
    auto mv = reg.get_version(req.param("name"), *v);
    if (!mv) return problem(mv.error());
    return json_response(200, version_json(*mv));
  }), {.summary = "one version of a model", .kind = iam::ResourceKind::models, .verb = iam::Verb::read});

  router.add(Method::GET, "/api/v1/models/{name}/history", gated(reg, iam::Verb::read, [&reg](Request& req) {
    if (auto st = only_params(req, {"limit"}); !st) return problem(st.error());
    auto limit = int_param(req, "limit", 100, 1, 1000);
    if (!limit) return problem(limit.error());
    auto h = reg.history(req.param("name"), static_cast<size_t>(*limit));
    if (!h) return problem(h.error());
    json items = json::array();
    for (const auto& r : *h) items.push_back(record_json(r));
    return json_response(200, {{"items", items}, {"count", items.size()}});
  }), {.summary = "a model's promotions and rollbacks, newest first (?limit=1..1000)",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::read});
}

}  // namespace

void add_model_routes(Router& router, const Services& s) {
  if (s.models == nullptr || s.artifacts == nullptr) return;
  registry::ModelRegistry& reg = *s.models;
  artifacts::ArtifactStore& store = *s.artifacts;
  const Clock& clock = *s.clock;
  add_read_routes(router, reg);

  router.add(Method::POST, "/api/v1/models/{name}/versions", gated(reg, iam::Verb::write,
                                                                   [&reg, &store, &clock](Request& req) {
    auto body = parse_json_body(req);
    if (!body) return problem(body.error());
    auto group = requested_group(req, body->is_object() && body->contains("group") ? &(*body)["group"] : nullptr);
    if (!group) return problem(group.error());
    auto nv = parse_new_version(*body, store, clock.now_ns());
    if (!nv) return problem(nv.error());
    // An existing model's group (the gate checked write there), else the one a first version
    // creates it in. The registry refuses a version for another group than the model's (409) and
    // checks again inside its transaction, so a model made meanwhile cannot take a version unchecked.
    auto existing = reg.get_model(req.param("name"));
    nv->group = group->value_or(existing ? existing->group : std::string(registry::kDefaultGroup));
    if (!existing && !allowed(req, iam::Verb::write, iam::ResourceKind::models, nv->group)) {
      return no_write_in(req, iam::ResourceKind::models, nv->group);
    }
    if (nv->lineage.created_by.empty()) {
      const std::string* cn = req.header("X-Client-CN");
      nv->lineage.created_by = cn ? *cn : "api";
    }
    auto v = reg.register_version(req.param("name"), *nv);
    if (!v) return problem(v.error());
    Response r = json_response(201, version_json(*v));
    r.headers.insert_or_assign("Location", "/api/v1/models/" + v->name + "/versions/" + std::to_string(v->version));
    return r;
  }), {.max_body = 1 << 20,
      .summary = "register the next version of a model (created at version 1, in the body's \"group\" or ?group=, "
                 "default 'default'; a version for another group than the model's is 409) as a candidate. "
                 "Body: {\"artifact\": "
                 "sha256 of the model bytes, uploaded first with PUT /api/v1/artifacts, \"kind\"?, \"metrics\"?: "
                 "{name: number}, \"lineage\"?: {series: [..], data_from, data_to, parameters: {name: text}, "
                 "created_by (default: the mTLS client's CN, else 'api')}}; the bytes must be a detector analytics can load",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::write});

  router.add(Method::POST, "/api/v1/models/{name}/versions/{v}/promote", gated(reg, iam::Verb::write, [&reg](Request& req) {
    auto v = version_param(req);
    if (!v) return problem(v.error());
    auto c = change_options(req);
    if (!c) return problem(c.error());
    return changed(reg, reg.promote(req.param("name"), *v, *c));
  }), {.max_body = 4096,
      .summary = "make a version the promoted one (rolled out to every Inference task using the model); body "
                 "{\"by\"}? ; If-Match: the model's revision, 409 when stale",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::write});

  router.add(Method::POST, "/api/v1/models/{name}/rollback", gated(reg, iam::Verb::write, [&reg](Request& req) {
    auto c = change_options(req);
    if (!c) return problem(c.error());
    return changed(reg, reg.rollback(req.param("name"), *c));
  }), {.max_body = 4096,
      .summary = "promote again the version promoted before the current one (412 when there is none); body "
                 "{\"by\"}? ; If-Match: the model's revision, 409 when stale",
      .kind = iam::ResourceKind::models, .verb = iam::Verb::write});
}

}  // namespace iotwins::api
