#include "api/openapi.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace iotwins::api {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

json problem_ref(const char* what) {
  return {{"description", what},
          {"content", {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

}  // namespace

json openapi_document(const Router& router, const std::string& version) {
  json paths = json::object();
  for (const auto& route : router.routes()) {
    // OpenAPI spells a rest parameter like any other: {path...} -> {path}.
    std::string path = route->pattern;
    for (size_t p = path.find("...}"); p != std::string::npos; p = path.find("...}")) path.erase(p, 3);
    json op = {{"summary", route->options.summary.empty() ? route->pattern : route->options.summary}};
    json params = json::array();
    for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
      size_t close = path.find('}', open);
      params.push_back({{"name", path.substr(open + 1, close - open - 1)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    json responses = {{"200", {{"description", "success"}}},
                      {"400", problem_ref("invalid input; the detail says what and where")},
                      {"404", problem_ref("not found")}};
    if (route->method == Method::POST || route->method == Method::PUT || route->method == Method::PATCH) {
      op["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
      responses["413"] = problem_ref("body larger than the route's limit");
    }
    if (route->websocket) {
      op["description"] = route->handler ? "WebSocket endpoint with an Upgrade request; a plain GET is answered too."
                                         : "WebSocket endpoint: send an Upgrade request.";
    }
    if (route->options.public_route) {
      op["security"] = json::array();  // no credentials needed
    } else {
      responses["401"] = problem_ref("no valid credentials (WWW-Authenticate: Bearer)");
      responses["403"] = problem_ref("the caller's role bindings do not allow this");
      op["x-iotwins-permission"] = {{"kind", iam::to_string(*route->options.kind)},
                                    {"verb", iam::to_string(*route->options.verb)}};
    }
    op["responses"] = responses;
    paths[path][lower(to_string(route->method))] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "iotwins API"}, {"version", version},
                    {"description", "Digital twins across the IoT → Edge → Cloud continuum. Errors are "
                                    "application/problem+json with a stable `code`."}}},
          {"paths", paths},
          {"security", json::array({{{"bearer", json::array()}}})},
          {"components",
           {{"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"},
                          {"description", "an access token (JWT) from POST /api/v1/auth/token or the configured "
                                          "OpenID Connect provider, or an API token iot_pat_…"}}}}},
            {"schemas",
             {{"Problem",
               {{"type", "object"},
                {"properties",
                 {{"type", {{"type", "string"}}},
                  {"title", {{"type", "string"}}},
                  {"status", {{"type", "integer"}}},
                  {"detail", {{"type", "string"}}},
                  {"code", {{"type", "string"}}}}}}}}}}}};
}

}  // namespace iotwins::api
