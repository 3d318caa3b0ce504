// /api/v1/twins: twin documents, their state, the tree, queries, aggregates and history.
#include <charconv>

#include "api/group_scope.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "api/twin_http.h"
#include "twin/codec.h"
#include "twins/service.h"

namespace iotwins::api {
namespace {

// Group scoping: a twin of a group the caller has no `verb` grant in answers 403, or 404 when
// the caller may not even read it there (its existence is not revealed). A twin that does not
// exist passes: the handler answers 404 (or creates it).
// The agent of the node a twin is attached to reaches it whatever its group: it mirrors the
// twin's state and serves its devices (docs/security.md, "Group scoping").
std::optional<Response> gate(twins::TwinService& svc, const Request& req, iam::Verb verb) {
  if (!req.principal) return std::nullopt;
  auto group = svc.group_of(req.param("id"));
  if (!group || allowed(req, verb, iam::ResourceKind::twins, *group)) return std::nullopt;
  if (auto node = svc.node_of(req.param("id")); node && is_own_node(req, *node) &&
                                                own_group_allows(req, verb, iam::ResourceKind::twins)) {
    return std::nullopt;
  }
  return refused(req, verb, iam::ResourceKind::twins, *group, "twin '" + req.param("id") + "'");
}

Handler gated(twins::TwinService& svc, iam::Verb verb, Handler inner) {
  return [&svc, verb, inner = std::move(inner)](Request& req) {
    if (auto no = gate(svc, req, verb)) return std::move(*no);
    return inner(req);
  };
}

Response put_twin(twins::TwinService& svc, const Request& req) {
  auto body = twin_json_body(req);
  if (!body) return problem(body.error());
  if (auto g = body->find("group"); g != body->end() && g->is_string() &&
                                    !allowed(req, iam::Verb::write, iam::ResourceKind::twins, g->get<std::string>())) {
    return no_write_in(req, iam::ResourceKind::twins, g->get<std::string>());
  }
  if (!body->contains("group") && !svc.get_twin(req.param("id")) &&
      !allowed(req, iam::Verb::write, iam::ResourceKind::twins, twin::kDefaultTwinGroup)) {
    return no_write_in(req, iam::ResourceKind::twins, twin::kDefaultTwinGroup);
  }
  auto match = if_match_version(req);
  if (!match) return problem(match.error());
  auto r = svc.put_twin(req.param("id"), *body, *match);
  if (!r) return problem(r.error());
  auto node = svc.node_of(r->doc.id);
  return twin_response(r->created ? 201 : 200, r->doc, node ? *node : "");
}

Response patch_state(twins::TwinService& svc, const Request& req) {
  auto body = twin_json_body(req);
  if (!body) return problem(body.error());
  auto update = twin::parse_update(*body);
  if (!update) return problem(update.error());
  auto match = if_match_version(req);
  if (!match) return problem(match.error());
  if (*match) {
    if (update->expected_version && *update->expected_version != **match) {
      return problem(Error(Errc::invalid_argument, "If-Match and the body's version differ"));
    }
    update->expected_version = *match;
  }
  auto doc = svc.patch_state(req.param("id"), *update);
  if (!doc) return problem(doc.error());
  auto node = svc.node_of(doc->id);
  return twin_response(200, *doc, node ? *node : "");
}

Response list_twins(twins::TwinService& svc, const Request& req) {
  if (auto st = only_params(req, {"filter", "sort", "limit", "cursor"}); !st) return problem(st.error());
  auto limit = int_param(req, "limit", 100, 1, 1000);
  if (!limit) return problem(limit.error());
  auto get = [&](const char* k) { const std::string* v = req.query_param(k); return v ? *v : std::string(); };
  auto page = svc.query(get("filter"), get("sort"), static_cast<size_t>(*limit), get("cursor"));
  if (!page) return problem(page.error());
  nlohmann::json items = nlohmann::json::array();
  iam::GroupFilter visible = visible_groups(req, iam::ResourceKind::twins);
  for (const auto& d : page->items) {
    if (!visible.contains(d.group)) continue;
    auto node = svc.node_of(d.id);
    items.push_back(twin_body(d, node ? *node : ""));
  }
  nlohmann::json body = {{"items", std::move(items)}};
  if (!page->next_cursor.empty()) body["next"] = page->next_cursor;
  return json_response(200, body);
}

Response tree(twins::TwinService& svc, const Request& req, std::string_view root) {
  if (auto st = only_params(req, {"depth"}); !st) return problem(st.error());
  auto depth = int_param(req, "depth", 8, 0, 64);
  if (!depth) return problem(depth.error());
  auto t = svc.tree(root, static_cast<int>(*depth));
  if (!t) return problem(t.error());
  return json_response(200, {{"items", *t}});
}

Response aggregate(twins::TwinService& svc, const Request& req) {
  if (auto st = only_params(req, {"field", "agg", "scope"}); !st) return problem(st.error());
  twin::AggregateRequest a;
  a.root = req.param("id");
  const std::string* field = req.query_param("field");
  if (!field) return problem(Error(Errc::invalid_argument, "query parameter 'field' is required, e.g. reported.health"));
  a.field = *field;
  const std::string* kind = req.query_param("agg");
  auto k = twin::parse_aggregate_kind(kind ? *kind : "mean");
  if (!k) return problem(k.error());
  a.kind = *k;
  if (const std::string* s = req.query_param("scope")) {
    if (*s == "children") {
      a.scope = twin::AggregateScope::children;
    } else if (*s != "descendants") {
      return problem(Error(Errc::invalid_argument, "scope must be children or descendants, not '" + *s + "'"));
    }
  }
  auto r = svc.aggregate(a);
  if (!r) return problem(r.error());
  return json_response(200, {{"twin", a.root}, {"field", a.field}, {"agg", kind ? *kind : "mean"},
                             {"value", r->value}, {"count", r->count}, {"missing", r->missing}});
}

}  // namespace

void add_twin_routes(Router& router, const Services& s) {
  if (s.twins == nullptr) return;
  twins::TwinService& svc = *s.twins;
  router.add(Method::GET, "/api/v1/twins", [&svc](Request& req) { return list_twins(svc, req); },
             {.summary = "twins matching ?filter= (e.g. model == \"Pump\" and reported.temperature > 80 and "
                         "under(\"line-2\")), sorted by ?sort=, paged by ?limit= and ?cursor=",
              .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/twin-tree", [&svc](Request& req) { return tree(svc, req, ""); },
             {.summary = "every twin tree from its root (?depth=)",
              .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::PUT, "/api/v1/twins/{id}",
             gated(svc, iam::Verb::write, [&svc](Request& req) { return put_twin(svc, req); }),
             {.summary = "create a twin or replace its description {model, level, parent, attributes, node, "
                         "state} (If-Match: version)", .kind = iam::ResourceKind::twins, .verb = iam::Verb::write});
  router.add(Method::GET, "/api/v1/twins/{id}", gated(svc, iam::Verb::read, [&svc](Request& req) {
    auto doc = svc.get_twin(req.param("id"));
    if (!doc) return problem(doc.error());
    auto node = svc.node_of(doc->id);
    return twin_response(200, *doc, node ? *node : "");
  }), {.summary = "one twin: description, state {desired, reported, delta}, metadata, version (ETag)",
      .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::DELETE, "/api/v1/twins/{id}", gated(svc, iam::Verb::delete_, [&svc](Request& req) {
    auto match = if_match_version(req);
    if (!match) return problem(match.error());
    if (auto st = svc.delete_twin(req.param("id"), *match); !st) return problem(st.error());
    return Response{204, "", {}, "", {}};
  }), {.summary = "delete a twin without children (If-Match: version)",
      .kind = iam::ResourceKind::twins, .verb = iam::Verb::delete_});
  router.add(Method::PATCH, "/api/v1/twins/{id}/state",
             gated(svc, iam::Verb::write, [&svc](Request& req) { return patch_state(svc, req); }),
             {.summary = "shadow update {\"state\":{\"desired\":{…},\"reported\":{…}},\"version\":n}; null "
                         "deletes; 409 on a stale version",
              .kind = iam::ResourceKind::twins, .verb = iam::Verb::write});
  router.add(Method::GET, "/api/v1/twins/{id}/children", gated(svc, iam::Verb::read, [&svc](Request& req) {
    auto kids = svc.children(req.param("id"));
    if (!kids) return problem(kids.error());
    return json_response(200, {{"items", *kids}});
  }), {.summary = "the ids of a twin's children", .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/twins/{id}/ancestors", gated(svc, iam::Verb::read, [&svc](Request& req) {
    auto up = svc.ancestors(req.param("id"));
    if (!up) return problem(up.error());
    return json_response(200, {{"items", *up}});
  }), {.summary = "the ids of a twin's ancestors, nearest first",
      .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/twins/{id}/tree",
             gated(svc, iam::Verb::read, [&svc](Request& req) { return tree(svc, req, req.param("id")); }),
             {.summary = "the tree below a twin (?depth=)",
              .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/twins/{id}/aggregate",
             gated(svc, iam::Verb::read, [&svc](Request& req) { return aggregate(svc, req); }),
             {.summary = "an aggregate over the twin's subtree (?field=, ?agg=mean|sum|min|max|count|worst_health, "
                         "?scope=descendants|children)", .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  if (s.series) {
    tsdb::TimeSeriesStore& store = *s.series;
    const Clock& clock = *s.clock;
    router.add(Method::GET, "/api/v1/twins/{id}/history", [&svc, &store, &clock](Request& req) {
      if (!svc.get_twin(req.param("id"))) return problem(Error(Errc::not_found, "no twin '" + req.param("id") + "'"));
      if (auto no = gate(svc, req, iam::Verb::read)) return std::move(*no);
      if (!req.query_param("property")) {
        return problem(Error(Errc::invalid_argument, "query parameter 'property' is required (e.g. temperature)"));
      }
      if (req.query_param("twin")) return problem(Error(Errc::invalid_argument, "the twin is in the path; drop ?twin="));
      req.query["twin"] = req.param("id");
      return series_query_response(store, clock, req);
    }, {.summary = "history of one property from the time-series store (?property=, ?from=, ?to=, ?step=, ?agg=)",
        .kind = iam::ResourceKind::series, .verb = iam::Verb::read});
  }
  add_twin_model_routes(router, s);
  add_twin_feed_routes(router, s);
}

}  // namespace iotwins::api
