// The agent's twin routes: the twins cached on this agent, served from its own database so they
// answer while the cloud is unreachable. Desired changes made here reach the device at once and
// the cloud through the data plane (twins/edge_cache.h).
#include "api/problem.h"
#include "api/routes.h"
#include "api/twin_http.h"
#include "twin/codec.h"
#include "twin/query.h"
#include "twins/edge_cache.h"

namespace iotwins::api {

void add_edge_twin_routes(Router& router, const Services& s) {
  if (s.edge_twins == nullptr) return;
  twins::EdgeTwinCache& cache = *s.edge_twins;
  router.add(Method::GET, "/api/v1/twins", [&cache](Request& req) {
    std::optional<twin::Query> query;
    if (const std::string* f = req.query_param("filter")) {
      auto q = twin::Query::compile(*f);
      if (!q) return problem(q.error());
      query = std::move(*q);
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& d : cache.list()) {
      if (!query || query->matches(d)) items.push_back(twin::to_json(d));
    }
    return json_response(200, {{"items", std::move(items)}, {"cached", true}, {"pending", cache.pending()}});
  }, {.summary = "the twins cached on this agent (?filter=)",
      .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/twins/{id}", [&cache](Request& req) {
    auto doc = cache.get(req.param("id"));
    if (!doc) return problem(doc.error());
    return twin_response(200, *doc, "");
  }, {.summary = "one cached twin", .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
  router.add(Method::PATCH, "/api/v1/twins/{id}/state", [&cache](Request& req) {
    auto body = twin_json_body(req);
    if (!body) return problem(body.error());
    auto update = twin::parse_update(*body);
    if (!update) return problem(update.error());
    if (update->reported) {
      return problem(Error(Errc::invalid_argument,
                           "state.reported: reported state comes from the device (MQTT iotwins/<twin>/reported)"));
    }
    if (!update->desired || !update->desired->is_object()) {
      return problem(Error(Errc::invalid_argument, "state.desired: an object is required"));
    }
    auto match = if_match_version(req);
    if (!match) return problem(match.error());
    std::optional<int64_t> version = *match ? *match : update->expected_version;
    auto doc = cache.patch_desired(req.param("id"), *update->desired, version);
    if (!doc) return problem(doc.error());
    return twin_response(200, *doc, "");
  }, {.summary = "set desired state on this agent (delivered to the device now, to the cloud when reachable)",
      .kind = iam::ResourceKind::twins, .verb = iam::Verb::write});
}

}  // namespace iotwins::api
