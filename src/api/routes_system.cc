// /healthz, /readyz, /metrics, /api/v1/version.
#include <nlohmann/json.hpp>

#include "api/openapi.h"
#include "api/problem.h"
#include "api/routes.h"
#include "core/metrics.h"

#ifndef IOTWINS_VERSION
#define IOTWINS_VERSION "0.0.0"
#endif
#ifndef IOTWINS_GIT_COMMIT
#define IOTWINS_GIT_COMMIT "unknown"
#endif
#ifndef IOTWINS_BUILD_TYPE
#define IOTWINS_BUILD_TYPE "unknown"
#endif

namespace iotwins::api {

BuildInfo build_info() {
  return {IOTWINS_VERSION, IOTWINS_GIT_COMMIT, IOTWINS_BUILD_TYPE, "g++ " __VERSION__};
}

void add_system_routes(Router& router, const Services& services) {
  router.add(Method::GET, "/healthz", [](Request&) {
    return json_response(200, {{"status", "ok"}});
  }, {.summary = "liveness: the process answers", .public_route = true});

  router.add(Method::GET, "/readyz", [services](Request&) {
    std::string missing = services.readiness ? services.readiness() : "";
    if (!missing.empty()) return json_response(503, {{"status", "not ready"}, {"waiting_for", missing}});
    return json_response(200, {{"status", "ready"}});
  }, {.summary = "readiness: every component is up", .public_route = true});

  router.add(Method::GET, "/metrics", [](Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics::Registry::global().render();
    return r;
  }, {.summary = "Prometheus metrics", .public_route = true});

  router.add(Method::GET, "/api/v1/version", [](Request&) {
    BuildInfo b = build_info();
    return json_response(200, {{"version", b.version},
                               {"git_commit", b.git_commit},
                               {"build_type", b.build_type},
                               {"compiler", b.compiler},
                               {"api", "v1"}});
  }, {.summary = "version and build of the server", .public_route = true});
}

void add_server_routes(Router& router, const Services& services) {
  add_system_routes(router, services);
  add_node_routes(router, services);
  add_template_routes(router, services);
  if (services.orchestrator) add_deployment_routes(router, services);
  if (services.orchestrator) add_node_task_routes(router, services);
  if (services.series) add_series_routes(router, services);
  add_ingest_routes(router, services);
  add_event_routes(router, services);
  add_object_routes(router, services);
  add_twin_routes(router, services);
  add_scenario_routes(router, services);
  add_artifact_routes(router, services);
  add_model_routes(router, services);
  if (services.iam && services.ca) add_join_routes(router, services);
  // Last, so the document lists every route (itself included, through the router reference).
  router.add(Method::GET, "/api/v1/openapi.json", [&router](Request&) {
    return json_response(200, openapi_document(router, build_info().version));
  }, {.summary = "this API as an OpenAPI 3.0 document", .public_route = true});
}

}  // namespace iotwins::api
