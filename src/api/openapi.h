// The OpenAPI 3.0 document of the REST API, generated from the router itself (paths, methods,
// path parameters, summaries, error answers), so it cannot drift from the code. Served at
// /api/v1/openapi.json; docs/api/openapi.json is a copy an e2e test keeps equal.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/router.h"

namespace iotwins::api {

nlohmann::json openapi_document(const Router& router, const std::string& version);

}  // namespace iotwins::api
