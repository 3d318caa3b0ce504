// /api/v1/twin-models: twin models in JSON or YAML (kept as written).
#include "api/problem.h"
#include "api/routes.h"
#include "twins/service.h"

namespace iotwins::api {

void add_twin_model_routes(Router& router, const Services& s) {
  twins::TwinService& svc = *s.twins;
  router.add(Method::GET, "/api/v1/twin-models", [&svc](Request&) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& m : svc.list_models()) items.push_back(twin::to_json(m));
    return json_response(200, {{"items", std::move(items)}});
  }, {.summary = "every twin model", .kind = iam::ResourceKind::twin_models, .verb = iam::Verb::read});
  router.add(Method::PUT, "/api/v1/twin-models/{id}", [&svc](Request& req) {
    auto created = svc.put_model(req.param("id"), req.body);
    if (!created) return problem(created.error());
    auto m = svc.get_model(req.param("id"));
    if (!m) return problem(m.error());
    return json_response(*created ? 201 : 200, twin::to_json(*m));
  }, {.max_body = 256 * 1024,
      .summary = "create or replace a twin model (JSON or YAML: telemetry, attributes, desired with "
                 "constraints, relationships, topic mappings)",
      .kind = iam::ResourceKind::twin_models, .verb = iam::Verb::write});
  router.add(Method::GET, "/api/v1/twin-models/{id}", [&svc](Request& req) {
    auto m = svc.get_model(req.param("id"));
    if (!m) return problem(m.error());
    return json_response(200, twin::to_json(*m));
  }, {.summary = "one twin model", .kind = iam::ResourceKind::twin_models, .verb = iam::Verb::read});
  router.add(Method::DELETE, "/api/v1/twin-models/{id}", [&svc](Request& req) {
    if (auto st = svc.delete_model(req.param("id")); !st) return problem(st.error());
    return Response{204, "", {}, "", {}};
  }, {.summary = "delete a twin model no twin uses",
      .kind = iam::ResourceKind::twin_models, .verb = iam::Verb::delete_});
}

}  // namespace iotwins::api
