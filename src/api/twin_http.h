// Pieces the twin routes share (server and agent): If-Match, ETag, the twin document with its
// node, and parsing a JSON body with the twin limits.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "core/result.h"
#include "twin/document.h"

namespace iotwins::api {

// If-Match: "3", 3 or W/"3" → 3; absent → nullopt; anything else is invalid_argument.
Result<std::optional<int64_t>> if_match_version(const Request& request);
// The twin document (ARCHITECTURE.md §4) plus "node" when set.
nlohmann::json twin_body(const twin::TwinDocument& doc, const std::string& node);
// A JSON response with ETag: "<version>".
Response twin_response(int status, const twin::TwinDocument& doc, const std::string& node);
// Parses the body with the twin limits (size, nesting); errors name the byte offset.
Result<nlohmann::json> twin_json_body(const Request& request);

}  // namespace iotwins::api
